import Foundation
import KafkaRecords
import TestSupport
import Testing

@testable import LogStorage

/// One record per batch, keyed; nil value = tombstone.
private func keyed(
    _ key: String, _ value: String?, timestamp: Int64 = 1_000, producerId: Int64 = -1, sequence: Int32 = -1
)
    -> [UInt8]
{
    var b = RecordBatchBuilder(producerId: producerId, producerEpoch: producerId >= 0 ? 0 : -1, baseSequence: sequence)
    b.append(timestamp: timestamp, key: Array(key.utf8), value: value.map { Array($0.utf8) })
    return try! b.build()
}

/// Every record of the log from `from`, read the way a consumer does (fetch, then continue after the last batch).
private func consume(_ log: PartitionLog, from start: Int64 = 0) throws -> [(
    offset: Int64, key: String, value: String?
)] {
    var out: [(Int64, String, String?)] = []
    var offset = max(start, log.logStartOffset)
    while offset < log.logEndOffset {
        let bytes = try log.readBytes(from: offset, maxBytes: 1 << 20)
        guard !bytes.isEmpty else { break }
        for entry in try RecordBatchIterator.batches(in: bytes).entries {
            let batch = try RecordBatch(parsing: Array(bytes[entry.range]))
            for r in batch.records where batch.offset(of: r) >= offset {
                out.append(
                    (
                        batch.offset(of: r), String(decoding: r.key ?? [], as: UTF8.self),
                        r.value.map { String(decoding: $0, as: UTF8.self) }
                    ))
            }
            offset = entry.header.nextOffset
        }
    }
    return out
}

private func latestByKey(_ records: [(offset: Int64, key: String, value: String?)]) -> [String: (Int64, String?)] {
    var latest: [String: (Int64, String?)] = [:]
    for r in records { latest[r.key] = (r.offset, r.value) }
    return latest
}

final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

@Suite("Log compaction")
struct CompactionTests {
    static func compactConfig(segmentBytes: Int = 4 * 80, deleteRetentionMs: Int64 = 60_000) -> LogConfig {
        var c = LogConfig(fileDeleteDelayMs: 0, cleanupPolicy: .compact)
        c.segmentBytes = segmentBytes
        c.compaction = .init(deleteRetentionMs: deleteRetentionMs, minCleanableDirtyRatio: 0)
        return c
    }

    /// Three rounds of values for keys k0…k4, one record per batch, then a roll so everything is cleanable.
    private func fill(_ log: PartitionLog, clock: TestClock, rounds: Int = 3) throws {
        for round in 0..<rounds {
            for k in 0..<5 {
                _ = try log.appendAsLeader(keyed("k\(k)", "v\(round)-\(k)"), leaderEpoch: 0, now: clock.now)
            }
        }
        try log.roll()
        log.highWatermark = log.logEndOffset
    }

    @Test("compaction keeps only the latest value of every key, at its original offset")
    func keepsLatestValuePerKey() throws {
        let dir = TempDir()
        let clock = TestClock()
        let manager = try makeManager(dir, config: Self.compactConfig(), clock: clock)
        let log = try manager.getOrCreateLog(topic: "t", partition: 0)
        try fill(log, clock: clock)
        let before = try consume(log)
        #expect(before.count == 15)
        let sizeBefore = log.size

        let stats = manager.cleanLogs(now: clock.now)
        #expect(stats.cleanedLogs == 1)
        #expect(stats.failures.isEmpty)
        #expect(stats.recordsRemoved == 10)
        let after = try consume(log)
        #expect(after.map(\.offset) == [10, 11, 12, 13, 14])
        #expect(after.map(\.value) == (0..<5).map { "v2-\($0)" })
        #expect(latestByKey(after).mapValues(\.1) == latestByKey(before).mapValues(\.1))
        #expect(log.size < sizeBefore)
        #expect(log.logEndOffset == 15)
        #expect(manager.cleanerCheckpoint(topic: "t", partition: 0) == 15)
        #expect(readText(dir.path + "/cleaner-offset-checkpoint") == "0\n1\nt 0 15\n")
        #expect(!dir.files("t-0").contains { $0.hasSuffix(".cleaned") || $0.hasSuffix(".swap") })
    }

    @Test("the maintenance entry point cleans on the cleaner's queue only when enabled, then backs off")
    func cleanLogsIfDue() throws {
        let dir = TempDir()
        let clock = TestClock()
        let manager = try makeManager(dir, config: Self.compactConfig(), clock: clock)
        let log = try manager.getOrCreateLog(topic: "t", partition: 0)
        try fill(log, clock: clock)
        manager.cleanLogsIfDue(now: clock.now, enabled: false, backoffMs: 0, dedupeBufferBytes: 1 << 20) { _ in }
        manager.cleaner.waitUntilIdle()
        #expect(manager.cleanerCheckpoint(topic: "t", partition: 0) == nil)
        let lines = LockedLines()
        manager.cleanLogsIfDue(now: clock.now, enabled: true, backoffMs: 15_000, dedupeBufferBytes: 1 << 20) {
            lines.add($0)
        }
        manager.cleaner.waitUntilIdle()
        #expect(manager.cleanerCheckpoint(topic: "t", partition: 0) == 15)
        #expect(lines.all.count == 1)
        #expect(try consume(log).count == 5)
    }

    @Test("consumers read across the gaps compaction leaves, and offset lookups land on the next kept batch")
    func readsAcrossGaps() throws {
        let dir = TempDir()
        let clock = TestClock()
        let manager = try makeManager(dir, config: Self.compactConfig(), clock: clock)
        let log = try manager.getOrCreateLog(topic: "t", partition: 0)
        try fill(log, clock: clock)
        // A key written only early survives next to gaps.
        manager.cleanLogs(now: clock.now)
        for k in 0..<3 { _ = try log.appendAsLeader(keyed("k\(k)", "v3-\(k)"), leaderEpoch: 0, now: clock.now) }
        _ = try log.appendAsLeader(keyed("only", "once"), leaderEpoch: 0, now: clock.now)
        try log.roll()
        log.highWatermark = log.logEndOffset
        manager.cleanLogs(now: clock.now)
        let records = try consume(log)
        #expect(records.map(\.offset) == [13, 14, 15, 16, 17, 18])
        #expect(records.map(\.key) == ["k3", "k4", "k0", "k1", "k2", "only"])
        // Fetching from a removed offset starts at the next kept batch, from any point of the gap.
        for offset: Int64 in [0, 5, 12] {
            let first = headers(in: try log.readBytes(from: offset, maxBytes: 1 << 20)).first
            #expect(first?.baseOffset == 13)
        }
        #expect(try consume(log, from: 14).first?.offset == 14)
        // Reopening rebuilds nothing and serves the same records.
        try manager.shutdown()
        let reopened = try makeManager(dir, config: Self.compactConfig(), clock: clock)
        let again = try #require(reopened.log(topic: "t", partition: 0))
        #expect(try consume(again).map(\.offset) == records.map(\.offset))
        #expect(reopened.cleanerCheckpoint(topic: "t", partition: 0) == 19)
    }

    @Test("a tombstone stays until delete.retention.ms after the cleaning that first kept it, then goes")
    func tombstoneExpiry() throws {
        let dir = TempDir()
        let clock = TestClock()
        let manager = try makeManager(dir, config: Self.compactConfig(deleteRetentionMs: 60_000), clock: clock)
        let log = try manager.getOrCreateLog(topic: "t", partition: 0)
        _ = try log.appendAsLeader(keyed("a", "1"), leaderEpoch: 0, now: clock.now)
        _ = try log.appendAsLeader(keyed("b", "1"), leaderEpoch: 0, now: clock.now)
        _ = try log.appendAsLeader(keyed("a", nil, timestamp: 2_000), leaderEpoch: 0, now: clock.now)
        _ = try log.appendAsLeader(keyed("b", "2"), leaderEpoch: 0, now: clock.now)
        try log.roll()
        log.highWatermark = log.logEndOffset

        let t0 = clock.now
        manager.cleanLogs(now: t0)
        var records = try consume(log)
        #expect(records.map(\.offset) == [2, 3])
        #expect(records[0].key == "a" && records[0].value == nil)
        let tombstoneBatch = try #require(headers(in: try log.readBytes(from: 2, maxBytes: 1 << 20)).first)
        #expect(tombstoneBatch.attributes & 0x40 != 0)
        #expect(tombstoneBatch.baseTimestamp == t0 + 60_000)
        // The record keeps its own timestamp (base timestamp + delta).
        let parsed = try RecordBatch(parsing: try log.readBytes(from: 2, maxBytes: 1 << 20))
        #expect(parsed.timestamp(of: parsed.records[0]) == 2_000)

        // Before the horizon a new pass (nothing dirty) changes nothing.
        #expect(manager.cleanLogs(now: t0 + 59_999).cleanedLogs == 0)
        #expect(try consume(log).count == 2)
        // A pass for new dirty data before the horizon keeps the tombstone and its horizon.
        _ = try log.appendAsLeader(keyed("c", "1"), leaderEpoch: 0, now: clock.now)
        try log.roll()
        log.highWatermark = log.logEndOffset
        #expect(manager.cleanLogs(now: t0 + 30_000).cleanedLogs == 1)
        records = try consume(log)
        #expect(records.map(\.offset) == [2, 3, 4])
        #expect(headers(in: try log.readBytes(from: 2, maxBytes: 1 << 20)).first?.baseTimestamp == t0 + 60_000)
        // At the horizon the log is cleanable again and the tombstone disappears.
        let stats = manager.cleanLogs(now: t0 + 60_000)
        #expect(stats.cleanedLogs == 1)
        records = try consume(log)
        #expect(records.map(\.offset) == [3, 4])
        #expect(records[0].key == "b" && records[0].value == "2")
    }

    @Test("a crash between .cleaned and the swap keeps the old segments; a crash after .swap finishes the swap")
    func crashRecovery() throws {
        let clock = TestClock()
        let original = TempDir()
        var manager = try makeManager(original, config: Self.compactConfig(), clock: clock)
        let log = try manager.getOrCreateLog(topic: "t", partition: 0)
        try fill(log, clock: clock)
        let uncleaned = try consume(log)
        let oldSegments = log.segmentBaseOffsets
        try manager.shutdown()

        // Crash while writing: a half-written .cleaned file is dropped at load, nothing else changes.
        let halfWritten = TempDir()
        try FileManager.default.copyItem(atPath: original.path + "/t-0", toPath: halfWritten.path + "/t-0")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: halfWritten.path + "/t-0/00000000000000000000.log.cleaned"))
        var reopened = try makeManager(halfWritten, config: Self.compactConfig(), clock: clock)
        var recovered = try #require(reopened.log(topic: "t", partition: 0))
        #expect(try consume(recovered).map(\.offset) == uncleaned.map(\.offset))
        #expect(recovered.segmentBaseOffsets == oldSegments)
        #expect(!halfWritten.files("t-0").contains { $0.hasSuffix(".cleaned") })
        try reopened.shutdown()

        // Clean a copy to get the finished cleaned segment (large segment.bytes: one group replaces all segments).
        let cleanedCopy = TempDir()
        try FileManager.default.copyItem(atPath: original.path + "/t-0", toPath: cleanedCopy.path + "/t-0")
        manager = try makeManager(cleanedCopy, config: Self.compactConfig(segmentBytes: 1 << 20), clock: clock)
        // Only the partition directory was copied: the high watermark checkpoint stayed behind.
        manager.log(topic: "t", partition: 0)?.highWatermark = 15
        let cleanStats = manager.cleanLogs(now: clock.now)
        #expect(cleanStats.failures == [])
        #expect(cleanStats.cleanedLogs == 1)
        let cleanedLog = try #require(manager.log(topic: "t", partition: 0))
        let cleaned = try consume(cleanedLog)
        let cleanedSegments = cleanedLog.segmentBaseOffsets
        try manager.shutdown()

        // Crash after the rename to .swap, with one old segment already renamed to .deleted.
        let midSwap = TempDir()
        try FileManager.default.copyItem(atPath: original.path + "/t-0", toPath: midSwap.path + "/t-0")
        let d = midSwap.path + "/t-0/"
        try FileManager.default.copyItem(
            atPath: cleanedCopy.path + "/t-0/00000000000000000000.log", toPath: d + "00000000000000000000.log.swap")
        let second = String(format: "%020lld", oldSegments[1])
        try FileManager.default.moveItem(atPath: d + second + ".log", toPath: d + second + ".log.deleted")
        reopened = try makeManager(midSwap, config: Self.compactConfig(), clock: clock)
        recovered = try #require(reopened.log(topic: "t", partition: 0))
        #expect(try consume(recovered).map(\.offset) == cleaned.map(\.offset))
        #expect(try consume(recovered).map(\.value) == cleaned.map(\.value))
        #expect(cleanedSegments == [0, 15])
        #expect(recovered.segmentBaseOffsets == cleanedSegments)
        #expect(recovered.logEndOffset == 15)
        #expect(!midSwap.files("t-0").contains { $0.hasSuffix(".swap") || $0.hasSuffix(".deleted") })
        try reopened.shutdown()
    }

    @Test("the newest batch of an idempotent producer stays, empty, with its last offset delta")
    func producerStateSurvives() throws {
        let dir = TempDir()
        let clock = TestClock()
        let manager = try makeManager(dir, config: Self.compactConfig(), clock: clock)
        let log = try manager.getOrCreateLog(topic: "t", partition: 0)
        var b = RecordBatchBuilder(producerId: 7, producerEpoch: 0, baseSequence: 0)
        b.append(timestamp: 1_000, key: Array("x".utf8), value: Array("1".utf8))
        b.append(timestamp: 1_000, key: Array("y".utf8), value: Array("1".utf8))
        _ = try log.appendAsLeader(try b.build(), leaderEpoch: 0, now: clock.now)
        _ = try log.appendAsLeader(keyed("x", "2"), leaderEpoch: 0, now: clock.now)
        _ = try log.appendAsLeader(keyed("y", "2"), leaderEpoch: 0, now: clock.now)
        try log.roll()
        log.highWatermark = log.logEndOffset
        manager.cleanLogs(now: clock.now)
        let stored = headers(in: try log.readBytes(from: 0, maxBytes: 1 << 20))
        #expect(stored.first?.producerId == 7)
        #expect(stored.first?.recordsCount == 0)
        #expect(stored.first?.lastOffsetDelta == 1)
        #expect(try consume(log).map(\.offset) == [2, 3])
        #expect(log.producerStateEntry(producerId: 7)?.lastSequence == 1)
        // The rewritten batch passes CRC validation.
        #expect(throws: Never.self) { try RecordBatch(parsing: try log.readBytes(from: 0, maxBytes: 1 << 20)) }
    }

    @Test(
        "a log below min.cleanable.dirty.ratio, the active segment and segments younger than min.compaction.lag.ms stay"
    )
    func cleanabilityRules() throws {
        let dir = TempDir()
        let clock = TestClock()
        var config = Self.compactConfig()
        config.compaction.minCleanableDirtyRatio = 0.99
        let manager = try makeManager(dir, config: config, clock: clock)
        let log = try manager.getOrCreateLog(topic: "t", partition: 0)
        try fill(log, clock: clock)
        manager.cleanLogs(now: clock.now)
        // First cleaning: everything dirty (ratio 1 > 0.99).
        #expect(try consume(log).count == 5)
        for k in 0..<2 { _ = try log.appendAsLeader(keyed("k\(k)", "v9"), leaderEpoch: 0, now: clock.now) }
        try log.roll()
        log.highWatermark = log.logEndOffset
        #expect(manager.cleanLogs(now: clock.now).cleanedLogs == 0)
        #expect(try consume(log).count == 7)

        // Delete-policy logs are never compacted; the active segment is never touched.
        let plain = try manager.getOrCreateLog(topic: "p", partition: 0, config: LogConfig())
        for _ in 0..<3 { _ = try plain.appendAsLeader(keyed("k", "v"), leaderEpoch: 0, now: clock.now) }
        plain.highWatermark = plain.logEndOffset
        #expect(manager.cleanLogs(now: clock.now).cleanedLogs == 0)
        #expect(try consume(plain).count == 3)

        var lagged = Self.compactConfig()
        lagged.compaction.minCompactionLagMs = 10_000
        let young = try manager.getOrCreateLog(topic: "y", partition: 0, config: lagged)
        for i in 0..<3 {
            _ = try young.appendAsLeader(keyed("k", "v\(i)", timestamp: clock.now), leaderEpoch: 0, now: clock.now)
        }
        try young.roll()
        young.highWatermark = young.logEndOffset
        #expect(manager.cleanLogs(now: clock.now + 5_000).cleanedLogs == 0)
        #expect(manager.cleanLogs(now: clock.now + 10_001).cleanedLogs == 1)
        #expect(try consume(young).map(\.value) == ["v2"])
    }
}

@Suite("Cleaner I/O throttle (log.cleaner.io.max.bytes.per.second)")
struct ThrottlerTests {
    @Test("without a limit the cleaner never sleeps")
    func unlimited() {
        var t = Throttler(bytesPerSecond: .greatestFiniteMagnitude, now: 0)
        #expect(t.observe(1 << 30, now: 1_000_000_000) == 0)
    }

    @Test("over the limit the cleaner sleeps until the interval's average is back at the limit")
    func sleepsToTheLimit() {
        var t = Throttler(bytesPerSecond: 1_000_000, now: 0)
        #expect(t.observe(600_000, now: 100_000_000) == 0)  // inside the 300 ms check interval
        // 1.2 MB after 400 ms: at 1 MB/s that is 1.2 s of I/O, so 800 ms more.
        #expect(t.observe(600_000, now: 400_000_000) == 800_000_000)
        // The next interval starts after the sleep: 200 KB in 400 ms is under the limit.
        #expect(t.observe(200_000, now: 1_600_000_000) == 0)
    }

    @Test("under the limit the cleaner runs at full speed")
    func underTheLimit() {
        var t = Throttler(bytesPerSecond: 10_000_000, now: 0)
        #expect(t.observe(1_000_000, now: 500_000_000) == 0)
    }
}
