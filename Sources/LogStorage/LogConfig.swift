/// Per-partition log settings, filled by the broker from `server.properties` and topic overrides.
/// Defaults are Kafka's.
public struct LogConfig: Sendable, Equatable {
    public enum CleanupPolicy: Sendable, Equatable {
        case delete
        case compact
        case compactAndDelete

        /// Whether retention by time and size applies.
        public var deletes: Bool { self != .compact }
    }

    /// `segment.bytes`: roll when the active segment would grow past this.
    public var segmentBytes: Int = 1_073_741_824
    /// `segment.ms`: roll when the incoming batch's timestamp is this far past the segment's first batch.
    public var segmentMs: Int64 = 604_800_000
    /// `segment.jitter.ms` already resolved by the broker to a concrete value for this log.
    public var segmentJitterMs: Int64 = 0
    /// `segment.index.bytes`: preallocated size of `.index` / `.timeindex` while a segment is active.
    public var segmentIndexBytes: Int = 10_485_760
    /// `index.interval.bytes`: bytes between sparse index entries.
    public var indexIntervalBytes: Int = 4096
    /// `retention.ms`; negative means unlimited.
    public var retentionMs: Int64 = 604_800_000
    /// `retention.bytes`; negative means unlimited.
    public var retentionBytes: Int64 = -1
    /// `file.delete.delay.ms`: how long `.deleted` files linger before removal.
    public var fileDeleteDelayMs: Int64 = 60_000
    /// `flush.messages`: fsync after this many appended records (Int64.max = never, Kafka's default).
    public var flushMessages: Int64 = Int64.max
    /// `flush.ms`: fsync when this long has passed since the last flush (Int64.max = never).
    public var flushMs: Int64 = Int64.max
    /// `cleanup.policy`.
    public var cleanupPolicy: CleanupPolicy = .delete
    /// The log cleaner's per-topic settings (`delete.retention.ms`, `min.cleanable.dirty.ratio`, compaction lags).
    public var compaction = Compaction()

    public init() {}

    public init(
        segmentBytes: Int = 1_073_741_824, segmentMs: Int64 = 604_800_000, segmentJitterMs: Int64 = 0,
        segmentIndexBytes: Int = 10_485_760, indexIntervalBytes: Int = 4096, retentionMs: Int64 = 604_800_000,
        retentionBytes: Int64 = -1, fileDeleteDelayMs: Int64 = 60_000, flushMessages: Int64 = Int64.max,
        flushMs: Int64 = Int64.max, cleanupPolicy: CleanupPolicy = .delete
    ) {
        self.segmentBytes = segmentBytes
        self.segmentMs = segmentMs
        self.segmentJitterMs = segmentJitterMs
        self.segmentIndexBytes = segmentIndexBytes
        self.indexIntervalBytes = indexIntervalBytes
        self.retentionMs = retentionMs
        self.retentionBytes = retentionBytes
        self.fileDeleteDelayMs = fileDeleteDelayMs
        self.flushMessages = flushMessages
        self.flushMs = flushMs
        self.cleanupPolicy = cleanupPolicy
    }
}
