/// What `configs --zookeeper … --entity-type brokers --add-config` may write into `/config/brokers/<id>`, as
/// Kafka's `ConfigCommand.preProcessBrokerConfigs` decides it. Kafka stores password-type broker configs in
/// ZooKeeper only encrypted with `password.encoder.secret` (which the brokers must share); without the secret it
/// refuses them. Needletail's brokers do not decrypt such values, so it refuses them either way, and never writes a
/// password in clear text into a znode any ZooKeeper client can read.
public enum ZooKeeperBrokerConfigs {
    /// The dynamic broker configs of type PASSWORD (`ssl.keystore.password`, `sasl.jaas.config`, …).
    public static let dynamicPasswordConfigs: [String] = BrokerKeys.zooKeeperModeKeys
        .filter { $0.type == .password && $0.updateMode != .readOnly }.map(\.name)

    /// Kafka's `DynamicBrokerConfig.isPasswordConfig`: the name ends with a dynamic password config, so
    /// `listener.name.<l>.ssl.key.password` and `listener.name.<l>.<mechanism>.sasl.jaas.config` count too.
    public static func isPasswordConfig(_ name: String) -> Bool {
        dynamicPasswordConfigs.contains { name.hasSuffix($0) }
    }

    /// The configs to store: `password.encoder.*` entries are dropped (Kafka never persists them), and a password
    /// config is refused with Kafka's wording when no `password.encoder.secret` is given.
    public static func configsToStore(_ additions: [(key: String, value: String)]) throws(ConfigError) -> [(
        key: String, value: String
    )] {
        let encoder = additions.filter { $0.key.hasPrefix("password.encoder.") }
        let rest = additions.filter { !$0.key.hasPrefix("password.encoder.") }
        var passwords: [String] = []
        for (key, _) in rest where isPasswordConfig(key) && !passwords.contains(key) { passwords.append(key) }
        guard !passwords.isEmpty else { return rest }
        // Scala's rendering of the key set, as Kafka prints it.
        let set = "Set(\(passwords.joined(separator: ", ")))"
        guard encoder.contains(where: { $0.key == "password.encoder.secret" }) else {
            throw .conflict(
                "requirement failed: password.encoder.secret must be specified to update \(set)."
                    + " Other password encoder configs like cipher algorithm and iterations may also be specified"
                    + " to override the default encoding parameters. Password encoder configs will not be persisted"
                    + " in ZooKeeper.")
        }
        throw .conflict(
            "Needletail brokers do not decode passwords encoded with password.encoder.secret: \(set) cannot be"
                + " stored in ZooKeeper. Set them in server.properties.")
    }
}
