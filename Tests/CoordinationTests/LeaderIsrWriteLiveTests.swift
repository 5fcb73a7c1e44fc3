import Testing
import ZooKeeperTestSupport

@testable import Coordination

@Suite(
    "a leader's own ISR write against a real server", .enabled(if: LiveZooKeeper.enabled, "set NEEDLETAIL_TEST_ZK"),
    .timeLimit(.minutes(1)))
struct LeaderIsrWriteLiveTests {
    @Test func theIsrWriteIsConditionalOnThePartitionEpochAndToleratesItsOwnEarlierWrite() async throws {
        try await LiveZooKeeper.withChroot { connect in
            let zk = KafkaZkClient(session: try await ZooKeeperSession.connect(connect))
            try await zk.ensureTopLevelPaths()
            let path = TopicPartitionStateZNode.path("t", 0)
            let initial = LeaderIsrState(leader: 1, leaderEpoch: 3, isr: [1, 2, 3], controllerEpoch: 5)
            try await zk.session.createRecursive(path, data: TopicPartitionStateZNode.encode(initial))
            let shrunk = LeaderIsrState(leader: 1, leaderEpoch: 3, isr: [1, 2], controllerEpoch: 5)
            let v1 = try await zk.updateLeaderAndIsr(topic: "t", partition: 0, shrunk, expectedVersion: 0)
            #expect(v1 == 1)
            // A retry of the same write with the old version finds it already there.
            #expect(try await zk.updateLeaderAndIsr(topic: "t", partition: 0, shrunk, expectedVersion: 0) == 1)
            // Another state in ZooKeeper: the leader must not apply its change.
            let other = LeaderIsrState(leader: 1, leaderEpoch: 3, isr: [1], controllerEpoch: 5)
            await #expect(throws: LeaderIsrConflict.self) {
                _ = try await zk.updateLeaderAndIsr(topic: "t", partition: 0, other, expectedVersion: 0)
            }
            #expect(try await zk.partitionState(topic: "t", partition: 0)?.state == shrunk)
            await #expect(throws: LeaderIsrConflict.self) {
                _ = try await zk.updateLeaderAndIsr(topic: "gone", partition: 0, other, expectedVersion: 0)
            }
            await zk.session.close()
        }
    }
}
