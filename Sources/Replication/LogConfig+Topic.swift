import KafkaConfig
import LogStorage

extension LogConfig.Compaction {
    /// The cleaner's view of a topic's effective config (topic overrides over `log.cleaner.*`).
    init(_ c: EffectiveTopicConfig) {
        self.init(
            deleteRetentionMs: c.deleteRetentionMs, minCleanableDirtyRatio: c.minCleanableDirtyRatio,
            minCompactionLagMs: c.minCompactionLagMs, maxCompactionLagMs: c.maxCompactionLagMs)
    }
}
