import KafkaProtocol

/// A topic and partition index.
public struct TopicPartition: Sendable, Hashable, CustomStringConvertible, Comparable {
    public var topic: String
    public var partition: Int32

    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)-\(partition)" }

    public static func < (a: TopicPartition, b: TopicPartition) -> Bool {
        (a.topic, a.partition) < (b.topic, b.partition)
    }
}

/// A broker as the cluster advertises it.
public struct BrokerNode: Sendable, Hashable {
    public var id: Int32
    public var host: String
    public var port: Int
    public var rack: String?

    public var address: BrokerAddress { BrokerAddress(host: host, port: port) }
}

/// One partition's leadership as Metadata reports it.
public struct PartitionMetadata: Sendable, Equatable {
    public var partition: Int32
    /// -1 when the partition has no leader right now.
    public var leader: Int32
    public var leaderEpoch: Int32
    public var replicas: [Int32]
    public var isr: [Int32]
    public var offlineReplicas: [Int32]
    /// Non-zero when the broker reported an error for this partition (e.g. LEADER_NOT_AVAILABLE).
    public var errorCode: Int16
}

/// One topic as Metadata reports it.
public struct TopicMetadata: Sendable, Equatable {
    public var name: String
    public var topicId: UUIDValue
    public var isInternal: Bool
    public var partitions: [PartitionMetadata]
    public var errorCode: Int16

    public var replicationFactor: Int { partitions.first?.replicas.count ?? 0 }
}

/// A snapshot of the cluster: brokers, controller and the topics asked for.
public struct ClusterMetadata: Sendable {
    public var clusterId: String?
    public var controllerId: Int32
    public var brokers: [Int32: BrokerNode]
    public var topics: [String: TopicMetadata]

    init(_ response: MetadataResponse) {
        clusterId = response.clusterId
        controllerId = response.controllerId
        var brokers: [Int32: BrokerNode] = [:]
        for b in response.brokers {
            brokers[b.nodeId] = BrokerNode(id: b.nodeId, host: b.host, port: Int(b.port), rack: b.rack)
        }
        self.brokers = brokers
        var topics: [String: TopicMetadata] = [:]
        for t in response.topics {
            guard let name = t.name else { continue }
            topics[name] = TopicMetadata(
                name: name, topicId: t.topicId, isInternal: t.isInternal,
                partitions: t.partitions.map {
                    PartitionMetadata(
                        partition: $0.partitionIndex, leader: $0.leaderId, leaderEpoch: $0.leaderEpoch,
                        replicas: $0.replicaNodes, isr: $0.isrNodes, offlineReplicas: $0.offlineReplicas,
                        errorCode: $0.errorCode)
                }.sorted { $0.partition < $1.partition },
                errorCode: t.errorCode)
        }
        self.topics = topics
    }

    /// The leader of a partition, or nil when unknown or leaderless.
    public func leader(of tp: TopicPartition) -> Int32? {
        guard let p = topics[tp.topic]?.partitions.first(where: { $0.partition == tp.partition }), p.leader >= 0
        else { return nil }
        return p.leader
    }
}

/// Grouping of partitions by their current leader: the routing step of the producer, the consumer and the
/// leader-bound admin calls. Pure, so the rules are unit-tested.
public enum LeaderRoute {
    /// Why a partition cannot be routed right now.
    public enum Miss: Error, Sendable, Equatable {
        /// The topic is not in the view (not created yet, deleted, or not asked for).
        case unknownTopic(String)
        /// The topic exists but has no such partition.
        case noSuchPartition(TopicPartition, partitionCount: Int)
        /// No leader, or a leader that is not among the live brokers (it just died; an election is pending).
        case noLeader(TopicPartition)
    }

    /// Each partition's leader, or the first partition that cannot be routed.
    public static func resolve(
        _ partitions: some Collection<TopicPartition>, topics: [String: TopicMetadata], liveBrokers: Set<Int32>
    ) -> Result<[Int32: [TopicPartition]], Miss> {
        var out: [Int32: [TopicPartition]] = [:]
        for tp in partitions {
            guard let t = topics[tp.topic], t.errorCode != ErrorCode.unknownTopicOrPartition.rawValue else {
                return .failure(.unknownTopic(tp.topic))
            }
            guard let p = t.partitions.first(where: { $0.partition == tp.partition }) else {
                return .failure(.noSuchPartition(tp, partitionCount: t.partitions.count))
            }
            guard p.leader >= 0, liveBrokers.isEmpty || liveBrokers.contains(p.leader) else {
                return .failure(.noLeader(tp))
            }
            out[p.leader, default: []].append(tp)
        }
        return .success(out)
    }

    /// `resolve` when everything routes, else nil (the caller refreshes metadata).
    public static func group(
        _ partitions: some Collection<TopicPartition>, topics: [String: TopicMetadata], liveBrokers: Set<Int32>
    ) -> [Int32: [TopicPartition]]? {
        if case .success(let r) = resolve(partitions, topics: topics, liveBrokers: liveBrokers) { return r }
        return nil
    }

    /// The client error for a miss: retriable for a missing topic (briefly after creation) and a missing leader.
    public static func error(for miss: Miss) -> KafkaClientError {
        switch miss {
        case .unknownTopic(let topic):
            .kafka(code: .unknownTopicOrPartition, message: nil, context: "topic \(topic)")
        case .noSuchPartition(let tp, let count):
            .invalidArgument("partition \(tp) does not exist (topic has \(count) partitions)")
        case .noLeader(let tp):
            .kafka(code: .leaderNotAvailable, message: nil, context: "partition \(tp)")
        }
    }
}
