import KRaftController
import KafkaProtocol

/// CreatePartitions (37) on the controller listener (`ControllerApis.handleCreatePartitions`): new
/// PartitionRecords, placed as the sender assigned them or by the controller. NOT_CONTROLLER when this node is not
/// the active controller.
struct ControllerCreatePartitionsHandler: APIHandler {
    typealias Request = CreatePartitionsRequest
    let versions: ClosedRange<Int16> = 0...3
    let controller: KRaftActiveController

    func handle(_ request: CreatePartitionsRequest, context: RequestContext) async -> CreatePartitionsResponse? {
        var response = CreatePartitionsResponse()
        let validateOnly = request.validateOnly
        for topic in request.topics {
            let name = topic.name
            let count = topic.count
            let assignments = topic.assignments?.map(\.brokerIds)
            do {
                let reply = try await controller.decide { c, _, _ in
                    c.createPartitions(topic: name, count: count, assignments: assignments, validateOnly: validateOnly)
                }
                response.results.append(
                    .init(name: name, errorCode: reply.errorCode.rawValue, errorMessage: reply.errorMessage))
            } catch {
                response.results.append(
                    .init(name: name, errorCode: ErrorCode(error).rawValue, errorMessage: error.message))
            }
        }
        return response
    }
}
