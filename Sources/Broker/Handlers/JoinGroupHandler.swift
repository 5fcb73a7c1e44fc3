import Authorization
import GroupCoordinator
import KafkaProtocol

/// JoinGroup: parks until the group's join phase completes; the leader gets every member's metadata.
struct JoinGroupHandler: APIHandler {
    typealias Request = JoinGroupRequest
    let versions: ClosedRange<Int16> = 0...9
    let groups: GroupService

    func handle(_ request: JoinGroupRequest, context: RequestContext) async -> JoinGroupResponse? {
        let version = context.apiVersion
        guard context.authorize(.read, .group, request.groupId) else {
            return JoinGroupResponse(
                errorCode: ErrorCode.groupAuthorizationFailed.rawValue, generationId: -1, protocolType: nil,
                protocolName: version >= 7 ? nil : "", leader: "", skipAssignment: false, memberId: request.memberId)
        }
        let input = JoinGroupInput(
            apiVersion: version, memberId: request.memberId,
            groupInstanceId: version >= 5 ? request.groupInstanceId : nil, clientId: context.clientId,
            clientHost: context.client.address, sessionTimeoutMs: request.sessionTimeoutMs,
            rebalanceTimeoutMs: version >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
            protocolType: request.protocolType,
            protocols: request.protocols.map { GroupProtocol(name: $0.name, metadata: $0.metadata) },
            reason: request.reason)
        let r = await groups.runtime.join(groupId: request.groupId, input)
        var response = JoinGroupResponse(
            errorCode: r.error.rawValue, generationId: r.generationId, protocolType: r.protocolType,
            protocolName: version >= 7 ? r.protocolName : (r.protocolName ?? ""), leader: r.leaderId,
            skipAssignment: r.skipAssignment, memberId: r.memberId)
        response.members = r.members.map {
            .init(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, metadata: $0.metadata)
        }
        return response
    }
}
