import KafkaConfig
import LogStorage

extension LogConfig {
    /// The storage view of a topic's effective config.
    public init(_ c: EffectiveTopicConfig) {
        self.init()
        segmentBytes = c.segmentBytes
        segmentMs = c.maxSegmentMs
        segmentJitterMs = c.segmentJitterMs
        segmentIndexBytes = c.segmentIndexBytes
        indexIntervalBytes = c.indexIntervalBytes
        retentionMs = c.retentionMs
        retentionBytes = c.retentionBytes
        fileDeleteDelayMs = c.fileDeleteDelayMs
        flushMessages = c.flushMessages
        flushMs = c.flushMs
        cleanupPolicy =
            c.cleanupPolicy.contains(.compact)
            ? (c.cleanupPolicy.contains(.delete) ? .compactAndDelete : .compact) : .delete
        compaction = LogConfig.Compaction(c)
    }
}

extension LogConfig.Compaction {
    /// The cleaner's view of a topic's effective config (topic overrides over `log.cleaner.*`).
    init(_ c: EffectiveTopicConfig) {
        self.init(
            deleteRetentionMs: c.deleteRetentionMs, minCleanableDirtyRatio: c.minCleanableDirtyRatio,
            minCompactionLagMs: c.minCompactionLagMs, maxCompactionLagMs: c.maxCompactionLagMs)
    }
}
