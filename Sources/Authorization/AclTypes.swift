/// Kafka's ACL vocabulary (`org.apache.kafka.common.acl` / `.resource`): wire codes, the names Kafka's tools print
/// (`TOPIC`, `READ`) and the PascalCase names it stores in ZooKeeper (`Topic`, `Read`, `IdempotentWrite`).

/// A resource type. `any` and `unknown` appear only in filters and wire values.
public enum ResourceType: Int8, Sendable, CaseIterable, Hashable {
    case unknown = 0
    case any = 1
    case topic = 2
    case group = 3
    case cluster = 4
    case transactionalId = 5
    case delegationToken = 6
    case user = 7

    /// Kafka's enum name, as `kafka-acls.sh` prints it.
    public var name: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .any: "ANY"
        case .topic: "TOPIC"
        case .group: "GROUP"
        case .cluster: "CLUSTER"
        case .transactionalId: "TRANSACTIONAL_ID"
        case .delegationToken: "DELEGATION_TOKEN"
        case .user: "USER"
        }
    }

    /// `SecurityUtils.resourceTypeName`: the znode path segment (`/kafka-acl/TransactionalId/...`).
    public var pascalName: String { AclNames.pascal(name) }

    /// Case-insensitive, with or without underscores (`Topic`, `TOPIC`, `TransactionalId`, `transactional_id`).
    public init?(parsing text: String) {
        guard let found = Self.allCases.first(where: { AclNames.same($0.name, text) }) else { return nil }
        self = found
    }

    /// The concrete types an ACL can name.
    public static let concrete: [ResourceType] = [.topic, .group, .cluster, .transactionalId, .delegationToken, .user]

    /// The error a request gets when denied on this type (`AclEntry.authorizationError`).
    public var authorizationErrorCode: Int16 {
        switch self {
        case .topic: 29
        case .group: 30
        case .cluster: 31
        case .transactionalId: 53
        case .delegationToken: 65
        case .unknown, .any, .user: 31
        }
    }
}

/// How a pattern's name matches resource names. `any` and `match` appear only in filters.
public enum PatternType: Int8, Sendable, CaseIterable, Hashable {
    case unknown = 0
    case any = 1
    case match = 2
    case literal = 3
    case prefixed = 4

    public var name: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .any: "ANY"
        case .match: "MATCH"
        case .literal: "LITERAL"
        case .prefixed: "PREFIXED"
        }
    }

    public init?(parsing text: String) {
        guard let found = Self.allCases.first(where: { AclNames.same($0.name, text) }) else { return nil }
        self = found
    }

    /// LITERAL and PREFIXED: the types a stored ACL has.
    public var isSpecific: Bool { self == .literal || self == .prefixed }
}

/// An operation. `any` and `unknown` appear only in filters.
public enum AclOperation: Int8, Sendable, CaseIterable, Hashable {
    case unknown = 0
    case any = 1
    case all = 2
    case read = 3
    case write = 4
    case create = 5
    case delete = 6
    case alter = 7
    case describe = 8
    case clusterAction = 9
    case describeConfigs = 10
    case alterConfigs = 11
    case idempotentWrite = 12
    case createTokens = 13
    case describeTokens = 14

    public var name: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .any: "ANY"
        case .all: "ALL"
        case .read: "READ"
        case .write: "WRITE"
        case .create: "CREATE"
        case .delete: "DELETE"
        case .alter: "ALTER"
        case .describe: "DESCRIBE"
        case .clusterAction: "CLUSTER_ACTION"
        case .describeConfigs: "DESCRIBE_CONFIGS"
        case .alterConfigs: "ALTER_CONFIGS"
        case .idempotentWrite: "IDEMPOTENT_WRITE"
        case .createTokens: "CREATE_TOKENS"
        case .describeTokens: "DESCRIBE_TOKENS"
        }
    }

    /// `SecurityUtils.operationName`: `Read`, `DescribeConfigs`, `IdempotentWrite` (znode JSON, `--operation`).
    public var pascalName: String { AclNames.pascal(name) }

    public init?(parsing text: String) {
        guard let found = Self.allCases.first(where: { AclNames.same($0.name, text) }) else { return nil }
        self = found
    }

    /// The operations an ALLOW on `self` also grants (`AclAuthorizer.authorizeAction`): DESCRIBE is implied by
    /// READ, WRITE, DELETE and ALTER; DESCRIBE_CONFIGS by ALTER_CONFIGS; ALL implies everything.
    public var impliedBy: [AclOperation] {
        switch self {
        case .describe: [.describe, .read, .write, .delete, .alter, .all]
        case .describeConfigs: [.describeConfigs, .alterConfigs, .all]
        default: [self, .all]
        }
    }

    /// `AclEntry.supportedOperations`: what `kafka-acls.sh` accepts for each resource type.
    public static func supported(on type: ResourceType) -> [AclOperation] {
        switch type {
        case .topic: [.read, .write, .create, .describe, .delete, .alter, .describeConfigs, .alterConfigs]
        case .group: [.read, .describe, .delete]
        case .cluster: [.create, .clusterAction, .describeConfigs, .alterConfigs, .idempotentWrite, .alter, .describe]
        case .transactionalId: [.describe, .write]
        case .delegationToken: [.describe]
        case .user: [.createTokens, .describeTokens]
        case .unknown, .any: []
        }
    }
}

/// ALLOW or DENY. `any` and `unknown` appear only in filters.
public enum AclPermissionType: Int8, Sendable, CaseIterable, Hashable {
    case unknown = 0
    case any = 1
    case deny = 2
    case allow = 3

    public var name: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .any: "ANY"
        case .deny: "DENY"
        case .allow: "ALLOW"
        }
    }

    /// `Allow` / `Deny`, as stored in ZooKeeper.
    public var pascalName: String { AclNames.pascal(name) }

    public init?(parsing text: String) {
        guard let found = Self.allCases.first(where: { AclNames.same($0.name, text) }) else { return nil }
        self = found
    }
}

/// A resource an operation is asked on: a type and a concrete name.
public struct Resource: Sendable, Hashable {
    public var type: ResourceType
    public var name: String
    public init(_ type: ResourceType, _ name: String) {
        self.type = type
        self.name = name
    }

    /// The one cluster resource, named `kafka-cluster` as in Kafka.
    public static let clusterName = "kafka-cluster"
    public static let cluster = Resource(.cluster, clusterName)
    public static func topic(_ name: String) -> Resource { Resource(.topic, name) }
    public static func group(_ name: String) -> Resource { Resource(.group, name) }
    public static func transactionalId(_ name: String) -> Resource { Resource(.transactionalId, name) }
}

/// A stored ACL's resource side: a type, a name (or `*`) and LITERAL or PREFIXED.
public struct ResourcePattern: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var type: ResourceType
    public var name: String
    public var patternType: PatternType

    public init(_ type: ResourceType, _ name: String, _ patternType: PatternType = .literal) {
        self.type = type
        self.name = name
        self.patternType = patternType
    }

    /// The literal `*` pattern matches every name of its type.
    public static let wildcard = "*"

    /// Whether this stored pattern covers `resource` (`AclAuthorizer.matchingAcls`).
    public func matches(_ resource: Resource) -> Bool {
        guard type == resource.type else { return false }
        switch patternType {
        case .literal: return name == resource.name || name == Self.wildcard
        case .prefixed: return resource.name.hasPrefix(name)
        default: return false
        }
    }

    /// `ResourcePattern.toString`, as `kafka-acls.sh` prints it.
    public var description: String {
        "ResourcePattern(resourceType=\(type.name), name=\(name), patternType=\(patternType.name))"
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.type.rawValue, a.patternType.rawValue, a.name) < (b.type.rawValue, b.patternType.rawValue, b.name)
    }
}

/// A stored ACL's entry side.
public struct AccessControlEntry: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var principal: String
    public var host: String
    public var operation: AclOperation
    public var permission: AclPermissionType

    public init(principal: String, host: String = "*", operation: AclOperation, permission: AclPermissionType) {
        self.principal = principal
        self.host = host
        self.operation = operation
        self.permission = permission
    }

    /// The principal that matches every user.
    public static let wildcardPrincipal = "User:*"
    public static let wildcardHost = "*"

    /// `AccessControlEntry.toString`, as `kafka-acls.sh` prints it.
    public var description: String {
        "(principal=\(principal), host=\(host), operation=\(operation.name), permissionType=\(permission.name))"
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.principal, a.host, a.operation.rawValue, a.permission.rawValue)
            < (b.principal, b.host, b.operation.rawValue, b.permission.rawValue)
    }
}

/// One ACL: a pattern and an entry.
public struct AclBinding: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var pattern: ResourcePattern
    public var entry: AccessControlEntry
    public init(_ pattern: ResourcePattern, _ entry: AccessControlEntry) {
        self.pattern = pattern
        self.entry = entry
    }

    public var description: String { "(pattern=\(pattern), entry=\(entry))" }

    public static func < (a: Self, b: Self) -> Bool { (a.pattern, a.entry) < (b.pattern, b.entry) }

    /// Why Kafka would refuse to store this binding (`AclControllerManager`/`ZkAdminManager` validation), or nil.
    public var invalidReason: String? {
        if !pattern.patternType.isSpecific { return "Invalid pattern type \(pattern.patternType.name)" }
        if !ResourceType.concrete.contains(pattern.type) { return "Invalid resource type \(pattern.type.name)" }
        if pattern.name.isEmpty { return "Resource name must not be empty" }
        if pattern.type == .cluster && pattern.name != Resource.clusterName {
            return "The only valid name for the CLUSTER resource is \(Resource.clusterName)"
        }
        if [.any, .unknown].contains(entry.operation) { return "Invalid operation \(entry.operation.name)" }
        if [.any, .unknown].contains(entry.permission) { return "Invalid permission type \(entry.permission.name)" }
        if !entry.principal.contains(":") { return "Invalid principal \(entry.principal)" }
        return nil
    }
}

/// A filter over resource patterns (DescribeAcls, DeleteAcls, `--list`): nil name matches any name; `ANY` any
/// pattern type; `MATCH` every stored pattern that would apply to the named resource.
public struct ResourcePatternFilter: Sendable, Hashable {
    public var type: ResourceType
    public var name: String?
    public var patternType: PatternType

    public init(_ type: ResourceType = .any, _ name: String? = nil, _ patternType: PatternType = .any) {
        self.type = type
        self.name = name
        self.patternType = patternType
    }

    public func matches(_ p: ResourcePattern) -> Bool {
        if type != .any && type != p.type { return false }
        switch patternType {
        case .any:
            return name == nil || name == p.name
        case .match:
            guard let name else { return true }
            return p.matches(Resource(p.type, name)) || (p.patternType == .literal && p.name == name)
        case .literal, .prefixed:
            return p.patternType == patternType && (name == nil || name == p.name)
        case .unknown:
            return false
        }
    }
}

/// A filter over entries: nil principal/host match anything; `ANY` operation/permission match anything.
public struct AccessControlEntryFilter: Sendable, Hashable {
    public var principal: String?
    public var host: String?
    public var operation: AclOperation
    public var permission: AclPermissionType

    public init(
        principal: String? = nil, host: String? = nil, operation: AclOperation = .any,
        permission: AclPermissionType = .any
    ) {
        self.principal = principal
        self.host = host
        self.operation = operation
        self.permission = permission
    }

    public func matches(_ e: AccessControlEntry) -> Bool {
        if let principal, principal != e.principal { return false }
        if let host, host != e.host { return false }
        if operation != .any && operation != e.operation { return false }
        if permission != .any && permission != e.permission { return false }
        return true
    }
}

public struct AclBindingFilter: Sendable, Hashable {
    public var pattern: ResourcePatternFilter
    public var entry: AccessControlEntryFilter
    public init(_ pattern: ResourcePatternFilter = .init(), _ entry: AccessControlEntryFilter = .init()) {
        self.pattern = pattern
        self.entry = entry
    }

    public static let any = AclBindingFilter()

    public func matches(_ b: AclBinding) -> Bool { pattern.matches(b.pattern) && entry.matches(b.entry) }
}

enum AclNames {
    /// `SecurityUtils.toPascalCase`: `DESCRIBE_CONFIGS` → `DescribeConfigs`.
    static func pascal(_ name: String) -> String {
        name.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }.joined()
    }

    static func trimmed(_ s: String) -> String {
        var t = Substring(s)
        while let f = t.first, f == " " || f == "\t" { t = t.dropFirst() }
        while let l = t.last, l == " " || l == "\t" { t = t.dropLast() }
        return String(t)
    }

    static func same(_ enumName: String, _ text: String) -> Bool {
        func squash(_ s: String) -> String { s.uppercased().filter { $0 != "_" && $0 != "-" } }
        return squash(enumName) == squash(text)
    }
}
