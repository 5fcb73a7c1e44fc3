import Authorization
import KafkaProtocol

/// DescribeGroups: unknown groups answer state "Dead" with error 0; protocol, member metadata and assignments are
/// filled only for Stable groups.
struct DescribeGroupsHandler: APIHandler {
    typealias Request = DescribeGroupsRequest
    let versions: ClosedRange<Int16> = 0...5
    let groups: GroupService

    func handle(_ request: DescribeGroupsRequest, context: RequestContext) async -> DescribeGroupsResponse? {
        var response = DescribeGroupsResponse()
        for id in request.groups {
            guard context.authorize(.describe, .group, id) else {
                var group = DescribeGroupsResponse.DescribedGroup()
                group.errorCode = ErrorCode.groupAuthorizationFailed.rawValue
                group.groupId = id
                response.groups.append(group)
                continue
            }
            let (error, d) = await groups.runtime.describe(groupId: id)
            var group = DescribeGroupsResponse.DescribedGroup()
            group.errorCode = error.rawValue
            group.groupId = id
            group.groupState = d.state.rawValue
            group.protocolType = d.protocolType
            group.protocolData = d.protocolName
            group.members = d.members.map {
                var m = DescribeGroupsResponse.DescribedGroupMember()
                m.memberId = $0.memberId
                m.groupInstanceId = $0.groupInstanceId
                m.clientId = $0.clientId
                m.clientHost = $0.clientHost
                m.memberMetadata = $0.metadata
                m.memberAssignment = $0.assignment
                return m
            }
            if context.apiVersion >= 3 && request.includeAuthorizedOperations {
                group.authorizedOperations = context.authorizedOperations(.group, id)
            }
            response.groups.append(group)
        }
        return response
    }
}
