import Authorization
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
        // Group Describe for a group key, TransactionalId Describe for a transaction key.
        let (type, denied): (ResourceType, ErrorCode) =
            request.keyType == 1
            ? (.transactionalId, .transactionalIdAuthorizationFailed) : (.group, .groupAuthorizationFailed)
        if context.apiVersion >= 4 {
            for key in request.coordinatorKeys {
                guard context.authorize(.describe, type, key) else {
                    response.coordinators.append(
                        .init(
                            key: key, nodeId: -1, host: "", port: -1, errorCode: denied.rawValue,
                            errorMessage: denied == .groupAuthorizationFailed
                                ? "Group authorization failed." : "Transactional Id authorization failed."))
                    continue
                }
                let a = await find(key: key, keyType: request.keyType, listener: listener)
                response.coordinators.append(
                    .init(
                        key: key, nodeId: a.nodeId, host: a.host, port: a.port, errorCode: a.error.rawValue,
                        errorMessage: a.error == .noError ? nil : "\(a.error)"))
            }
            return response
        }
        guard context.authorize(.describe, type, request.key) else {
            response.errorCode = denied.rawValue
            response.errorMessage =
                denied == .groupAuthorizationFailed
                ? "Group authorization failed." : "Transactional Id authorization failed."
            response.nodeId = -1
            response.host = ""
            response.port = -1
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
