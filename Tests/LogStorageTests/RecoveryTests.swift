import Foundation
import KafkaRecords
import TestSupport
import Testing

@testable import LogStorage

@Suite("Recovery on open")
struct RecoveryTests {
    /// Writes `batches` batches of 2 records, then either shuts down cleanly or "crashes" (drops the manager).
    private func populate(
        _ dir: TempDir, batches: Int, clean: Bool, config: LogConfig = LogConfig(indexIntervalBytes: 100)
    )
        throws -> [UInt8]
    {
        let clock = TestClock()
        let manager = try makeManager(dir, config: config, clock: clock)
        let log = try manager.getOrCreateLog(topic: "t", partition: 0)
        for i in 0..<batches {
            _ = try log.appendAsLeader(makeBatch(count: 2, timestamp: 1000 + Int64(i)), leaderEpoch: 1, now: clock.now)
        }
        let bytes = try log.readBytes(from: 0, maxBytes: 1 << 30)
        if clean { try manager.shutdown() }
        return bytes
    }

    private func reopen(_ dir: TempDir, config: LogConfig = LogConfig(indexIntervalBytes: 100)) throws
        -> (LogManager, PartitionLog)
    {
        let manager = try makeManager(dir, config: config, clock: TestClock())
        return (manager, try #require(manager.log(topic: "t", partition: 0)))
    }

    private var logPath: (TempDir) -> String { { $0.path + "/t-0/00000000000000000000.log" } }

    @Test("after a clean shutdown the log reopens without rescanning and the marker is consumed")
    func cleanReopen() throws {
        let dir = TempDir()
        let original = try populate(dir, batches: 20, clean: true)
        #expect(FileManager.default.fileExists(atPath: dir.path + "/.kafka_cleanshutdown"))
        // Indexes were trimmed on close.
        #expect(fileSize(dir.path + "/t-0/00000000000000000000.index") % 8 == 0)
        #expect(fileSize(dir.path + "/t-0/00000000000000000000.index") < 10_485_760)
        let (manager, log) = try reopen(dir)
        #expect(manager.hadCleanShutdown[dir.path] == true)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/.kafka_cleanshutdown"))
        #expect(log.loadInfo == LogLoadInfo(hadCleanShutdown: true, recoveredSegments: 0, truncatedBytes: 0))
        #expect(log.logEndOffset == 40)
        #expect(log.recoveryPoint == 40)
        #expect(try log.readBytes(from: 0, maxBytes: 1 << 30) == original)
    }

    @Test("after a crash with a torn .log tail the log is cut to the last whole batch and the index rebuilt")
    func tornTail() throws {
        let dir = TempDir()
        let original = try populate(dir, batches: 20, clean: false)
        let handle = try #require(FileHandle(forUpdatingAtPath: logPath(dir)))
        try handle.truncate(atOffset: UInt64(original.count - 10))
        try handle.close()
        let (_, log) = try reopen(dir)
        #expect(log.loadInfo.hadCleanShutdown == false)
        #expect(log.loadInfo.recoveredSegments == 1)
        #expect(log.logEndOffset == 38)
        let batchSize = original.count / 20
        #expect(log.loadInfo.truncatedBytes == Int64(batchSize - 10))
        #expect(fileSize(logPath(dir)) == Int64(original.count - batchSize))
        #expect(try log.readBytes(from: 0, maxBytes: 1 << 30) == Array(original[0..<(original.count - batchSize)]))
        // The log accepts appends at the recovered end.
        let r = try log.appendAsLeader(makeBatch(count: 1), leaderEpoch: 2, now: 0)
        #expect(r.baseOffset == 38)
    }

    @Test("after a crash with a corrupted byte in the last batch that batch is dropped (CRC check)")
    func corruptLastBatch() throws {
        let dir = TempDir()
        let original = try populate(dir, batches: 10, clean: false)
        let handle = try #require(FileHandle(forUpdatingAtPath: logPath(dir)))
        try handle.seek(toOffset: UInt64(original.count - 5))
        try handle.write(contentsOf: Data([original[original.count - 5] ^ 0x5A]))
        try handle.close()
        let (_, log) = try reopen(dir)
        #expect(log.logEndOffset == 18)
        #expect(try headers(in: log.readBytes(from: 0, maxBytes: 1 << 30)).map(\.baseOffset).last == 16)
    }

    @Test("a deleted index is rebuilt even after a clean shutdown, with the same entries")
    func deletedIndex() throws {
        let dir = TempDir()
        _ = try populate(dir, batches: 30, clean: true)
        let indexPath = dir.path + "/t-0/00000000000000000000.index"
        let before = try #require(FileManager.default.contents(atPath: indexPath))
        #expect(before.count > 0)
        try FileManager.default.removeItem(atPath: indexPath)
        let (manager, log) = try reopen(dir)
        #expect(log.loadInfo.recoveredSegments == 1)
        #expect(log.logEndOffset == 60)
        try manager.shutdown()
        #expect(FileManager.default.contents(atPath: indexPath) == before)
    }

    @Test("after a crash the preallocated index of the active segment is detected and rebuilt")
    func crashWithPreallocatedIndex() throws {
        let dir = TempDir()
        let original = try populate(dir, batches: 30, clean: false)
        #expect(fileSize(dir.path + "/t-0/00000000000000000000.index") == 10_485_760)
        let (_, log) = try reopen(dir)
        #expect(log.loadInfo.recoveredSegments == 1 && log.loadInfo.truncatedBytes == 0)
        #expect(log.logEndOffset == 60)
        for offset in stride(from: Int64(0), to: 60, by: 9) {
            #expect(try headers(in: log.readBytes(from: offset, maxBytes: 1)).first?.baseOffset == offset / 2 * 2)
        }
        #expect(try log.readBytes(from: 0, maxBytes: 1 << 30) == original)
    }

    @Test("a cut in an older segment after a crash drops every later segment")
    func cutDropsLaterSegments() throws {
        let dir = TempDir()
        let batch = makeBatch(count: 2)
        let config = LogConfig(segmentBytes: batch.count * 3, indexIntervalBytes: 100)
        _ = try populate(dir, batches: 9, clean: false, config: config)
        #expect(dir.files("t-0").filter { $0.hasSuffix(".log") }.count == 3)
        let handle = try #require(FileHandle(forUpdatingAtPath: logPath(dir)))
        try handle.truncate(atOffset: UInt64(batch.count * 2 + 7))
        try handle.close()
        let (_, log) = try reopen(dir, config: config)
        #expect(log.logEndOffset == 4)
        #expect(log.segmentBaseOffsets == [0])
        #expect(dir.files("t-0").filter { $0.hasSuffix(".log") } == ["00000000000000000000.log"])
    }

    @Test("a checkpointed recovery point spares older segments from the rescan")
    func recoveryPointLimitsRescan() throws {
        let dir = TempDir()
        let batch = makeBatch(count: 2)
        let config = LogConfig(segmentBytes: batch.count * 3, indexIntervalBytes: 100)
        let clock = TestClock()
        do {
            let manager = try makeManager(dir, config: config, clock: clock)
            let log = try manager.getOrCreateLog(topic: "t", partition: 0)
            for _ in 0..<9 { _ = try log.appendAsLeader(batch, leaderEpoch: 0, now: clock.now) }
            try manager.flushAndCheckpoint(now: clock.now)  // flushes the two rolled segments
            #expect(log.recoveryPoint == 12)
            #expect(readText(dir.path + "/recovery-point-offset-checkpoint") == "0\n1\nt 0 12\n")
        }
        let (_, log) = try reopen(dir, config: config)
        #expect(log.loadInfo.recoveredSegments == 1)
        #expect(log.logEndOffset == 18)
    }
}
