import Authorization
import KafkaProtocol
import Replication

/// DeleteRecords: advances the leader's log start offset (-1 = up to the high watermark), then answers once every
/// in-sync follower has moved its own log start there too (or the request times out).
struct DeleteRecordsHandler: APIHandler {
    typealias Request = DeleteRecordsRequest
    let versions: ClosedRange<Int16> = 0...2
    let core: BrokerCore

    func handle(_ request: DeleteRecordsRequest, context: RequestContext) async -> DeleteRecordsResponse? {
        var response = DeleteRecordsResponse()
        let deletable = context.authorized(.delete, .topic, request.topics.map(\.name))
        for topic in request.topics {
            var topicResult = DeleteRecordsResponse.DeleteRecordsTopicResult(name: topic.name, partitions: [])
            for p in topic.partitions {
                var result = DeleteRecordsResponse.DeleteRecordsPartitionResult(
                    partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: 0)
                guard deletable.contains(topic.name) else {
                    result.errorCode = ErrorCode.topicAuthorizationFailed.rawValue
                    topicResult.partitions.append(result)
                    continue
                }
                do {
                    let low = try core.replicas.deleteRecords(
                        topic: topic.name, partition: p.partitionIndex, before: p.offset)
                    try await core.replicas.awaitFollowersLogStart(
                        topic: topic.name, partition: p.partitionIndex, lowWatermark: low,
                        timeoutMs: request.timeoutMs)
                    result.lowWatermark = low
                } catch {
                    result.errorCode = ErrorCode(error).rawValue
                }
                topicResult.partitions.append(result)
            }
            response.topics.append(topicResult)
        }
        return response
    }
}
