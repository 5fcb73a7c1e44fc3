import KafkaConfig

/// Kafka's internal topics that the broker creates itself (`Topic.isInternal`), each with its own partition count,
/// replication factor and configs. Whatever asks first (FindCoordinator, a Metadata request naming the topic, an
/// internal writer) creates it through `TopicAdmin.ensureInternal`, never as an ordinary topic: CreateTopics and
/// ordinary auto-creation refuse these names, DeleteTopics refuses them too.
enum InternalTopic: String, CaseIterable, Sendable {
    /// Consumer group offsets and group metadata (`GroupCoordinator.offsetsTopicConfigs`).
    case consumerOffsets = "__consumer_offsets"
    /// Transaction coordinator state (`TransactionLog`, Kafka's `TransactionStateManager` topic configs).
    case transactionState = "__transaction_state"

    init?(name: String) { self.init(rawValue: name) }

    var name: String { rawValue }

    /// The broker settings that shape the topic, named in log lines.
    var partitionsKey: String {
        switch self {
        case .consumerOffsets: "offsets.topic.num.partitions"
        case .transactionState: "transaction.state.log.num.partitions"
        }
    }
    var replicationFactorKey: String {
        switch self {
        case .consumerOffsets: "offsets.topic.replication.factor"
        case .transactionState: "transaction.state.log.replication.factor"
        }
    }

    func partitions(_ config: BrokerConfig) -> Int32 {
        switch self {
        case .consumerOffsets: Int32(clamping: config.offsetsTopicNumPartitions)
        case .transactionState: Int32(clamping: config.transactionStateLogNumPartitions)
        }
    }

    func replicationFactor(_ config: BrokerConfig) -> Int16 {
        switch self {
        case .consumerOffsets: Int16(clamping: config.offsetsTopicReplicationFactor)
        case .transactionState: Int16(clamping: config.transactionStateLogReplicationFactor)
        }
    }

    /// The topic configs Kafka's coordinators create it with.
    func configs(_ config: BrokerConfig) -> [(String, String?)] {
        switch self {
        case .consumerOffsets:
            [
                ("cleanup.policy", "compact"), ("segment.bytes", String(config.offsetsTopicSegmentBytes)),
                ("compression.type", "producer"),
            ]
        case .transactionState:
            [
                ("cleanup.policy", "compact"), ("segment.bytes", String(config.transactionStateLogSegmentBytes)),
                ("compression.type", "uncompressed"), ("unclean.leader.election.enable", "false"),
                ("min.insync.replicas", String(config.transactionStateLogMinIsr)),
            ]
        }
    }

    /// What a user reads when asking for the topic before enough brokers are up (Kafka's wording).
    func shortfallMessage(live: Int, required: Int16) -> String {
        "Number of alive brokers '\(live)' does not meet the required replication factor '\(required)' for the "
            + "\(name) topic (configured via '\(replicationFactorKey)'). This error can be ignored if the cluster is "
            + "starting up and not all brokers are up yet."
    }
}

/// Where an internal topic stands after `TopicAdmin.ensureInternal`.
enum InternalTopicState: Sendable, Equatable {
    /// In the metadata cache: usable.
    case ready
    /// Written to ZooKeeper (now or earlier); the controller has not announced it yet.
    case pending
    /// Fewer live brokers than the topic's replication factor: not created (Kafka does not lower the factor).
    case notEnoughBrokers(live: Int, required: Int16)
    /// The ZooKeeper write failed (logged).
    case failed
}
