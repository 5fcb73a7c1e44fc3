/// A topic's configuration as the log uses it: topic overrides (from `/config/topics/<topic>`) over the broker's
/// configuration, over Kafka's defaults.
///
/// Built once per topic (and again when its overrides or the broker's dynamic configs change); every accessor is a
/// stored property. Unknown override names are ignored here (a newer Kafka may have written them); use
/// `TopicConfig.validate` to reject them in admin requests.
public struct EffectiveTopicConfig: Sendable {
    /// The topic's own overrides, as stored.
    public let overrides: [String: String]
    let values: [String: ConfigValue]

    public let cleanupPolicy: CleanupPolicy
    public let compressionType: BrokerCompressionType
    public let deleteRetentionMs: Int64
    public let fileDeleteDelayMs: Int64
    public let flushMessages: Int64
    public let flushMs: Int64
    public let indexIntervalBytes: Int
    public let maxCompactionLagMs: Int64
    public let maxMessageBytes: Int
    public let messageDownconversionEnable: Bool
    public let messageTimestampType: MessageTimestampType
    public let messageTimestampDifferenceMaxMs: Int64
    public let messageTimestampBeforeMaxMs: Int64
    public let messageTimestampAfterMaxMs: Int64
    public let minCleanableDirtyRatio: Double
    public let minCompactionLagMs: Int64
    public let minInsyncReplicas: Int
    public let preallocate: Bool
    /// -1 means no size limit.
    public let retentionBytes: Int64
    /// -1 means keep forever.
    public let retentionMs: Int64
    public let segmentBytes: Int
    public let segmentIndexBytes: Int
    public let segmentJitterMs: Int64
    public let segmentMs: Int64
    public let uncleanLeaderElectionEnable: Bool
    public let leaderReplicationThrottledReplicas: [String]
    public let followerReplicationThrottledReplicas: [String]

    /// Throws `ConfigError.invalidValue` when a known override does not parse.
    public init(topicOverrides: [String: String], broker: BrokerConfig) throws(ConfigError) {
        overrides = topicOverrides
        var values: [String: ConfigValue] = [:]
        for def in TopicConfig.definitions {
            if let raw = topicOverrides[def.name] {
                values[def.name] = try def.key.parse(raw)
            } else if let inherited = TopicConfig.inheritedValue(for: def, broker: broker) {
                values[def.name] = inherited
            }
        }
        self.values = values

        func long(_ name: String) -> Int64 { values[name]?.integer ?? 0 }
        func int(_ name: String) -> Int { Int(values[name]?.integer ?? 0) }
        func bool(_ name: String) -> Bool {
            if case .boolean(let b) = values[name] { return b }
            return false
        }
        func string(_ name: String) -> String {
            if case .string(let s) = values[name] { return s }
            return ""
        }
        func list(_ name: String) -> [String] {
            if case .list(let items) = values[name] { return items }
            return []
        }

        cleanupPolicy = CleanupPolicy(list("cleanup.policy"))
        compressionType = BrokerCompressionType(rawValue: string("compression.type")) ?? .producer
        deleteRetentionMs = long("delete.retention.ms")
        fileDeleteDelayMs = long("file.delete.delay.ms")
        flushMessages = long("flush.messages")
        flushMs = long("flush.ms")
        indexIntervalBytes = int("index.interval.bytes")
        maxCompactionLagMs = long("max.compaction.lag.ms")
        maxMessageBytes = int("max.message.bytes")
        messageDownconversionEnable = bool("message.downconversion.enable")
        messageTimestampType = MessageTimestampType(rawValue: string("message.timestamp.type")) ?? .createTime
        messageTimestampDifferenceMaxMs = long("message.timestamp.difference.max.ms")
        messageTimestampBeforeMaxMs = long("message.timestamp.before.max.ms")
        messageTimestampAfterMaxMs = long("message.timestamp.after.max.ms")
        if case .double(let ratio) = values["min.cleanable.dirty.ratio"] {
            minCleanableDirtyRatio = ratio
        } else {
            minCleanableDirtyRatio = 0.5
        }
        minCompactionLagMs = long("min.compaction.lag.ms")
        minInsyncReplicas = int("min.insync.replicas")
        preallocate = bool("preallocate")
        retentionBytes = long("retention.bytes")
        retentionMs = long("retention.ms")
        segmentBytes = int("segment.bytes")
        segmentIndexBytes = int("segment.index.bytes")
        segmentJitterMs = long("segment.jitter.ms")
        segmentMs = long("segment.ms")
        uncleanLeaderElectionEnable = bool("unclean.leader.election.enable")
        leaderReplicationThrottledReplicas = list("leader.replication.throttled.replicas")
        followerReplicationThrottledReplicas = list("follower.replication.throttled.replicas")
    }

    /// The effective value of any topic key, by name.
    public func value(_ name: String) -> ConfigValue? { values[name] }

    /// Compacted topics with a max compaction lag roll no later than that lag (Kafka's `maxSegmentMs`).
    public var maxSegmentMs: Int64 {
        cleanupPolicy.contains(.compact) && maxCompactionLagMs > 0 ? min(maxCompactionLagMs, segmentMs) : segmentMs
    }
}
