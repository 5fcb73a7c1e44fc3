import KafkaConfig
import KafkaProtocol
import KafkaRecords
import Logging
import Replication
import TransactionCoordinator

import struct KafkaClient.BrokerAddress

/// KIP-890 part 1, partition-side verification (`transaction.partition.verification.enable`, Kafka 3.6+): before
/// a leader appends the first transactional batch of a producer's transaction to a partition, it asks the
/// transaction coordinator whether the partition really is in the producer's ongoing transaction
/// (AddPartitionsToTxn v4 with `verifyOnly`). A late or stray write (a produce retried after its transaction ended,
/// a client that skipped AddPartitionsToTxn) would otherwise open a transaction no coordinator knows: a hanging
/// transaction that holds the last stable offset, and read_committed consumers, back forever.
///
/// The partition's producer state is the cache: once a batch of the transaction is in the log the transaction is
/// open there, and the next batches of the same producer id and epoch append without asking. The marker closes it,
/// so the next transaction's first batch asks again. A verification guard taken from the log before asking travels
/// with the append (Kafka's `VerificationGuard`): a marker written meanwhile voids it, so a batch verified against
/// a transaction that has just ended cannot open a new one. All partitions of one Produce request that need the check go
/// to the coordinator in one request; a coordinator on this broker is asked directly. The wait is an `await`, never
/// a blocked thread.
final class TransactionVerifier: Sendable {
    private let brokerId: Int32
    private let metadata: MetadataCache
    private let replicas: ReplicaManager
    private let runtime: TransactionCoordinatorRuntime
    private let config: @Sendable () -> BrokerConfig
    private let logger: Logger
    private let connections: MarkerConnections

    init(
        brokerId: Int32, metadata: MetadataCache, replicas: ReplicaManager, runtime: TransactionCoordinatorRuntime,
        config: @escaping @Sendable () -> BrokerConfig, logger: Logger
    ) {
        self.brokerId = brokerId
        self.metadata = metadata
        self.replicas = replicas
        self.runtime = runtime
        self.config = config
        self.logger = logger
        self.connections = MarkerConnections(clientId: "broker-\(brokerId)-txn-verifier")
    }

    /// The producer of a transactional v2 batch, read from the first batch's header (nil: not transactional).
    static func transactionalProducer(of records: [UInt8]?) -> (id: Int64, epoch: Int16)? {
        guard let records, records.count >= RecordBatchHeader.size, records[16] == 2 else { return nil }
        let header = records.withUnsafeBytes { RecordBatchHeader(parsing: $0) }
        guard header.attributes & 0x10 != 0, header.producerId >= 0 else { return nil }
        return (header.producerId, header.producerEpoch)
    }

    struct Verdict {
        /// Partitions whose batches must not be appended, with the error to answer (Kafka's `ReplicaManager`
        /// mapping: INVALID_TXN_STATE when the partition is not in the transaction, NOT_ENOUGH_REPLICAS, which
        /// producers retry, when the coordinator could not answer).
        var refused: [TxnTopicPartition: ErrorCode] = [:]
        /// The verification guard each transactional batch is appended with (0: it continues an open transaction
        /// and was not verified, so it may not open one).
        var guards: [TxnTopicPartition: UInt64] = [:]
    }

    /// Checks the transactional batches of a Produce request. Partitions that are not transactional or not led
    /// here are left alone; those already in the producer's open transaction here are not asked about.
    func verify(transactionalId: String, entries: [(TxnTopicPartition, [UInt8]?)]) async -> Verdict {
        var verdict = Verdict()
        guard config().transactionPartitionVerificationEnable else { return verdict }
        var wanted: [ProducerKey: [TxnTopicPartition]] = [:]
        for (tp, records) in entries {
            guard let producer = Self.transactionalProducer(of: records),
                let partition = replicas.partition(tp.topic, tp.partition)
            else { continue }
            if let entry = partition.log.producerStateEntry(producerId: producer.id),
                entry.currentTxnFirstOffset >= 0, entry.producerEpoch == producer.epoch
            {
                verdict.guards[tp] = 0
                continue
            }
            verdict.guards[tp] = partition.log.transactionVerificationGuard(producerId: producer.id)
            wanted[ProducerKey(id: producer.id, epoch: producer.epoch), default: []].append(tp)
        }
        for (producer, partitions) in wanted {
            let answers = await ask(
                transactionalId: transactionalId, producerId: producer.id, producerEpoch: producer.epoch,
                partitions: partitions)
            for tp in partitions {
                let code = Self.produceError(for: answers[tp] ?? .notCoordinator)
                if code != .noError { verdict.refused[tp] = code }
            }
        }
        return verdict
    }

    /// How a coordinator's verification answer is told to the producer.
    static func produceError(for code: ErrorCode) -> ErrorCode {
        switch code {
        case .noError, .invalidTxnState, .invalidProducerIdMapping, .transactionalIdAuthorizationFailed:
            return code
        // Produce up to v9 documents INVALID_PRODUCER_EPOCH for a fenced producer.
        case .producerFenced, .invalidProducerEpoch:
            return .invalidProducerEpoch
        default:
            // CONCURRENT_TRANSACTIONS, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR and
            // an unreachable coordinator: the producer retries, as Kafka answers them.
            return .notEnoughReplicas
        }
    }

    private struct ProducerKey: Hashable {
        var id: Int64
        var epoch: Int16
    }

    private func ask(transactionalId: String, producerId: Int64, producerEpoch: Int16, partitions: [TxnTopicPartition])
        async -> [TxnTopicPartition: ErrorCode]
    {
        guard let stateTopic = metadata.topic(TransactionService.topic) else { return [:] }
        let index = TransactionPlacement.partition(
            for: transactionalId, partitionCount: Int32(stateTopic.partitions.count))
        guard let leader = stateTopic.partitions.first(where: { $0.partition == index })?.leader, leader >= 0 else {
            return [:]
        }
        if leader == brokerId {
            let codes = await runtime.verify(
                transactionalId: transactionalId, producerId: producerId, producerEpoch: producerEpoch,
                partitions: partitions)
            return Dictionary(zip(partitions, codes), uniquingKeysWith: { first, _ in first })
        }
        let settings = config()
        guard let address = metadata.address(of: leader, on: settings.interBrokerListenerName) else { return [:] }
        var byTopic: [String: [Int32]] = [:]
        for tp in partitions { byTopic[tp.topic, default: []].append(tp.partition) }
        let request = AddPartitionsToTxnRequest(transactions: [
            .init(
                transactionalId: transactionalId, producerId: producerId, producerEpoch: producerEpoch,
                verifyOnly: true,
                topics: byTopic.keys.sorted().map { .init(name: $0, partitions: byTopic[$0]!.sorted()) })
        ])
        let response: AddPartitionsToTxnResponse
        do {
            response = try await connections.send(
                request, version: 4, to: leader, address: BrokerAddress(host: address.host, port: Int(address.port)),
                timeoutMs: settings.requestTimeoutMs)
        } catch {
            logger.info("Cannot verify the transaction of \(transactionalId) with broker \(leader): \(error)")
            return [:]
        }
        let topLevel = ErrorCode(rawValue: response.errorCode) ?? .unknownServerError
        var answers: [TxnTopicPartition: ErrorCode] = [:]
        for tp in partitions where topLevel != .noError { answers[tp] = topLevel }
        for txn in response.resultsByTransaction where topLevel == .noError {
            for topic in txn.topicResults {
                for p in topic.resultsByPartition {
                    answers[TxnTopicPartition(topic: topic.name, partition: p.partitionIndex)] =
                        ErrorCode(rawValue: p.partitionErrorCode) ?? .unknownServerError
                }
            }
        }
        return answers
    }
}
