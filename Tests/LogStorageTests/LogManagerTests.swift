import Foundation
import KafkaRecords
import TestSupport
import Testing

@testable import LogStorage

@Suite("Log manager and checkpoint files")
struct LogManagerTests {
    @Test("checkpoint files are byte-exact: version 0, count, then 'topic partition offset' lines")
    func checkpointFormat() throws {
        let entries = [
            (TopicPartition(topic: "orders", partition: 0), Int64(42)),
            (TopicPartition(topic: "orders", partition: 1), Int64(7)),
        ]
        #expect(String(decoding: CheckpointFile.encode(entries), as: UTF8.self) == "0\n2\norders 0 42\norders 1 7\n")
        #expect(String(decoding: CheckpointFile.encode([]), as: UTF8.self) == "0\n0\n")
        let decoded = try CheckpointFile.decode(Array("0\n2\norders 0 42\nmy-topic 11 99\n".utf8))
        #expect(
            decoded == [
                TopicPartition(topic: "orders", partition: 0): 42, TopicPartition(topic: "my-topic", partition: 11): 99,
            ])
        #expect(throws: LogError.self) { try CheckpointFile.decode(Array("0\n3\norders 0 42\n".utf8)) }
        #expect(throws: LogError.self) { try CheckpointFile.decode(Array("1\n0\n".utf8)) }
        #expect(throws: LogError.self) { try CheckpointFile.decode(Array("0\n1\norders x 42\n".utf8)) }
    }

    @Test("shutdown writes every checkpoint and the clean-shutdown marker; they are read back on start")
    func shutdownCheckpoints() throws {
        let dir = TempDir()
        let clock = TestClock()
        do {
            let manager = try makeManager(dir, config: LogConfig(fileDeleteDelayMs: 0), clock: clock)
            let orders0 = try manager.getOrCreateLog(topic: "orders", partition: 0)
            let orders1 = try manager.getOrCreateLog(topic: "orders", partition: 1)
            for _ in 0..<3 { _ = try orders0.appendAsLeader(makeBatch(count: 2), leaderEpoch: 0, now: clock.now) }
            _ = try orders1.appendAsLeader(makeBatch(count: 5), leaderEpoch: 0, now: clock.now)
            orders0.highWatermark = 4
            orders1.highWatermark = 5
            try orders1.deleteRecords(before: 3)
            try manager.shutdown()
        }
        #expect(readText(dir.path + "/recovery-point-offset-checkpoint") == "0\n2\norders 0 6\norders 1 5\n")
        #expect(readText(dir.path + "/replication-offset-checkpoint") == "0\n2\norders 0 4\norders 1 5\n")
        #expect(readText(dir.path + "/log-start-offset-checkpoint") == "0\n1\norders 1 3\n")
        #expect(FileManager.default.fileExists(atPath: dir.path + "/.kafka_cleanshutdown"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/recovery-point-offset-checkpoint.tmp"))

        let manager = try makeManager(dir, clock: clock)
        let orders0 = try #require(manager.log(topic: "orders", partition: 0))
        let orders1 = try #require(manager.log(topic: "orders", partition: 1))
        #expect(orders0.highWatermark == 4 && orders0.logEndOffset == 6)
        #expect(orders1.logStartOffset == 3 && orders1.highWatermark == 5)
    }

    @Test("meta.properties is written on first start and a different broker.id or cluster.id is refused")
    func metaProperties() throws {
        let dir = TempDir()
        let clock = TestClock()
        do { _ = try makeManager(dir, clock: clock) }
        let text = try #require(readText(dir.path + "/meta.properties"))
        #expect(text.hasPrefix("#\n#"))
        #expect(
            text.contains("\nversion=0\n") && text.contains("\nbroker.id=1\n")
                && text.contains("\ncluster.id=test-cluster\n"))
        #expect(throws: LogError.inconsistentBrokerId(directory: dir.path, found: 1, expected: 2)) {
            try makeManager(dir, clock: clock, brokerId: 2)
        }
        #expect(throws: LogError.inconsistentClusterId(directory: dir.path, found: "test-cluster", expected: "other")) {
            try LogManager(logDirs: [dir.path], brokerId: 1, clusterId: "other", clock: clock.function)
        }
        let meta = try BrokerMetadata.decode(
            Array("#c\n#d\ncluster.id = abc\nversion=0\nbroker.id:7\n".utf8), path: "m")
        #expect(meta == BrokerMetadata(brokerId: 7, clusterId: "abc"))
    }

    @Test("a second manager on the same directory is refused while the first holds the lock")
    func directoryLock() throws {
        let dir = TempDir()
        let clock = TestClock()
        let first = try makeManager(dir, clock: clock)
        #expect(throws: LogError.logDirectoryLocked(dir.path + "/.lock")) { try makeManager(dir, clock: clock) }
        try first.shutdown()
        _ = try makeManager(dir, clock: clock)
    }

    @Test("new partitions go to the log dir holding the fewest partitions")
    func placement() throws {
        let a = TempDir()
        let b = TempDir()
        let clock = TestClock()
        let manager = try LogManager(logDirs: [a.path, b.path], brokerId: 1, clusterId: "c", clock: clock.function)
        _ = try manager.getOrCreateLog(topic: "x", partition: 0)
        _ = try manager.getOrCreateLog(topic: "x", partition: 1)
        _ = try manager.getOrCreateLog(topic: "x", partition: 2)
        #expect(manager.logDir(topic: "x", partition: 0) == a.path)
        #expect(manager.logDir(topic: "x", partition: 1) == b.path)
        #expect(manager.logDir(topic: "x", partition: 2) == a.path)
        #expect(a.files("").contains("x-2") && b.files("").contains("x-1"))
        #expect(throws: LogError.invalidTopic("../etc")) { try manager.getOrCreateLog(topic: "../etc", partition: 0) }
    }

    @Test("deleteLog renames the directory with a -delete suffix, closes the log and removes it")
    func deleteLog() throws {
        let dir = TempDir()
        let clock = TestClock()
        let manager = try makeManager(dir, clock: clock)
        let log = try manager.getOrCreateLog(topic: "gone", partition: 3)
        _ = try log.appendAsLeader(makeBatch(count: 2), leaderEpoch: 0, now: clock.now)
        let slice = try #require(try log.read(from: 0, maxBytes: 1000, upTo: .max, minOneBatch: true).slices.first)
        #expect(try manager.deleteLog(topic: "gone", partition: 3))
        #expect(manager.log(topic: "gone", partition: 3) == nil)
        #expect(!dir.files("").contains { $0.hasPrefix("gone-3") })
        #expect(log.directory.hasSuffix("-delete") && log.directory.contains("gone-3."))
        #expect(throws: LogError.logClosed("gone-3")) { try log.appendAsLeader(makeBatch(), leaderEpoch: 0, now: 0) }
        #expect(try slice.readBytes().count == slice.length)
        // A leftover -delete directory from a crash is removed at the next start.
        try manager.shutdown()
        try FileManager.default.createDirectory(
            atPath: dir.path + "/old-0.0123456789abcdef0123456789abcdef-delete", withIntermediateDirectories: true)
        _ = try makeManager(dir, clock: clock)
        #expect(!dir.files("").contains { $0.hasSuffix("-delete") })
    }

    @Test("the leader-epoch cache is persisted in Kafka's checkpoint format and answers end-offset queries")
    func leaderEpochs() throws {
        let dir = TempDir()
        let clock = TestClock()
        let manager = try makeManager(dir, clock: clock)
        let log = try manager.getOrCreateLog(topic: "t", partition: 0)
        _ = try log.appendAsLeader(makeBatch(count: 3), leaderEpoch: 1, now: clock.now)
        _ = try log.appendAsLeader(makeBatch(count: 3), leaderEpoch: 1, now: clock.now)
        try log.assignEpochStartOffset(epoch: 4, startOffset: log.logEndOffset)
        _ = try log.appendAsLeader(makeBatch(count: 2), leaderEpoch: 4, now: clock.now)
        #expect(readText(dir.path + "/t-0/leader-epoch-checkpoint") == "0\n2\n1 0\n4 6\n")
        #expect(log.endOffset(forLeaderEpoch: 4) == (4, 8))
        #expect(log.endOffset(forLeaderEpoch: 2) == (1, 6))
        #expect(log.endOffset(forLeaderEpoch: 0) == (0, 0))
        #expect(log.endOffset(forLeaderEpoch: 9) == (-1, -1))
        try manager.shutdown()
        let reopened = try #require(try makeManager(dir, clock: clock).log(topic: "t", partition: 0))
        #expect(
            reopened.leaderEpochEntries == [EpochEntry(epoch: 1, startOffset: 0), EpochEntry(epoch: 4, startOffset: 6)])
    }

    @Test("partition directory names split at the last dash")
    func directoryNames() {
        #expect(TopicPartition(directoryName: "my-topic-12") == TopicPartition(topic: "my-topic", partition: 12))
        #expect(TopicPartition(directoryName: "nodash") == nil)
        #expect(TopicPartition(directoryName: "t-x") == nil)
        #expect(TopicPartition(topic: "a", partition: 3).directoryName == "a-3")
    }
}
