import Authorization
import Foundation
import GroupCoordinator
import KafkaProtocol

/// OffsetCommit v0–8: group members commit with their generation; standalone consumers (kcat, assign()) with
/// generation −1 and no member id while the group has no members. A retention time (v2–4, not −1) gives the offsets
/// an explicit expiry (commit time + retention, a v1 value record) instead of `offsets.retention.minutes`; a v1
/// commit timestamp other than −1 replaces the broker's clock, as in Kafka.
struct OffsetCommitHandler: APIHandler {
    typealias Request = OffsetCommitRequest
    let versions: ClosedRange<Int16> = 0...8
    let groups: GroupService

    func handle(_ request: OffsetCommitRequest, context: RequestContext) async -> OffsetCommitResponse? {
        let version = context.apiVersion
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let expireTimestamp: Int64? =
            (2...4).contains(version) && request.retentionTimeMs != -1 ? now + request.retentionTimeMs : nil
        // Group Read, else every partition GROUP_AUTHORIZATION_FAILED; then Topic Read per topic, else
        // TOPIC_AUTHORIZATION_FAILED for its partitions while the others are committed.
        let groupAllowed = context.authorize(.read, .group, request.groupId)
        let readable = groupAllowed ? context.authorized(.read, .topic, request.topics.map(\.name)) : []
        var entries: [(TopicPartitionKey, CommittedOffset)] = []
        for t in request.topics where readable.contains(t.name) {
            for p in t.partitions {
                let commitTimestamp = version == 1 && p.commitTimestamp != -1 ? p.commitTimestamp : now
                entries.append(
                    (
                        TopicPartitionKey(topic: t.name, partition: p.partitionIndex),
                        CommittedOffset(
                            offset: p.committedOffset, leaderEpoch: version >= 6 ? p.committedLeaderEpoch : -1,
                            metadata: p.committedMetadata ?? "", commitTimestamp: commitTimestamp,
                            expireTimestamp: expireTimestamp)
                    ))
            }
        }
        let errors: [ErrorCode]
        if entries.isEmpty {
            errors = []
        } else if request.groupId.isEmpty && version >= 1 && request.generationIdOrMemberEpoch >= 0 {
            errors = entries.map { _ in .invalidGroupId }
        } else {
            errors = await groups.runtime.commit(
                groupId: request.groupId, memberId: version >= 1 ? request.memberId : "",
                groupInstanceId: version >= 7 ? request.groupInstanceId : nil,
                generationId: version >= 1 ? request.generationIdOrMemberEpoch : -1, offsets: entries)
        }
        var response = OffsetCommitResponse()
        var i = 0
        for t in request.topics {
            var topic = OffsetCommitResponse.OffsetCommitResponseTopic(name: t.name)
            for p in t.partitions {
                guard readable.contains(t.name) else {
                    let code: ErrorCode = groupAllowed ? .topicAuthorizationFailed : .groupAuthorizationFailed
                    topic.partitions.append(.init(partitionIndex: p.partitionIndex, errorCode: code.rawValue))
                    continue
                }
                topic.partitions.append(
                    .init(
                        partitionIndex: p.partitionIndex,
                        errorCode: (i < errors.count ? errors[i] : .unknownServerError).rawValue))
                i += 1
            }
            response.topics.append(topic)
        }
        return response
    }
}
