import KRaft

/// One of `process.roles`' values (Kafka's `ProcessRole`).
public enum ProcessRole: String, Sendable, Hashable, CaseIterable {
    case broker
    case controller
}

/// The KRaft-mode keys of a node (Kafka 3.9's `KRaftConfigs` and `QuorumConfig`), parsed and checked with the
/// rules and messages of `KafkaConfig.validateValues`. A configuration is in KRaft mode exactly when
/// `process.roles` is set; `BrokerConfig.kraft` is nil in ZooKeeper mode.
public struct KRaftConfig: Sendable {
    public static let processRolesKey = "process.roles"
    public static let nodeIdKey = "node.id"
    public static let controllerListenerNamesKey = "controller.listener.names"
    public static let metadataLogDirKey = "metadata.log.dir"

    /// The roles in the order given (no duplicates).
    public var processRoles: [ProcessRole]
    public var nodeId: Int32
    /// `controller.listener.names`, upper-cased; the first one is the one this node's voters entry points at.
    public var controllerListenerNames: [String]
    /// `controller.quorum.voters` (static quorum), empty when only bootstrap servers are given.
    public var voters: [VoterEndpoint]
    /// `controller.quorum.bootstrap.servers` (KIP-853) as `host:port` strings.
    public var bootstrapServers: [String]
    /// `metadata.log.dir`; nil means the first log dir holds `__cluster_metadata-0`.
    public var metadataLogDir: String?
    /// The `controller.quorum.*` timing keys.
    public var quorum: QuorumConfig
    /// The `metadata.log.max.*` snapshot triggers and `metadata.max.retention.*` cleaning keys.
    public var snapshots = SnapshotPolicy()

    public var isController: Bool { processRoles.contains(.controller) }
    public var isBroker: Bool { processRoles.contains(.broker) }

    /// The KRaft keys Needletail knows, for the broker key table (so they are not reported as unknown).
    static let definitions: [ConfigKeyDefinition] = [
        define(processRolesKey, .list, .list([]), "The roles of this node in KRaft mode: broker, controller or both."),
        define(nodeIdKey, .int, .int(-1), "The node id of this process in KRaft mode (the broker id and voter id)."),
        define(
            controllerListenerNamesKey, .list, .list([]),
            "Listener names the KRaft controller answers on (the Raft APIs); the first is used to reach controllers."),
        define(metadataLogDirKey, .string, nil, "Directory of the __cluster_metadata log; the first log dir if unset."),
        define(QuorumConfig.votersKey, .list, .list([]), "Static quorum voters as id@host:port,..."),
        define(QuorumConfig.bootstrapServersKey, .list, .list([]), "Controllers to bootstrap from, host:port,..."),
        define(QuorumConfig.electionTimeoutKey, .int, .int(1000), "Election timeout of a voter without a leader."),
        define(QuorumConfig.fetchTimeoutKey, .int, .int(2000), "Time without a leader's answer before an election."),
        define(QuorumConfig.electionBackoffMaxKey, .int, .int(1000), "Longest back-off after a failed election."),
        define(QuorumConfig.appendLingerKey, .int, .int(25), "How long the leader batches appends."),
        define(QuorumConfig.requestTimeoutKey, .int, .int(2000), "Timeout of a quorum request."),
        define(QuorumConfig.retryBackoffKey, .int, .int(20), "Wait before retrying a failed quorum request."),
        define("metadata.log.segment.bytes", .int, .int(1_073_741_824), "Segment size of the metadata log."),
        define("metadata.log.max.snapshot.interval.ms", .long, .long(3_600_000), "Longest time between snapshots."),
        define("metadata.max.retention.bytes", .long, .long(104_857_600), "Metadata log bytes kept before deletion."),
        define("metadata.max.retention.ms", .long, .long(604_800_000), "Age of a metadata snapshot before deletion."),
        define(
            "metadata.log.max.record.bytes.between.snapshots", .long, .long(20_971_520),
            "Record bytes applied before the next metadata snapshot."),
        define("metadata.max.idle.interval.ms", .int, .int(500), "Cadence of the leader's NoOp records."),
        define(
            "broker.heartbeat.interval.ms", .int, .int(2000), "Interval of a broker's heartbeats to the controller."),
        define("broker.session.timeout.ms", .int, .int(9000), "A broker without a heartbeat this long is fenced."),
        define(
            "initial.broker.registration.timeout.ms", .int, .int(60000),
            "How long a broker waits for its first registration."),
    ]

    private static func define(_ name: String, _ type: ConfigType, _ value: ConfigValue?, _ doc: String)
        -> ConfigKeyDefinition
    {
        ConfigKeyDefinition(
            name: name, type: type, defaultValue: value, validator: .none, updateMode: .readOnly, documentation: doc)
    }

    /// Reads the KRaft keys from the static properties; nil when `process.roles` is absent or empty (ZooKeeper
    /// mode). Throws Kafka's messages for malformed values; cross-key rules are in `validate`.
    public static func parse(_ properties: [String: String]) throws(ConfigError) -> KRaftConfig? {
        let rolesText = properties[processRolesKey] ?? ""
        let roleNames = list(rolesText)
        if roleNames.isEmpty { return nil }
        var roles: [ProcessRole] = []
        for name in roleNames {
            guard let role = ProcessRole(rawValue: name) else {
                throw .invalidValue(
                    key: processRolesKey, value: rolesText,
                    reason: "Unknown process role '\(name)' (only 'broker' and 'controller' are allowed roles)")
            }
            if roles.contains(role) {
                throw .invalidValue(
                    key: processRolesKey, value: rolesText,
                    reason: "Duplicate role names found in `\(processRolesKey)`: \(roleNames.joined(separator: ", "))")
            }
            roles.append(role)
        }
        // node.id falls back to broker.id, as KafkaConfig does; both set and different is an error.
        let nodeText = properties[nodeIdKey]?.trimmingBlanks()
        let brokerText = properties["broker.id"]?.trimmingBlanks()
        guard let idText = nodeText ?? brokerText, !idText.isEmpty else {
            throw .conflict(
                "Missing configuration `\(nodeIdKey)` which is required when `\(processRolesKey)` is defined "
                    + "(i.e. when running in KRaft mode).")
        }
        guard let nodeId = Int32(idText), nodeId >= 0 else {
            throw .invalidValue(key: nodeIdKey, value: idText, reason: "Value must be at least 0")
        }
        if let nodeText, let brokerText, nodeText != brokerText {
            throw .conflict("You must set `\(nodeIdKey)` to the same value as `broker.id`.")
        }
        var voters: [VoterEndpoint] = []
        if let text = properties[QuorumConfig.votersKey], !list(text).isEmpty {
            do {
                voters = try QuorumVoters.parse(text)
            } catch {
                throw .invalidValue(key: QuorumConfig.votersKey, value: text, reason: error.description)
            }
        }
        let quorum: QuorumConfig
        do {
            quorum = try QuorumConfig(properties: properties)
        } catch {
            throw .conflict(error.description)
        }
        let snapshots: SnapshotPolicy
        do {
            snapshots = try SnapshotPolicy(properties: properties)
        } catch {
            throw .conflict(error.description)
        }
        let metadataDir = properties[metadataLogDirKey]?.trimmingBlanks()
        return KRaftConfig(
            processRoles: roles, nodeId: nodeId,
            controllerListenerNames: list(properties[controllerListenerNamesKey] ?? "").map { $0.uppercased() },
            voters: voters, bootstrapServers: list(properties[QuorumConfig.bootstrapServersKey] ?? ""),
            metadataLogDir: metadataDir?.isEmpty == false ? metadataDir : nil, quorum: quorum, snapshots: snapshots)
    }

    /// Kafka's KRaft cross-key rules (`KafkaConfig.validateValues`), with its messages.
    public func validate(listeners: [Endpoint], advertisedListeners: [Endpoint]) throws(ConfigError) {
        if controllerListenerNames.isEmpty {
            throw .conflict(
                "\(Self.controllerListenerNamesKey) must contain at least one value when running in KRaft mode.")
        }
        if voters.isEmpty && bootstrapServers.isEmpty {
            throw .conflict(
                "If using \(Self.processRolesKey), either \(QuorumConfig.bootstrapServersKey) must contain the set of "
                    + "bootstrap controllers or \(QuorumConfig.votersKey) must contain a parseable set of controllers.")
        }
        let voterIds = "{" + voters.map { String($0.id.rawValue) }.joined(separator: ", ") + "}"
        let inVoters = voters.contains { $0.id.rawValue == nodeId }
        let listenerNames = listeners.map(\.listenerName)
        let controllerSet = Set(controllerListenerNames)
        if isController {
            if !voters.isEmpty && !inVoters {
                let which = isBroker ? "contains the 'controller' role" : "contains just the 'controller' role"
                throw .conflict(
                    "If \(Self.processRolesKey) \(which), the node id \(nodeId) must be included in the set of voters "
                        + "\(QuorumConfig.votersKey)=\(voterIds)")
            }
            if !listenerNames.contains(where: controllerSet.contains) {
                throw .conflict(
                    "\(Self.controllerListenerNamesKey) must contain at least one value appearing in the 'listeners' "
                        + "configuration when running the KRaft controller role")
            }
            if !isBroker, let other = listenerNames.first(where: { !controllerSet.contains($0) }) {
                throw .conflict(
                    "The listeners config must only contain KRaft controller listeners from "
                        + "\(Self.controllerListenerNamesKey) when \(Self.processRolesKey)=controller (found \(other))")
            }
        } else {
            if inVoters {
                throw .conflict(
                    "If \(Self.processRolesKey) contains just the 'broker' role, the node id \(nodeId) must not be "
                        + "included in the set of voters \(QuorumConfig.votersKey)=\(voterIds)")
            }
            if let name = listenerNames.first(where: controllerSet.contains) {
                throw .conflict(
                    "Listener with name \(name) defined in \(Self.controllerListenerNamesKey) must not also appear in "
                        + "listeners when \(Self.processRolesKey)=broker")
            }
        }
        if let name = advertisedListeners.map(\.listenerName).first(where: { isBroker && controllerSet.contains($0) }) {
            throw .conflict(
                "The advertised.listeners config must not contain KRaft controller listeners from "
                    + "\(Self.controllerListenerNamesKey) when \(Self.processRolesKey) contains the broker role "
                    + "because Kafka clients that send requests via advertised listeners do not send requests to "
                    + "KRaft controllers -- they only send requests to KRaft brokers (found \(name))")
        }
    }

    /// This node's own `controller.quorum.voters` entry, if it is a voter.
    public var ownVoter: VoterEndpoint? { voters.first { $0.id.rawValue == nodeId } }

    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { String($0).trimmingBlanks() }.filter { !$0.isEmpty }
    }
}

/// The error when both metadata modes are configured; Kafka 3.9 only allows that during a ZooKeeper → KRaft
/// migration (KIP-866), which Needletail does not support.
public let bothMetadataModesMessage =
    "Both process.roles (KRaft mode) and zookeeper.connect (ZooKeeper mode) are set; set exactly one of them "
    + "(migration from ZooKeeper to KRaft, zookeeper.metadata.migration.enable, is not supported)"
