import Coordination
import Foundation
import KafkaConfig
import Logging

/// Follows `/config/changes` (Kafka's `ZkConfigManager`): every `config_change_<seq>` written by
/// `needletail configs`, `kafka-configs.sh`, AlterConfigs, AlterClientQuotas or AlterUserScramCredentials on any
/// broker names one entity, and this broker re-reads just that entity and applies it at once: SCRAM credentials
/// and quotas for users, quotas for clients, overrides for topics, dynamic configs for brokers.
///
/// There is no polling: the child watch fires on each new notification. After a session loss (or any read error)
/// the listener reloads every entity before following the queue again, since notifications may have been created
/// and purged in between — that full reload is the safety net.
actor DynamicConfigManager {
    struct Targets: Sendable {
        var scram: ScramCredentialCache
        var quotas: QuotaManager
        var topics: TopicAdmin
        var brokerConfig: Shared<BrokerConfig>
        var brokerId: Int32
    }

    private let zk: KafkaZkClient
    private let targets: Targets
    private let logger: Logger
    private var cursor = ChangeNotificationCursor(prefix: ConfigEntityChangeNotificationZNode.sequencePrefix)
    /// Creation times of notifications already seen, so purging does not re-read each one on every change.
    private var ctimes: [String: Int64] = [:]

    init(zk: KafkaZkClient, targets: Targets, logger: Logger) {
        self.zk = zk
        self.targets = targets
        self.logger = logger
    }

    func run() async {
        var needsReload = true
        while !Task.isCancelled {
            do {
                let (children, watch) = try await zk.watchConfigChanges()
                if needsReload {
                    try await reloadAll()
                    cursor.reloaded(children: children)
                    needsReload = false
                } else {
                    for child in cursor.pending(children) {
                        try await apply(child)
                        cursor.applied(child)
                    }
                }
                try await purgeObsolete(children)
                let event = try await watch.wait()
                if event.kind == .sessionExpired || event.kind == .sessionClosed { needsReload = true }
            } catch {
                if Task.isCancelled { return }
                logger.warning("config change listener: \(error); reloading all configs and retrying")
                needsReload = true
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func apply(_ child: String) async throws {
        guard let (entityPath, ctime) = try await zk.configChangeNotification(child) else { return }
        ctimes[child] = ctime
        guard let entity = ConfigChangeEntity(entityPath: entityPath) else {
            logger.warning("ignoring config change notification \(child) for unknown entity \(entityPath)")
            return
        }
        logger.info("Processing config change notification \(child) for \(entityPath)")
        try await apply(entity)
    }

    private func apply(_ entity: ConfigChangeEntity) async throws {
        if case .user(let name) = entity { try await targets.scram.reload(user: name, zk: zk) }
        if let path = entity.quotaEntityPath { try await targets.quotas.reload(entityPath: path) }
        switch entity {
        case .topic(let name):
            try await targets.topics.reloadOverrides(name)
        case .broker(let id):
            guard id == nil || id == targets.brokerId else { return }
            try await reloadBrokerConfig()
        case .user, .userClient, .client:
            break
        }
    }

    private func reloadAll() async throws {
        try await targets.scram.reload(zk: zk)
        try await targets.quotas.reload()
        try await reloadBrokerConfig()
        // Topic overrides are read when a replica opens and on DescribeConfigs; the ones cached here are refreshed.
        try await targets.topics.reloadCachedOverrides()
    }

    private func reloadBrokerConfig() async throws {
        let dynDefault = try await zk.brokerConfig(nil)
        let dynBroker = try await zk.brokerConfig(targets.brokerId)
        let current = targets.brokerConfig.value
        guard dynDefault != current.dynamicDefaultProperties || dynBroker != current.dynamicBrokerProperties else {
            return
        }
        do {
            let updated = try current.withDynamicConfigs(default: dynDefault, broker: dynBroker)
            targets.brokerConfig.withLock { $0 = updated }
        } catch {
            // A value another tool wrote that this broker cannot take: keep running on the previous layers.
            logger.warning("ignoring dynamic broker configs from ZooKeeper: \(error)")
        }
    }

    /// Deletes notifications older than `changeExpirationMs` (Kafka's `purgeObsoleteNotifications`).
    private func purgeObsolete(_ children: [String]) async throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for child in children where cursor.sequence(child) != nil {
            var ctime = ctimes[child]
            if ctime == nil {
                ctime = try await zk.configChangeNotificationCreated(child)
                ctimes[child] = ctime
            }
            guard let ctime, ChangeNotificationCursor.isObsolete(ctimeMs: ctime, nowMs: now) else { continue }
            try await zk.deleteConfigChangeNotification(child)
            ctimes[child] = nil
        }
        let live = Set(children)
        ctimes = ctimes.filter { live.contains($0.key) }
    }
}
