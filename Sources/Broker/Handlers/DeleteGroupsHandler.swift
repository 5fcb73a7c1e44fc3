import Authorization
import KafkaProtocol

/// DeleteGroups: only Empty groups are deleted (NON_EMPTY_GROUP otherwise); unknown ones get GROUP_ID_NOT_FOUND.
struct DeleteGroupsHandler: APIHandler {
    typealias Request = DeleteGroupsRequest
    let versions: ClosedRange<Int16> = 0...2
    let groups: GroupService

    func handle(_ request: DeleteGroupsRequest, context: RequestContext) async -> DeleteGroupsResponse? {
        var response = DeleteGroupsResponse()
        for id in request.groupsNames {
            guard context.authorize(.delete, .group, id) else {
                response.results.append(.init(groupId: id, errorCode: ErrorCode.groupAuthorizationFailed.rawValue))
                continue
            }
            let code = await groups.runtime.deleteGroup(id)
            response.results.append(.init(groupId: id, errorCode: code.rawValue))
        }
        return response
    }
}
