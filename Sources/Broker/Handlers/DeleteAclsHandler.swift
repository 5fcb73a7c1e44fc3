import Authorization
import KafkaProtocol

/// DeleteAcls: every stored ACL matching a filter is removed from its resource znode (conditional update plus a
/// change notification), and listed in that filter's result (Kafka's `AclAuthorizer.deleteAcls`). Needs Cluster
/// Alter (the router checks it).
struct DeleteAclsHandler: APIHandler {
    typealias Request = DeleteAclsRequest
    let versions: ClosedRange<Int16> = 0...3

    func handle(_ request: DeleteAclsRequest, context: RequestContext) async -> DeleteAclsResponse? {
        var response = DeleteAclsResponse()
        guard let authority = context.authority else {
            response.filterResults = request.filters.map { _ in
                .init(
                    errorCode: ErrorCode.securityDisabled.rawValue, errorMessage: AclWire.securityDisabledMessage,
                    matchingAcls: [])
            }
            return response
        }
        for f in request.filters {
            var result = DeleteAclsResponse.DeleteAclsFilterResult()
            switch AclWire.filter(
                type: f.resourceTypeFilter, name: f.resourceNameFilter, pattern: f.patternTypeFilter,
                principal: f.principalFilter, host: f.hostFilter, operation: f.operation,
                permission: f.permissionType)
            {
            case .failure(let message):
                result.errorCode = ErrorCode.invalidRequest.rawValue
                result.errorMessage = message
            case .success(let filter):
                let patterns = Set(authority.authorizer.acls.bindings(matching: filter).map(\.pattern))
                for pattern in patterns.sorted() {
                    do {
                        let (before, after) = try await authority.updateAcls(for: pattern) { entries in
                            entries.filter { !filter.matches(AclBinding(pattern, $0)) }
                        }
                        for e in before.subtracting(after).sorted() {
                            result.matchingAcls.append(Self.matching(pattern, e, error: nil))
                        }
                    } catch {
                        result.errorCode = ErrorCode.unknownServerError.rawValue
                        result.errorMessage = "Failed to delete ACLs for \(pattern): \(error)"
                    }
                }
            }
            response.filterResults.append(result)
        }
        return response
    }

    static func matching(_ p: ResourcePattern, _ e: AccessControlEntry, error: ErrorCode?)
        -> DeleteAclsResponse.DeleteAclsMatchingAcl
    {
        .init(
            errorCode: error?.rawValue ?? 0, errorMessage: nil, resourceType: p.type.rawValue, resourceName: p.name,
            patternType: p.patternType.rawValue, principal: e.principal, host: e.host,
            operation: e.operation.rawValue, permissionType: e.permission.rawValue)
    }
}
