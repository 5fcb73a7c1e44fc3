import KafkaProtocol
import KafkaRecords
import Testing

@testable import Broker

@Suite("KIP-890 part 1: which produced batches the leader verifies, and how the coordinator's answer is told")
struct TransactionVerifierTests {
    @Test("a transactional batch names its producer id and epoch")
    func transactionalBatch() throws {
        var builder = RecordBatchBuilder(producerId: 4000, producerEpoch: 3, isTransactional: true)
        builder.append(timestamp: 1, key: nil, value: [1])
        let producer = try #require(TransactionVerifier.transactionalProducer(of: try builder.build()))
        #expect(producer.id == 4000 && producer.epoch == 3)
    }

    @Test("idempotent, plain, truncated and absent record sets are not verified")
    func notTransactional() throws {
        var idempotent = RecordBatchBuilder(producerId: 4000, producerEpoch: 3, isTransactional: false)
        idempotent.append(timestamp: 1, key: nil, value: [1])
        var plain = RecordBatchBuilder()
        plain.append(timestamp: 1, key: nil, value: [1])
        #expect(TransactionVerifier.transactionalProducer(of: try idempotent.build()) == nil)
        #expect(TransactionVerifier.transactionalProducer(of: try plain.build()) == nil)
        #expect(TransactionVerifier.transactionalProducer(of: [0, 0, 0]) == nil)
        #expect(TransactionVerifier.transactionalProducer(of: nil) == nil)
    }

    @Test(
        "the coordinator's answers become Kafka's produce errors: fatal ones as they are, transient ones retriable",
        arguments: [
            (ErrorCode.noError, ErrorCode.noError),
            (.invalidTxnState, .invalidTxnState),
            (.invalidProducerIdMapping, .invalidProducerIdMapping),
            (.producerFenced, .invalidProducerEpoch),
            (.concurrentTransactions, .notEnoughReplicas),
            (.coordinatorLoadInProgress, .notEnoughReplicas),
            (.coordinatorNotAvailable, .notEnoughReplicas),
            (.notCoordinator, .notEnoughReplicas),
        ])
    func produceErrors(answer: ErrorCode, told: ErrorCode) {
        #expect(TransactionVerifier.produceError(for: answer) == told)
    }
}
