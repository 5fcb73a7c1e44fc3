import Foundation
import KafkaRecords
import TestSupport
import Testing

@testable import LogStorage

/// A transactional batch of `count` records from producer `pid`.
func transactionalBatch(pid: Int64 = 7, epoch: Int16 = 0, sequence: Int32, count: Int = 2, key: String? = nil)
    throws -> [UInt8]
{
    var b = RecordBatchBuilder(producerId: pid, producerEpoch: epoch, baseSequence: sequence, isTransactional: true)
    for i in 0..<count { b.append(timestamp: 1_000, key: key.map { Array($0.utf8) }, value: Array("v\(i)".utf8)) }
    return try b.build()
}

/// A COMMIT or ABORT control batch, as WriteTxnMarkers makes the leader write.
func markerBatch(pid: Int64 = 7, epoch: Int16 = 0, commit: Bool, coordinatorEpoch: Int32 = 0) throws -> [UInt8] {
    try ControlRecord(type: commit ? .commit : .abort, coordinatorEpoch: coordinatorEpoch)
        .batch(producerId: pid, producerEpoch: epoch, timestamp: 1_000)
}

@Suite("Transactions on the partition: producer state, LSO and the aborted index")
struct TransactionStateTests {
    private func openLog(_ dir: TempDir, config: LogConfig = LogConfig()) throws -> (LogManager, PartitionLog) {
        let manager = try makeManager(dir, config: config, clock: TestClock())
        return (manager, try manager.getOrCreateLog(topic: "t", partition: 0))
    }

    @Test("an open transaction holds the LSO at its first offset until its marker is below the high watermark")
    func lsoFollowsOpenTransactions() throws {
        let dir = TempDir()
        let (_, log) = try openLog(dir)
        _ = try log.appendAsLeader(makeBatch(count: 3), leaderEpoch: 0, now: 0)  // 0-2, plain
        _ = try log.appendAsLeader(transactionalBatch(sequence: 0), leaderEpoch: 0, now: 0)  // 3-4
        _ = try log.appendAsLeader(transactionalBatch(pid: 8, sequence: 0), leaderEpoch: 0, now: 0)  // 5-6
        log.highWatermark = log.logEndOffset
        #expect(log.lastStableOffset == 3)
        #expect(log.producerStateEntry(producerId: 7)?.currentTxnFirstOffset == 3)
        _ = try log.appendAsLeader(markerBatch(commit: true), leaderEpoch: 0, now: 0)  // 7
        // The marker is not replicated yet: the committed transaction still holds the LSO.
        #expect(log.lastStableOffset == 3)
        log.highWatermark = log.logEndOffset
        #expect(log.lastStableOffset == 5)
        _ = try log.appendAsLeader(markerBatch(pid: 8, commit: false), leaderEpoch: 0, now: 0)  // 8
        log.highWatermark = log.logEndOffset
        #expect(log.lastStableOffset == 9)
        #expect(log.producerStateEntry(producerId: 7)?.currentTxnFirstOffset == -1)
    }

    @Test("an open transaction whose first batches were deleted holds the LSO at the log start")
    func lsoNotBelowLogStart() throws {
        let dir = TempDir()
        let (_, log) = try openLog(dir)
        _ = try log.appendAsLeader(transactionalBatch(sequence: 0), leaderEpoch: 0, now: 0)  // 0-1, open
        _ = try log.appendAsLeader(makeBatch(count: 2), leaderEpoch: 0, now: 0)  // 2-3
        log.highWatermark = log.logEndOffset
        #expect(log.lastStableOffset == 0)
        try log.deleteRecords(before: 2)
        #expect(log.lastStableOffset == 2)
    }

    @Test("without transactions the LSO is the high watermark")
    func lsoWithoutTransactions() throws {
        let dir = TempDir()
        let (_, log) = try openLog(dir)
        _ = try log.appendAsLeader(makeBatch(count: 4), leaderEpoch: 0, now: 0)
        log.highWatermark = 2
        #expect(log.lastStableOffset == 2)
    }

    @Test("an abort writes a 34-byte entry to the segment's .txnindex, created only then")
    func abortWritesTxnIndex() throws {
        let dir = TempDir()
        let (_, log) = try openLog(dir)
        let path = dir.path + "/t-0/00000000000000000000.txnindex"
        _ = try log.appendAsLeader(transactionalBatch(sequence: 0), leaderEpoch: 0, now: 0)  // 0-1
        _ = try log.appendAsLeader(markerBatch(commit: true), leaderEpoch: 0, now: 0)  // 2
        #expect(!FileManager.default.fileExists(atPath: path))
        _ = try log.appendAsLeader(transactionalBatch(pid: 9, sequence: 0), leaderEpoch: 0, now: 0)  // 3-4
        _ = try log.appendAsLeader(transactionalBatch(sequence: 2), leaderEpoch: 0, now: 0)  // 5-6, pid 7 again
        _ = try log.appendAsLeader(markerBatch(commit: false), leaderEpoch: 0, now: 0)  // 7 aborts pid 7 (5-7)
        let bytes = try #require(FileManager.default.contents(atPath: path)).map { $0 }
        #expect(
            bytes
                == [0, 0]  // version 0
                + [0, 0, 0, 0, 0, 0, 0, 7]  // producerId
                + [0, 0, 0, 0, 0, 0, 0, 5]  // firstOffset
                + [0, 0, 0, 0, 0, 0, 0, 7]  // lastOffset (the marker)
                + [0, 0, 0, 0, 0, 0, 0, 3])  // lastStableOffset: pid 9's transaction is still open
        #expect(
            try TransactionIndexFormat.decode(bytes) == [
                AbortedTransaction(producerId: 7, firstOffset: 5, lastOffset: 7, lastStableOffset: 3)
            ])
        #expect(log.abortedTransactions(from: 0, upTo: 8).map(\.producerId) == [7])
        #expect(log.abortedTransactions(from: 0, upTo: 5).isEmpty)
        #expect(log.abortedTransactions(from: 8, upTo: 100).isEmpty)
    }

    @Test("a marker from an older coordinator epoch is fenced, one from an older producer epoch is invalid")
    func markerFencing() throws {
        let dir = TempDir()
        let (_, log) = try openLog(dir)
        _ = try log.appendAsLeader(transactionalBatch(epoch: 2, sequence: 0), leaderEpoch: 0, now: 0)
        _ = try log.appendAsLeader(markerBatch(epoch: 2, commit: true, coordinatorEpoch: 5), leaderEpoch: 0, now: 0)
        #expect(throws: LogError.transactionCoordinatorFenced(producerId: 7, current: 5, received: 4)) {
            try log.appendAsLeader(markerBatch(epoch: 2, commit: false, coordinatorEpoch: 4), leaderEpoch: 0, now: 0)
        }
        #expect(throws: LogError.invalidProducerEpoch(producerId: 7, current: 2, received: 1)) {
            try log.appendAsLeader(markerBatch(epoch: 1, commit: false, coordinatorEpoch: 6), leaderEpoch: 0, now: 0)
        }
        #expect(throws: LogError.invalidProducerEpoch(producerId: 7, current: 2, received: 1)) {
            try log.appendAsLeader(transactionalBatch(epoch: 1, sequence: 0), leaderEpoch: 0, now: 0)
        }
        #expect(log.producerStateEntry(producerId: 7)?.coordinatorEpoch == 5)
    }

    @Test(
        "KIP-890 part 1: a transactional batch opens a transaction only with the producer's current verification guard"
    )
    func verificationGuard() throws {
        let dir = TempDir()
        let (_, log) = try openLog(dir)
        // Not verified (0) and no open transaction: refused.
        #expect(throws: LogError.invalidTxnState(producerId: 7)) {
            try log.appendAsLeader(transactionalBatch(sequence: 0), leaderEpoch: 0, now: 0, verificationGuard: 0)
        }
        // Verified: opens the transaction; later batches of the open transaction need no guard.
        let first = log.transactionVerificationGuard(producerId: 7)
        _ = try log.appendAsLeader(transactionalBatch(sequence: 0), leaderEpoch: 0, now: 0, verificationGuard: first)
        _ = try log.appendAsLeader(transactionalBatch(sequence: 2), leaderEpoch: 0, now: 0, verificationGuard: 0)
        // A guard taken before the marker is void after it: a late batch cannot open a transaction nobody knows.
        let stale = log.transactionVerificationGuard(producerId: 7)
        _ = try log.appendAsLeader(markerBatch(commit: true), leaderEpoch: 0, now: 0)
        #expect(throws: LogError.invalidTxnState(producerId: 7)) {
            try log.appendAsLeader(transactionalBatch(sequence: 4), leaderEpoch: 0, now: 0, verificationGuard: stale)
        }
        #expect(log.producerStateEntry(producerId: 7)?.currentTxnFirstOffset == -1)
        let fresh = log.transactionVerificationGuard(producerId: 7)
        #expect(fresh != stale)
        _ = try log.appendAsLeader(transactionalBatch(sequence: 4), leaderEpoch: 0, now: 0, verificationGuard: fresh)
        #expect(log.producerStateEntry(producerId: 7)?.currentTxnFirstOffset == 5)
        // Without a guard (verification off, or the coordinator's own batches) nothing changes.
        _ = try log.appendAsLeader(markerBatch(commit: false), leaderEpoch: 0, now: 0)
        _ = try log.appendAsLeader(transactionalBatch(sequence: 6), leaderEpoch: 0, now: 0)
    }

    @Test("a read-committed read stops at the LSO and knows the data's aborted transactions")
    func readCommittedRange() throws {
        let dir = TempDir()
        let (_, log) = try openLog(dir)
        _ = try log.appendAsLeader(transactionalBatch(sequence: 0), leaderEpoch: 0, now: 0)  // 0-1
        _ = try log.appendAsLeader(markerBatch(commit: false), leaderEpoch: 0, now: 0)  // 2
        _ = try log.appendAsLeader(transactionalBatch(sequence: 2), leaderEpoch: 0, now: 0)  // 3-4 open
        log.highWatermark = log.logEndOffset
        let read = try log.read(from: 0, maxBytes: 1 << 20, upTo: log.lastStableOffset, minOneBatch: true)
        #expect(read.lastStableOffset == 3)
        #expect(read.nextOffset == 3)
        #expect(headers(in: try log.readBytes(from: 0, maxBytes: 1 << 20, upTo: 3)).map(\.baseOffset) == [0, 2])
        #expect(
            log.abortedTransactions(from: 0, upTo: read.nextOffset)
                == [AbortedTransaction(producerId: 7, firstOffset: 0, lastOffset: 2, lastStableOffset: 3)])
    }

    @Test("truncation drops aborted-index entries at and after the cut and rewinds open transactions")
    func truncation() throws {
        let dir = TempDir()
        let (_, log) = try openLog(dir)
        _ = try log.appendAsLeader(transactionalBatch(sequence: 0), leaderEpoch: 0, now: 0)  // 0-1
        _ = try log.appendAsLeader(markerBatch(commit: false), leaderEpoch: 0, now: 0)  // 2
        _ = try log.appendAsLeader(transactionalBatch(sequence: 2), leaderEpoch: 0, now: 0)  // 3-4
        _ = try log.appendAsLeader(markerBatch(commit: false), leaderEpoch: 0, now: 0)  // 5
        #expect(log.abortedTransactions(from: 0, upTo: 100).count == 2)
        try log.truncate(to: 5)
        #expect(log.abortedTransactions(from: 0, upTo: 100).map(\.lastOffset) == [2])
        let bytes = try #require(FileManager.default.contents(atPath: dir.path + "/t-0/00000000000000000000.txnindex"))
        #expect(bytes.count == TransactionIndexFormat.entrySize)
        log.highWatermark = log.logEndOffset
        #expect(log.lastStableOffset == 3)  // the second transaction is open again
    }

    @Test("after a crash the open transactions, the LSO and the aborted index are rebuilt from the log")
    func crashRecovery() throws {
        let dir = TempDir()
        do {
            let (_, log) = try openLog(dir)
            _ = try log.appendAsLeader(transactionalBatch(sequence: 0), leaderEpoch: 0, now: 0)  // 0-1
            _ = try log.appendAsLeader(markerBatch(commit: false, coordinatorEpoch: 3), leaderEpoch: 0, now: 0)  // 2
            _ = try log.appendAsLeader(transactionalBatch(pid: 8, sequence: 0), leaderEpoch: 0, now: 0)  // 3-4 open
            log.highWatermark = log.logEndOffset
            // No shutdown: the manager is dropped as a kill -9 would. The index file is lost too.
        }
        try FileManager.default.removeItem(atPath: dir.path + "/t-0/00000000000000000000.txnindex")
        let manager = try makeManager(dir, clock: TestClock())
        let log = try #require(manager.log(topic: "t", partition: 0))
        #expect(!log.loadInfo.hadCleanShutdown)
        log.highWatermark = log.logEndOffset
        #expect(log.lastStableOffset == 3)
        #expect(log.producerStateEntry(producerId: 7)?.coordinatorEpoch == 3)
        #expect(log.producerStateEntry(producerId: 8)?.currentTxnFirstOffset == 3)
        #expect(
            log.abortedTransactions(from: 0, upTo: 100)
                == [AbortedTransaction(producerId: 7, firstOffset: 0, lastOffset: 2, lastStableOffset: 3)])
        #expect(FileManager.default.fileExists(atPath: dir.path + "/t-0/00000000000000000000.txnindex"))
    }

    @Test("a clean shutdown keeps open transactions in the producer snapshot (v1 txn fields)")
    func snapshotCarriesTransactions() throws {
        let dir = TempDir()
        do {
            let (manager, log) = try openLog(dir)
            _ = try log.appendAsLeader(transactionalBatch(sequence: 0), leaderEpoch: 0, now: 0)  // 0-1
            _ = try log.appendAsLeader(markerBatch(commit: true, coordinatorEpoch: 4), leaderEpoch: 0, now: 0)  // 2
            _ = try log.appendAsLeader(transactionalBatch(sequence: 2), leaderEpoch: 0, now: 0)  // 3-4 open
            log.highWatermark = log.logEndOffset
            try manager.shutdown()
        }
        let snapshot = try #require(
            FileManager.default.contents(atPath: dir.path + "/t-0/00000000000000000005.snapshot"))
        let entries = try ProducerSnapshotFormat.decode(Array(snapshot)).entries
        #expect(entries.count == 1)
        #expect(entries.first?.coordinatorEpoch == 4)
        #expect(entries.first?.currentTxnFirstOffset == 3)
        let manager = try makeManager(dir, clock: TestClock())
        let log = try #require(manager.log(topic: "t", partition: 0))
        #expect(log.loadInfo.hadCleanShutdown)
        log.highWatermark = log.logEndOffset
        #expect(log.lastStableOffset == 3)
    }

    @Test("a follower derives the leader's open transactions and aborted index from the replicated batches")
    func followerReplay() throws {
        let leaderDir = TempDir()
        let (_, leader) = try openLog(leaderDir)
        _ = try leader.appendAsLeader(transactionalBatch(sequence: 0), leaderEpoch: 0, now: 0)
        _ = try leader.appendAsLeader(markerBatch(commit: false), leaderEpoch: 0, now: 0)
        _ = try leader.appendAsLeader(transactionalBatch(pid: 8, sequence: 0), leaderEpoch: 0, now: 0)
        let followerDir = TempDir()
        let (_, follower) = try openLog(followerDir)
        try follower.appendAsFollower(try leader.readBytes(from: 0, maxBytes: 1 << 20))
        follower.highWatermark = follower.logEndOffset
        #expect(follower.lastStableOffset == 3)
        #expect(follower.abortedTransactions(from: 0, upTo: 100) == leader.abortedTransactions(from: 0, upTo: 100))
    }

    @Test("compaction discards aborted transactions, so a committed value outlives a later aborted one")
    func cleanerDropsAbortedData() throws {
        let dir = TempDir()
        let clock = TestClock()
        var config = LogConfig(fileDeleteDelayMs: 0, cleanupPolicy: .compact)
        config.compaction = .init(deleteRetentionMs: 60_000, minCleanableDirtyRatio: 0)
        let manager = try makeManager(dir, config: config, clock: clock)
        let log = try manager.getOrCreateLog(topic: "t", partition: 0)
        _ = try log.appendAsLeader(transactionalBatch(sequence: 0, count: 1, key: "k"), leaderEpoch: 0, now: 0)  // 0
        _ = try log.appendAsLeader(markerBatch(commit: true), leaderEpoch: 0, now: 0)  // 1
        _ = try log.appendAsLeader(transactionalBatch(pid: 8, sequence: 0, count: 1, key: "k"), leaderEpoch: 0, now: 0)
        _ = try log.appendAsLeader(markerBatch(pid: 8, commit: false), leaderEpoch: 0, now: 0)  // 3
        _ = try log.appendAsLeader(transactionalBatch(sequence: 1, count: 1, key: "other"), leaderEpoch: 0, now: 0)
        _ = try log.appendAsLeader(markerBatch(commit: true), leaderEpoch: 0, now: 0)  // 5
        try log.roll()
        log.highWatermark = log.logEndOffset
        let stats = manager.cleanLogs(now: clock.now)
        #expect(stats.failures.isEmpty)
        var kept: [(Int64, String?)] = []
        for entry in try RecordBatchIterator.batches(in: try log.readBytes(from: 0, maxBytes: 1 << 20)).entries
        where !entry.header.isControl {
            let bytes = try log.readBytes(from: entry.header.baseOffset, maxBytes: 1 << 20)
            let batch = try RecordBatch(parsing: bytes)
            for r in batch.records {
                kept.append((batch.offset(of: r), r.key.map { String(decoding: $0, as: UTF8.self) }))
            }
        }
        // Offset 0 (committed "k") stays; offset 2 (aborted "k") is gone.
        #expect(kept.map(\.0) == [0, 4])
    }

    @Test("the cleaner never plans to clean at or past the LSO")
    func cleanerStopsAtLso() throws {
        let dir = TempDir()
        var config = LogConfig(fileDeleteDelayMs: 0, cleanupPolicy: .compact)
        config.compaction = .init(deleteRetentionMs: 60_000, minCleanableDirtyRatio: 0)
        let (_, log) = try openLog(dir, config: config)
        _ = try log.appendAsLeader(makeBatch(count: 2), leaderEpoch: 0, now: 0)  // 0-1
        try log.roll()
        _ = try log.appendAsLeader(transactionalBatch(sequence: 0, key: "k"), leaderEpoch: 0, now: 0)  // 2-3 open
        try log.roll()
        _ = try log.appendAsLeader(makeBatch(count: 2), leaderEpoch: 0, now: 0)  // 4-5
        try log.roll()
        log.highWatermark = log.logEndOffset
        #expect(log.lastStableOffset == 2)
        let plan = try #require(log.cleaningPlan(checkpoint: nil, now: 0))
        #expect(plan.firstUncleanableOffset == 2)
        #expect(plan.segments.map(\.baseOffset) == [0])
    }
}
