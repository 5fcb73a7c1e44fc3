import Foundation
import KRaft
import LogStorage
import Logging

/// `__cluster_metadata-0` on `LogStorage` (Kafka's `KafkaMetadataLog` over `UnifiedLog`): the quorum's entries as
/// Kafka record batches in ordinary segments with their `.index`/`.timeindex`, the epochs in
/// `leader-epoch-checkpoint`, so the log and its epochs come back after a restart and `dump-log` reads it.
///
/// Each entry is a batch of its own (LeaderChange a control batch, data a one-record batch, the batch's partition
/// leader epoch the entry's epoch): a follower's truncation never falls inside a batch, where `PartitionLog` would
/// drop the whole batch and with it entries the follower had acknowledged.
///
/// Durability: every append and truncation is flushed (fsync) before the call returns, as ``RaftLog`` requires —
/// so the leader has flushed before it counts its own end offset in the high watermark, and a follower before its
/// next Fetch acknowledges what it appended (Kafka's `KafkaRaftClient` flush rules).
///
/// Snapshots are `%020d-%010d.checkpoint` files beside the segments (``MetadataSnapshotFile``), written whole
/// before they count; the latest one is also held in memory (it is what FetchSnapshot ships and what a restarted
/// node loads). Taking a snapshot keeps the log; ``deleteBeforeSnapshot(_:)`` moves the log start up to one,
/// deleting the segments wholly below it and the older snapshot files (Kafka's `KafkaMetadataLog`).
struct DiskRaftLog: RaftLog {
    let log: PartitionLog
    let directory: String
    private(set) var latestSnapshot: RaftSnapshot?
    /// Every snapshot file kept, oldest first, with what retention needs to know of it.
    private(set) var snapshots: [SnapshotPolicy.HeldSnapshot] = []
    private let clock: @Sendable () -> Int64

    static let topicPartition = TopicPartition(topic: "__cluster_metadata", partition: 0)

    /// Opens (creating if needed) the log in `directory`, recovering a tail cut by a crash, and its snapshots:
    /// half-written `.checkpoint.part` files are removed, a log that does not continue the latest snapshot (a
    /// follower that crashed while installing one) is replaced by it, and a cleaned log starts at its earliest
    /// snapshot again.
    init(directory: String, clock: @escaping @Sendable () -> Int64) throws(LogError) {
        self.clock = clock
        self.directory = directory
        log = try PartitionLog(
            directory: directory, topicPartition: Self.topicPartition, config: LogConfig(), clock: clock)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasSuffix(MetadataSnapshotFile.partialSuffix) {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
        let ids = names.compactMap(MetadataSnapshotFile.snapshotId(fileName:)).sorted { $0.offset < $1.offset }
        for id in ids {
            guard let data = FileManager.default.contents(atPath: path(of: id)) else { continue }
            let bytes = [UInt8](data)
            snapshots.append(held(id, bytes))
            if id == ids.last { latestSnapshot = RaftSnapshot(id: id, data: bytes) }
        }
        do {
            if let latest = latestSnapshot?.id,
                latest.offset > log.logEndOffset
                    || (latest.offset > log.logStartOffset && epoch(at: latest.offset - 1) != latest.epoch)
            {
                try log.truncateFullyAndStartAt(latest.offset)
                try log.flush()
            } else if let earliest = snapshots.first?.id, earliest.offset > log.logStartOffset,
                log.logStartOffset > 0 || (log.leaderEpochEntries.first?.startOffset ?? 0) > log.logStartOffset
            {
                // The log was cleaned up to its earliest snapshot: segments wholly below went, and the epoch
                // checkpoint starts there, but a reopened log starts at its first segment.
                log.highWatermark = earliest.offset
                try log.deleteRecords(before: earliest.offset)
            }
        } catch {
            Self.halt("Cannot recover \(Self.topicPartition) to its snapshots: \(error)")
        }
        // Snapshots below the log start cover nothing the log lacks.
        while let first = snapshots.first, first.id.offset < log.logStartOffset {
            try? FileManager.default.removeItem(atPath: path(of: first.id))
            snapshots.removeFirst()
        }
    }

    func path(of id: OffsetAndEpoch) -> String {
        directory + "/" + RaftSnapshot(id: id, data: []).fileName
    }

    /// What retention knows of a snapshot: its size and its header's timestamp (the file's own clock when the
    /// bytes are not a metadata snapshot, as in tests of the log alone).
    private func held(_ id: OffsetAndEpoch, _ bytes: [UInt8]) -> SnapshotPolicy.HeldSnapshot {
        SnapshotPolicy.HeldSnapshot(
            id: id, sizeInBytes: Int64(bytes.count),
            lastContainedLogTimestamp: MetadataSnapshotFile.headerTimestamp(bytes) ?? clock())
    }

    var earliestSnapshotId: OffsetAndEpoch? { snapshots.first?.id }

    /// The segments' bytes (retention adds the snapshot files').
    var sizeInBytes: Int64 { log.size }

    var startOffset: Int64 { log.logStartOffset }
    var endOffset: Int64 { log.logEndOffset }

    var lastFetchedEpoch: Int32 {
        if endOffset > startOffset, let epoch = log.latestLeaderEpoch { return epoch }
        return latestSnapshot?.id.epoch ?? 0
    }

    func entries(from offset: Int64, maxCount: Int) -> [LogEntry] {
        guard offset >= startOffset, offset < endOffset, maxCount > 0 else { return [] }
        do {
            let bytes = try log.readBytes(from: offset, maxBytes: 1 << 20)
            return Array(try RaftWire.decodeEntries(bytes, from: offset).prefix(maxCount))
        } catch {
            Self.halt("Cannot read \(Self.topicPartition) from offset \(offset): \(error)")
        }
    }

    func epoch(at offset: Int64) -> Int32? {
        if offset >= startOffset, offset < endOffset,
            let entry = log.leaderEpochEntries.last(where: { $0.startOffset <= offset })
        {
            return entry.epoch
        }
        if let snapshot = snapshots.first(where: { $0.id.offset - 1 == offset }) { return snapshot.id.epoch }
        return nil
    }

    func endOffsetForEpoch(_ epoch: Int32) -> OffsetAndEpoch {
        // The epoch cache holds (epoch, start offset) per run of entries: the largest epoch ≤ the one asked for
        // ends where the next run starts, or at the log end.
        if endOffset > startOffset {
            let runs = log.leaderEpochEntries
            if let index = runs.lastIndex(where: { $0.epoch <= epoch }) {
                let end = index + 1 < runs.count ? runs[index + 1].startOffset : endOffset
                if end > startOffset { return OffsetAndEpoch(offset: end, epoch: runs[index].epoch) }
            }
        }
        if let snapshot = earliestSnapshotId, snapshot.offset == startOffset, snapshot.epoch <= epoch {
            return snapshot
        }
        return OffsetAndEpoch(offset: startOffset, epoch: -1)
    }

    mutating func append(_ newEntries: [LogEntry]) {
        guard let first = newEntries.first else { return }
        precondition(first.offset == endOffset, "append must continue the log")
        do {
            var bytes: [UInt8] = []
            let now = clock()
            for entry in newEntries { bytes += try RaftWire.encode([entry], timestamp: now) }
            try log.appendAsFollower(bytes)
            try log.flush()
        } catch {
            Self.halt("Cannot append to \(Self.topicPartition) at offset \(first.offset): \(error)")
        }
    }

    mutating func truncate(to offset: Int64) {
        guard offset < endOffset else { return }
        precondition(offset >= startOffset, "truncation below the log start offset")
        do {
            try log.truncate(to: offset)
            try log.flush()
        } catch {
            Self.halt("Cannot truncate \(Self.topicPartition) to \(offset): \(error)")
        }
    }

    mutating func createSnapshot(_ snapshot: RaftSnapshot) {
        precondition(
            snapshot.id.offset > (latestSnapshot?.id.offset ?? startOffset) && snapshot.id.offset <= endOffset)
        store(snapshot)
        snapshots.append(held(snapshot.id, snapshot.data))
        latestSnapshot = snapshot
    }

    @discardableResult
    mutating func deleteBeforeSnapshot(_ id: OffsetAndEpoch) -> Bool {
        guard let index = snapshots.firstIndex(where: { $0.id == id }), id.offset > startOffset,
            id.offset <= endOffset
        else { return false }
        do {
            log.highWatermark = max(log.highWatermark, id.offset)
            try log.deleteRecords(before: id.offset)
        } catch {
            Self.halt("Cannot move the start of \(Self.topicPartition) to \(id.offset): \(error)")
        }
        for older in snapshots[..<index] { try? FileManager.default.removeItem(atPath: path(of: older.id)) }
        snapshots.removeFirst(index)
        return true
    }

    mutating func installSnapshot(_ snapshot: RaftSnapshot) {
        // The file first: a crash from here on finds a snapshot the log does not continue and truncates to it.
        store(snapshot)
        do {
            if snapshot.id.offset > startOffset, snapshot.id.offset <= endOffset,
                epoch(at: snapshot.id.offset - 1) == snapshot.id.epoch
            {
                log.highWatermark = max(log.highWatermark, snapshot.id.offset)
                try log.deleteRecords(before: snapshot.id.offset)
            } else {
                try log.truncateFullyAndStartAt(snapshot.id.offset)
            }
            try log.flush()
        } catch {
            Self.halt("Cannot install snapshot \(snapshot.id) in \(Self.topicPartition): \(error)")
        }
        for old in snapshots where old.id != snapshot.id {
            try? FileManager.default.removeItem(atPath: path(of: old.id))
        }
        snapshots = [held(snapshot.id, snapshot.data)]
        latestSnapshot = snapshot
    }

    private func store(_ snapshot: RaftSnapshot) {
        do {
            try MetadataSnapshotFile.write(snapshot.data, id: snapshot.id, directory: directory)
        } catch {
            Self.halt("Cannot write snapshot \(snapshot.fileName) in \(Self.topicPartition): \(error)")
        }
    }

    /// A storage failure under the quorum: Kafka halts the process (`Exit.halt`) rather than run on a log it
    /// cannot trust.
    static func halt(_ reason: String) -> Never {
        Logger(label: "needletail.kraft").critical("[RaftLog] \(reason); halting")
        exit(1)
    }
}
