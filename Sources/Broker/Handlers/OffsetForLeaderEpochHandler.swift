import Authorization
import KafkaProtocol
import Replication

/// OffsetForLeaderEpoch (API 23): the leader's end offset of a leader epoch, from its epoch cache (KIP-101/KIP-279).
/// Clients use it after a leader change to detect truncation (KIP-320); `currentLeaderEpoch` fences stale or
/// early callers (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH).
struct OffsetForLeaderEpochHandler: APIHandler {
    typealias Request = OffsetForLeaderEpochRequest
    let versions: ClosedRange<Int16> = 0...4
    let core: BrokerCore

    func handle(_ request: OffsetForLeaderEpochRequest, context: RequestContext) async -> OffsetForLeaderEpochResponse?
    {
        let version = context.apiVersion
        var response = OffsetForLeaderEpochResponse()
        // Replicas hold Cluster ClusterAction; anyone else needs Topic Describe per topic.
        let names = request.topics.map(\.topic)
        let describable =
            context.authorize(.clusterAction, .cluster, Resource.clusterName, logIfDenied: false)
            ? Set(names) : context.authorized(.describe, .topic, names)
        for topic in request.topics {
            var result = OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult(topic: topic.topic, partitions: [])
            for p in topic.partitions {
                var answer = OffsetForLeaderEpochResponse.EpochEndOffset(partition: p.partition)
                guard describable.contains(topic.topic) else {
                    answer.errorCode = ErrorCode.topicAuthorizationFailed.rawValue
                    result.partitions.append(answer)
                    continue
                }
                do {
                    let found = try core.replicas.endOffsetForLeaderEpoch(
                        topic: topic.topic, partition: p.partition,
                        currentLeaderEpoch: version >= 2 ? p.currentLeaderEpoch : -1, leaderEpoch: p.leaderEpoch)
                    answer.leaderEpoch = found.epoch
                    answer.endOffset = found.endOffset
                } catch {
                    answer.errorCode = ErrorCode(error).rawValue
                }
                result.partitions.append(answer)
            }
            response.topics.append(result)
        }
        return response
    }
}
