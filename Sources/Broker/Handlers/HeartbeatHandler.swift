import Authorization
import KafkaProtocol

/// Heartbeat: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.
struct HeartbeatHandler: APIHandler {
    typealias Request = HeartbeatRequest
    let versions: ClosedRange<Int16> = 0...4
    let groups: GroupService

    func handle(_ request: HeartbeatRequest, context: RequestContext) async -> HeartbeatResponse? {
        guard context.authorize(.read, .group, request.groupId) else {
            return HeartbeatResponse(errorCode: ErrorCode.groupAuthorizationFailed.rawValue)
        }
        let code = await groups.runtime.heartbeat(
            groupId: request.groupId, memberId: request.memberId, groupInstanceId: request.groupInstanceId,
            generationId: request.generationId)
        return HeartbeatResponse(errorCode: code.rawValue)
    }
}
