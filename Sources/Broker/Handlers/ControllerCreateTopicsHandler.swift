import KRaftController
import KafkaProtocol

/// CreateTopics (19) on the controller listener (Kafka's `ControllerApis.handleCreateTopics`): the active KRaft
/// controller decides it against its own image and appends the records. A broker forwards its clients' creations
/// here with the assignment it computed; without one the controller places the replicas over its registered
/// unfenced brokers. NOT_CONTROLLER when this node is not the active controller, so the sender retries elsewhere.
struct ControllerCreateTopicsHandler: APIHandler {
    typealias Request = CreateTopicsRequest
    let versions: ClosedRange<Int16> = 0...7
    let controller: KRaftActiveController

    func handle(_ request: CreateTopicsRequest, context: RequestContext) async -> CreateTopicsResponse? {
        let inputs = request.topics.map { t in
            CreateTopicInput(
                name: t.name, numPartitions: t.assignments.isEmpty ? t.numPartitions : -1,
                replicationFactor: t.assignments.isEmpty ? t.replicationFactor : -1,
                assignments: Dictionary(
                    t.assignments.map { ($0.partitionIndex, $0.brokerIds) }, uniquingKeysWith: { a, _ in a }),
                configs: Dictionary(t.configs.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }))
        }
        let validateOnly = context.apiVersion >= 1 && request.validateOnly
        do {
            let replies = try await controller.decide { c, _, _ in
                var rng = SystemRandomNumberGenerator()
                return c.createTopics(inputs, validateOnly: validateOnly, using: &rng)
            }
            return CreateTopicsResponse(
                topics: replies.map {
                    .init(
                        name: $0.name, topicId: $0.topicId, errorCode: $0.errorCode.rawValue,
                        errorMessage: $0.errorMessage, numPartitions: $0.numPartitions,
                        replicationFactor: $0.replicationFactor)
                })
        } catch {
            return CreateTopicsResponse(
                topics: request.topics.map {
                    .init(name: $0.name, errorCode: ErrorCode(error).rawValue, errorMessage: error.message)
                })
        }
    }
}
