import Authorization
import KafkaProtocol
import Replication

/// ListOffsets: -1 latest (HW, or LSO for read_committed), -2 earliest, -3 max timestamp (v7+), otherwise the
/// first offset whose timestamp is ≥ the asked one (through the time index). v0 answers `oldStyleOffsets`.
struct ListOffsetsHandler: APIHandler {
    typealias Request = ListOffsetsRequest
    let versions: ClosedRange<Int16> = 0...7
    let core: BrokerCore

    func handle(_ request: ListOffsetsRequest, context: RequestContext) async -> ListOffsetsResponse? {
        let version = context.apiVersion
        var response = ListOffsetsResponse()
        let describable = context.authorized(.describe, .topic, request.topics.map(\.name))
        for topic in request.topics {
            var topicResponse = ListOffsetsResponse.ListOffsetsTopicResponse(name: topic.name, partitions: [])
            for p in topic.partitions {
                var result = ListOffsetsResponse.ListOffsetsPartitionResponse(
                    partitionIndex: p.partitionIndex, errorCode: 0, timestamp: -1, offset: -1, leaderEpoch: -1)
                guard describable.contains(topic.name) else {
                    result.errorCode = ErrorCode.topicAuthorizationFailed.rawValue
                    topicResponse.partitions.append(result)
                    continue
                }
                do {
                    let found = try core.replicas.offsetLookup(
                        topic: topic.name, partition: p.partitionIndex, timestamp: p.timestamp,
                        readCommitted: version >= 2 && request.isolationLevel == 1,
                        currentLeaderEpoch: version >= 4 ? p.currentLeaderEpoch : -1,
                        fromReplica: request.replicaId >= 0, clientRetriesUnavailableOffsets: version >= 2)
                    if version == 0 {
                        result.oldStyleOffsets = found.offset >= 0 && p.maxNumOffsets > 0 ? [found.offset] : []
                    } else {
                        result.offset = found.offset
                        result.timestamp = found.timestamp
                        result.leaderEpoch = found.leaderEpoch
                    }
                } catch {
                    result.errorCode = ErrorCode(error).rawValue
                }
                topicResponse.partitions.append(result)
            }
            response.topics.append(topicResponse)
        }
        return response
    }
}
