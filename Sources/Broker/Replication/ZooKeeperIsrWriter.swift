import Coordination
import LogStorage
import Logging
import Replication

/// The `LeaderIsrWriter` port in ZooKeeper (Kafka's `ReplicaManager` ISR updates): the conditional state-znode write and the batched
/// `/isr_change_notification`.
struct ZooKeeperIsrWriter: LeaderIsrWriter {
    let zk: KafkaZkClient
    let logger: Logger

    func write(_ proposal: Partition.IsrProposal) async -> Partition.IsrWriteResult {
        let state = LeaderIsrState(
            leader: proposal.leader, leaderEpoch: proposal.leaderEpoch, isr: proposal.newIsr,
            controllerEpoch: proposal.controllerEpoch)
        do {
            let version = try await zk.updateLeaderAndIsr(
                topic: proposal.topic, partition: proposal.partition, state,
                expectedVersion: proposal.expectedZkVersion)
            return .written(zkVersion: version)
        } catch let conflict as LeaderIsrConflict {
            logger.info(
                "[Partition \(proposal.topic)-\(proposal.partition)] ISR update to \(proposal.newIsr) found another state in ZooKeeper (\(String(describing: conflict.stored))); waiting for LeaderAndIsr"
            )
            return .conflict
        } catch {
            logger.warning("[Partition \(proposal.topic)-\(proposal.partition)] ISR update failed: \(error)")
            return .failed
        }
    }

    func publish(_ changed: [TopicPartition]) async -> Bool {
        do {
            try await zk.createIsrChangeNotification(
                changed.map { ZkTopicPartition(topic: $0.topic, partition: $0.partition) })
            return true
        } catch {
            logger.warning("ISR change notification failed: \(error)")
            return false
        }
    }
}
