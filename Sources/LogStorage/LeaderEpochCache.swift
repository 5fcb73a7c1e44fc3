/// One entry of the leader-epoch cache: the first offset written in `epoch`.
public struct EpochEntry: Sendable, Equatable {
    public var epoch: Int32
    public var startOffset: Int64

    public init(epoch: Int32, startOffset: Int64) {
        self.epoch = epoch
        self.startOffset = startOffset
    }
}

/// Kafka's `LeaderEpochFileCache`: epoch → start offset, persisted to `leader-epoch-checkpoint`
/// (`0\n<count>\n<epoch> <startOffset>\n…`) after each change.
struct LeaderEpochCache {
    let path: String
    private(set) var entries: [EpochEntry] = []
    /// The file was last written without fsync (`persist(sync: false)`); the next flush of the log syncs it.
    private(set) var unsynced = false

    init(path: String) {
        self.path = path
    }

    mutating func load() throws(LogError) {
        guard let bytes = try FS.readFile(path) else { return }
        var loaded: [EpochEntry] = []
        for fields in try CheckpointFile.lines(bytes, path: path, fieldsPerEntry: 2) {
            guard let epoch = Int32(fields[0]), let start = Int64(fields[1]) else {
                throw .corruptLog("\(path): bad entry \(fields)")
            }
            loaded.append(EpochEntry(epoch: epoch, startOffset: start))
        }
        entries = loaded
    }

    static func encode(_ entries: [EpochEntry]) -> [UInt8] {
        var text = "0\n\(entries.count)\n"
        for e in entries { text += "\(e.epoch) \(e.startOffset)\n" }
        return Array(text.utf8)
    }

    /// Writes the checkpoint (write-temp, rename). With `sync: false` the rename is atomic but not yet durable.
    mutating func persist(sync: Bool = true) throws(LogError) {
        try FS.writeAtomically(path, Self.encode(entries), sync: sync)
        unsynced = !sync
    }

    var latestEpoch: Int32? { entries.last?.epoch }

    /// Adds (epoch, startOffset) unless it is the latest epoch already; entries it contradicts are removed first.
    /// Returns whether anything changed.
    @discardableResult
    mutating func assign(epoch: Int32, startOffset: Int64) -> Bool {
        guard epoch >= 0 else { return false }
        if let last = entries.last, last.epoch == epoch { return false }
        entries.removeAll { $0.epoch >= epoch || $0.startOffset >= startOffset }
        entries.append(EpochEntry(epoch: epoch, startOffset: startOffset))
        return true
    }

    /// Drops entries starting at or after `endOffset` (log truncation).
    @discardableResult
    mutating func truncateFromEnd(_ endOffset: Int64) -> Bool {
        let before = entries.count
        entries.removeAll { $0.startOffset >= endOffset }
        return entries.count != before
    }

    /// Drops entries wholly below `startOffset`; the one that spans it is moved to `startOffset`.
    @discardableResult
    mutating func truncateFromStart(_ startOffset: Int64) -> Bool {
        guard let floorIndex = entries.lastIndex(where: { $0.startOffset <= startOffset }) else { return false }
        let changed = floorIndex > 0 || entries[floorIndex].startOffset != startOffset
        entries.removeFirst(floorIndex)
        entries[0].startOffset = startOffset
        return changed
    }

    /// The leader's answer to OffsetsForLeaderEpoch (KIP-101/KIP-279).
    func endOffset(for requested: Int32, logEndOffset: Int64) -> (epoch: Int32, endOffset: Int64) {
        if requested < 0 { return (-1, -1) }
        if let last = entries.last, last.epoch == requested { return (requested, logEndOffset) }
        guard let higher = entries.first(where: { $0.epoch > requested }) else { return (-1, -1) }
        guard let floor = entries.last(where: { $0.epoch <= requested }) else { return (requested, higher.startOffset) }
        return (floor.epoch, higher.startOffset)
    }
}
