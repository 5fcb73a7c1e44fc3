import Authentication
import Coordination
import Synchronization

/// Every user's SCRAM credentials, read from `/config/users/<user>`; `DynamicConfigManager` re-reads a user
/// when a `/config/changes/config_change_<seq>` notification names it (Kafka's `ZkConfigManager` feeding
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

    /// Replaces every credential (KRaft mode, from the metadata image).
    func replace(_ all: [String: [ScramMechanism: ScramCredential]]) {
        credentials.withLock { $0 = all }
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

    /// Re-reads one user after a `/config/changes` notification names `users/<user>`.
    func reload(user: String, zk: KafkaZkClient) async throws {
        let entries = Self.scramEntries(try await zk.userConfig(user))
        credentials.withLock { $0[user] = entries.isEmpty ? nil : entries }
    }
}
