import Authorization
import KafkaProtocol

/// DeleteTopics: marks the topics for deletion in ZooKeeper (`/admin/delete_topics`) and waits up to the
/// request's timeout until the controller has removed them from this broker's metadata (REQUEST_TIMED_OUT
/// otherwise). v6+ may name topics by id.
struct DeleteTopicsHandler: APIHandler {
    typealias Request = DeleteTopicsRequest
    let versions: ClosedRange<Int16> = 0...6
    let core: BrokerCore

    func handle(_ request: DeleteTopicsRequest, context: RequestContext) async -> DeleteTopicsResponse? {
        let version = context.apiVersion
        var response = DeleteTopicsResponse()
        var targets: [(name: String?, id: UUIDValue)] = []
        if version >= 6 {
            targets = request.topics.map { ($0.name, $0.topicId) }
        } else {
            targets = request.topicNames.map { ($0, UUIDValue.zero) }
        }
        let byId = core.metadata.snapshot.topicsById
        for target in targets {
            var result = DeleteTopicsResponse.DeletableTopicResult(name: target.name, topicId: target.id, errorCode: 0)
            // By id the topic must first be describable (else it does not exist for this principal).
            var name = target.name ?? byId[target.id]
            if target.name == nil, let known = name, !context.authorize(.describe, .topic, known) { name = nil }
            guard let name else {
                result.errorCode = ErrorCode.unknownTopicId.rawValue
                response.responses.append(result)
                continue
            }
            result.name = name
            guard context.authorize(.delete, .topic, name) else {
                result.errorCode = ErrorCode.topicAuthorizationFailed.rawValue
                result.errorMessage = "Authorization failed."
                response.responses.append(result)
                continue
            }
            do {
                let id = try await core.topics.delete(name, timeoutMs: request.timeoutMs)
                result.topicId = id
            } catch {
                result.errorCode = ErrorCode(error).rawValue
                result.errorMessage = error.message
            }
            response.responses.append(result)
        }
        return response
    }
}
