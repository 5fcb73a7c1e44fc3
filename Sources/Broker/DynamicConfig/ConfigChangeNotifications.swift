import Coordination

/// The entity a `/config/changes` notification names (`entity_path` in Kafka's v2 JSON), as Kafka's
/// `ZkConfigManager` dispatches it to the handler of its config type.
enum ConfigChangeEntity: Sendable, Equatable {
    /// `users/<user>` (SCRAM credentials and user quotas share the node); `<default>` is the default user.
    case user(String)
    /// `users/<user>/clients/<client-id>`.
    case userClient(user: String, clientId: String)
    /// `clients/<client-id>`.
    case client(String)
    /// `topics/<topic>`.
    case topic(String)
    /// `brokers/<id>`, or `brokers/<default>` (nil) for the cluster-wide layer.
    case broker(Int32?)

    init?(entityPath: String) {
        let parts = entityPath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        switch (parts[0], parts.count) {
        case ("users", 2): self = .user(parts[1])
        case ("users", 4) where parts[2] == "clients": self = .userClient(user: parts[1], clientId: parts[3])
        case ("clients", 2): self = .client(parts[1])
        case ("topics", 2): self = .topic(parts[1])
        case ("brokers", 2):
            if parts[1] == ConfigEntityZNode.defaultEntityName {
                self = .broker(nil)
            } else if let id = Int32(parts[1]) {
                self = .broker(id)
            } else {
                return nil
            }
        default: return nil
        }
    }

    /// The quota entity path (`users/<u>`, `users/<u>/clients/<c>`, `clients/<c>`), nil for topics and brokers.
    var quotaEntityPath: String? {
        switch self {
        case .user(let u): "users/\(u)"
        case .userClient(let u, let c): "users/\(u)/clients/\(c)"
        case .client(let c): "clients/\(c)"
        case .topic, .broker: nil
        }
    }
}

/// Where a broker is in a sequential notification queue (Kafka's `ZkNodeChangeNotificationListener`): every
/// child with a sequence number above the last one applied is applied once, in order; children older than
/// `changeExpirationMs` (15 minutes) are purged by whichever broker sees them first, so a broker that was down
/// longer than that relies on its full reload at startup, as in Kafka.
struct ChangeNotificationCursor: Sendable, Equatable {
    static let changeExpirationMs: Int64 = 15 * 60 * 1000

    let prefix: String
    private(set) var lastApplied: Int64 = -1

    init(prefix: String) {
        self.prefix = prefix
    }

    func sequence(_ child: String) -> Int64? {
        guard child.hasPrefix(prefix) else { return nil }
        return Int64(child.dropFirst(prefix.count))
    }

    /// After a full reload: everything listed now is already in force.
    mutating func reloaded(children: [String]) {
        lastApplied = max(lastApplied, children.compactMap(sequence).max() ?? -1)
    }

    /// The children to apply, in sequence order (ZooKeeper lists children unordered).
    func pending(_ children: [String]) -> [String] {
        children.compactMap { c in sequence(c).map { (c, $0) } }.filter { $0.1 > lastApplied }
            .sorted { $0.1 < $1.1 }.map(\.0)
    }

    mutating func applied(_ child: String) {
        if let s = sequence(child) { lastApplied = max(lastApplied, s) }
    }

    static func isObsolete(ctimeMs: Int64, nowMs: Int64, expirationMs: Int64 = changeExpirationMs) -> Bool {
        nowMs - ctimeMs > expirationMs
    }
}
