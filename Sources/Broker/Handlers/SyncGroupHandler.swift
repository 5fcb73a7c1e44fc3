import Authorization
import GroupCoordinator
import KafkaProtocol

/// SyncGroup: the leader hands in every member's assignment; followers wait for it.
struct SyncGroupHandler: APIHandler {
    typealias Request = SyncGroupRequest
    let versions: ClosedRange<Int16> = 0...5
    let groups: GroupService

    func handle(_ request: SyncGroupRequest, context: RequestContext) async -> SyncGroupResponse? {
        guard context.authorize(.read, .group, request.groupId) else {
            return SyncGroupResponse(
                errorCode: ErrorCode.groupAuthorizationFailed.rawValue, protocolType: nil, protocolName: nil,
                assignment: [])
        }
        let input = ClassicGroup.SyncInput(
            memberId: request.memberId, groupInstanceId: request.groupInstanceId, generationId: request.generationId,
            protocolType: request.protocolType, protocolName: request.protocolName,
            assignments: request.assignments.map { (memberId: $0.memberId, assignment: $0.assignment) })
        let r = await groups.runtime.sync(groupId: request.groupId, input)
        return SyncGroupResponse(
            errorCode: r.error.rawValue, protocolType: r.protocolType, protocolName: r.protocolName,
            assignment: r.assignment)
    }
}
