import Foundation
import KafkaRecords
import TestSupport
import Testing

@testable import LogStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite("File descriptors: lazy segments, mapped indexes, the .log cache")
struct DescriptorTests {
    private let batch = makeBatch(count: 2)

    /// Three rolled segments plus an active one, closed cleanly.
    private func populate(_ dir: TempDir, config: LogConfig) throws {
        let clock = TestClock()
        let manager = try makeManager(dir, config: config, clock: clock)
        let log = try manager.getOrCreateLog(topic: "t", partition: 0)
        for i in 0..<10 {
            _ = try log.appendAsLeader(makeBatch(count: 2, timestamp: 1000 + Int64(i)), leaderEpoch: 0, now: clock.now)
        }
        try manager.shutdown()
    }

    private func segments(_ log: PartitionLog) -> [LogSegment] { log.lock.withLock { log.segments } }

    @Test("a non-active segment opens no file until it is read")
    func lazySegment() throws {
        let dir = TempDir()
        let config = LogConfig(segmentBytes: batch.count * 3, indexIntervalBytes: 100)
        try populate(dir, config: config)
        let manager = try makeManager(dir, config: config, clock: TestClock())
        let log = try #require(manager.log(topic: "t", partition: 0))
        let all = segments(log)
        #expect(all.count == 4)
        for old in all.dropLast() {
            #expect(!old.logHandle.isOpen)
            #expect(!old.indexesLoaded)
        }
        #expect(all.last?.logHandle.isOpen == true && all.last?.logHandle.isPinned == true)
        // Offsets 6…11 live in the second segment: reading them opens that one only.
        #expect(try headers(in: log.readBytes(from: 6, maxBytes: batch.count)).first?.baseOffset == 6)
        #expect(all[1].logHandle.isOpen && all[1].indexesLoaded)
        // Its entries are in memory; the index files are no longer mapped (only written segments keep a mapping).
        #expect(try !all[1].offsetIndex.file.isMapped && !all[1].timeIndex.file.isMapped)
        #expect(try all[3].offsetIndex.file.isMapped && all[3].timeIndex.file.isMapped)
        #expect(!all[0].logHandle.isOpen && !all[0].indexesLoaded)
        #expect(!all[2].logHandle.isOpen && !all[2].indexesLoaded)
        #expect(log.logEndOffset == 20)
    }

    @Test("a lazily opened segment whose index is damaged rebuilds it on first read, byte for byte")
    func lazyIndexRebuilt() throws {
        let dir = TempDir()
        let config = LogConfig(segmentBytes: batch.count * 4, indexIntervalBytes: 100)
        try populate(dir, config: config)
        let indexPath = dir.path + "/t-0/00000000000000000000.index"
        let original = try #require(FileManager.default.contents(atPath: indexPath))
        #expect(original.count >= 16)
        try Data(original.prefix(5)).write(to: URL(fileURLWithPath: indexPath))
        let manager = try makeManager(dir, config: config, clock: TestClock())
        let log = try #require(manager.log(topic: "t", partition: 0))
        #expect(log.loadInfo.recoveredSegments == 0)
        #expect(try headers(in: log.readBytes(from: 4, maxBytes: batch.count)).first?.baseOffset == 4)
        #expect(FileManager.default.contents(atPath: indexPath) == original)
    }

    @Test("mapped indexes hold Kafka's big-endian entries: preallocated while active, trimmed on close")
    func mappedIndexBytes() throws {
        let dir = TempDir()
        let clock = TestClock()
        let config = LogConfig(indexIntervalBytes: 250)
        let manager = try makeManager(dir, config: config, clock: clock)
        let log = try manager.getOrCreateLog(topic: "t", partition: 0)
        // The rule the segment follows: an entry before a batch once more than indexIntervalBytes were appended
        // since the last one; the time index records the newest timestamp so far, plus a final entry on close.
        var expectedIndex: [UInt8] = []
        var expectedTime: [UInt8] = []
        var sinceLast = 0
        var position = 0
        for i in 0..<12 {
            let bytes = makeBatch(count: 2, timestamp: 1000 + Int64(i))
            let lastOffset = Int64(i * 2 + 1)
            if sinceLast > 250 {
                expectedIndex += bigEndian(UInt32(lastOffset)) + bigEndian(UInt32(position))
                expectedTime += bigEndian(UInt64(1000 + i)) + bigEndian(UInt32(lastOffset))
                sinceLast = 0
            }
            sinceLast += bytes.count
            position += bytes.count
            _ = try log.appendAsLeader(bytes, leaderEpoch: 0, now: clock.now)
        }
        #expect(!expectedIndex.isEmpty)
        let indexPath = dir.path + "/t-0/00000000000000000000.index"
        let timePath = dir.path + "/t-0/00000000000000000000.timeindex"
        let active = try #require(FileManager.default.contents(atPath: indexPath))
        #expect(active.count == 10_485_760)
        #expect([UInt8](active.prefix(expectedIndex.count)) == expectedIndex)
        #expect(active.dropFirst(expectedIndex.count).allSatisfy { $0 == 0 })
        #expect(fileSize(timePath) == 10_485_756)
        try manager.shutdown()
        // The final entry on close: the newest timestamp, unless the last entry already has it.
        if expectedTime.suffix(12).prefix(8) != bigEndian(UInt64(1011))[...] {
            expectedTime += bigEndian(UInt64(1011)) + bigEndian(UInt32(23))
        }
        #expect(expectedIndex.count / 8 < 11)
        #expect(FileManager.default.contents(atPath: indexPath).map { [UInt8]($0) } == expectedIndex)
        #expect(FileManager.default.contents(atPath: timePath).map { [UInt8]($0) } == expectedTime)
    }

    @Test("the active segment keeps one descriptor: its indexes are mapped, not open")
    func oneDescriptorPerActiveSegment() throws {
        let dir = TempDir()
        let clock = TestClock()
        let manager = try makeManager(dir, clock: clock)
        let log = try manager.getOrCreateLog(topic: "t", partition: 0)
        _ = try log.appendAsLeader(batch, leaderEpoch: 0, now: clock.now)
        let open = openPaths()
        #expect(open.filter { $0.hasPrefix(dir.path + "/t-0/") && $0.hasSuffix(".log") }.count == 1)
        #expect(open.filter { $0.hasPrefix(dir.path + "/t-0/") && $0.contains("index") }.isEmpty)
    }

    @Test("the descriptor cache closes the least recently used .log past its capacity")
    func lruEviction() throws {
        let dir = TempDir()
        let cache = DescriptorCache(capacity: 2)
        let handles = try (0..<3).map { i throws(LogError) -> SegmentLogHandle in
            let path = dir.path + "/\(i).log"
            _ = FileManager.default.createFile(atPath: path, contents: Data([UInt8(i)]))
            return try SegmentLogHandle(path: path, pinned: false, open: false, cache: cache)
        }
        #expect(handles.allSatisfy { !$0.isOpen })
        _ = try handles[0].acquire()
        _ = try handles[1].acquire()
        _ = try handles[0].acquire()  // 1 is now the least recently used
        _ = try handles[2].acquire()
        #expect(handles[0].isOpen && !handles[1].isOpen && handles[2].isOpen)
        #expect(cache.openCount == 2)
        #expect(try handles[1].acquire().readBytes(count: 1, at: 0) == [1])  // reopens on demand
        #expect(!handles[0].isOpen)
    }

    @Test("an evicted descriptor stays open for a reader that still holds the file")
    func evictionWaitsForReaders() throws {
        let dir = TempDir()
        let cache = DescriptorCache(capacity: 1)
        let paths = (0..<2).map { dir.path + "/\($0).log" }
        for (i, path) in paths.enumerated() {
            _ = FileManager.default.createFile(atPath: path, contents: Data(repeating: UInt8(i + 7), count: 64))
        }
        let first = try SegmentLogHandle(path: paths[0], pinned: false, open: false, cache: cache)
        let second = try SegmentLogHandle(path: paths[1], pinned: false, open: false, cache: cache)
        let lease = try first.acquire()
        let slice = FileSlice(file: lease, position: 8, length: 16)
        _ = try second.acquire()
        #expect(!first.isOpen)
        #expect(fcntl(lease.fileDescriptor, F_GETFD) != -1)
        #expect(try slice.readBytes() == [UInt8](repeating: 7, count: 16))
    }

    @Test("a pinned (active) segment's .log is never evicted")
    func pinnedNeverEvicted() throws {
        let dir = TempDir()
        let cache = DescriptorCache(capacity: 1)
        let pinned = try SegmentLogHandle(path: dir.path + "/active.log", pinned: true, open: true, cache: cache)
        for i in 0..<3 {
            let path = dir.path + "/\(i).log"
            _ = FileManager.default.createFile(atPath: path, contents: Data())
            _ = try SegmentLogHandle(path: path, pinned: false, open: true, cache: cache)
        }
        #expect(pinned.isOpen)
        pinned.unpin()
        #expect(pinned.isOpen && cache.openCount == 1)
    }

    @Test("partitions load in parallel and every one comes back after a crash")
    func parallelLoad() throws {
        let dir = TempDir()
        let clock = TestClock()
        do {
            let manager = try makeManager(dir, clock: clock)
            for p in 0..<24 {
                let log = try manager.getOrCreateLog(topic: "t", partition: Int32(p))
                _ = try log.appendAsLeader(makeBatch(count: p % 3 + 1), leaderEpoch: 0, now: clock.now)
            }
        }
        let manager = try LogManager(
            logDirs: [dir.path], brokerId: 1, clusterId: "test-cluster", clock: clock.function, recoveryThreads: 4)
        #expect(manager.allLogs.count == 24)
        for p in 0..<24 {
            #expect(manager.log(topic: "t", partition: Int32(p))?.logEndOffset == Int64(p % 3 + 1))
        }
    }

    @Test("with a descriptor limit the cache shrinks as partitions are added")
    func capacityFollowsPartitions() {
        let cache = DescriptorCache(capacity: 256)
        cache.fitCapacity(partitions: 3000)
        #expect(cache.capacity == 256)  // no limit known: unchanged
        cache.descriptorLimit = 4096
        cache.fitCapacity(partitions: 3000)
        #expect(cache.capacity == (4096 - 3256) / 2)
        cache.fitCapacity(partitions: 3900)
        #expect(cache.capacity == 16)
    }

    @Test("the descriptor budget counts partition directories and a reserve")
    func budget() throws {
        let dir = TempDir()
        for name in ["a-0", "a-1", "b-0", "b-1.0123-delete", "meta.properties-dir-x"] {
            try FileManager.default.createDirectory(atPath: dir.path + "/" + name, withIntermediateDirectories: true)
        }
        #expect(FileDescriptorBudget.partitionDirectories(in: [dir.path]) == 3)
        #expect(FileDescriptorBudget.required(partitions: 3) == 3 + FileDescriptorBudget.reserve)
        #expect(FileDescriptorBudget.cacheCapacity(limit: 4096, partitions: 3000) == (4096 - 3256) / 2)
        #expect(FileDescriptorBudget.cacheCapacity(limit: 1024, partitions: 3000) == 16)
    }
}

private func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.bigEndian) { Array($0) }
}

/// The paths this process has open (Linux `/proc/self/fd`).
private func openPaths() -> [String] {
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return fds.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0) }
}

@Suite("Leader-epoch checkpoint on becoming leader")
struct EpochCheckpointSyncTests {
    @Test("a new leader epoch is written at once and made durable by the next flush")
    func epochWrittenThenSynced() throws {
        let dir = TempDir()
        let clock = TestClock()
        let manager = try makeManager(dir, clock: clock)
        let log = try manager.getOrCreateLog(topic: "t", partition: 0)
        try log.assignEpochStartOffset(epoch: 4, startOffset: 0)
        #expect(readText(dir.path + "/t-0/leader-epoch-checkpoint") == "0\n1\n4 0\n")
        #expect(log.lock.withLock { log.epochCache.unsynced })
        clock.now += 1
        try log.flushIfNeeded(now: clock.now)
        #expect(!log.lock.withLock { log.epochCache.unsynced })
        #expect(readText(dir.path + "/t-0/leader-epoch-checkpoint") == "0\n1\n4 0\n")
    }
}
