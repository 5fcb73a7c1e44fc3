import KRaft
import Testing

@Suite("Snapshot triggers and metadata log retention")
struct SnapshotPolicyTests {
    static func held(_ offset: Int64, size: Int64, at timestamp: Int64) -> SnapshotPolicy.HeldSnapshot {
        .init(id: OffsetAndEpoch(offset: offset, epoch: 1), sizeInBytes: size, lastContainedLogTimestamp: timestamp)
    }

    @Test("the keys carry Kafka's defaults and names")
    func defaults() throws {
        let policy = try SnapshotPolicy(properties: [:])
        #expect(policy.maxBytesBetweenSnapshots == 20_971_520)
        #expect(policy.maxIntervalMs == 3_600_000)
        #expect(policy.retentionBytes == 104_857_600)
        #expect(policy.retentionMs == 604_800_000)
        let set = try SnapshotPolicy(properties: [
            "metadata.log.max.record.bytes.between.snapshots": "4096", "metadata.log.max.snapshot.interval.ms": "0",
            "metadata.max.retention.bytes": "-1", "metadata.max.retention.ms": "60000",
        ])
        #expect(set.maxBytesBetweenSnapshots == 4096 && set.maxIntervalMs == 0)
        #expect(set.retentionBytes == -1 && set.retentionMs == 60_000)
        #expect(throws: QuorumConfigError.self) {
            try SnapshotPolicy(properties: ["metadata.log.max.record.bytes.between.snapshots": "0"])
        }
        #expect(throws: QuorumConfigError.self) {
            try SnapshotPolicy(properties: ["metadata.log.max.snapshot.interval.ms": "soon"])
        }
    }

    @Test("a snapshot is due after enough record bytes, or after the interval when anything is new")
    func triggers() {
        var policy = SnapshotPolicy()
        policy.maxBytesBetweenSnapshots = 100
        policy.maxIntervalMs = 1_000
        #expect(!policy.shouldSnapshot(bytesSinceLast: 99, lastSnapshotAt: 0, now: 999))
        #expect(policy.shouldSnapshot(bytesSinceLast: 100, lastSnapshotAt: 0, now: 1))
        #expect(policy.shouldSnapshot(bytesSinceLast: 1, lastSnapshotAt: 0, now: 1_000))
        #expect(!policy.shouldSnapshot(bytesSinceLast: 0, lastSnapshotAt: 0, now: 5_000))
        policy.maxIntervalMs = 0
        #expect(!policy.shouldSnapshot(bytesSinceLast: 1, lastSnapshotAt: 0, now: 50_000))
    }

    @Test("the latest snapshot is never deleted: one snapshot keeps the whole log")
    func keepsOneSnapshot() {
        var policy = SnapshotPolicy()
        policy.retentionBytes = 0
        policy.retentionMs = 0
        #expect(policy.snapshotToDeleteBefore(snapshots: [], logSizeInBytes: 1 << 30, now: 1 << 40) == nil)
        #expect(
            policy.snapshotToDeleteBefore(
                snapshots: [Self.held(10, size: 5, at: 0)], logSizeInBytes: 1 << 30, now: 1 << 40)
                == nil)
    }

    @Test("over metadata.max.retention.bytes the log starts at the next snapshot until it fits")
    func retentionBytes() {
        var policy = SnapshotPolicy()
        policy.retentionMs = -1
        policy.retentionBytes = 1_000
        let snapshots = [
            Self.held(10, size: 300, at: 0), Self.held(20, size: 300, at: 0), Self.held(30, size: 300, at: 0),
        ]
        // 500 + 900 > 1000: dropping the first (→ 1100) is not enough, dropping the second (→ 800) is.
        #expect(
            policy.snapshotToDeleteBefore(snapshots: snapshots, logSizeInBytes: 500, now: 0)
                == OffsetAndEpoch(offset: 30, epoch: 1))
        #expect(
            policy.snapshotToDeleteBefore(snapshots: snapshots, logSizeInBytes: 200, now: 0)
                == OffsetAndEpoch(offset: 20, epoch: 1))
        #expect(policy.snapshotToDeleteBefore(snapshots: snapshots, logSizeInBytes: 100, now: 0) == nil)
        policy.retentionBytes = -1
        #expect(policy.snapshotToDeleteBefore(snapshots: snapshots, logSizeInBytes: 1 << 40, now: 0) == nil)
    }

    @Test("a snapshot older than metadata.max.retention.ms goes with the log below the next one")
    func retentionMs() {
        var policy = SnapshotPolicy()
        policy.retentionBytes = -1
        policy.retentionMs = 1_000
        let snapshots = [
            Self.held(10, size: 1, at: 0), Self.held(20, size: 1, at: 5_000), Self.held(30, size: 1, at: 9_000),
        ]
        #expect(policy.snapshotToDeleteBefore(snapshots: snapshots, logSizeInBytes: 0, now: 1_000) == nil)
        #expect(
            policy.snapshotToDeleteBefore(snapshots: snapshots, logSizeInBytes: 0, now: 1_001)
                == OffsetAndEpoch(offset: 20, epoch: 1))
        // Even when every snapshot is old, the latest stays.
        #expect(
            policy.snapshotToDeleteBefore(snapshots: snapshots, logSizeInBytes: 0, now: 100_000)
                == OffsetAndEpoch(offset: 30, epoch: 1))
    }
}
