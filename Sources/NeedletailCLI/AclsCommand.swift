import ArgumentParser
import Authorization
import Coordination
import Foundation
import KafkaClient
import KafkaProtocol

/// `needletail acls`: kafka-acls.sh. Through a broker (`--bootstrap-server`: DescribeAcls, CreateAcls,
/// DeleteAcls) or straight into ZooKeeper like Kafka's deprecated
/// `--authorizer-properties zookeeper.connect=…` (same znodes and change notifications the brokers follow).
/// `acls explain` tells why a principal is allowed or denied.
struct AclsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acls",
        abstract: "Add, remove, list and explain ACLs (kafka-acls.sh).",
        discussion: """
            Examples:
              needletail acls --bootstrap-server localhost:9092 --add --allow-principal User:alice --operation Read --topic orders
              needletail acls --authorizer-properties zookeeper.connect=localhost:2181 --list
              needletail acls explain --bootstrap-server localhost:9092 --principal User:alice --operation Read --topic orders
            """,
        subcommands: [AclsMain.self, AclsExplainCommand.self],
        defaultSubcommand: AclsMain.self
    )
}

/// Where to reach the ACLs, and the resource flags shared by the main command and `explain`.
struct AclTargetOptions: ParsableArguments {
    @Option(name: .customLong("bootstrap-server"), help: "The broker(s) to connect to: HOST:PORT[,HOST:PORT…].")
    var bootstrapServer: String?
    @Option(name: .customLong("command-config"), help: "A properties file with client settings.")
    var commandConfig: String?
    @Option(
        name: .customLong("authorizer-properties"), parsing: .upToNextOption,
        help: "key=value pairs; zookeeper.connect=HOST:PORT[/chroot] writes ACLs straight into ZooKeeper.")
    var authorizerProperties: [String] = []

    @Option(parsing: .singleValue, help: "Topic name (repeatable; '*' is every topic).") var topic: [String] = []
    @Option(parsing: .singleValue, help: "Consumer group (repeatable; '*' is every group).") var group: [String] = []
    @Flag(help: "The cluster resource.") var cluster = false
    @Option(
        name: .customLong("transactional-id"), parsing: .singleValue,
        help: "Transactional id (repeatable; '*' is every id).")
    var transactionalId: [String] = []
    @Option(
        name: .customLong("delegation-token"), parsing: .singleValue, help: "Delegation token id (repeatable).")
    var delegationToken: [String] = []
    @Option(name: .customLong("user-principal"), parsing: .singleValue, help: "User resource (repeatable).")
    var userPrincipal: [String] = []
    @Option(
        name: .customLong("resource-pattern-type"),
        help: "literal (default), prefixed; --list and --remove also take any and match.")
    var resourcePatternType: String = "literal"

    func patternType() throws -> PatternType {
        guard let p = PatternType(parsing: resourcePatternType), p != .unknown else {
            throw ToolError("Invalid --resource-pattern-type \(resourcePatternType)")
        }
        return p
    }

    /// The resource filters named on the command line (type, name), in Kafka's order.
    var resources: [(ResourceType, String)] {
        topic.map { (.topic, $0) } + group.map { (.group, $0) } + (cluster ? [(.cluster, Resource.clusterName)] : [])
            + transactionalId.map { (.transactionalId, $0) } + delegationToken.map { (.delegationToken, $0) }
            + userPrincipal.map { (.user, $0) }
    }

    func backend() async throws -> any AclBackend {
        let props = try Tool.properties(authorizerProperties, what: "authorizer property")
        if let zk = props["zookeeper.connect"] {
            if bootstrapServer != nil {
                throw ToolError("Only one of --bootstrap-server or --authorizer-properties must be specified")
            }
            return try await ZooKeeperAclBackend.connect(zk)
        }
        guard let bootstrapServer else {
            throw ToolError("One of --bootstrap-server or --authorizer-properties must be specified")
        }
        let client = try Tool.client(
            bootstrap: bootstrapServer, properties: try Tool.propertiesFile(commandConfig), clientId: "acls")
        return BrokerAclBackend(client: client)
    }
}

struct AclsMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "change", shouldDisplay: false)

    @OptionGroup var target: AclTargetOptions
    @Flag var add = false
    @Flag var remove = false
    @Flag var list = false
    @Option(name: .customLong("allow-principal"), parsing: .singleValue) var allowPrincipal: [String] = []
    @Option(name: .customLong("deny-principal"), parsing: .singleValue) var denyPrincipal: [String] = []
    @Option(name: .customLong("principal"), parsing: .singleValue, help: "With --list: only this principal's ACLs.")
    var principal: [String] = []
    @Option(name: .customLong("allow-host"), parsing: .singleValue) var allowHost: [String] = []
    @Option(name: .customLong("deny-host"), parsing: .singleValue) var denyHost: [String] = []
    @Option(parsing: .singleValue, help: "Read, Write, Create, Delete, Alter, Describe, ClusterAction, …; default All.")
    var operation: [String] = []
    @Flag(help: "Topic Write, Describe, Create (+ IdempotentWrite / transactional id Write, Describe).")
    var producer = false
    @Flag(help: "Topic Read, Describe and group Read (needs --group).") var consumer = false
    @Flag var idempotent = false
    @Flag(help: "Do not ask for confirmation.") var force = false

    func validate() throws {
        if [add, remove, list].filter({ $0 }).count != 1 {
            throw ValidationError(
                "Command must include exactly one action: --list, --add, --remove. ")
        }
        if consumer && target.group.isEmpty && add {
            throw ValidationError("With --consumer you must specify a --group")
        }
    }

    func run() async throws {
        try await Tool.run {
            let backend = try await target.backend()
            defer { Task { await backend.close() } }
            let patternType = try target.patternType()
            if add {
                guard patternType.isSpecific else {
                    throw ToolError(
                        "A '--resource-pattern-type' value of '\(patternType.name)' is not valid when adding acls.")
                }
                let toAdd = try bindings(patternType: patternType)
                if toAdd.isEmpty {
                    throw ToolError(
                        "You must specify one of: --allow-principal, --deny-principal when trying to add ACLs.")
                }
                for (pattern, entries) in group(toAdd) {
                    Output.line("Adding ACLs for resource `\(pattern)`: \n \(Self.lines(entries)) \n")
                    try await backend.add(entries.map { AclBinding(pattern, $0) })
                }
                try await listAcls(backend, patternType: patternType)
            } else if remove {
                let filters = try resourceFilters(patternType: patternType)
                let entryFilters = try entryFilters()
                for filter in filters {
                    let question: String
                    if entryFilters.isEmpty {
                        question =
                            "Are you sure you want to delete all ACLs for resource filter `\(Self.text(filter))`? (y/n)"
                    } else {
                        let shown = entryFilters.map { "\t" + Self.text($0) }.joined(separator: "\n")
                        question =
                            "Are you sure you want to remove ACLs: \n \(shown) \n from resource filter `\(Self.text(filter))`? (y/n)"
                    }
                    guard force || Self.confirm(question) else { continue }
                    let bindingFilters =
                        entryFilters.isEmpty
                        ? [AclBindingFilter(filter, .init())] : entryFilters.map { AclBindingFilter(filter, $0) }
                    try await backend.remove(bindingFilters)
                }
                try await listAcls(backend, patternType: patternType)
            } else {
                try await listAcls(backend, patternType: patternType)
            }
        }
    }

    private func group(_ bindings: [AclBinding]) -> [(ResourcePattern, [AccessControlEntry])] {
        var order: [ResourcePattern] = []
        var map: [ResourcePattern: [AccessControlEntry]] = [:]
        for b in bindings {
            if map[b.pattern] == nil { order.append(b.pattern) }
            if !(map[b.pattern]?.contains(b.entry) ?? false) { map[b.pattern, default: []].append(b.entry) }
        }
        return order.map { ($0, map[$0] ?? []) }
    }

    private func listAcls(_ backend: any AclBackend, patternType: PatternType) async throws {
        let filters =
            target.resources.isEmpty
            ? [ResourcePatternFilter(.any, nil, .any)] : try resourceFilters(patternType: patternType)
        var all: [AclBinding] = []
        for f in filters { all += try await backend.list(AclBindingFilter(f, .init())) }
        let byPattern = group(Array(Set(all)).sorted())
        if principal.isEmpty {
            for (pattern, entries) in byPattern {
                Output.line("Current ACLs for resource `\(pattern)`: \n \(Self.lines(entries)) \n")
            }
        } else {
            for p in principal {
                Output.line("ACLs for principal `\(p)`")
                for (pattern, entries) in byPattern {
                    let mine = entries.filter { $0.principal == p }
                    if mine.isEmpty { continue }
                    Output.line("Current ACLs for resource `\(pattern)`: \n \(Self.lines(mine)) \n")
                }
            }
        }
    }

    private func resourceFilters(patternType: PatternType) throws -> [ResourcePatternFilter] {
        var out = target.resources.map { ResourcePatternFilter($0.0, $0.1, patternType) }
        if (producer || consumer) && out.isEmpty {
            throw ToolError("You must specify one of: --topic, --group, --cluster, --transactional-id")
        }
        if out.isEmpty { out = [ResourcePatternFilter(.any, nil, patternType)] }
        return out
    }

    private func operations(for type: ResourceType) throws -> [AclOperation] {
        if operation.isEmpty { return [.all] }
        return try operation.map { name in
            guard let op = AclOperation(parsing: name), op != .unknown, op != .any else {
                throw ToolError("Invalid operation \(name)")
            }
            return op
        }
    }

    private func entries(for type: ResourceType, ops: [AclOperation]) -> [AccessControlEntry] {
        let allowHosts = allowHost.isEmpty ? ["*"] : allowHost
        let denyHosts = denyHost.isEmpty ? ["*"] : denyHost
        var out: [AccessControlEntry] = []
        for p in allowPrincipal {
            for h in allowHosts {
                for op in ops { out.append(.init(principal: p, host: h, operation: op, permission: .allow)) }
            }
        }
        for p in denyPrincipal {
            for h in denyHosts {
                for op in ops { out.append(.init(principal: p, host: h, operation: op, permission: .deny)) }
            }
        }
        return out
    }

    private func bindings(patternType: PatternType) throws -> [AclBinding] {
        for p in allowPrincipal + denyPrincipal where !p.contains(":") {
            throw ToolError("Invalid principal \(p): expected Type:name such as User:alice")
        }
        var out: [AclBinding] = []
        if producer || consumer {
            if producer {
                for t in target.topic {
                    out += entries(for: .topic, ops: [.write, .describe, .create]).map {
                        AclBinding(ResourcePattern(.topic, t, patternType), $0)
                    }
                }
                for t in target.transactionalId {
                    out += entries(for: .transactionalId, ops: [.write, .describe]).map {
                        AclBinding(ResourcePattern(.transactionalId, t, patternType), $0)
                    }
                }
                if idempotent {
                    out += entries(for: .cluster, ops: [.idempotentWrite]).map {
                        AclBinding(ResourcePattern(.cluster, Resource.clusterName, .literal), $0)
                    }
                }
            }
            if consumer {
                for t in target.topic {
                    out += entries(for: .topic, ops: [.read, .describe]).map {
                        AclBinding(ResourcePattern(.topic, t, patternType), $0)
                    }
                }
                for g in target.group {
                    out += entries(for: .group, ops: [.read]).map {
                        AclBinding(ResourcePattern(.group, g, patternType), $0)
                    }
                }
            }
            return out
        }
        if target.resources.isEmpty {
            throw ToolError(
                "You must specify one of: --topic, --cluster, --group, --transactional-id, --delegation-token, --user-principal when using these options"
            )
        }
        for (type, name) in target.resources {
            let ops = try operations(for: type)
            let supported = AclOperation.supported(on: type)
            for op in ops where op != .all && !supported.contains(op) {
                throw ToolError(
                    "ResourceType \(type.pascalName) only supports operations \(supported.map(\.pascalName).joined(separator: ","))"
                )
            }
            let pattern = ResourcePattern(type, name, type == .cluster ? .literal : patternType)
            out += entries(for: type, ops: ops).map { AclBinding(pattern, $0) }
        }
        return out
    }

    private func entryFilters() throws -> [AccessControlEntryFilter] {
        var out: [AccessControlEntryFilter] = []
        let ops: [AclOperation] =
            operation.isEmpty
            ? [.any]
            : try operation.map {
                guard let op = AclOperation(parsing: $0) else { throw ToolError("Invalid operation \($0)") }
                return op
            }
        for p in allowPrincipal {
            for h in (allowHost.isEmpty ? [nil] : allowHost.map { Optional($0) }) {
                for op in ops { out.append(.init(principal: p, host: h ?? "*", operation: op, permission: .allow)) }
            }
        }
        for p in denyPrincipal {
            for h in (denyHost.isEmpty ? [nil] : denyHost.map { Optional($0) }) {
                for op in ops { out.append(.init(principal: p, host: h ?? "*", operation: op, permission: .deny)) }
            }
        }
        return out
    }

    static func lines(_ entries: [AccessControlEntry]) -> String {
        entries.map { "\t\($0)" }.joined(separator: "\n")
    }

    /// `ResourcePatternFilter.toString`.
    static func text(_ f: ResourcePatternFilter) -> String {
        "ResourcePattern(resourceType=\(f.type.name), name=\(f.name ?? "<any>"), patternType=\(f.patternType.name))"
    }

    /// `AccessControlEntryFilter.toString`.
    static func text(_ f: AccessControlEntryFilter) -> String {
        "(principal=\(f.principal ?? "<any>"), host=\(f.host ?? "<any>"), operation=\(f.operation.name), "
            + "permissionType=\(f.permission.name))"
    }

    static func confirm(_ question: String) -> Bool {
        Output.line(question)
        Output.flush()
        guard let answer = readLine() else { return false }
        return answer.trimmingCharacters(in: .whitespaces).lowercased() == "y"
    }
}

/// `needletail acls explain`: why a principal is allowed or denied an operation on a resource.
struct AclsExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain why a principal is allowed or denied an operation on a resource.")

    @OptionGroup var target: AclTargetOptions
    @Option(help: "The principal, e.g. User:alice.") var principal: String
    @Option(help: "The operation, e.g. Read.") var operation: String
    @Option(help: "The client host (IP) to evaluate from.") var host: String = "*"
    @Option(
        name: .customLong("super-users"), help: "The brokers' super.users (semicolon-separated), when known.")
    var superUsers: String = ""
    @Flag(name: .customLong("allow-everyone-if-no-acl-found"), help: "As the brokers' allow.everyone.if.no.acl.found.")
    var allowEveryone = false

    func run() async throws {
        try await Tool.run {
            guard let op = AclOperation(parsing: operation), op != .unknown, op != .any else {
                throw ToolError("Invalid operation \(operation)")
            }
            guard target.resources.count == 1, let resource = target.resources.first else {
                throw ToolError("Name exactly one resource: --topic, --group, --cluster or --transactional-id")
            }
            let (type, name) = resource
            let backend = try await target.backend()
            defer { Task { await backend.close() } }
            let snapshot = AclSnapshot(bindings: try await backend.list(.any))
            let authorizer = Authorizer(
                acls: snapshot, superUsers: Authorizer.parseSuperUsers(superUsers),
                allowEveryoneIfNoAclFound: allowEveryone)
            // A host of "*" asks about a client anywhere: only ACLs for every host decide.
            let request = AuthorizationRequest(
                principal: principal, host: host, operation: op, resource: Resource(type, name))
            let hint =
                target.bootstrapServer.map { "--bootstrap-server \($0)" }
                ?? "--authorizer-properties \(target.authorizerProperties.joined(separator: " "))"
            Output.line(AclExplanation.text(for: request, authorizer: authorizer, bootstrapHint: hint))
        }
    }
}

/// Where `acls` reads and writes.
protocol AclBackend: Sendable {
    func list(_ filter: AclBindingFilter) async throws -> [AclBinding]
    func add(_ bindings: [AclBinding]) async throws
    func remove(_ filters: [AclBindingFilter]) async throws
    func close() async
}

/// Through a broker: DescribeAcls, CreateAcls, DeleteAcls (any broker; each writes ZooKeeper).
struct BrokerAclBackend: AclBackend {
    let client: KafkaClient

    func list(_ filter: AclBindingFilter) async throws -> [AclBinding] {
        var request = DescribeAclsRequest()
        request.resourceTypeFilter = filter.pattern.type.rawValue
        request.resourceNameFilter = filter.pattern.name
        request.patternTypeFilter = filter.pattern.patternType.rawValue
        request.principalFilter = filter.entry.principal
        request.hostFilter = filter.entry.host
        request.operation = filter.entry.operation.rawValue
        request.permissionType = filter.entry.permission.rawValue
        let response = try await client.sendToAnyBroker(request)
        try Self.check(response.errorCode, response.errorMessage)
        return response.resources.flatMap { r in
            r.acls.compactMap { a -> AclBinding? in
                guard let type = ResourceType(rawValue: r.resourceType),
                    let pattern = PatternType(rawValue: r.patternType),
                    let op = AclOperation(rawValue: a.operation),
                    let perm = AclPermissionType(rawValue: a.permissionType)
                else { return nil }
                return AclBinding(
                    ResourcePattern(type, r.resourceName, pattern),
                    AccessControlEntry(principal: a.principal, host: a.host, operation: op, permission: perm))
            }
        }
    }

    func add(_ bindings: [AclBinding]) async throws {
        var request = CreateAclsRequest()
        request.creations = bindings.map {
            .init(
                resourceType: $0.pattern.type.rawValue, resourceName: $0.pattern.name,
                resourcePatternType: $0.pattern.patternType.rawValue, principal: $0.entry.principal,
                host: $0.entry.host, operation: $0.entry.operation.rawValue,
                permissionType: $0.entry.permission.rawValue)
        }
        let response = try await client.sendToAnyBroker(request)
        for r in response.results { try Self.check(r.errorCode, r.errorMessage) }
    }

    func remove(_ filters: [AclBindingFilter]) async throws {
        var request = DeleteAclsRequest()
        request.filters = filters.map { f in
            .init(
                resourceTypeFilter: f.pattern.type.rawValue, resourceNameFilter: f.pattern.name,
                patternTypeFilter: f.pattern.patternType.rawValue, principalFilter: f.entry.principal,
                hostFilter: f.entry.host, operation: f.entry.operation.rawValue,
                permissionType: f.entry.permission.rawValue)
        }
        let response = try await client.sendToAnyBroker(request)
        for r in response.filterResults { try Self.check(r.errorCode, r.errorMessage) }
    }

    func close() async { await client.close() }

    static func check(_ code: Int16, _ message: String?) throws {
        guard code != 0 else { return }
        let name = ErrorCode(rawValue: code)?.name ?? "error \(code)"
        throw ToolError("\(name)\(message.map { ": \($0)" } ?? "")")
    }
}

/// Straight into ZooKeeper, like `kafka-acls.sh --authorizer-properties zookeeper.connect=…`: the same znodes and
/// change notifications the brokers' `AclAuthorizer` follows.
struct ZooKeeperAclBackend: AclBackend {
    let zk: KafkaZkClient

    static func connect(_ connect: String) async throws -> ZooKeeperAclBackend {
        do {
            let session = try await ZooKeeperSession.connect(
                connect, sessionTimeout: .seconds(30), connectTimeout: .seconds(30))
            return ZooKeeperAclBackend(zk: KafkaZkClient(session: session))
        } catch {
            throw ToolError("Cannot connect to ZooKeeper at \(connect): \(error)")
        }
    }

    func list(_ filter: AclBindingFilter) async throws -> [AclBinding] {
        try await zk.allAcls().bindings(matching: filter)
    }

    func add(_ bindings: [AclBinding]) async throws {
        for b in bindings {
            if let reason = b.invalidReason { throw ToolError(reason) }
        }
        var byPattern: [ResourcePattern: Set<AccessControlEntry>] = [:]
        for b in bindings { byPattern[b.pattern, default: []].insert(b.entry) }
        for (pattern, entries) in byPattern {
            try await zk.updateAcls(for: pattern) { $0.union(entries) }
        }
    }

    func remove(_ filters: [AclBindingFilter]) async throws {
        let snapshot = try await zk.allAcls()
        for filter in filters {
            for pattern in Set(snapshot.bindings(matching: filter).map(\.pattern)) {
                try await zk.updateAcls(for: pattern) { entries in
                    entries.filter { !filter.matches(AclBinding(pattern, $0)) }
                }
            }
        }
    }

    func close() async { await zk.session.close() }
}
