import Authorization
import KafkaProtocol

/// CreatePartitions: grows a topic's partition count (never shrinks: INVALID_PARTITIONS), then waits up to the
/// request's timeout for the new partitions' leaders to reach this broker's metadata.
struct CreatePartitionsHandler: APIHandler {
    typealias Request = CreatePartitionsRequest
    let versions: ClosedRange<Int16> = 0...3
    let core: BrokerCore

    func handle(_ request: CreatePartitionsRequest, context: RequestContext) async -> CreatePartitionsResponse? {
        var response = CreatePartitionsResponse()
        for topic in request.topics {
            var result = CreatePartitionsResponse.CreatePartitionsTopicResult(name: topic.name, errorCode: 0)
            guard context.authorize(.alter, .topic, topic.name) else {
                result.errorCode = ErrorCode.topicAuthorizationFailed.rawValue
                result.errorMessage = "Authorization failed."
                response.results.append(result)
                continue
            }
            do {
                try await core.topics.createPartitions(
                    topic.name, count: topic.count, assignments: topic.assignments?.map(\.brokerIds),
                    validateOnly: request.validateOnly, timeoutMs: request.validateOnly ? nil : request.timeoutMs)
            } catch {
                result.errorCode = ErrorCode(error).rawValue
                result.errorMessage = error.message
            }
            response.results.append(result)
        }
        return response
    }
}
