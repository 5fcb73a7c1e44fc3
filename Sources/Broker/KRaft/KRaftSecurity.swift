import Authentication
import Authorization
import KRaftController
import KafkaConfig
import KafkaProtocol
import Logging
import MetadataImage
import Synchronization

/// KRaft mode's security state (Kafka's `StandardAuthorizer`, the broker's `CredentialProvider` fed by
/// `ScramPublisher`, and `ClientQuotaMetadataManager`): SCRAM credentials, ACLs and client quotas come from the
/// metadata image this broker follows, and their admin writes go to the active controller as records
/// (UserScramCredential, AccessControlEntry, ClientQuota and their removals), in process or forwarded to its
/// controller listener. Each write returns once this broker's own image shows it, so the caller reads its write.
final class KRaftSecurity: Sendable {
    let scram: ScramCredentialCache
    /// nil when `authorizer.class.name` is empty (no authorization, as Kafka).
    let authority: AclAuthority?
    let quotas: QuotaManager
    let scramAdmin: KRaftScramAdmin
    private let applier: KRaftSecurityApplier

    /// KRaft's authorizer (`org.apache.kafka.metadata.authorizer.StandardAuthorizer`).
    static let standardAuthorizerClassName = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"

    init(
        config: BrokerConfig, scram: ScramCredentialCache, controller: KRaftActiveController,
        publisher: KRaftMetadataPublisher, link: ControllerLink, logger: Logger
    ) throws(BrokerStartupError) {
        self.scram = scram
        let applier = KRaftSecurityApplier(publisher: publisher, scram: scram)
        let writes = KRaftSecurityWrites(
            controller: controller, publisher: publisher, link: link, applier: applier)
        let className = config.value("authorizer.class.name")?.description ?? ""
        if className.isEmpty {
            authority = nil
        } else {
            if AclAuthority.aclAuthorizerClassNames.contains(className) {
                // Kafka's AclAuthorizer keeps ACLs in ZooKeeper and refuses to start without zookeeper.connect,
                // which a KRaft node cannot set; the ACLs of a KRaft cluster are in its metadata log.
                logger.warning(
                    "authorizer.class.name=\(className) is ZooKeeper mode's authorizer; KRaft mode uses \(Self.standardAuthorizerClassName), which reads the ACLs of the metadata log. Using it; Kafka would refuse to start."
                )
            } else if className != Self.standardAuthorizerClassName {
                throw BrokerStartupError(
                    "authorizer.class.name=\(className) is not supported; use \(Self.standardAuthorizerClassName)")
            }
            let superUsers = Authorizer.parseSuperUsers(config.value("super.users")?.description ?? "")
            let allowEveryone = config.value("allow.everyone.if.no.acl.found") == .boolean(true)
            authority = AclAuthority(
                zk: nil, superUsers: superUsers, allowEveryoneIfNoAclFound: allowEveryone, logger: logger,
                store: writes)
        }
        quotas = QuotaManager(store: writes)
        scramAdmin = KRaftScramAdmin(writes: writes)
        self.applier = applier
        applier.attach(authority: authority, quotas: quotas)
    }

    /// Applies the current image to the caches.
    func sync() { applier.sync() }

    /// Keeps the caches in step with the image until cancelled.
    func run() async {
        while !Task.isCancelled {
            applier.sync()
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The KIP-554 and client quota handlers (ACL handlers are in every broker's routes).
    var routes: [any RouteEntry] {
        scramAdmin.routes + [
            Route(handler: DescribeClientQuotasHandler(quotas: quotas)),
            Route(handler: AlterClientQuotasHandler(quotas: quotas)),
        ]
    }
}

/// Copies the security parts of the image into the caches request handling reads, when they change.
final class KRaftSecurityApplier: Sendable {
    let publisher: KRaftMetadataPublisher
    private let scram: ScramCredentialCache
    private let state = Mutex(State())

    private struct State: Sendable {
        var authority: AclAuthority?
        var quotas: QuotaManager?
        var scram: [String: [Int8: MetadataImage.Credential]]?
        var acls: [UUIDValue: AclEntry]?
        var quotaValues: [MetadataImage.ClientQuotaEntity: [String: Double]]?
    }

    init(publisher: KRaftMetadataPublisher, scram: ScramCredentialCache) {
        self.publisher = publisher
        self.scram = scram
    }

    func attach(authority: AclAuthority?, quotas: QuotaManager) {
        state.withLock {
            $0.authority = authority
            $0.quotas = quotas
        }
    }

    func sync() {
        let image = publisher.image
        state.withLock { s in
            if s.scram != image.scramCredentials {
                s.scram = image.scramCredentials
                scram.replace(Self.credentials(image.scramCredentials))
            }
            if s.acls != image.acls {
                s.acls = image.acls
                s.authority?.replaceAll(Self.acls(image.acls))
            }
            if s.quotaValues != image.quotas {
                s.quotaValues = image.quotas
                s.quotas?.update(Self.quotaConfigs(image.quotas))
            }
        }
    }

    static func credentials(_ image: [String: [Int8: MetadataImage.Credential]])
        -> [String: [ScramMechanism: Authentication.ScramCredential]]
    {
        var out: [String: [ScramMechanism: Authentication.ScramCredential]] = [:]
        for (user, byMechanism) in image {
            for (type, c) in byMechanism {
                guard let mechanism = ScramMechanism(wireType: type) else { continue }
                out[user, default: [:]][mechanism] = Authentication.ScramCredential(
                    salt: c.salt, storedKey: c.storedKey, serverKey: c.serverKey, iterations: Int(c.iterations))
            }
        }
        return out
    }

    static func binding(_ e: AclEntry) -> AclBinding? {
        guard let type = ResourceType(rawValue: e.resourceType), let pattern = PatternType(rawValue: e.patternType),
            let operation = AclOperation(rawValue: e.operation),
            let permission = AclPermissionType(rawValue: e.permissionType)
        else { return nil }
        return AclBinding(
            ResourcePattern(type, e.resourceName, pattern),
            AccessControlEntry(principal: e.principal, host: e.host, operation: operation, permission: permission))
    }

    static func entry(_ b: AclBinding) -> AclEntry {
        AclEntry(
            AccessControlEntryRecord(
                id: .zero, resourceType: b.pattern.type.rawValue, resourceName: b.pattern.name,
                patternType: b.pattern.patternType.rawValue, principal: b.entry.principal, host: b.entry.host,
                operation: b.entry.operation.rawValue, permissionType: b.entry.permission.rawValue))
    }

    static func acls(_ image: [UUIDValue: AclEntry]) -> AclSnapshot {
        AclSnapshot(bindings: image.values.compactMap(binding))
    }

    /// The image's quota entities in the ZooKeeper-shaped `QuotaConfigs` the quota manager resolves against
    /// (a nil entity name is the `<default>` entity). IP entities are not enforced.
    static func quotaConfigs(_ image: [MetadataImage.ClientQuotaEntity: [String: Double]]) -> QuotaConfigs {
        var out = QuotaConfigs()
        for (entity, values) in image {
            var user: String?
            var client: String?
            for part in entity.parts {
                let name = part.name ?? QuotaConfigs.defaultEntity
                if part.type == "user" { user = name } else if part.type == "client-id" { client = name }
            }
            let config = values.mapValues { v in
                // Whole numbers as Kafka's LONG quotas print them; anything an Int64 cannot hold as Double text.
                v == v.rounded() && abs(v) < 9e18 ? String(Int64(v)) : String(v)
            }
            switch (user, client) {
            case (let u?, let c?): out.userClients[u, default: [:]][c] = config
            case (let u?, nil): out.users[u] = config
            case (nil, let c?): out.clients[c] = config
            case (nil, nil): break
            }
        }
        return out
    }

    /// `users/<u>`, `users/<u>/clients/<c>`, `clients/<c>` (as `ClientQuotaEntity.path` builds them) as an entity.
    static func quotaEntity(path: String) -> MetadataImage.ClientQuotaEntity? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        func name(_ s: String) -> String? { s == QuotaConfigs.defaultEntity ? nil : s }
        switch (parts.first, parts.count) {
        case ("users", 2): return MetadataImage.ClientQuotaEntity([.init(type: "user", name: name(parts[1]))])
        case ("users", 4) where parts[2] == "clients":
            return MetadataImage.ClientQuotaEntity([
                .init(type: "user", name: name(parts[1])), .init(type: "client-id", name: name(parts[3])),
            ])
        case ("clients", 2): return MetadataImage.ClientQuotaEntity([.init(type: "client-id", name: name(parts[1]))])
        default: return nil
        }
    }
}

/// The admin writes of SCRAM credentials, ACLs and quotas: decided by this node's controller while it is the
/// active one, else forwarded to the active controller as the Kafka request that means the same.
struct KRaftSecurityWrites: AclWriteStore, QuotaWriteStore {
    let controller: KRaftActiveController
    let publisher: KRaftMetadataPublisher
    let link: ControllerLink
    let applier: KRaftSecurityApplier

    /// How long a write looks for the active controller, and then waits for this node's image: Kafka's
    /// `request.timeout.ms` default.
    static let timeoutMs = 30_000

    /// A local decision; nil (ask again) when this node is not, or no longer, the active controller.
    private func decideLocally<T: Sendable>(
        _ decision: @escaping @Sendable (inout QuorumController) -> ControllerResult<T>
    ) async throws(BrokerError) -> T? {
        do {
            return try await controller.decide { c, _, _ in decision(&c) }
        } catch .notController {
            return nil
        }
    }

    /// After a forwarded write: waits until this node's image shows it (or the forwarding timeout passes).
    private func awaitImage(_ shows: (MetadataImage) -> Bool) async {
        let deadline = ContinuousClock.now + .milliseconds(Self.timeoutMs)
        while !shows(publisher.image), ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    private func route<T: Sendable>(
        local: @Sendable @escaping () async throws(BrokerError) -> T?,
        remote: @Sendable @escaping (_ remainingMs: Int) async throws(BrokerError) -> T?
    ) async throws(BrokerError) -> T {
        let controller = controller
        let value = try await link.route(
            timeoutMs: Int32(Self.timeoutMs), isActive: { controller.isActive }, local: local, remote: remote)
        applier.sync()
        return value
    }

    // MARK: ACLs

    /// The transform runs against the image of whoever decides: the local controller's, or, for a forwarded
    /// write, this node's, whose difference is sent as CreateAcls and DeleteAcls.
    func updateAcls(
        for pattern: ResourcePattern,
        _ transform: @escaping @Sendable (Set<AccessControlEntry>) -> Set<AccessControlEntry>
    ) async throws -> (before: Set<AccessControlEntry>, after: Set<AccessControlEntry>) {
        try await updateAclsTyped(pattern, transform)
    }

    private func updateAclsTyped(
        _ pattern: ResourcePattern,
        _ transform: @escaping @Sendable (Set<AccessControlEntry>) -> Set<AccessControlEntry>
    ) async throws(BrokerError) -> (before: Set<AccessControlEntry>, after: Set<AccessControlEntry>) {
        let link = link
        let publisher = publisher
        return try await route(
            local: { () async throws(BrokerError) -> (Set<AccessControlEntry>, Set<AccessControlEntry>)? in
                try await decideLocally { c in
                    let before = Self.entries(of: pattern, in: c.image)
                    let after = transform(before)
                    var rng = SystemRandomNumberGenerator()
                    let created = c.createAcls(
                        after.subtracting(before).sorted().map { KRaftSecurityApplier.entry(AclBinding(pattern, $0)) },
                        using: &rng)
                    let gone = Set(
                        before.subtracting(after).map { KRaftSecurityApplier.entry(AclBinding(pattern, $0)) })
                    let deleted = c.deleteAcls([{ gone.contains($0) }])
                    return ControllerResult(records: created.records + deleted.records, response: (before, after))
                }
            },
            remote: { remainingMs async throws(BrokerError) -> (Set<AccessControlEntry>, Set<AccessControlEntry>)? in
                let before = Self.entries(of: pattern, in: publisher.image)
                let after = transform(before)
                let added = after.subtracting(before).sorted()
                let removed = before.subtracting(after).sorted()
                if !added.isEmpty {
                    let request = CreateAclsRequest(
                        creations: added.map {
                            .init(
                                resourceType: pattern.type.rawValue, resourceName: pattern.name,
                                resourcePatternType: pattern.patternType.rawValue, principal: $0.principal,
                                host: $0.host, operation: $0.operation.rawValue, permissionType: $0.permission.rawValue)
                        })
                    guard let response = try? await link.send(request, timeoutMs: remainingMs) else { return nil }
                    for r in response.results where r.errorCode != 0 {
                        if r.errorCode == ErrorCode.notController.rawValue { return nil }
                        throw .unknownServerError(r.errorMessage ?? "CreateAcls failed with error \(r.errorCode)")
                    }
                }
                if !removed.isEmpty {
                    let request = DeleteAclsRequest(
                        filters: removed.map {
                            .init(
                                resourceTypeFilter: pattern.type.rawValue, resourceNameFilter: pattern.name,
                                patternTypeFilter: pattern.patternType.rawValue, principalFilter: $0.principal,
                                hostFilter: $0.host, operation: $0.operation.rawValue,
                                permissionType: $0.permission.rawValue)
                        })
                    guard let response = try? await link.send(request, timeoutMs: remainingMs) else { return nil }
                    for r in response.filterResults where r.errorCode != 0 {
                        throw .unknownServerError(r.errorMessage ?? "DeleteAcls failed with error \(r.errorCode)")
                    }
                }
                await awaitImage { Self.entries(of: pattern, in: $0) == after }
                return (before, after)
            })
    }

    static func entries(of pattern: ResourcePattern, in image: MetadataImage) -> Set<AccessControlEntry> {
        Set(
            image.acls.values.compactMap { e -> AccessControlEntry? in
                guard let b = KRaftSecurityApplier.binding(e), b.pattern == pattern else { return nil }
                return b.entry
            })
    }

    // MARK: Quotas

    func alter(_ entityPath: String, _ changes: [(String, String?)]) async throws(QuotaRequestError) {
        guard let entity = KRaftSecurityApplier.quotaEntity(path: entityPath) else {
            throw QuotaRequestError(code: .invalidRequest, message: "Invalid quota entity \(entityPath)")
        }
        let quotaChanges = changes.map { QuotaChange(key: $0.0, value: $0.1.flatMap { Double($0) }) }
        let link = link
        let reply: SecurityReply
        do {
            reply = try await route(
                local: { () async throws(BrokerError) -> SecurityReply? in
                    try await decideLocally { c in
                        let r = c.alterClientQuotas([(entity, quotaChanges)])
                        return ControllerResult(records: r.records, response: r.response.first ?? SecurityReply())
                    }
                },
                remote: { remainingMs async throws(BrokerError) -> SecurityReply? in
                    let request = AlterClientQuotasRequest(entries: [
                        .init(
                            entity: entity.parts.map { .init(entityType: $0.type, entityName: $0.name) },
                            ops: quotaChanges.map { .init(key: $0.key, value: $0.value ?? 0, remove: $0.value == nil) })
                    ])
                    guard let response = try? await link.send(request, timeoutMs: remainingMs),
                        let entry = response.entries.first
                    else { return nil }
                    if entry.errorCode == ErrorCode.notController.rawValue { return nil }
                    let code = ErrorCode(rawValue: entry.errorCode) ?? .unknownServerError
                    if code == .noError {
                        await awaitImage { image in
                            quotaChanges.allSatisfy { image.quotas[entity]?[$0.key] == $0.value }
                        }
                    }
                    return SecurityReply(code, entry.errorMessage)
                })
        } catch {
            throw QuotaRequestError(code: .unknownServerError, message: "\(error)")
        }
        guard reply.errorCode == .noError else {
            throw QuotaRequestError(code: reply.errorCode, message: reply.errorMessage ?? "\(reply.errorCode)")
        }
    }

    // MARK: SCRAM

    func alterScram(_ request: AlterUserScramCredentialsRequest, changes: [ScramCredentialChange])
        async throws(BrokerError) -> [String: SecurityReply]
    {
        let link = link
        return try await route(
            local: { () async throws(BrokerError) -> [String: SecurityReply]? in
                try await decideLocally { c in c.alterUserScramCredentials(changes) }
            },
            remote: { remainingMs async throws(BrokerError) -> [String: SecurityReply]? in
                guard let response = try? await link.send(request, timeoutMs: remainingMs) else { return nil }
                var replies: [String: SecurityReply] = [:]
                for r in response.results {
                    if r.errorCode == ErrorCode.notController.rawValue { return nil }
                    replies[r.user] = SecurityReply(
                        ErrorCode(rawValue: r.errorCode) ?? .unknownServerError, r.errorMessage)
                }
                await awaitImage { image in
                    changes.allSatisfy { c in
                        replies[c.user]?.errorCode != .noError
                            || image.scramCredentials[c.user]?[c.mechanism] == c.credential
                    }
                }
                return replies
            })
    }
}

/// KIP-554 in KRaft mode (Kafka's `ControllerApis.handleAlterUserScramCredentials` and the broker's
/// `DescribeUserScramCredentials` from its metadata image).
struct KRaftScramAdmin: ScramCredentialAdministering {
    let writes: KRaftSecurityWrites

    func describe(_ request: DescribeUserScramCredentialsRequest) async -> DescribeUserScramCredentialsResponse {
        typealias Result = DescribeUserScramCredentialsResponse.DescribeUserScramCredentialsResult
        let stored = writes.publisher.image.scramCredentials
        let describeAll = request.users?.isEmpty ?? true
        let names = describeAll ? stored.keys.sorted() : request.users!.map(\.name)
        var results: [Result] = []
        var seen = Set<String>()
        for name in names {
            guard seen.insert(name).inserted else {
                results.append(
                    Result(
                        user: name, errorCode: ErrorCode.duplicateResource.rawValue,
                        errorMessage:
                            "Cannot describe SCRAM credentials for the same user twice in a single request: \(name)"))
                continue
            }
            guard let entries = stored[name], !entries.isEmpty else {
                results.append(
                    Result(
                        user: name, errorCode: ErrorCode.resourceNotFound.rawValue,
                        errorMessage: "Attempt to describe a user credential that does not exist: \(name)"))
                continue
            }
            results.append(
                Result(
                    user: name, errorCode: 0, errorMessage: nil,
                    credentialInfos: entries.sorted { $0.key < $1.key }.map {
                        .init(mechanism: $0.key, iterations: $0.value.iterations)
                    }))
        }
        return DescribeUserScramCredentialsResponse(errorCode: 0, results: results)
    }

    func alter(_ request: AlterUserScramCredentialsRequest) async -> AlterUserScramCredentialsResponse {
        typealias Result = AlterUserScramCredentialsResponse.AlterUserScramCredentialsResult
        var users: [String] = []
        for name in request.deletions.map(\.name) + request.upsertions.map(\.name) where !users.contains(name) {
            users.append(name)
        }
        var changes = request.deletions.map {
            ScramCredentialChange(user: $0.name, mechanism: $0.mechanism, credential: nil)
        }
        for u in request.upsertions {
            // An unknown mechanism gets an empty credential: the controller refuses it by its mechanism.
            let credential =
                ScramMechanism(wireType: u.mechanism).map {
                    let c = Authentication.ScramCredential(
                        mechanism: $0, saltedPassword: u.saltedPassword, salt: u.salt, iterations: Int(u.iterations))
                    return MetadataImage.Credential(
                        salt: c.salt, storedKey: c.storedKey, serverKey: c.serverKey, iterations: u.iterations)
                } ?? MetadataImage.Credential(salt: [], storedKey: [], serverKey: [], iterations: u.iterations)
            changes.append(ScramCredentialChange(user: u.name, mechanism: u.mechanism, credential: credential))
        }
        do {
            let replies = try await writes.alterScram(request, changes: changes)
            return AlterUserScramCredentialsResponse(
                results: users.map { user in
                    let r = replies[user] ?? SecurityReply(.unknownServerError, "The controller gave no answer")
                    return Result(user: user, errorCode: r.errorCode.rawValue, errorMessage: r.errorMessage)
                })
        } catch {
            return AlterUserScramCredentialsResponse(
                results: users.map {
                    Result(user: $0, errorCode: ErrorCode.unknownServerError.rawValue, errorMessage: "\(error)")
                })
        }
    }
}
