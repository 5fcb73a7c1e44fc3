import Authorization
import KafkaProtocol

/// LeaveGroup: v0–2 name one member; v3+ a batch with optional group.instance.id each.
struct LeaveGroupHandler: APIHandler {
    typealias Request = LeaveGroupRequest
    let versions: ClosedRange<Int16> = 0...5
    let groups: GroupService

    func handle(_ request: LeaveGroupRequest, context: RequestContext) async -> LeaveGroupResponse? {
        guard context.authorize(.read, .group, request.groupId) else {
            return LeaveGroupResponse(errorCode: ErrorCode.groupAuthorizationFailed.rawValue)
        }
        let batched = context.apiVersion >= 3
        let leaving: [(memberId: String, groupInstanceId: String?)] =
            batched ? request.members.map { ($0.memberId, $0.groupInstanceId) } : [(request.memberId, nil)]
        let result = await groups.runtime.leave(groupId: request.groupId, members: leaving)
        var response = LeaveGroupResponse(errorCode: result.error.rawValue)
        if batched {
            response.members = zip(leaving, result.members).map {
                .init(memberId: $0.0.memberId, groupInstanceId: $0.0.groupInstanceId, errorCode: $0.1.rawValue)
            }
        } else if result.error == .noError {
            response.errorCode = (result.members.first ?? .noError).rawValue
        }
        return response
    }
}
