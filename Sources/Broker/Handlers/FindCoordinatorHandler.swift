import KafkaProtocol

/// FindCoordinator: key type 0 (group) → the leader of the group's `__consumer_offsets` partition, key type 1
/// (transaction) → the leader of the id's `__transaction_state` partition; each topic is created on first use.
/// v4+ batch keys.
struct FindCoordinatorHandler: APIHandler {
    typealias Request = FindCoordinatorRequest
    let versions: ClosedRange<Int16> = 0...4
    let groups: GroupService
    let transactions: TransactionService

    private func find(key: String, keyType: Int8, listener: String) async -> GroupService.CoordinatorAnswer {
        keyType == 1
            ? await transactions.findCoordinator(key: key, listener: listener)
            : await groups.findCoordinator(key: key, keyType: keyType, listener: listener)
    }

    func handle(_ request: FindCoordinatorRequest, context: RequestContext) async -> FindCoordinatorResponse? {
        var response = FindCoordinatorResponse()
        let listener = context.client.listenerName
        if context.apiVersion >= 4 {
            for key in request.coordinatorKeys {
                let a = await find(key: key, keyType: request.keyType, listener: listener)
                response.coordinators.append(
                    .init(
                        key: key, nodeId: a.nodeId, host: a.host, port: a.port, errorCode: a.error.rawValue,
                        errorMessage: a.error == .noError ? nil : "\(a.error)"))
            }
            return response
        }
        let a = await find(key: request.key, keyType: request.keyType, listener: listener)
        response.errorCode = a.error.rawValue
        response.errorMessage = a.error == .noError ? nil : "\(a.error)"
        response.nodeId = a.nodeId
        response.host = a.host
        response.port = a.port
        return response
    }
}
