/// The partition state znode holds another leader/ISR than the one a leader tried to write.
public struct LeaderIsrConflict: Error, Sendable, Equatable {
    /// What ZooKeeper holds (nil when the state znode is gone).
    public var stored: PartitionStateRecord?

    public init(stored: PartitionStateRecord?) {
        self.stored = stored
    }
}

extension KafkaZkClient {
    /// A partition leader's own ISR change (Kafka's ZK-mode path, `ReplicationUtils.updateLeaderAndIsr`): an
    /// unfenced conditional setData of `/brokers/topics/<t>/partitions/<p>/state` against `expectedVersion` (the
    /// zkVersion the leader got as partition epoch). Returns the new zkVersion.
    ///
    /// On BADVERSION the state is re-read: if it already equals `state` (an earlier attempt went through, or the
    /// controller wrote the same) that version is returned; otherwise `LeaderIsrConflict` is thrown and the leader
    /// keeps its ISR until a new LeaderAndIsr arrives. Connection failures throw `ZooKeeperError`.
    public func updateLeaderAndIsr(topic: String, partition: Int32, _ state: LeaderIsrState, expectedVersion: Int32)
        async throws -> Int32
    {
        let path = TopicPartitionStateZNode.path(topic, partition)
        do {
            let stat = try await session.set(
                path, data: TopicPartitionStateZNode.encode(state), version: expectedVersion)
            return stat.version
        } catch ZooKeeperError.badVersion {
            let stored = try await partitionState(topic: topic, partition: partition)
            if let stored, stored.state == state { return stored.zkVersion }
            throw LeaderIsrConflict(stored: stored)
        } catch ZooKeeperError.noNode {
            throw LeaderIsrConflict(stored: nil)
        }
    }
}
