/// Kafka's `AclAuthorizer` decision as a pure function over an ACL snapshot: no ZooKeeper, no clock, no locks.
/// The broker keeps the snapshot current from ZooKeeper and asks this for every check.

/// The ACLs a broker knows, by pattern (what `/kafka-acl*` holds).
public struct AclSnapshot: Sendable, Equatable {
    public private(set) var byPattern: [ResourcePattern: Set<AccessControlEntry>]

    public init(_ byPattern: [ResourcePattern: Set<AccessControlEntry>] = [:]) {
        self.byPattern = byPattern.filter { !$0.value.isEmpty }
    }

    public init(bindings: [AclBinding]) {
        var map: [ResourcePattern: Set<AccessControlEntry>] = [:]
        for b in bindings { map[b.pattern, default: []].insert(b.entry) }
        self.init(map)
    }

    /// Replaces one pattern's entries (as a change notification's re-read does); empty removes it.
    public mutating func set(_ pattern: ResourcePattern, _ entries: Set<AccessControlEntry>) {
        byPattern[pattern] = entries.isEmpty ? nil : entries
    }

    public var bindings: [AclBinding] {
        byPattern.flatMap { item in item.value.map { AclBinding(item.key, $0) } }.sorted()
    }

    public func bindings(matching filter: AclBindingFilter) -> [AclBinding] {
        bindings.filter { filter.matches($0) }
    }

    /// Every stored binding whose pattern covers `resource`: the exact literal, the literal `*`, and each prefix.
    public func bindings(covering resource: Resource) -> [AclBinding] {
        byPattern.filter { $0.key.matches(resource) }.flatMap { item in item.value.map { AclBinding(item.key, $0) } }
            .sorted()
    }
}

/// One check: who, from where, what, on which resource.
public struct AuthorizationRequest: Sendable, Hashable {
    public var principal: String
    public var host: String
    public var operation: AclOperation
    public var resource: Resource

    public init(principal: String, host: String, operation: AclOperation, resource: Resource) {
        self.principal = principal
        self.host = host
        self.operation = operation
        self.resource = resource
    }
}

/// The answer and why.
public struct AuthorizationDecision: Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        case superUser
        /// No ACL names the resource at all; `allow.everyone.if.no.acl.found` decided.
        case noAclFound(allowEveryone: Bool)
        /// A DENY matched (it beats any ALLOW).
        case denied(by: AclBinding)
        /// An ALLOW matched (possibly through an implied operation).
        case allowed(by: AclBinding)
        /// ACLs exist for the resource, but none allows this principal/host/operation.
        case noMatchingAllow
    }

    public var allowed: Bool
    public var reason: Reason
    /// Every ACL on the resource (whatever its principal): what `acls explain` lists.
    public var resourceAcls: [AclBinding]
}

public struct Authorizer: Sendable, Equatable {
    public var acls: AclSnapshot
    /// `super.users` principals (allowed everything).
    public var superUsers: Set<String>
    /// `allow.everyone.if.no.acl.found`.
    public var allowEveryoneIfNoAclFound: Bool

    public init(acls: AclSnapshot = .init(), superUsers: Set<String> = [], allowEveryoneIfNoAclFound: Bool = false) {
        self.acls = acls
        self.superUsers = superUsers
        self.allowEveryoneIfNoAclFound = allowEveryoneIfNoAclFound
    }

    /// `super.users` is a semicolon-separated list (principals may contain commas, as TLS DNs do).
    public static func parseSuperUsers(_ value: String) -> Set<String> {
        Set(value.split(separator: ";").map { AclNames.trimmed(String($0)) }.filter { !$0.isEmpty })
    }

    public func isAllowed(_ request: AuthorizationRequest) -> Bool { authorize(request).allowed }

    /// `AclAuthorizer.authorizeAction`: super user; otherwise, when no ACL covers the resource,
    /// `allow.everyone.if.no.acl.found`; otherwise any matching DENY denies, then a matching ALLOW (with the
    /// implied operations) allows, else deny.
    public func authorize(_ request: AuthorizationRequest) -> AuthorizationDecision {
        let covering = acls.bindings(covering: request.resource)
        if superUsers.contains(request.principal) {
            return .init(allowed: true, reason: .superUser, resourceAcls: covering)
        }
        if covering.isEmpty {
            return .init(
                allowed: allowEveryoneIfNoAclFound, reason: .noAclFound(allowEveryone: allowEveryoneIfNoAclFound),
                resourceAcls: covering)
        }
        func applies(_ b: AclBinding, _ permission: AclPermissionType, _ ops: [AclOperation]) -> Bool {
            b.entry.permission == permission
                && (b.entry.principal == request.principal
                    || b.entry.principal == AccessControlEntry.wildcardPrincipal)
                && (b.entry.host == request.host || b.entry.host == AccessControlEntry.wildcardHost)
                && ops.contains(b.entry.operation)
        }
        if let deny = covering.first(where: { applies($0, .deny, [request.operation, .all]) }) {
            return .init(allowed: false, reason: .denied(by: deny), resourceAcls: covering)
        }
        if let allow = covering.first(where: { applies($0, .allow, request.operation.impliedBy) }) {
            return .init(allowed: true, reason: .allowed(by: allow), resourceAcls: covering)
        }
        return .init(allowed: false, reason: .noMatchingAllow, resourceAcls: covering)
    }

    /// `Authorizer.authorizeByResourceType` (KIP-679, used by InitProducerId without a transactional id): whether
    /// the principal could perform `operation` on at least one resource of `type` — a matching ALLOW on some
    /// literal name or prefix that no DENY of the same scope (literal `*`, that literal, or a shorter prefix)
    /// takes back.
    public func isAllowedOnAnyResource(
        principal: String, host: String, operation: AclOperation, type: ResourceType
    ) -> Bool {
        if superUsers.contains(principal) { return true }
        func applies(_ e: AccessControlEntry, _ permission: AclPermissionType, _ ops: [AclOperation]) -> Bool {
            e.permission == permission
                && (e.principal == principal || e.principal == AccessControlEntry.wildcardPrincipal)
                && (e.host == host || e.host == AccessControlEntry.wildcardHost) && ops.contains(e.operation)
        }
        let patterns = acls.byPattern.filter { $0.key.type == type }
        let denies = patterns.filter { $0.value.contains { applies($0, .deny, [operation, .all]) } }.map(\.key)
        if denies.contains(where: { $0.patternType == .literal && $0.name == ResourcePattern.wildcard }) {
            return false
        }
        for (pattern, entries) in patterns where entries.contains(where: { applies($0, .allow, operation.impliedBy) }) {
            let taken = denies.contains { d in
                switch (d.patternType, pattern.patternType) {
                case (.prefixed, _): pattern.name.hasPrefix(d.name)
                case (.literal, .literal): d.name == pattern.name
                default: false
                }
            }
            if !taken { return true }
        }
        // No ACL of this type at all: the no-ACL rule applies, as for a resource no ACL names.
        if patterns.isEmpty { return allowEveryoneIfNoAclFound }
        return false
    }

    /// KIP-430: the operations (of those the type supports) the principal may perform on the resource.
    public func authorizedOperations(principal: String, host: String, resource: Resource) -> [AclOperation] {
        AclOperation.supported(on: resource.type).filter {
            isAllowed(.init(principal: principal, host: host, operation: $0, resource: resource))
        }
    }

    /// KIP-430's bitfield: bit n set when operation code n is authorized.
    public func authorizedOperationsBits(principal: String, host: String, resource: Resource) -> Int32 {
        authorizedOperations(principal: principal, host: host, resource: resource)
            .reduce(Int32(0)) { $0 | (1 << Int32($1.rawValue)) }
    }
}
