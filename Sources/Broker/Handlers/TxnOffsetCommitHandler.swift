import Authorization
import Foundation
import GroupCoordinator
import KafkaProtocol
import TransactionCoordinator

/// TxnOffsetCommit: offsets committed inside a transaction wait in the group coordinator until the transaction's
/// marker reaches the group's `__consumer_offsets` partition (visible at COMMIT only). v3+ carries the KIP-447
/// group metadata (member id, generation), checked like OffsetCommit's. With KIP-890 part 1 verification on, the
/// transaction must already hold the group's offsets partition (AddOffsetsToTxn), as Kafka 3.6+ checks. v5 comes from
/// a transaction version 2 producer (KIP-890 part 2), which sends no AddOffsetsToTxn: with `transaction.version` 2
/// the group coordinator adds the offsets partition to the transaction itself.
struct TxnOffsetCommitHandler: APIHandler {
    typealias Request = TxnOffsetCommitRequest
    let versions: ClosedRange<Int16> = 0...5
    let groups: GroupService
    let verifier: TransactionVerifier

    func handle(_ request: TxnOffsetCommitRequest, context: RequestContext) async -> TxnOffsetCommitResponse? {
        // Kafka's handleTxnOffsetCommitRequest: TransactionalId Write and Group Read for the whole request (their
        // error on every partition), then Topic Read per topic.
        let whole: ErrorCode? =
            !context.authorize(.write, .transactionalId, request.transactionalId)
            ? .transactionalIdAuthorizationFailed
            : !context.authorize(.read, .group, request.groupId) ? .groupAuthorizationFailed : nil
        let readable = context.authorized(.read, .topic, request.topics.map(\.name))
        if whole != nil || readable.count < Set(request.topics.map(\.name)).count {
            var refused = TxnOffsetCommitResponse()
            for topic in request.topics {
                let code = whole ?? (readable.contains(topic.name) ? .operationNotAttempted : .topicAuthorizationFailed)
                refused.topics.append(
                    .init(
                        name: topic.name,
                        partitions: topic.partitions.map {
                            .init(partitionIndex: $0.partitionIndex, errorCode: code.rawValue)
                        }
                    ))
            }
            return refused
        }
        let offsetsPartition = TxnTopicPartition(
            topic: GroupService.topic, partition: await groups.runtime.partition(for: request.groupId))
        let verification = await verifier.verifyOffsetCommit(
            transactionalId: request.transactionalId, producerId: request.producerId,
            producerEpoch: request.producerEpoch, offsetsPartition: offsetsPartition,
            addImplicitly: context.apiVersion >= 5 && verifier.servesTransactionVersion2)
        var verified = verification.error
        if verified != .noError {
            if verified == .producerFenced && context.apiVersion < 2 { verified = .invalidProducerEpoch }
            var refused = TxnOffsetCommitResponse()
            for topic in request.topics {
                refused.topics.append(
                    .init(
                        name: topic.name,
                        partitions: topic.partitions.map {
                            .init(partitionIndex: $0.partitionIndex, errorCode: verified.rawValue)
                        }))
            }
            return refused
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var entries: [(TopicPartitionKey, CommittedOffset)] = []
        for topic in request.topics {
            for p in topic.partitions {
                entries.append(
                    (
                        TopicPartitionKey(topic: topic.name, partition: p.partitionIndex),
                        CommittedOffset(
                            offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch,
                            metadata: p.committedMetadata ?? "", commitTimestamp: now)
                    ))
            }
        }
        let errors = await groups.runtime.commitTransactional(
            groupId: request.groupId, producerId: request.producerId, producerEpoch: request.producerEpoch,
            memberId: request.memberId, groupInstanceId: request.groupInstanceId, generationId: request.generationId,
            offsets: entries, verificationGuard: verification.verificationGuard)
        var next = errors.makeIterator()
        var response = TxnOffsetCommitResponse()
        for topic in request.topics {
            response.topics.append(
                .init(
                    name: topic.name,
                    partitions: topic.partitions.map { p in
                        var code = next.next() ?? .unknownServerError
                        if code == .producerFenced && context.apiVersion < 2 { code = .invalidProducerEpoch }
                        // A transaction version 2 producer aborts and carries on (KIP-890 part 2).
                        if code == .invalidTxnState && context.apiVersion >= 5 { code = .transactionAbortable }
                        return .init(partitionIndex: p.partitionIndex, errorCode: code.rawValue)
                    }))
        }
        return response
    }
}
