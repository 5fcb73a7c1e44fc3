import Foundation
import KafkaRecords
import TestSupport
import Testing

@testable import LogStorage

@Suite("Retention and DeleteRecords")
struct RetentionTests {
    /// Six segments of two batches each, batch i with timestamp 1000 * (i + 1).
    private func sixSegments(_ dir: TempDir, config: LogConfig, clock: TestClock) throws -> (
        LogManager, PartitionLog, Int
    ) {
        let batch = makeBatch(count: 2)
        var config = config
        config.segmentBytes = batch.count * 2
        let manager = try makeManager(dir, config: config, clock: clock)
        let log = try manager.getOrCreateLog(topic: "t", partition: 0)
        for i in 0..<12 {
            _ = try log.appendAsLeader(
                makeBatch(count: 2, timestamp: 1000 * Int64(i + 1)), leaderEpoch: 0, now: clock.now)
        }
        log.highWatermark = log.logEndOffset
        #expect(log.segmentBaseOffsets == [0, 4, 8, 12, 16, 20])
        return (manager, log, batch.count * 2)
    }

    @Test("retention.ms deletes segments whose newest timestamp is too old, never the active one")
    func byTime() throws {
        let dir = TempDir()
        let clock = TestClock()
        let (manager, log, _) = try sixSegments(
            dir, config: LogConfig(retentionMs: 5000, fileDeleteDelayMs: 0), clock: clock)
        // Segment maxima are 2000, 4000, 6000, 8000, 10000, 12000; at now = 10500 those ≤ 5500 are older than 5000 ms.
        #expect(try manager.runRetention(now: 10_500) == 2)
        #expect(log.segmentBaseOffsets == [8, 12, 16, 20])
        #expect(log.logStartOffset == 8)
        #expect(!dir.files("t-0").contains("00000000000000000000.log"))
        #expect(throws: LogError.offsetOutOfRange(requested: 0, logStartOffset: 8, logEndOffset: 24)) {
            try log.read(from: 0, maxBytes: 100, upTo: .max, minOneBatch: true)
        }
        #expect(try manager.runRetention(now: 1_000_000) == 3)
        #expect(log.segmentBaseOffsets == [20])
    }

    @Test("retention.bytes deletes the oldest segments while the rest stay at or above the limit")
    func bySize() throws {
        let dir = TempDir()
        let clock = TestClock()
        let segmentSize = makeBatch(count: 2).count * 2
        let config = LogConfig(retentionMs: -1, retentionBytes: Int64(segmentSize * 3 + 1), fileDeleteDelayMs: 0)
        let (manager, log, _) = try sixSegments(dir, config: config, clock: clock)
        #expect(try manager.runRetention(now: clock.now) == 2)
        #expect(log.segmentBaseOffsets == [8, 12, 16, 20])
        #expect(log.size == Int64(segmentSize * 4))
    }

    @Test("segments above the high watermark are kept")
    func respectsHighWatermark() throws {
        let dir = TempDir()
        let clock = TestClock()
        let (manager, log, _) = try sixSegments(
            dir, config: LogConfig(retentionMs: 0, fileDeleteDelayMs: 0), clock: clock)
        log.highWatermark = 9
        #expect(try manager.runRetention(now: 1_000_000) == 2)
        #expect(log.segmentBaseOffsets == [8, 12, 16, 20])
    }

    @Test("deleted segments linger as .deleted files for file.delete.delay.ms while open slices stay readable")
    func delayedDelete() throws {
        let dir = TempDir()
        let clock = TestClock()
        let (manager, log, _) = try sixSegments(
            dir, config: LogConfig(retentionMs: 5000, fileDeleteDelayMs: 60_000), clock: clock)
        let inFlight = try log.read(from: 0, maxBytes: 1 << 20, upTo: .max, minOneBatch: true)
        #expect(try manager.runRetention(now: 10_500) == 2)
        #expect(dir.files("t-0").contains("00000000000000000000.log.deleted"))
        #expect(dir.files("t-0").contains("00000000000000000000.index.deleted"))
        _ = try manager.runRetention(now: 10_500 + 60_000)
        #expect(!dir.files("t-0").contains("00000000000000000000.log.deleted"))
        #expect(!dir.files("t-0").contains("00000000000000000004.timeindex.deleted"))
        // The slice taken before deletion still reads from its open descriptor.
        let first = try #require(inFlight.slices.first)
        #expect(try headers(in: first.readBytes()).first?.baseOffset == 0)
    }

    @Test("DeleteRecords advances the log start offset, drops whole segments below it, and refuses beyond the HW")
    func deleteRecords() throws {
        let dir = TempDir()
        let clock = TestClock()
        let (_, log, _) = try sixSegments(dir, config: LogConfig(fileDeleteDelayMs: 0), clock: clock)
        log.highWatermark = 18
        #expect(try log.deleteRecords(before: 10) == 10)
        #expect(log.logStartOffset == 10)
        #expect(log.segmentBaseOffsets == [8, 12, 16, 20])
        // Reads below the start are out of range even though segment 8 still holds offsets 8 and 9.
        #expect(throws: LogError.self) { try log.read(from: 9, maxBytes: 100, upTo: .max, minOneBatch: true) }
        #expect(headers(in: try log.readBytes(from: 10, maxBytes: 1)).first?.baseOffset == 10)
        #expect(throws: LogError.offsetOutOfRange(requested: 19, logStartOffset: 10, logEndOffset: 24)) {
            try log.deleteRecords(before: 19)
        }
        #expect(try log.deleteRecords(before: 5) == 10)
    }
}
