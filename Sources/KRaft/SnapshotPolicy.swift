/// When a node snapshots its metadata and when it cleans its log below a snapshot: Kafka's `SnapshotGenerator`
/// triggers and `KafkaMetadataLog.maybeClean`'s retention rules (Kafka 3.9), with Kafka's keys and defaults.
public struct SnapshotPolicy: Sendable, Hashable {
    public static let maxBytesBetweenSnapshotsKey = "metadata.log.max.record.bytes.between.snapshots"
    public static let maxIntervalKey = "metadata.log.max.snapshot.interval.ms"
    public static let retentionBytesKey = "metadata.max.retention.bytes"
    public static let retentionMsKey = "metadata.max.retention.ms"

    /// A snapshot is taken once this many bytes of records were applied since the last one (20 MiB).
    public var maxBytesBetweenSnapshots: Int64 = 20 * 1024 * 1024
    /// A snapshot is taken once this long passed since the last one and anything was applied; 0 turns the timer
    /// off (1 hour).
    public var maxIntervalMs: Int64 = 3_600_000
    /// The log and its snapshots are cleaned while they hold more than this; -1 keeps everything (100 MiB).
    public var retentionBytes: Int64 = 100 * 1024 * 1024
    /// A snapshot older than this (by its last contained record) is deleted with the log below the next one; -1
    /// keeps everything (7 days).
    public var retentionMs: Int64 = 7 * 24 * 3_600_000

    public init() {}

    /// Reads the keys from a property map; absent keys keep Kafka's defaults.
    public init(properties: [String: String]) throws(QuorumConfigError) {
        func long(_ key: String, _ fallback: Int64, atLeast minimum: Int64) throws(QuorumConfigError) -> Int64 {
            guard let text = properties[key] else { return fallback }
            guard let value = Int64(text.trimmingSpaces) else {
                throw .invalidValue(key: key, value: text, reason: "Expected a long")
            }
            guard value >= minimum else {
                throw .invalidValue(key: key, value: text, reason: "Value must be at least \(minimum)")
            }
            return value
        }
        maxBytesBetweenSnapshots = try long(Self.maxBytesBetweenSnapshotsKey, maxBytesBetweenSnapshots, atLeast: 1)
        maxIntervalMs = try long(Self.maxIntervalKey, maxIntervalMs, atLeast: 0)
        retentionBytes = try long(Self.retentionBytesKey, retentionBytes, atLeast: Int64.min)
        retentionMs = try long(Self.retentionMsKey, retentionMs, atLeast: Int64.min)
    }

    /// Whether to snapshot now (Kafka's `SnapshotGenerator`): enough bytes since the last snapshot, or the
    /// interval passed and there is something new to cover.
    public func shouldSnapshot(bytesSinceLast: Int64, lastSnapshotAt: Int64, now: Int64) -> Bool {
        if bytesSinceLast >= maxBytesBetweenSnapshots { return true }
        return maxIntervalMs > 0 && bytesSinceLast > 0 && now - lastSnapshotAt >= maxIntervalMs
    }

    /// One snapshot as retention sees it.
    public struct HeldSnapshot: Sendable, Hashable {
        public var id: OffsetAndEpoch
        public var sizeInBytes: Int64
        /// The SnapshotHeader's `lastContainedLogTimestamp`.
        public var lastContainedLogTimestamp: Int64

        public init(id: OffsetAndEpoch, sizeInBytes: Int64, lastContainedLogTimestamp: Int64) {
            self.id = id
            self.sizeInBytes = sizeInBytes
            self.lastContainedLogTimestamp = lastContainedLogTimestamp
        }
    }

    /// The snapshot to move the log start to, or nil to keep everything (Kafka's `cleanSnapshotsRetentionSize`
    /// and `cleanSnapshotsRetentionMs`). `snapshots` are oldest first; the latest one is never deleted, so the
    /// log can only start at a later snapshot while an older one is too big or too old.
    public func snapshotToDeleteBefore(snapshots: [HeldSnapshot], logSizeInBytes: Int64, now: Int64) -> OffsetAndEpoch?
    {
        guard snapshots.count >= 2 else { return nil }
        var target: OffsetAndEpoch?
        if retentionBytes >= 0 {
            var total = logSizeInBytes + snapshots.reduce(0) { $0 + $1.sizeInBytes }
            for (older, next) in zip(snapshots, snapshots.dropFirst()) {
                guard total > retentionBytes else { break }
                total -= older.sizeInBytes
                target = next.id
            }
        }
        if retentionMs >= 0 {
            for (older, next) in zip(snapshots, snapshots.dropFirst()) {
                guard now - older.lastContainedLogTimestamp > retentionMs else { break }
                if target.map({ next.id.offset > $0.offset }) ?? true { target = next.id }
            }
        }
        return target
    }
}
