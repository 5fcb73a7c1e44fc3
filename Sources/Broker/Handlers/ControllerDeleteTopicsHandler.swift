import KRaftController
import KafkaProtocol

/// DeleteTopics (20) on the controller listener (`ControllerApis.handleDeleteTopics`): the active controller
/// writes a RemoveTopicRecord per topic, named (v0-5) or by name or id (v6+). NOT_CONTROLLER when this node is not
/// the active controller.
struct ControllerDeleteTopicsHandler: APIHandler {
    typealias Request = DeleteTopicsRequest
    let versions: ClosedRange<Int16> = 0...6
    let controller: KRaftActiveController
    let publisher: KRaftMetadataPublisher

    func handle(_ request: DeleteTopicsRequest, context: RequestContext) async -> DeleteTopicsResponse? {
        var response = DeleteTopicsResponse()
        var names: [String] = []
        if context.apiVersion >= 6 {
            let image = publisher.image
            for t in request.topics {
                if let name = t.name {
                    names.append(name)
                } else if let topic = image.topics[t.topicId] {
                    names.append(topic.name)
                } else {
                    response.responses.append(
                        .init(
                            name: nil, topicId: t.topicId, errorCode: ErrorCode.unknownTopicId.rawValue,
                            errorMessage: "This server does not host this topic ID."))
                }
            }
        } else {
            names = request.topicNames
        }
        let asked = names
        do {
            let replies = try await controller.decide { c, _, _ in c.deleteTopics(asked) }
            let ids = publisher.image.topicIds
            for r in replies {
                response.responses.append(
                    .init(
                        name: r.name, topicId: ids[r.name] ?? .zero, errorCode: r.errorCode.rawValue,
                        errorMessage: r.errorMessage))
            }
        } catch {
            for name in asked {
                response.responses.append(
                    .init(name: name, errorCode: ErrorCode(error).rawValue, errorMessage: error.message))
            }
        }
        return response
    }
}
