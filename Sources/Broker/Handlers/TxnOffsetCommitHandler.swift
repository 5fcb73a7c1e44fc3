import Foundation
import GroupCoordinator
import KafkaProtocol

/// TxnOffsetCommit: offsets committed inside a transaction wait in the group coordinator until the transaction's
/// marker reaches the group's `__consumer_offsets` partition (visible at COMMIT only). v3+ carries the KIP-447
/// group metadata (member id, generation), checked like OffsetCommit's.
struct TxnOffsetCommitHandler: APIHandler {
    typealias Request = TxnOffsetCommitRequest
    let versions: ClosedRange<Int16> = 0...4
    let groups: GroupService

    func handle(_ request: TxnOffsetCommitRequest, context: RequestContext) async -> TxnOffsetCommitResponse? {
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
            offsets: entries)
        var next = errors.makeIterator()
        var response = TxnOffsetCommitResponse()
        for topic in request.topics {
            response.topics.append(
                .init(
                    name: topic.name,
                    partitions: topic.partitions.map { p in
                        var code = next.next() ?? .unknownServerError
                        if code == .producerFenced && context.apiVersion < 2 { code = .invalidProducerEpoch }
                        return .init(partitionIndex: p.partitionIndex, errorCode: code.rawValue)
                    }))
        }
        return response
    }
}
