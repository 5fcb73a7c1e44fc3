import KafkaRecords
import TestSupport
import Testing

@testable import LogStorage

@Suite("Unsequenced transactional batches: the group coordinator's transactional offset commits")
struct CoordinatorTransactionalBatchTests {
    @Test("batches without a sequence open the producer's transaction in every epoch; older epochs stay fenced")
    func unsequencedBatchesOpenTransactions() throws {
        let dir = TempDir()
        let manager = try makeManager(dir, config: LogConfig(), clock: TestClock())
        let log = try manager.getOrCreateLog(topic: "__consumer_offsets", partition: 0)
        _ = try log.appendAsLeader(transactionalBatch(epoch: 1, sequence: -1, count: 1), leaderEpoch: 0, now: 0)  // 0
        _ = try log.appendAsLeader(transactionalBatch(epoch: 1, sequence: -1, count: 1), leaderEpoch: 0, now: 0)  // 1
        log.highWatermark = log.logEndOffset
        #expect(log.lastStableOffset == 0)
        _ = try log.appendAsLeader(markerBatch(epoch: 1, commit: true), leaderEpoch: 0, now: 0)  // 2
        _ = try log.appendAsLeader(transactionalBatch(epoch: 2, sequence: -1, count: 1), leaderEpoch: 0, now: 0)  // 3
        log.highWatermark = log.logEndOffset
        #expect(log.lastStableOffset == 3)
        #expect(throws: LogError.self) {
            try log.appendAsLeader(transactionalBatch(epoch: 1, sequence: -1, count: 1), leaderEpoch: 0, now: 0)
        }
    }
}
