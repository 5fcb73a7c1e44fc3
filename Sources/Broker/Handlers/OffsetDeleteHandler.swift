import Authorization
import GroupCoordinator
import KafkaProtocol

/// OffsetDelete: removes committed offsets of partitions the group no longer consumes.
struct OffsetDeleteHandler: APIHandler {
    typealias Request = OffsetDeleteRequest
    let versions: ClosedRange<Int16> = 0...0
    let groups: GroupService

    func handle(_ request: OffsetDeleteRequest, context: RequestContext) async -> OffsetDeleteResponse? {
        // Group Delete for the request, then Topic Read per topic (TOPIC_AUTHORIZATION_FAILED per partition).
        guard context.authorize(.delete, .group, request.groupId) else {
            return OffsetDeleteResponse(errorCode: ErrorCode.groupAuthorizationFailed.rawValue)
        }
        let readable = context.authorized(.read, .topic, request.topics.map(\.name))
        let wanted = request.topics.filter { readable.contains($0.name) }.flatMap { t in
            t.partitions.map { TopicPartitionKey(topic: t.name, partition: $0.partitionIndex) }
        }
        let result = await groups.runtime.deleteOffsets(groupId: request.groupId, partitions: wanted)
        var response = OffsetDeleteResponse()
        response.errorCode = result.error.rawValue
        guard result.error == .noError else { return response }
        var i = 0
        for t in request.topics {
            var topic = OffsetDeleteResponse.OffsetDeleteResponseTopic()
            topic.name = t.name
            for p in t.partitions {
                guard readable.contains(t.name) else {
                    topic.partitions.append(
                        .init(partitionIndex: p.partitionIndex, errorCode: ErrorCode.topicAuthorizationFailed.rawValue))
                    continue
                }
                let code = i < result.partitions.count ? result.partitions[i] : .unknownServerError
                topic.partitions.append(.init(partitionIndex: p.partitionIndex, errorCode: code.rawValue))
                i += 1
            }
            response.topics.append(topic)
        }
        return response
    }
}
