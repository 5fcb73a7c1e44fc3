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
