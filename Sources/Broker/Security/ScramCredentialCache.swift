import Authentication
import Coordination
import Logging
import Synchronization

/// Every user's SCRAM credentials, read from `/config/users/<user>` and re-read whenever a
/// `/config/changes/config_change_<seq>` notification appears (Kafka's `DynamicConfigManager` feeding
/// `CredentialCache`), so a user created on any broker or with `configs --zookeeper` can log in everywhere.
final class ScramCredentialCache: Sendable {
    private let credentials = Mutex<[String: [ScramMechanism: ScramCredential]]>([:])

    func credential(user: String, mechanism: ScramMechanism) -> ScramCredential? {
        credentials.withLock { $0[user]?[mechanism] }
    }

    /// Parses one user's config map; entries that are not SCRAM credentials (quotas) are skipped.
    static func scramEntries(_ config: [String: String]) -> [ScramMechanism: ScramCredential] {
        var out: [ScramMechanism: ScramCredential] = [:]
        for mechanism in ScramMechanism.allCases {
            if let text = config[mechanism.mechanismName], let credential = ScramCredential(kafkaString: text) {
                out[mechanism] = credential
            }
        }
        return out
    }

    /// Reads every user now.
    func reload(zk: KafkaZkClient) async throws {
        var all: [String: [ScramMechanism: ScramCredential]] = [:]
        for user in try await zk.userEntities() {
            let entries = Self.scramEntries(try await zk.userConfig(user))
            if !entries.isEmpty { all[user] = entries }
        }
        credentials.withLock { $0 = all }
    }

    /// Loads once, then re-reads on every change notification until cancelled.
    func watch(zk: KafkaZkClient, logger: Logger) async {
        while !Task.isCancelled {
            do {
                let (_, watch) = try await zk.watchConfigChanges()
                try await reload(zk: zk)
                _ = try await watch.wait()
            } catch {
                if Task.isCancelled { return }
                logger.warning("SCRAM credential refresh failed: \(error); retrying")
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
