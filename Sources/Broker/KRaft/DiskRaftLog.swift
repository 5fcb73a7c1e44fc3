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
/// next Fetch acknowledges what it appended (Kafka's `KafkaRaftClient` flush rules). Snapshots stay in memory: a
/// restarted node starts from its log alone.
struct DiskRaftLog: RaftLog {
    let log: PartitionLog
    private(set) var latestSnapshot: RaftSnapshot?
    private let clock: @Sendable () -> Int64

    static let topicPartition = TopicPartition(topic: "__cluster_metadata", partition: 0)

    /// Opens (creating if needed) the log in `directory`, recovering a tail cut by a crash.
    init(directory: String, clock: @escaping @Sendable () -> Int64) throws(LogError) {
        self.clock = clock
        log = try PartitionLog(
            directory: directory, topicPartition: Self.topicPartition, config: LogConfig(), clock: clock)
    }

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
        if let snapshot = latestSnapshot, offset == snapshot.id.offset - 1 { return snapshot.id.epoch }
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
        if let snapshot = latestSnapshot, snapshot.id.epoch <= epoch {
            return OffsetAndEpoch(offset: snapshot.id.offset, epoch: snapshot.id.epoch)
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
        precondition(snapshot.id.offset > startOffset && snapshot.id.offset <= endOffset)
        do {
            log.highWatermark = snapshot.id.offset
            try log.deleteRecords(before: snapshot.id.offset)
        } catch {
            Self.halt("Cannot move the start of \(Self.topicPartition) to \(snapshot.id.offset): \(error)")
        }
        latestSnapshot = snapshot
    }

    mutating func installSnapshot(_ snapshot: RaftSnapshot) {
        do {
            if snapshot.id.offset > startOffset, snapshot.id.offset <= endOffset,
                epoch(at: snapshot.id.offset - 1) == snapshot.id.epoch
            {
                log.highWatermark = snapshot.id.offset
                try log.deleteRecords(before: snapshot.id.offset)
            } else {
                try log.truncateFullyAndStartAt(snapshot.id.offset)
            }
            try log.flush()
        } catch {
            Self.halt("Cannot install snapshot \(snapshot.id) in \(Self.topicPartition): \(error)")
        }
        latestSnapshot = snapshot
    }

    /// A storage failure under the quorum: Kafka halts the process (`Exit.halt`) rather than run on a log it
    /// cannot trust.
    static func halt(_ reason: String) -> Never {
        Logger(label: "needletail.kraft").critical("[RaftLog] \(reason); halting")
        exit(1)
    }
}
