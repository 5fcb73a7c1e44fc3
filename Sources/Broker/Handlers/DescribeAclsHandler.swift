import Authorization
import KafkaProtocol

/// DescribeAcls: the ACLs matching one filter, grouped by resource pattern (Kafka's `AclApis.handleDescribeAcls`).
/// Needs Cluster Describe (the router checks it); SECURITY_DISABLED without an authorizer.
struct DescribeAclsHandler: APIHandler {
    typealias Request = DescribeAclsRequest
    let versions: ClosedRange<Int16> = 0...3

    func handle(_ request: DescribeAclsRequest, context: RequestContext) async -> DescribeAclsResponse? {
        var response = DescribeAclsResponse()
        guard let authority = context.authority else {
            response.errorCode = ErrorCode.securityDisabled.rawValue
            response.errorMessage = AclWire.securityDisabledMessage
            return response
        }
        let filter: AclBindingFilter
        switch AclWire.filter(
            type: request.resourceTypeFilter, name: request.resourceNameFilter, pattern: request.patternTypeFilter,
            principal: request.principalFilter, host: request.hostFilter, operation: request.operation,
            permission: request.permissionType)
        {
        case .success(let f): filter = f
        case .failure(let message):
            response.errorCode = ErrorCode.invalidRequest.rawValue
            response.errorMessage = message
            return response
        }
        let matching = authority.authorizer.acls.bindings(matching: filter)
        var grouped: [ResourcePattern: [AccessControlEntry]] = [:]
        for b in matching { grouped[b.pattern, default: []].append(b.entry) }
        response.resources = grouped.keys.sorted().map { p in
            var r = DescribeAclsResponse.DescribeAclsResource()
            r.resourceType = p.type.rawValue
            r.resourceName = p.name
            r.patternType = p.patternType.rawValue
            r.acls = grouped[p]!.sorted().map {
                .init(
                    principal: $0.principal, host: $0.host, operation: $0.operation.rawValue,
                    permissionType: $0.permission.rawValue)
            }
            return r
        }
        return response
    }
}

/// Wire values of the ACL APIs to domain values, with Kafka's validation messages.
enum AclWire {
    static let securityDisabledMessage = "No Authorizer is configured on the broker"

    enum Parsed<T> {
        case success(T)
        case failure(String)
    }

    static func filter(
        type: Int8, name: String?, pattern: Int8, principal: String?, host: String?, operation: Int8,
        permission: Int8
    ) -> Parsed<AclBindingFilter> {
        guard let t = ResourceType(rawValue: type), t != .unknown else {
            return .failure("Invalid resource type filter \(type)")
        }
        guard let p = PatternType(rawValue: pattern), p != .unknown else {
            return .failure("Invalid pattern type filter \(pattern)")
        }
        guard let op = AclOperation(rawValue: operation), op != .unknown else {
            return .failure("Invalid operation filter \(operation)")
        }
        guard let perm = AclPermissionType(rawValue: permission), perm != .unknown else {
            return .failure("Invalid permission type filter \(permission)")
        }
        return .success(
            AclBindingFilter(
                ResourcePatternFilter(t, name, p),
                AccessControlEntryFilter(principal: principal, host: host, operation: op, permission: perm)))
    }

    static func binding(_ c: CreateAclsRequest.AclCreation) -> Parsed<AclBinding> {
        guard let t = ResourceType(rawValue: c.resourceType), let p = PatternType(rawValue: c.resourcePatternType),
            let op = AclOperation(rawValue: c.operation), let perm = AclPermissionType(rawValue: c.permissionType)
        else {
            return .failure("Invalid ACL creation: unknown resource type, pattern type, operation or permission")
        }
        let binding = AclBinding(
            ResourcePattern(t, c.resourceName, p),
            AccessControlEntry(principal: c.principal, host: c.host, operation: op, permission: perm))
        if let reason = binding.invalidReason { return .failure("Invalid ACL creation: \(reason)") }
        return .success(binding)
    }
}
