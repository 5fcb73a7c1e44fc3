import Testing

@testable import KafkaConfig

private func broker(_ extra: [String: String] = [:]) throws -> BrokerConfig {
    try BrokerConfig(properties: ["broker.id": "0", "zookeeper.connect": "zk:2181"].merging(extra) { _, new in new })
}

@Suite("Topic configuration")
struct TopicConfigTests {
    @Test("knows every topic-level key Kafka defines")
    func names() {
        let expected: Set<String> = [
            "cleanup.policy", "compression.type", "delete.retention.ms", "file.delete.delay.ms", "flush.messages",
            "flush.ms", "follower.replication.throttled.replicas", "index.interval.bytes",
            "leader.replication.throttled.replicas", "local.retention.bytes", "local.retention.ms",
            "max.compaction.lag.ms", "max.message.bytes", "message.downconversion.enable", "message.format.version",
            "message.timestamp.after.max.ms", "message.timestamp.before.max.ms", "message.timestamp.difference.max.ms",
            "message.timestamp.type", "min.cleanable.dirty.ratio", "min.compaction.lag.ms", "min.insync.replicas",
            "preallocate", "remote.storage.enable", "retention.bytes", "retention.ms", "segment.bytes",
            "segment.index.bytes", "segment.jitter.ms", "segment.ms", "unclean.leader.election.enable",
        ]
        #expect(Set(TopicConfig.names) == expected)
        #expect(TopicConfig.names.count == expected.count)
        #expect(
            TopicConfig.definition(named: "retention.ms")?.brokerSynonyms.map(\.name)
                == ["log.retention.ms", "log.retention.minutes", "log.retention.hours"])
        #expect(
            TopicConfig.definition(named: "min.cleanable.dirty.ratio")?.brokerSynonyms.map(\.name)
                == ["log.cleaner.min.cleanable.ratio"])
    }

    @Test("accepts valid overrides")
    func validOverrides() throws {
        try validateTopicConfigs([
            "retention.ms": "-1", "cleanup.policy": "compact,delete", "compression.type": "zstd",
            "min.cleanable.dirty.ratio": "0.1", "message.timestamp.type": "LogAppendTime", "segment.bytes": "1048576",
            "leader.replication.throttled.replicas": "0:1,1:2", "follower.replication.throttled.replicas": "*",
            "preallocate": "TRUE", "max.message.bytes": " 2048 ",
        ])
        try validateTopicConfigs([:])
    }

    @Test("rejects unknown names and bad values with Kafka's messages")
    func invalidOverrides() {
        let cases: [([String: String], String)] = [
            (["retention.mss": "1"], "Unknown topic config name: retention.mss"),
            (["log.retention.ms": "1"], "Unknown topic config name: log.retention.ms"),
            (["retention.ms": "-2"], "Invalid value -2 for configuration retention.ms: Value must be at least -1"),
            (["segment.bytes": "10"], "Invalid value 10 for configuration segment.bytes: Value must be at least 14"),
            (["segment.ms": "soon"], "Invalid value soon for configuration segment.ms: Not a number of type LONG"),
            (
                ["max.message.bytes": "3000000000"],
                "Invalid value 3000000000 for configuration max.message.bytes: Not a number of type INT"
            ),
            (
                ["cleanup.policy": "compact,remove"],
                "Invalid value remove for configuration cleanup.policy: String must be one of: compact, delete"
            ),
            (
                ["message.timestamp.type": "createtime"],
                "Invalid value createtime for configuration message.timestamp.type: String must be one of: CreateTime, LogAppendTime"
            ),
            (
                ["min.cleanable.dirty.ratio": "x"],
                "Invalid value x for configuration min.cleanable.dirty.ratio: Not a number of type DOUBLE"
            ),
            (
                ["unclean.leader.election.enable": "1"],
                "Invalid value 1 for configuration unclean.leader.election.enable: Expected value to be either true or false"
            ),
            (
                ["min.compaction.lag.ms": "10", "max.compaction.lag.ms": "5"],
                "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)"
            ),
        ]
        for (configs, message) in cases {
            do {
                try validateTopicConfigs(configs)
                Issue.record("expected an error for \(configs)")
            } catch {
                #expect(String(describing: error) == message)
            }
        }
        #expect(throws: ConfigError.unknownTopicConfig(name: "nope")) { try TopicConfig.validate(["nope": "1"]) }
        #expect(throws: ConfigError.self) { try TopicConfig.validate(["leader.replication.throttled.replicas": "0-1"]) }
        #expect(throws: ConfigError.self) { try TopicConfig.validate(["remote.storage.enable": "true"]) }
    }

    @Test("effective config uses Kafka's defaults with a default broker")
    func effectiveDefaults() throws {
        let t = try EffectiveTopicConfig(topicOverrides: [:], broker: try broker())
        #expect(t.retentionMs == 604_800_000 && t.retentionBytes == -1)
        #expect(t.segmentBytes == 1_073_741_824 && t.segmentMs == 604_800_000 && t.segmentJitterMs == 0)
        #expect(t.segmentIndexBytes == 10_485_760 && t.indexIntervalBytes == 4096)
        #expect(t.maxMessageBytes == 1_048_588)
        #expect(t.cleanupPolicy == .delete && t.compressionType == .producer)
        #expect(t.messageTimestampType == .createTime)
        #expect(t.minInsyncReplicas == 1 && !t.uncleanLeaderElectionEnable)
        #expect(t.minCleanableDirtyRatio == 0.5 && t.deleteRetentionMs == 86_400_000)
        #expect(t.minCompactionLagMs == 0 && t.maxCompactionLagMs == Int64.max)
        #expect(t.fileDeleteDelayMs == 60_000 && !t.preallocate)
        #expect(t.flushMessages == Int64.max && t.flushMs == Int64.max)
        #expect(t.messageTimestampBeforeMaxMs == Int64.max && t.messageTimestampAfterMaxMs == Int64.max)
        #expect(t.messageDownconversionEnable)
        #expect(t.maxSegmentMs == t.segmentMs)
    }

    @Test("topic overrides beat broker settings, which beat defaults, with unit conversion")
    func effectiveResolution() throws {
        let b = try broker([
            "log.retention.hours": "2", "log.roll.hours": "1", "message.max.bytes": "5000",
            "log.cleanup.policy": "compact", "log.cleaner.min.cleanable.ratio": "0.25",
            "log.flush.scheduler.interval.ms": "777",
        ])
        let inherited = try EffectiveTopicConfig(topicOverrides: [:], broker: b)
        #expect(inherited.retentionMs == 7_200_000)
        #expect(inherited.segmentMs == 3_600_000)
        #expect(inherited.maxMessageBytes == 5000)
        #expect(inherited.cleanupPolicy == .compact)
        #expect(inherited.minCleanableDirtyRatio == 0.25)
        #expect(inherited.flushMs == 777)

        let overridden = try EffectiveTopicConfig(
            topicOverrides: [
                "retention.ms": "1000", "max.message.bytes": "100", "cleanup.policy": "compact,delete",
                "max.compaction.lag.ms": "60000", "unknown.future.key": "x",
            ],
            broker: b)
        #expect(overridden.retentionMs == 1000)
        #expect(overridden.maxMessageBytes == 100)
        #expect(overridden.cleanupPolicy == [.compact, .delete])
        #expect(overridden.maxSegmentMs == 60000)
        #expect(overridden.value("segment.ms") == .long(3_600_000))

        let minutes = try EffectiveTopicConfig(topicOverrides: [:], broker: try broker(["log.retention.minutes": "3"]))
        #expect(minutes.retentionMs == 180_000)
        let forever = try EffectiveTopicConfig(topicOverrides: [:], broker: try broker(["log.retention.hours": "-1"]))
        #expect(forever.retentionMs == -1)

        #expect(throws: ConfigError.self) {
            try EffectiveTopicConfig(topicOverrides: ["segment.bytes": "tiny"], broker: b)
        }
    }

    @Test("describe reports topic, dynamic, static and default sources with synonyms")
    func describeSources() throws {
        let b = try broker(["log.retention.hours": "24", "log.segment.bytes": "2000000"])
            .withDynamicConfigs(default: ["message.max.bytes": "3000"], broker: ["min.insync.replicas": "2"])
        let entries = TopicConfig.describe(
            topicOverrides: ["cleanup.policy": "compact", "retention.ms": "5000"], broker: b)
        #expect(entries.map(\.name) == TopicConfig.names)
        let byName = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0) })

        let retention = try #require(byName["retention.ms"])
        #expect(retention.value == "5000" && retention.source == .topicConfig && !retention.isDefault)
        #expect(
            retention.synonyms == [
                ConfigSynonym(name: "retention.ms", value: "5000", source: .topicConfig),
                ConfigSynonym(name: "log.retention.hours", value: "24", source: .staticBrokerConfig),
                ConfigSynonym(name: "log.retention.hours", value: "168", source: .defaultConfig),
            ])
        #expect(retention.configType == .long && !retention.readOnly && !retention.isSensitive)

        let segment = try #require(byName["segment.bytes"])
        #expect(segment.value == "2000000" && segment.source == .staticBrokerConfig)

        let maxMessage = try #require(byName["max.message.bytes"])
        #expect(maxMessage.value == "3000" && maxMessage.source == .dynamicDefaultBrokerConfig)
        #expect(maxMessage.synonyms.map(\.source) == [.dynamicDefaultBrokerConfig, .defaultConfig])

        let isr = try #require(byName["min.insync.replicas"])
        #expect(isr.value == "2" && isr.source == .dynamicBrokerConfig)

        let policy = try #require(byName["cleanup.policy"])
        #expect(policy.value == "compact" && policy.configType == .list)

        let ratio = try #require(byName["min.cleanable.dirty.ratio"])
        #expect(ratio.value == "0.5" && ratio.source == .defaultConfig && ratio.isDefault)
        #expect(
            ratio.synonyms == [
                ConfigSynonym(name: "log.cleaner.min.cleanable.ratio", value: "0.5", source: .defaultConfig)
            ])
        #expect(ratio.documentation?.isEmpty == false)

        let throttled = try #require(byName["leader.replication.throttled.replicas"])
        #expect(throttled.value == "" && throttled.source == .defaultConfig && throttled.synonyms.isEmpty)

        let few = TopicConfig.describe(
            topicOverrides: [:], broker: b, keys: ["segment.ms", "bogus"], includeSynonyms: false,
            includeDocumentation: false)
        #expect(few.map(\.name) == ["segment.ms"])
        #expect(few.first?.value == "604800000" && few.first?.synonyms == [] && few.first?.documentation == nil)
    }

    @Test("ConfigSource and ConfigType use DescribeConfigs numbering")
    func numbering() {
        #expect(ConfigSource.allCases.map(\.rawValue) == [0, 1, 2, 3, 4, 5, 6])
        #expect(ConfigSource.topicConfig.rawValue == 1 && ConfigSource.defaultConfig.rawValue == 5)
        #expect(ConfigType.allCases.map(\.rawValue) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(ConfigType.long.rawValue == 5 && ConfigType.password.rawValue == 9)
    }
}
