import Authorization
import Coordination
import Foundation
import KafkaConfig
import Logging
import Synchronization

/// The broker's `AclAuthorizer`: an `Authorizer` value kept current from ZooKeeper, asked by the router and the
/// handlers. The cache is loaded whole at startup and then fed by the change notifications under
/// `/kafka-acl-changes` and `/kafka-acl-extended-changes` (Kafka's `ZkNodeChangeNotificationListener`), so an ACL
/// written on any broker — or by Kafka's own `kafka-acls.sh --authorizer-properties` — is enforced on every broker
/// within a round trip to ZooKeeper.
final class AclAuthority: Sendable {
    /// The only authorizer Kafka's ZooKeeper mode ships; Needletail loads no classes, so it is matched by name.
    static let aclAuthorizerClassNames: Set<String> = [
        "kafka.security.authorizer.AclAuthorizer", "kafka.security.auth.SimpleAclAuthorizer",
    ]

    /// Where the ACLs live (nil only in tests that set the cache by hand, and in KRaft mode).
    let zk: KafkaZkClient?
    /// KRaft mode's writes (the metadata log through the active controller); nil in ZooKeeper mode.
    let store: (any AclWriteStore)?
    private let logger: Logger
    private let current: Mutex<Authorizer>
    private let denials = Mutex(DenialRing(capacity: 256))
    /// The last change-notification sequence applied, per queue.
    private let applied = Mutex<[String: Int64]>([:])

    init(
        zk: KafkaZkClient?, superUsers: Set<String>, allowEveryoneIfNoAclFound: Bool, logger: Logger,
        store: (any AclWriteStore)? = nil
    ) {
        self.zk = zk
        self.store = store
        self.logger = logger
        self.current = Mutex(
            Authorizer(superUsers: superUsers, allowEveryoneIfNoAclFound: allowEveryoneIfNoAclFound))
    }

    /// Builds the authority the configuration asks for: nil when `authorizer.class.name` is empty (no
    /// authorization, as Kafka); an unknown class name refuses startup with one line.
    static func configured(by config: BrokerConfig, zk: KafkaZkClient, logger: Logger) throws -> AclAuthority? {
        let className = config.value("authorizer.class.name")?.description ?? ""
        if className.isEmpty { return nil }
        guard aclAuthorizerClassNames.contains(className) else {
            throw BrokerStartupError(
                "authorizer.class.name=\(className) is not supported; use kafka.security.authorizer.AclAuthorizer")
        }
        let superUsers = Authorizer.parseSuperUsers(config.value("super.users")?.description ?? "")
        let allowEveryone = config.value("allow.everyone.if.no.acl.found") == .boolean(true)
        return AclAuthority(zk: zk, superUsers: superUsers, allowEveryoneIfNoAclFound: allowEveryone, logger: logger)
    }

    /// The current decision function (a snapshot; cheap to copy).
    var authorizer: Authorizer { current.withLock { $0 } }

    var recentDenials: [Denial] { denials.withLock { $0.entries } }

    /// One check. Denials are remembered for `acls explain` and logged as Kafka's audit line when `logIfDenied`
    /// (Kafka does not log checks that only filter, such as Metadata for all topics).
    func authorize(
        principal: String, host: String, operation: AclOperation, resource: Resource, api: String,
        logIfDenied: Bool = true
    ) -> Bool {
        let request = AuthorizationRequest(principal: principal, host: host, operation: operation, resource: resource)
        let allowed = current.withLock { $0.isAllowed(request) }
        if !allowed && logIfDenied {
            let denial = Denial(request: request, api: api, timeMs: Int64(Date().timeIntervalSince1970 * 1000))
            denials.withLock { $0.record(denial) }
            logger.info("\(denial.auditLine)")
        }
        return allowed
    }

    func authorizeByResourceType(principal: String, host: String, operation: AclOperation, type: ResourceType)
        -> Bool
    {
        current.withLock {
            $0.isAllowedOnAnyResource(principal: principal, host: host, operation: operation, type: type)
        }
    }

    // MARK: Cache

    /// Loads every ACL (startup, and after a lost session).
    func reload() async throws {
        guard let zk else { return }
        let snapshot = try await zk.allAcls()
        current.withLock { $0.acls = snapshot }
    }

    /// Re-reads one pattern (a change notification, or this broker's own write).
    func refresh(_ pattern: ResourcePattern) async throws {
        guard let zk else { return }
        let (entries, _) = try await zk.acls(for: pattern)
        current.withLock { $0.acls.set(pattern, entries) }
    }

    /// Changes one pattern's ACLs in ZooKeeper (conditional write plus change notification) and in this cache.
    @discardableResult
    func updateAcls(
        for pattern: ResourcePattern,
        _ transform: @escaping @Sendable (Set<AccessControlEntry>) -> Set<AccessControlEntry>
    ) async throws -> (before: Set<AccessControlEntry>, after: Set<AccessControlEntry>) {
        let result: (before: Set<AccessControlEntry>, after: Set<AccessControlEntry>)
        if let store {
            result = try await store.updateAcls(for: pattern, transform)
        } else if let zk {
            result = try await zk.updateAcls(for: pattern, transform)
        } else {
            let before = current.withLock { $0.acls.byPattern[pattern] ?? [] }
            result = (before, transform(before))
        }
        store(pattern, result.after)
        return result
    }

    /// Replaces every ACL (KRaft mode, from the metadata image).
    func replaceAll(_ snapshot: AclSnapshot) {
        current.withLock { $0.acls = snapshot }
    }

    /// Sets one pattern's entries after this broker wrote them (the notification will confirm it).
    func store(_ pattern: ResourcePattern, _ entries: Set<AccessControlEntry>) {
        current.withLock { $0.acls.set(pattern, entries) }
    }

    /// Loads the cache and follows both change queues until cancelled.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            for queue in [AclZNodePaths.literalChanges, AclZNodePaths.extendedChanges] {
                group.addTask { await self.follow(queue: queue) }
            }
        }
    }

    /// Kafka purges notifications older than this (`ZkNodeChangeNotificationListener`'s 15 minutes).
    static let notificationLifetimeMs: Int64 = 15 * 60 * 1000

    private func follow(queue: String) async {
        guard let zk else { return }
        var needsReload = true
        while !Task.isCancelled {
            do {
                let (children, watch) = try await zk.watchAclChanges(queue: queue)
                if needsReload {
                    // Everything written before now is in the reload; only later notifications need applying.
                    let last = children.compactMap { Self.sequence($0) }.max() ?? -1
                    try await reload()
                    applied.withLock { $0[queue] = last }
                    needsReload = false
                } else {
                    try await apply(children, queue: queue)
                }
                let event = try await watch.wait()
                if event.kind == .sessionExpired || event.kind == .sessionClosed { needsReload = true }
            } catch {
                if Task.isCancelled { return }
                logger.warning("ACL change listener on \(queue): \(error); retrying")
                needsReload = true
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func apply(_ children: [String], queue: String) async throws {
        guard let zk else { return }
        let last = applied.withLock { $0[queue] ?? -1 }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for child in children {
            guard let seq = Self.sequence(child) else { continue }
            if seq > last {
                if let change = try await zk.aclChange(queue: queue, child: child) {
                    try await refresh(change.pattern)
                    logger.debug("Processed ACL change notification \(child) for \(change.pattern)")
                }
                applied.withLock { $0[queue] = seq }
            } else if let change = try await zk.aclChange(queue: queue, child: child),
                now - change.ctime > Self.notificationLifetimeMs
            {
                try await zk.deleteAclChange(queue: queue, child: child)
            }
        }
    }

    private static func sequence(_ child: String) -> Int64? {
        guard child.hasPrefix(AclZNodePaths.changePrefix) else { return nil }
        return Int64(child.dropFirst(AclZNodePaths.changePrefix.count))
    }
}

/// Where ACL writes go when ZooKeeper does not hold them (KRaft: `KRaftAclStore`).
protocol AclWriteStore: Sendable {
    func updateAcls(
        for pattern: ResourcePattern,
        _ transform: @escaping @Sendable (Set<AccessControlEntry>) -> Set<AccessControlEntry>
    ) async throws -> (before: Set<AccessControlEntry>, after: Set<AccessControlEntry>)
}
