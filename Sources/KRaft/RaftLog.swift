/// What a replicated-log entry holds. KRaft's log is Kafka record batches; the quorum core only needs to tell its
/// own control records from the payload it carries for the controller.
public enum RaftRecord: Sendable, Hashable {
    /// Kafka's LEADER_CHANGE control record (`ControlRecordType` 2): a new leader writes it first in its epoch, so
    /// the epoch has an entry of its own to commit (Raft's "commit an entry of the current term" rule).
    case leaderChange(leaderId: ReplicaID, voters: [ReplicaID])
    /// Opaque bytes of the layer above (metadata records, in a broker).
    case data([UInt8])
}

/// One entry of the replicated log.
public struct LogEntry: Sendable, Hashable {
    public var offset: Int64
    public var epoch: Int32
    public var record: RaftRecord

    public init(offset: Int64, epoch: Int32, record: RaftRecord) {
        self.offset = offset
        self.epoch = epoch
        self.record = record
    }
}

/// A snapshot of the state machine's state below `id.offset` (KIP-630). `id` names the offset the snapshot ends at
/// and the epoch of the last entry it covers; on disk it is `%020d-%010d.checkpoint` of those two numbers.
public struct RaftSnapshot: Sendable, Hashable {
    public var id: OffsetAndEpoch
    public var data: [UInt8]

    public init(id: OffsetAndEpoch, data: [UInt8]) {
        self.id = id
        self.data = data
    }

    /// Kafka's file name for the snapshot (`Snapshots.filenameFromSnapshotId`).
    public var fileName: String {
        func padded(_ value: some BinaryInteger, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(id.offset, 20))-\(padded(id.epoch, 10)).checkpoint"
    }
}

/// The log the Raft state machine replicates: Kafka's `ReplicatedLog`, reduced to what the quorum core reads and
/// changes. The broker will implement it on `LogStorage` for `__cluster_metadata-0`; tests and the simulation
/// use ``InMemoryRaftLog``. Implementations are durable when a mutating call returns.
public protocol RaftLog: Sendable {
    /// The first offset held as an entry; when above 0, the earliest snapshot ends there (KIP-630's "snapshot at
    /// log start").
    var startOffset: Int64 { get }
    /// One past the last entry.
    var endOffset: Int64 { get }
    /// The epoch of the last entry, else of the latest snapshot, else 0.
    var lastFetchedEpoch: Int32 { get }
    var latestSnapshot: RaftSnapshot? { get }
    /// The oldest snapshot kept (Kafka's `earliestSnapshotId`): the one at the log start once the log was cleaned.
    var earliestSnapshotId: OffsetAndEpoch? { get }

    /// Entries from `offset` (at least `startOffset`), at most `maxCount`.
    func entries(from offset: Int64, maxCount: Int) -> [LogEntry]
    /// The epoch of the entry at `offset`, or of the snapshot when `offset` is its last covered offset.
    func epoch(at offset: Int64) -> Int32?
    /// The largest epoch ≤ `epoch` this log knows and the offset where that epoch ends (Kafka's
    /// `ReplicatedLog.endOffsetForEpoch`, the basis of divergence detection).
    func endOffsetForEpoch(_ epoch: Int32) -> OffsetAndEpoch

    /// Appends entries whose first offset is `endOffset`.
    mutating func append(_ entries: [LogEntry])
    /// Removes every entry at or above `offset` (never below `startOffset`).
    mutating func truncate(to offset: Int64)
    /// Stores a snapshot of the local state at or below the high watermark. The entries it covers stay until
    /// ``deleteBeforeSnapshot(_:)`` (Kafka's `KafkaMetadataLog.createNewSnapshot` then `maybeClean`).
    mutating func createSnapshot(_ snapshot: RaftSnapshot)
    /// Moves the log start to snapshot `id` (one this log holds), dropping the entries and the older snapshots
    /// below it (Kafka's `deleteBeforeSnapshot`). Returns false when `id` is not held or not above the start.
    @discardableResult
    mutating func deleteBeforeSnapshot(_ id: OffsetAndEpoch) -> Bool
    /// Replaces the log with a snapshot fetched from the leader; entries after it survive only when they continue
    /// the snapshot (same epoch at its last offset).
    mutating func installSnapshot(_ snapshot: RaftSnapshot)
}

/// An in-memory ``RaftLog``: the simulation's disk, and the model the `LogStorage` implementation must match.
public struct InMemoryRaftLog: RaftLog, Hashable {
    public private(set) var startOffset: Int64 = 0
    /// The snapshots held, oldest first.
    public private(set) var snapshots: [RaftSnapshot] = []
    /// `entries[i].offset == startOffset + i`.
    public private(set) var entries: [LogEntry] = []

    public init() {}

    public var endOffset: Int64 { startOffset + Int64(entries.count) }

    public var lastFetchedEpoch: Int32 { entries.last?.epoch ?? latestSnapshot?.id.epoch ?? 0 }

    public var latestSnapshot: RaftSnapshot? { snapshots.last }
    public var earliestSnapshotId: OffsetAndEpoch? { snapshots.first?.id }

    public func entries(from offset: Int64, maxCount: Int) -> [LogEntry] {
        guard offset >= startOffset, offset < endOffset else { return [] }
        let first = Int(offset - startOffset)
        return Array(entries[first..<min(entries.count, first + maxCount)])
    }

    public func entry(at offset: Int64) -> LogEntry? {
        guard offset >= startOffset, offset < endOffset else { return nil }
        return entries[Int(offset - startOffset)]
    }

    public func epoch(at offset: Int64) -> Int32? {
        if let entry = entry(at: offset) { return entry.epoch }
        if let snapshot = snapshots.first(where: { $0.id.offset - 1 == offset }) { return snapshot.id.epoch }
        return nil
    }

    public func endOffsetForEpoch(_ epoch: Int32) -> OffsetAndEpoch {
        // Walk back to the last entry whose epoch is ≤ the one asked for; its epoch ends where the next begins.
        var end = endOffset
        var index = entries.count - 1
        while index >= 0 {
            let entry = entries[index]
            if entry.epoch <= epoch { return OffsetAndEpoch(offset: end, epoch: entry.epoch) }
            end = entry.offset
            index -= 1
        }
        if let snapshot = snapshots.first?.id, snapshot.offset == startOffset, snapshot.epoch <= epoch {
            return snapshot
        }
        // Nothing this old: the epoch is unknown (-1) and ends where the log starts.
        return OffsetAndEpoch(offset: startOffset, epoch: -1)
    }

    public mutating func append(_ newEntries: [LogEntry]) {
        precondition(newEntries.first.map { $0.offset == endOffset } ?? true, "append must continue the log")
        entries.append(contentsOf: newEntries)
    }

    public mutating func truncate(to offset: Int64) {
        guard offset < endOffset else { return }
        precondition(offset >= startOffset, "truncation below the log start offset")
        entries.removeLast(Int(endOffset - offset))
    }

    public mutating func createSnapshot(_ snapshot: RaftSnapshot) {
        precondition(
            snapshot.id.offset > (latestSnapshot?.id.offset ?? startOffset) && snapshot.id.offset <= endOffset)
        snapshots.append(snapshot)
    }

    @discardableResult
    public mutating func deleteBeforeSnapshot(_ id: OffsetAndEpoch) -> Bool {
        guard let index = snapshots.firstIndex(where: { $0.id == id }), id.offset > startOffset,
            id.offset <= endOffset
        else { return false }
        entries.removeFirst(Int(id.offset - startOffset))
        startOffset = id.offset
        snapshots.removeFirst(index)
        return true
    }

    public mutating func installSnapshot(_ snapshot: RaftSnapshot) {
        if snapshot.id.offset > startOffset, epoch(at: snapshot.id.offset - 1) == snapshot.id.epoch {
            entries.removeFirst(Int(snapshot.id.offset - startOffset))
        } else {
            entries.removeAll()
        }
        startOffset = snapshot.id.offset
        snapshots = [snapshot]
    }
}
