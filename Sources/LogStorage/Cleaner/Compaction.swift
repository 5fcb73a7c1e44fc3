extension LogConfig {
    /// The log cleaner's settings of one topic (topic overrides over the `log.cleaner.*` broker defaults).
    public struct Compaction: Sendable, Equatable {
        /// `delete.retention.ms`: how long a tombstone survives after the cleaner first kept it (the batch's delete
        /// horizon, KIP-534).
        public var deleteRetentionMs: Int64
        /// `min.cleanable.dirty.ratio`: dirty bytes / (clean + dirty bytes) above which a log is cleaned.
        public var minCleanableDirtyRatio: Double
        /// `min.compaction.lag.ms`: a segment whose newest record is younger than this stays uncleaned.
        public var minCompactionLagMs: Int64
        /// `max.compaction.lag.ms`: a dirty section whose first record is older than this is cleaned whatever its
        /// ratio.
        public var maxCompactionLagMs: Int64

        public init(
            deleteRetentionMs: Int64 = 86_400_000, minCleanableDirtyRatio: Double = 0.5, minCompactionLagMs: Int64 = 0,
            maxCompactionLagMs: Int64 = Int64.max
        ) {
            self.deleteRetentionMs = deleteRetentionMs
            self.minCleanableDirtyRatio = minCleanableDirtyRatio
            self.minCompactionLagMs = minCompactionLagMs
            self.maxCompactionLagMs = maxCompactionLagMs
        }
    }
}

/// Key → offset of its latest record in the dirty section of a log being cleaned (Kafka's `OffsetMap`).
///
/// Keys are kept whole, not hashed: a hash collision could make the cleaner drop the latest value of a key.
/// `budgetBytes` bounds the memory (`log.cleaner.dedupe.buffer.size`); once exceeded, the cleaner stops adding
/// segments to this round (it always finishes the segment it is reading).
struct OffsetMap {
    /// Rough per-entry cost of a Swift dictionary slot and an array header, on top of the key bytes.
    static let entryOverhead = 64

    private(set) var offsets: [[UInt8]: Int64] = [:]
    private(set) var bytesUsed = 0
    let budgetBytes: Int

    init(budgetBytes: Int) { self.budgetBytes = max(budgetBytes, 1 << 16) }

    var isFull: Bool { bytesUsed >= budgetBytes }
    var count: Int { offsets.count }

    mutating func put(_ key: [UInt8], offset: Int64) {
        if offsets.updateValue(offset, forKey: key) == nil { bytesUsed += key.count + Self.entryOverhead }
    }

    func latestOffset(of key: [UInt8]) -> Int64? { offsets[key] }
}

/// What one cleaner pass did.
public struct CleanerStats: Sendable, Equatable {
    /// Logs rewritten.
    public var cleanedLogs = 0
    public var bytesRead: Int64 = 0
    public var bytesWritten: Int64 = 0
    public var recordsRead = 0
    public var recordsRemoved = 0
    /// "<topic>-<partition>: reason" for logs whose cleaning failed or was abandoned.
    public var failures: [String] = []

    public init() {}

    mutating func add(_ other: CleanerStats) {
        cleanedLogs += other.cleanedLogs
        bytesRead += other.bytesRead
        bytesWritten += other.bytesWritten
        recordsRead += other.recordsRead
        recordsRemoved += other.recordsRemoved
        failures += other.failures
    }

    public var summary: String {
        "cleaned \(cleanedLogs) logs: read \(bytesRead) bytes (\(recordsRead) records), wrote \(bytesWritten) bytes, "
            + "removed \(recordsRemoved) records"
    }
}
