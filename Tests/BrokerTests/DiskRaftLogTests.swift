import Foundation
import KRaft
import KafkaRecords
import Testing

@testable import Broker

/// `DiskRaftLog` must behave as `InMemoryRaftLog`, the model the quorum core and its simulation were proven on:
/// the same operations on both give the same answers, and the disk one gives them again after a reopen.
@Suite("KRaft metadata log on LogStorage")
struct DiskRaftLogTests {
    static func directory() -> String {
        let dir = NSTemporaryDirectory() + "raft-log-\(UUID().uuidString)/__cluster_metadata-0"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func open(_ dir: String) throws -> DiskRaftLog {
        try DiskRaftLog(directory: dir, clock: { 1_700_000_000_000 })
    }

    /// Every question the core asks, over the whole range of offsets and epochs.
    func expectSameAnswers(_ disk: DiskRaftLog, _ model: InMemoryRaftLog, _ step: String) {
        #expect(disk.startOffset == model.startOffset, "\(step): start offset")
        #expect(disk.endOffset == model.endOffset, "\(step): end offset")
        #expect(disk.lastFetchedEpoch == model.lastFetchedEpoch, "\(step): last fetched epoch")
        #expect(disk.latestSnapshot == model.latestSnapshot, "\(step): snapshot")
        #expect(disk.earliestSnapshotId == model.earliestSnapshotId, "\(step): earliest snapshot")
        for offset in (model.startOffset - 1)...(model.endOffset + 1) {
            #expect(disk.epoch(at: offset) == model.epoch(at: offset), "\(step): epoch at \(offset)")
            #expect(
                disk.entries(from: offset, maxCount: 3) == model.entries(from: offset, maxCount: 3),
                "\(step): entries from \(offset)")
        }
        for epoch: Int32 in -1...8 {
            #expect(disk.endOffsetForEpoch(epoch) == model.endOffsetForEpoch(epoch), "\(step): end of epoch \(epoch)")
        }
    }

    static func entries(from offset: Int64, epoch: Int32, leader: Int32, count: Int) -> [LogEntry] {
        var out = [
            LogEntry(
                offset: offset, epoch: epoch, record: .leaderChange(leaderId: ReplicaID(leader), voters: [1, 2, 3]))
        ]
        for i in 1..<count {
            out.append(
                LogEntry(offset: offset + Int64(i), epoch: epoch, record: .data(Array("r\(offset + Int64(i))".utf8))))
        }
        return out
    }

    @Test("appends, truncations and epochs answer as the in-memory log does, and again after a reopen")
    func matchesTheModel() throws {
        let dir = Self.directory()
        var disk = try Self.open(dir)
        var model = InMemoryRaftLog()
        expectSameAnswers(disk, model, "empty")

        let epoch1 = Self.entries(from: 0, epoch: 1, leader: 1, count: 4)
        disk.append(epoch1)
        model.append(epoch1)
        let epoch3 = Self.entries(from: 4, epoch: 3, leader: 2, count: 3)
        disk.append(epoch3)
        model.append(epoch3)
        expectSameAnswers(disk, model, "two epochs")

        // A follower's diverging tail: cut inside epoch 3, then a new leader's epoch 5.
        disk.truncate(to: 5)
        model.truncate(to: 5)
        expectSameAnswers(disk, model, "truncated inside an epoch")
        let epoch5 = Self.entries(from: 5, epoch: 5, leader: 3, count: 2)
        disk.append(epoch5)
        model.append(epoch5)
        expectSameAnswers(disk, model, "after truncation")

        // The log, its epochs and its entries come back from the files.
        let reopened = try Self.open(dir)
        expectSameAnswers(reopened, model, "reopened")
        #expect(FileManager.default.fileExists(atPath: dir + "/leader-epoch-checkpoint"))
        #expect(FileManager.default.fileExists(atPath: dir + "/00000000000000000000.log"))
        #expect(FileManager.default.fileExists(atPath: dir + "/00000000000000000000.index"))
    }

    @Test("snapshots are checkpoint files; cleaning moves the log start to one and deletes the older files")
    func snapshots() throws {
        let dir = Self.directory()
        var disk = try Self.open(dir)
        var model = InMemoryRaftLog()
        let entries = Self.entries(from: 0, epoch: 2, leader: 1, count: 8)
        disk.append(entries)
        model.append(entries)
        let first = RaftSnapshot(id: OffsetAndEpoch(offset: 4, epoch: 2), data: [1, 2, 3])
        disk.createSnapshot(first)
        model.createSnapshot(first)
        expectSameAnswers(disk, model, "snapshot taken")
        #expect(FileManager.default.fileExists(atPath: dir + "/00000000000000000004-0000000002.checkpoint"))
        expectSameAnswers(try Self.open(dir), model, "reopened with a snapshot")

        let second = RaftSnapshot(id: OffsetAndEpoch(offset: 6, epoch: 2), data: [4, 5])
        disk.createSnapshot(second)
        model.createSnapshot(second)
        let diskCleaned = disk.deleteBeforeSnapshot(second.id)
        let modelCleaned = model.deleteBeforeSnapshot(second.id)
        #expect(diskCleaned && modelCleaned)
        expectSameAnswers(disk, model, "cleaned")
        #expect(!FileManager.default.fileExists(atPath: dir + "/00000000000000000004-0000000002.checkpoint"))
        expectSameAnswers(try Self.open(dir), model, "reopened after cleaning")

        // A snapshot from the leader that does not continue this log replaces it.
        var follower = try Self.open(Self.directory())
        var followerModel = InMemoryRaftLog()
        let stale = Self.entries(from: 0, epoch: 1, leader: 2, count: 3)
        follower.append(stale)
        followerModel.append(stale)
        let installed = RaftSnapshot(id: OffsetAndEpoch(offset: 10, epoch: 4), data: [9])
        follower.installSnapshot(installed)
        followerModel.installSnapshot(installed)
        expectSameAnswers(follower, followerModel, "snapshot installed")
    }

    @Test("a half-written snapshot is discarded and a log that does not continue the latest one is replaced")
    func recovery() throws {
        let dir = Self.directory()
        var disk = try Self.open(dir)
        disk.append(Self.entries(from: 0, epoch: 1, leader: 1, count: 5))
        // A crash while writing: only the .part file exists.
        _ = FileManager.default.createFile(
            atPath: dir + "/00000000000000000003-0000000001.checkpoint.part", contents: Data([1, 2]))
        // A follower that wrote the leader's snapshot and crashed before truncating its own diverging log.
        let leaders = RaftSnapshot(id: OffsetAndEpoch(offset: 9, epoch: 4), data: [7, 7])
        try MetadataSnapshotFile.write(leaders.data, id: leaders.id, directory: dir)
        let reopened = try Self.open(dir)
        var model = InMemoryRaftLog()
        model.installSnapshot(leaders)
        expectSameAnswers(reopened, model, "recovered")
        #expect(!FileManager.default.fileExists(atPath: dir + "/00000000000000000003-0000000001.checkpoint.part"))
    }

    @Test("each entry is its own batch, LeaderChange a control batch, with the entry's epoch")
    func onDiskFormat() throws {
        let dir = Self.directory()
        var disk = try Self.open(dir)
        disk.append(Self.entries(from: 0, epoch: 7, leader: 2, count: 3))
        let bytes = try disk.log.readBytes(from: 0, maxBytes: 1 << 20)
        let batches = try RecordBatchIterator.batches(in: bytes).entries
        #expect(batches.map(\.header.baseOffset) == [0, 1, 2])
        #expect(batches.map(\.header.isControl) == [true, false, false])
        #expect(batches.map(\.header.partitionLeaderEpoch) == [7, 7, 7])
    }
}
