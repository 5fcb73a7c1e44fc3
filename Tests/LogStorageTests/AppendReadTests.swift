import Foundation
import KafkaRecords
import TestSupport
import Testing

@testable import LogStorage

@Suite("Append and read")
struct AppendReadTests {
    @Test("leader appends get offsets from the log end offset and read back byte for byte")
    func roundTrip() throws {
        let dir = TempDir()
        let clock = TestClock()
        let manager = try makeManager(dir, clock: clock)
        let log = try manager.getOrCreateLog(topic: "orders", partition: 0)
        let r1 = try log.appendAsLeader(makeBatch(count: 3), leaderEpoch: 5, now: clock.now)
        let r2 = try log.appendAsLeader(makeBatch(count: 2), leaderEpoch: 5, now: clock.now)
        #expect(
            r1
                == LeaderAppendResult(
                    baseOffset: 0, lastOffset: 2, logStartOffset: 0, maxTimestamp: 1000, isDuplicate: false))
        #expect(r2.baseOffset == 3 && r2.lastOffset == 4)
        #expect(log.logEndOffset == 5)

        let bytes = try log.readBytes(from: 0, maxBytes: 1 << 20)
        var expected = makeBatch(baseOffset: 0, count: 3, partitionLeaderEpoch: 5)
        expected += makeBatch(baseOffset: 3, count: 2, partitionLeaderEpoch: 5)
        // baseOffset and partitionLeaderEpoch are outside the CRC, so the CRC of the original batch still holds.
        #expect(bytes == expected)
        #expect(headers(in: bytes).map(\.baseOffset) == [0, 3])
        #expect(FileManager.default.fileExists(atPath: dir.path + "/orders-0/00000000000000000000.log"))
    }

    @Test("a leader append writes the assigned offset and epoch without touching the caller's shared bytes")
    func callerBytesUntouched() throws {
        let dir = TempDir()
        let clock = TestClock()
        let log = try makeManager(dir, clock: clock).getOrCreateLog(topic: "t", partition: 0)
        _ = try log.appendAsLeader(makeBatch(count: 4), leaderEpoch: 1, now: clock.now)
        let request = makeBatch(count: 2)
        let shared = request  // the produce request still holds these bytes while they are appended
        _ = try log.appendAsLeader(shared, leaderEpoch: 7, now: clock.now)
        #expect(request == makeBatch(count: 2))
        #expect(
            try log.readBytes(from: 4, maxBytes: 1 << 20) == makeBatch(baseOffset: 4, count: 2, partitionLeaderEpoch: 7)
        )
    }

    @Test("a read from inside a batch returns that whole batch; the log end offset reads empty; beyond is out of range")
    func readPositions() throws {
        let dir = TempDir()
        let clock = TestClock()
        let log = try makeManager(dir, clock: clock).getOrCreateLog(topic: "t", partition: 0)
        for _ in 0..<4 { _ = try log.appendAsLeader(makeBatch(count: 5), leaderEpoch: 0, now: clock.now) }
        #expect(headers(in: try log.readBytes(from: 7, maxBytes: 1 << 20)).map(\.baseOffset) == [5, 10, 15])
        let atEnd = try log.read(from: 20, maxBytes: 1000, upTo: .max, minOneBatch: true)
        #expect(atEnd.slices.isEmpty && atEnd.byteCount == 0 && atEnd.logEndOffset == 20)
        #expect(throws: LogError.offsetOutOfRange(requested: 21, logStartOffset: 0, logEndOffset: 20)) {
            try log.read(from: 21, maxBytes: 1000, upTo: .max, minOneBatch: true)
        }
    }

    @Test("reads stop at maxOffset and maxBytes, but return one oversized first batch with minOneBatch")
    func readLimits() throws {
        let dir = TempDir()
        let clock = TestClock()
        let log = try makeManager(dir, clock: clock).getOrCreateLog(topic: "t", partition: 0)
        let batch = makeBatch(count: 2)
        for _ in 0..<5 { _ = try log.appendAsLeader(batch, leaderEpoch: 0, now: clock.now) }
        log.highWatermark = 6
        #expect(log.highWatermark == 6)
        let upToHW = try log.read(from: 0, maxBytes: 1 << 20, upTo: log.highWatermark, minOneBatch: true)
        #expect(upToHW.byteCount == 3 * batch.count && upToHW.highWatermark == 6)
        let twoBatches = try log.read(from: 0, maxBytes: 2 * batch.count + 5, upTo: .max, minOneBatch: true)
        #expect(twoBatches.byteCount == 2 * batch.count)
        let tiny = try log.read(from: 0, maxBytes: 10, upTo: .max, minOneBatch: true)
        #expect(tiny.byteCount == batch.count)
        let none = try log.read(from: 0, maxBytes: 10, upTo: .max, minOneBatch: false)
        #expect(none.byteCount == 0)
        let slice = try #require(tiny.slices.first)
        #expect(try headers(in: slice.readBytes()).first?.baseOffset == 0)
    }

    @Test("a batch whose length field disagrees with its size is refused, and nothing is written")
    func malformedInput() throws {
        let dir = TempDir()
        let clock = TestClock()
        let log = try makeManager(dir, clock: clock).getOrCreateLog(topic: "t", partition: 0)
        var batch = makeBatch(count: 2)
        batch.append(0)
        #expect(throws: LogError.self) { try log.appendAsLeader(batch, leaderEpoch: 0, now: clock.now) }
        #expect(throws: LogError.self) { try log.appendAsLeader([1, 2, 3], leaderEpoch: 0, now: clock.now) }
        #expect(log.logEndOffset == 0)
    }

    @Test("an append larger than segment.bytes is refused as too large")
    func tooLarge() throws {
        let dir = TempDir()
        let clock = TestClock()
        let log = try makeManager(dir, config: LogConfig(segmentBytes: 200), clock: clock)
            .getOrCreateLog(topic: "t", partition: 0)
        let batch = makeBatch(count: 10)
        #expect(throws: LogError.recordTooLarge(size: batch.count, limit: 200)) {
            try log.appendAsLeader(batch, leaderEpoch: 0, now: clock.now)
        }
    }

    @Test("the active segment rolls by segment.bytes and reads continue across segments")
    func rollBySize() throws {
        let dir = TempDir()
        let clock = TestClock()
        let batch = makeBatch(count: 2)
        let config = LogConfig(segmentBytes: batch.count * 3)
        let log = try makeManager(dir, config: config, clock: clock).getOrCreateLog(topic: "t", partition: 0)
        for _ in 0..<7 { _ = try log.appendAsLeader(batch, leaderEpoch: 0, now: clock.now) }
        #expect(log.segmentBaseOffsets == [0, 6, 12])
        #expect(dir.files("t-0").contains("00000000000000000006.log"))
        #expect(dir.files("t-0").contains("00000000000000000006.snapshot"))
        #expect(
            headers(in: try log.readBytes(from: 0, maxBytes: 1 << 20)).map(\.baseOffset) == [0, 2, 4, 6, 8, 10, 12])
        // The rolled segment's indexes are trimmed to their entries (here none).
        #expect(fileSize(dir.path + "/t-0/00000000000000000000.index") == 0)
        #expect(fileSize(dir.path + "/t-0/00000000000000000012.index") == 10_485_760 / 8 * 8)
    }

    @Test("the active segment rolls when a batch's timestamp is segment.ms past the first batch's")
    func rollByTime() throws {
        let dir = TempDir()
        let clock = TestClock()
        let log = try makeManager(dir, config: LogConfig(segmentMs: 1000), clock: clock)
            .getOrCreateLog(topic: "t", partition: 0)
        _ = try log.appendAsLeader(makeBatch(timestamp: 10_000), leaderEpoch: 0, now: clock.now)
        _ = try log.appendAsLeader(makeBatch(timestamp: 10_900), leaderEpoch: 0, now: clock.now)
        #expect(log.segmentCount == 1)
        _ = try log.appendAsLeader(makeBatch(timestamp: 11_001), leaderEpoch: 0, now: clock.now)
        #expect(log.segmentBaseOffsets == [0, 2])
    }

    @Test("the sparse index gets an entry every index.interval.bytes and lookups land on the right batch")
    func indexLookups() throws {
        let dir = TempDir()
        let clock = TestClock()
        let batch = makeBatch(count: 3, valueSize: 50)
        let config = LogConfig(indexIntervalBytes: batch.count * 2)
        let log = try makeManager(dir, config: config, clock: clock).getOrCreateLog(topic: "t", partition: 0)
        for i in 0..<20 {
            _ = try log.appendAsLeader(
                makeBatch(count: 3, timestamp: 1000 + Int64(i) * 10, valueSize: 50), leaderEpoch: 0, now: clock.now)
        }
        let segment = try #require(log.lock.withLock { log.segments.first })
        let index = try segment.offsetIndex
        // An entry is added once more than 2 batches' bytes were written since the last one: every third batch.
        #expect(index.entries == 6)
        #expect(index.lookup(0) == (0, 0))
        let entry = index.lookup(40)
        #expect(entry.offset <= 40 && entry.position > 0)
        #expect(try segment.timeIndex.entries == index.entries)
        for offset in stride(from: Int64(0), to: 60, by: 7) {
            let first = try #require(headers(in: try log.readBytes(from: offset, maxBytes: 1)).first)
            #expect(first.baseOffset == offset / 3 * 3)
        }
    }

    @Test("follower appends keep the leader's offsets, must not go backwards, and ignore a trailing partial batch")
    func followerAppend() throws {
        let dir = TempDir()
        let clock = TestClock()
        let log = try makeManager(dir, clock: clock).getOrCreateLog(topic: "t", partition: 0)
        var input = makeBatch(baseOffset: 0, count: 2, partitionLeaderEpoch: 3)
        input += makeBatch(baseOffset: 2, count: 3, partitionLeaderEpoch: 4)
        let partial = makeBatch(baseOffset: 5, count: 1)
        input += partial[0..<40]
        let result = try #require(try log.appendAsFollower(input))
        #expect(result.firstOffset == 0 && result.lastOffset == 4 && result.batchCount == 2)
        #expect(log.logEndOffset == 5)
        #expect(log.leaderEpochEntries == [EpochEntry(epoch: 3, startOffset: 0), EpochEntry(epoch: 4, startOffset: 2)])
        #expect(throws: LogError.nonMonotonicOffsets(expectedAtLeast: 5, received: 3)) {
            try log.appendAsFollower(makeBatch(baseOffset: 3, count: 1))
        }
        var corrupt = makeBatch(baseOffset: 5, count: 1)
        corrupt[corrupt.count - 3] ^= 0xFF
        #expect(throws: LogError.self) { try log.appendAsFollower(corrupt) }
        #expect(log.logEndOffset == 5)
    }

    @Test("follower truncation removes later batches and segments and rolls back the leader-epoch cache")
    func truncation() throws {
        let dir = TempDir()
        let clock = TestClock()
        let batch = makeBatch(count: 2)
        let log = try makeManager(dir, config: LogConfig(segmentBytes: batch.count * 2), clock: clock)
            .getOrCreateLog(topic: "t", partition: 0)
        for epoch in Int32(0)..<6 { _ = try log.appendAsLeader(batch, leaderEpoch: epoch, now: clock.now) }
        #expect(log.segmentBaseOffsets == [0, 4, 8])
        log.highWatermark = 12
        try log.truncate(to: 6)
        #expect(log.logEndOffset == 6)
        #expect(log.highWatermark == 6)
        #expect(log.segmentBaseOffsets == [0, 4])
        #expect(log.leaderEpochEntries.map(\.epoch) == [0, 1, 2])
        #expect(headers(in: try log.readBytes(from: 0, maxBytes: 1 << 20)).map(\.baseOffset) == [0, 2, 4])
        _ = try log.appendAsLeader(batch, leaderEpoch: 9, now: clock.now)
        #expect(log.logEndOffset == 8)
        try log.truncateFullyAndStartAt(100)
        #expect(log.logStartOffset == 100 && log.logEndOffset == 100 && log.segmentBaseOffsets == [100])
    }

    @Test func truncatingAtTheLogEndDropsAnEpochEntryThatHoldsNoBatch() throws {
        let dir = TempDir()
        let clock = TestClock()
        let log = try makeManager(dir, clock: clock).getOrCreateLog(topic: "t", partition: 0)
        _ = try log.appendAsLeader(makeBatch(count: 3), leaderEpoch: 2, now: clock.now)
        // Leader for epoch 3 without appending anything, then a follower again.
        try log.assignEpochStartOffset(epoch: 3, startOffset: 3)
        #expect(log.latestLeaderEpoch == 3)
        try log.truncate(to: 3)
        #expect(log.logEndOffset == 3)
        #expect(log.leaderEpochEntries == [EpochEntry(epoch: 2, startOffset: 0)])
    }

    @Test("offsetForTimestamp finds the first record at or after a timestamp through the time index")
    func offsetForTimestamp() throws {
        let dir = TempDir()
        let clock = TestClock()
        let config = LogConfig(indexIntervalBytes: 1)
        let log = try makeManager(dir, config: config, clock: clock).getOrCreateLog(topic: "t", partition: 0)
        for i in 0..<10 {
            _ = try log.appendAsLeader(
                makeBatch(count: 4, timestamp: 1000 + Int64(i) * 100, timestampStep: 10), leaderEpoch: 0, now: clock.now
            )
        }
        #expect(try log.offsetForTimestamp(0)?.offset == 0)
        #expect(try log.offsetForTimestamp(1000)?.offset == 0)
        #expect(try log.offsetForTimestamp(1015)?.offset == 2)
        let hit = try #require(try log.offsetForTimestamp(1525))
        #expect(hit.offset == 23 && hit.timestamp == 1530)
        #expect(try log.offsetForTimestamp(1931) == nil)
        #expect(log.maxTimestampAndOffset?.timestamp == 1930)
    }
}

@Suite("Hostile input")
struct HostileInputTests {
    @Test("follower batches with absurd offsets or lengths are refused without trapping")
    func absurdFollowerInput() throws {
        let dir = TempDir()
        let clock = TestClock()
        let log = try makeManager(dir, clock: clock).getOrCreateLog(topic: "t", partition: 0)
        var huge = makeBatch(count: 2)
        huge.withUnsafeMutableBytes { $0.storeBytes(of: (Int64.max - 1).bigEndian, toByteOffset: 0, as: Int64.self) }
        #expect(throws: LogError.self) { try log.appendAsFollower(huge) }
        var negativeLength = makeBatch(count: 2)
        negativeLength.withUnsafeMutableBytes {
            $0.storeBytes(of: Int32(-5).bigEndian, toByteOffset: 8, as: Int32.self)
        }
        #expect(throws: LogError.self) { try log.appendAsFollower(negativeLength) }
        #expect(throws: LogError.self) { try log.appendAsLeader(negativeLength, leaderEpoch: 0, now: 0) }
        #expect(try log.appendAsFollower(Array(repeating: 0xFF, count: 30)) == nil)
        #expect(log.logEndOffset == 0)
    }

    @Test("garbage files in a partition directory are cut away on open")
    func garbageSegment() throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.path + "/t-0", withIntermediateDirectories: true)
        let garbage = Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7919) })
        _ = FileManager.default.createFile(atPath: dir.path + "/t-0/00000000000000000000.log", contents: garbage)
        _ = FileManager.default.createFile(atPath: dir.path + "/t-0/00000000000000000000.index", contents: garbage)
        let log = try #require(try makeManager(dir, clock: TestClock()).log(topic: "t", partition: 0))
        #expect(log.logEndOffset == 0)
        #expect(log.loadInfo.truncatedBytes == 5000)
    }
}
