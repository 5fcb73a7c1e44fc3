import KRaft

/// What Kafka's container images do around the broker in KRaft mode, and the forgiving reading Needletail gives the
/// compose files that get those conventions wrong.
///
/// The images format the storage on first start from `CLUSTER_ID` (`ub ensure CLUSTER_ID`, then
/// `kafka-storage format --ignore-formatted`). Compose files written for them often get three things wrong, which
/// Kafka refuses and Needletail accepts with one warning each:
/// - `KAFKA_CLUSTER_ID` instead of `CLUSTER_ID` (the images render it as an unknown `cluster.id` property): it is
///   read as `CLUSTER_ID`;
/// - `KAFKA_LISTENERS` without the controller listener while `process.roles` includes `controller`: the listener
///   is added on the port of the node's own `controller.quorum.voters` entry;
/// - a cluster id that is not a UUID: a stable UUID is derived from it (see `KRaftStorage`);
/// - `localhost` advertised on the inter-broker listener of a multi-node quorum: noted, since other brokers
///   cannot reach this node there.
/// A `server.properties` file gets Kafka's errors unchanged: only settings that came from the environment are
/// adjusted.
public enum ContainerConventions {
    /// The variable the images read the cluster id from.
    public static let clusterIdVariable = "CLUSTER_ID"
    /// The misspelling the forgiving reading accepts.
    public static let kafkaClusterIdVariable = "KAFKA_CLUSTER_ID"

    /// The cluster id the container asks to format with, and the warning when it came from `KAFKA_CLUSTER_ID`.
    public static func clusterId(environment: [String: String]) -> (id: String, warning: String?)? {
        if let id = environment[clusterIdVariable]?.trimmingBlanks(), !id.isEmpty { return (id, nil) }
        if let id = environment[kafkaClusterIdVariable]?.trimmingBlanks(), !id.isEmpty {
            return (
                id,
                "\(kafkaClusterIdVariable) is not read by Kafka's images (they format the storage from "
                    + "\(clusterIdVariable)); using it as \(clusterIdVariable)"
            )
        }
        return nil
    }

    /// Adjusts the merged static properties of a KRaft node whose settings came from the environment, returning
    /// one warning per adjustment (and per problem noted). Does nothing in ZooKeeper mode.
    static func adapt(
        _ properties: inout [String: String], origins: inout [String: PropertyOrigin], environment: [String: String]
    ) -> [ConfigWarning] {
        let roles = KRaftConfig.list(properties[KRaftConfig.processRolesKey] ?? "")
        guard !roles.isEmpty else { return [] }
        var warnings: [ConfigWarning] = []
        if environment[clusterIdVariable] == nil, let (_, warning) = clusterId(environment: environment),
            let warning
        {
            warnings.append(
                ConfigWarning(
                    key: kafkaClusterIdVariable, origin: .environment(variable: kafkaClusterIdVariable),
                    message: warning))
        }
        if roles.contains(ProcessRole.controller.rawValue), let warning = addControllerListener(&properties, &origins) {
            warnings.append(warning)
        }
        if let warning = localhostAdvertisedToPeers(properties, origins: origins) { warnings.append(warning) }
        return warnings
    }

    private static func isFromEnvironment(_ key: String, _ origins: [String: PropertyOrigin]) -> Bool {
        if case .environment = origins[key] { return true }
        return false
    }

    private static func voters(_ properties: [String: String]) -> [VoterEndpoint] {
        guard let text = properties[QuorumConfig.votersKey] else { return [] }
        return (try? QuorumVoters.parse(text)) ?? []
    }

    private static func nodeId(_ properties: [String: String]) -> Int32? {
        (properties[KRaftConfig.nodeIdKey] ?? properties["broker.id"]).flatMap { Int32($0.trimmingBlanks()) }
    }

    /// `listeners` from the environment without any `controller.listener.names` entry: add the first controller
    /// listener, bound on every interface at the port of this node's voters entry.
    private static func addControllerListener(
        _ properties: inout [String: String], _ origins: inout [String: PropertyOrigin]
    ) -> ConfigWarning? {
        guard isFromEnvironment("listeners", origins), let listeners = properties["listeners"] else { return nil }
        let names = KRaftConfig.list(properties[KRaftConfig.controllerListenerNamesKey] ?? "").map {
            $0.uppercased()
        }
        guard let name = names.first else { return nil }
        let present = KRaftConfig.list(listeners).compactMap { item -> String? in
            guard let sep = item.range(of: "://") else { return nil }
            return item[..<sep.lowerBound].uppercased()
        }
        guard !present.contains(where: names.contains), let id = nodeId(properties),
            let own = voters(properties).first(where: { $0.id.rawValue == id })
        else { return nil }
        let added = "\(name)://0.0.0.0:\(own.port)"
        properties["listeners"] = listeners.trimmingBlanks().isEmpty ? added : listeners + "," + added
        if let map = properties["listener.security.protocol.map"],
            !KRaftConfig.list(map).contains(where: { $0.uppercased().hasPrefix(name + ":") })
        {
            properties["listener.security.protocol.map"] = map + ",\(name):PLAINTEXT"
        }
        return ConfigWarning(
            key: "listeners", origin: origins["listeners"] ?? .override,
            message:
                "listeners has no \(name) listener although process.roles includes controller (Kafka refuses to "
                + "start); listening on \(added) for the quorum, the port of this node's controller.quorum.voters "
                + "entry \(id)@\(own.host):\(own.port). Add it to listeners to silence this warning")
    }

    /// The inter-broker listener advertised as a loopback address while other voters live elsewhere.
    private static func localhostAdvertisedToPeers(_ properties: [String: String], origins: [String: PropertyOrigin])
        -> ConfigWarning?
    {
        let voters = voters(properties)
        let loopback: (String) -> Bool = { host in
            let h = host.lowercased()
            return h == "localhost" || h.hasPrefix("127.") || h == "::1" || h == "[::1]"
        }
        guard voters.count > 1, voters.contains(where: { !loopback($0.host) }) else { return nil }
        let interBroker =
            (properties["inter.broker.listener.name"] ?? properties["security.inter.broker.protocol"] ?? "PLAINTEXT")
            .trimmingBlanks().uppercased()
        let key = properties["advertised.listeners"] != nil ? "advertised.listeners" : "listeners"
        for item in KRaftConfig.list(properties[key] ?? "") {
            guard let sep = item.range(of: "://"), item[..<sep.lowerBound].uppercased() == interBroker else {
                continue
            }
            let rest = item[sep.upperBound...]
            guard let colon = rest.lastIndex(of: ":") else { return nil }
            let host = String(rest[..<colon])
            guard loopback(host) else { return nil }
            let others = voters.map(\.host).filter { !loopback($0) }
            return ConfigWarning(
                key: key, origin: origins[key] ?? .override,
                message:
                    "\(key) advertises \(item) on the inter-broker listener \(interBroker) while the quorum's nodes "
                    + "are at \(others.joined(separator: ", ")): other brokers would connect to themselves there and "
                    + "replication between nodes fails; advertise a name the other nodes resolve")
        }
        return nil
    }
}
