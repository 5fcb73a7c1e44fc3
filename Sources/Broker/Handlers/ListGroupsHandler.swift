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
        for g in await groups.runtime.listGroups() {
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
