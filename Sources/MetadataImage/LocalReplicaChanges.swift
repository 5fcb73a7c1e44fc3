import KafkaProtocol

/// A partition named by topic id and index.
public struct TopicIdPartition: Sendable, Hashable {
    public var topicId: UUIDValue
    public var partition: Int32

    public init(_ topicId: UUIDValue, _ partition: Int32) {
        self.topicId = topicId
        self.partition = partition
    }
}

/// What one broker must do to its replicas after the image moved from `old` to `new`: Kafka's
/// `TopicsDelta.localChanges(brokerId)` and `LocalReplicaChanges`, which a KRaft broker applies where a
/// ZooKeeper-mode broker acts on LeaderAndIsr and StopReplica.
public struct LocalReplicaChanges: Sendable, Equatable {
    /// Partitions this broker now leads, or leads in a new leader epoch.
    public var leaders: [TopicIdPartition: PartitionImage] = [:]
    /// Partitions this broker now follows, or follows under a new leader or leader epoch.
    public var followers: [TopicIdPartition: PartitionImage] = [:]
    /// Partitions whose replica this broker no longer hosts (the topic was removed or the broker reassigned away),
    /// with the topic name the local log directory is named after.
    public var deletes: [TopicIdPartition: String] = [:]
    /// Topic names by id for the partitions in `leaders` and `followers`.
    public var topicNames: [UUIDValue: String] = [:]

    public init() {}

    public var isEmpty: Bool { leaders.isEmpty && followers.isEmpty && deletes.isEmpty }

    public init(from old: MetadataImage, to new: MetadataImage, brokerId: Int32) {
        for (id, oldTopic) in old.topics {
            for (pid, oldPartition) in oldTopic.partitions where oldPartition.replicas.contains(brokerId) {
                let now = new.topics[id]?.partitions[pid]
                if now == nil || !now!.replicas.contains(brokerId) {
                    deletes[TopicIdPartition(id, pid)] = oldTopic.name
                }
            }
        }
        for (id, topic) in new.topics {
            for (pid, p) in topic.partitions where p.replicas.contains(brokerId) {
                let before = old.topics[id]?.partitions[pid]
                let key = TopicIdPartition(id, pid)
                if p.leader == brokerId {
                    if before == nil || before!.leader != brokerId || before!.leaderEpoch != p.leaderEpoch
                        || !before!.replicas.contains(brokerId)
                    {
                        leaders[key] = p
                        topicNames[id] = topic.name
                    }
                } else if before == nil || before!.leader != p.leader || before!.leaderEpoch != p.leaderEpoch
                    || !before!.replicas.contains(brokerId)
                {
                    followers[key] = p
                    topicNames[id] = topic.name
                }
            }
        }
    }
}
