import KafkaProtocol

/// A topic to create. `-1` partitions or replication factor means "the broker's default"; a replica assignment
/// (partition → broker ids) replaces both.
public struct NewTopic: Sendable, Equatable {
    public var name: String
    public var numPartitions: Int32
    public var replicationFactor: Int16
    public var configs: [String: String]
    public var replicaAssignment: [Int32: [Int32]]

    public init(
        name: String, numPartitions: Int32 = -1, replicationFactor: Int16 = -1, configs: [String: String] = [:],
        replicaAssignment: [Int32: [Int32]] = [:]
    ) {
        self.name = name
        self.numPartitions = numPartitions
        self.replicationFactor = replicationFactor
        self.configs = configs
        self.replicaAssignment = replicaAssignment
    }
}

/// What DescribeConfigs and AlterConfigs act on.
public struct ConfigResource: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Int8, Sendable {
        case topic = 2
        case broker = 4
        case brokerLogger = 8
    }

    public var kind: Kind
    /// A topic name, a broker id, or "" for the cluster-wide broker default.
    public var name: String

    public init(_ kind: Kind, _ name: String) {
        self.kind = kind
        self.name = name
    }

    public var description: String {
        switch kind {
        case .topic: "topic \(name)"
        case .broker: name.isEmpty ? "default broker config" : "broker \(name)"
        case .brokerLogger: "broker logger \(name)"
        }
    }
}

/// Where a config value comes from (DescribeConfigs `ConfigSource`).
public enum ConfigSource: Int8, Sendable, CustomStringConvertible {
    case unknown = 0
    case dynamicTopicConfig = 1
    case dynamicBrokerConfig = 2
    case dynamicDefaultBrokerConfig = 3
    case staticBrokerConfig = 4
    case defaultConfig = 5
    case dynamicBrokerLoggerConfig = 6
    case clientMetricsConfig = 7

    /// The Java enum name, as `kafka-configs` prints it.
    public var description: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .dynamicTopicConfig: "DYNAMIC_TOPIC_CONFIG"
        case .dynamicBrokerConfig: "DYNAMIC_BROKER_CONFIG"
        case .dynamicDefaultBrokerConfig: "DYNAMIC_DEFAULT_BROKER_CONFIG"
        case .staticBrokerConfig: "STATIC_BROKER_CONFIG"
        case .defaultConfig: "DEFAULT_CONFIG"
        case .dynamicBrokerLoggerConfig: "DYNAMIC_BROKER_LOGGER_CONFIG"
        case .clientMetricsConfig: "CLIENT_METRICS_CONFIG"
        }
    }
}

/// One described config.
public struct ConfigEntry: Sendable, Equatable {
    public struct Synonym: Sendable, Equatable {
        public var name: String
        public var value: String?
        public var source: ConfigSource
    }

    public var name: String
    public var value: String?
    public var source: ConfigSource
    public var isReadOnly: Bool
    public var isSensitive: Bool
    public var isDefault: Bool
    public var synonyms: [Synonym]
}

/// One IncrementalAlterConfigs operation.
public enum ConfigOperation: Sendable, Equatable {
    case set(String, String)
    case delete(String)
    case append(String, String)
    case subtract(String, String)
}

/// Which offset ListOffsets should find.
public enum OffsetSpec: Sendable, Hashable {
    case earliest
    case latest
    case maxTimestamp
    /// The first offset whose timestamp is at or after this many ms since the epoch.
    case timestamp(Int64)

    var wireTimestamp: Int64 {
        switch self {
        case .earliest: -2
        case .latest: -1
        case .maxTimestamp: -3
        case .timestamp(let t): t
        }
    }
}

/// A ListOffsets answer for one partition. `offset` is -1 when no record matches a timestamp query.
public struct ListedOffset: Sendable, Equatable {
    public var offset: Int64
    public var timestamp: Int64
    public var leaderEpoch: Int32
}

/// One broker's ApiVersions answer.
public struct BrokerApiVersions: Sendable {
    public var broker: BrokerNode
    public var versions: [Int16: ClosedRange<Int16>]
}
