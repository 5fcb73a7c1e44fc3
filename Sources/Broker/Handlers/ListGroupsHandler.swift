import Authorization
import KafkaProtocol

/// ListGroups: every group of the partitions this broker coordinates; v4 filters by state, v5 by type.
struct ListGroupsHandler: APIHandler {
    typealias Request = ListGroupsRequest
    let versions: ClosedRange<Int16> = 0...5
    let groups: GroupService

    func handle(_ request: ListGroupsRequest, context: RequestContext) async -> ListGroupsResponse? {
        let version = context.apiVersion
        let states = version >= 4 ? Set(request.statesFilter.map { $0.lowercased() }) : []
        let types = version >= 5 ? Set(request.typesFilter.map { $0.lowercased() }) : []
        var response = ListGroupsResponse()
        // Cluster Describe lists every group; without it, only the groups the principal may describe (never an
        // authorization error).
        let all = context.authorize(.describe, .cluster, Resource.clusterName, logIfDenied: false)
        for g in await groups.runtime.listGroups() {
            if !all && !context.authorize(.describe, .group, g.groupId, logIfDenied: false) { continue }
            if !states.isEmpty && !states.contains(g.state.rawValue.lowercased()) { continue }
            if !types.isEmpty && !types.contains("classic") { continue }
            response.groups.append(
                .init(
                    groupId: g.groupId, protocolType: g.protocolType, groupState: g.state.rawValue, groupType: "classic"
                ))
        }
        return response
    }
}
