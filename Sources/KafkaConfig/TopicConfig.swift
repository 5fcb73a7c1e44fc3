/// A broker key that supplies a topic key's default, with the unit conversion Kafka applies.
public struct BrokerSynonym: Sendable, Equatable {
    public enum Unit: Sendable, Equatable {
        case same
        case minutesToMilliseconds
        case hoursToMilliseconds

        var factor: Int64 {
            switch self {
            case .same: return 1
            case .minutesToMilliseconds: return 60_000
            case .hoursToMilliseconds: return 3_600_000
            }
        }
    }

    public let name: String
    public let unit: Unit

    public init(_ name: String, _ unit: Unit = .same) {
        self.name = name
        self.unit = unit
    }
}

/// A topic-level configuration key and the broker keys behind its default, highest priority first.
public struct TopicConfigDefinition: Sendable {
    public let key: ConfigKeyDefinition
    public let brokerSynonyms: [BrokerSynonym]

    public var name: String { key.name }
}

private let longMax = ConfigValue.long(Int64.max)

private func topic(
    _ name: String, _ type: ConfigType, _ defaultValue: ConfigValue, _ validator: ConfigValidator = .none,
    _ synonyms: [BrokerSynonym], _ doc: String
) -> TopicConfigDefinition {
    TopicConfigDefinition(
        key: ConfigKeyDefinition(
            name: name, type: type, defaultValue: defaultValue, validator: validator, updateMode: .clusterWide,
            documentation: doc),
        brokerSynonyms: synonyms)
}

/// Every topic-level configuration Kafka 3.6 defines (LogConfig), with its type, validation and broker synonyms.
public enum TopicConfig {
    public static let definitions: [TopicConfigDefinition] = [
        topic(
            "cleanup.policy", .list, .list(["delete"]), .listOf(["compact", "delete"]),
            [BrokerSynonym("log.cleanup.policy")],
            "delete removes old segments by time or size; compact keeps the latest value per key; both may be set."),
        topic(
            "compression.type", .string, .string("producer"),
            .oneOf(BrokerCompressionType.allCases.map(\.rawValue)), [BrokerSynonym("compression.type")],
            "Compression of stored batches; producer keeps the producer's codec."),
        topic(
            "delete.retention.ms", .long, .long(86_400_000), .atLeast(0),
            [BrokerSynonym("log.cleaner.delete.retention.ms")],
            "How long tombstones stay readable in a compacted topic."),
        topic(
            "file.delete.delay.ms", .long, .long(60_000), .atLeast(0),
            [BrokerSynonym("log.segment.delete.delay.ms")],
            "Wait before a deleted segment's files are removed from disk."),
        topic(
            "flush.messages", .long, longMax, .atLeast(1), [BrokerSynonym("log.flush.interval.messages")],
            "Messages appended before an fsync is forced."),
        topic(
            "flush.ms", .long, longMax, .atLeast(0),
            [BrokerSynonym("log.flush.interval.ms"), BrokerSynonym("log.flush.scheduler.interval.ms")],
            "Longest time before an fsync is forced."),
        topic(
            "follower.replication.throttled.replicas", .list, .list([]), .throttledReplicas, [],
            "Replicas whose follower-side replication is throttled: * or partition:broker pairs."),
        topic(
            "index.interval.bytes", .int, .int(4096), .atLeast(0), [BrokerSynonym("log.index.interval.bytes")],
            "Bytes of log between two offset-index entries."),
        topic(
            "leader.replication.throttled.replicas", .list, .list([]), .throttledReplicas, [],
            "Replicas whose leader-side replication is throttled: * or partition:broker pairs."),
        topic(
            "local.retention.bytes", .long, .long(-2), .atLeast(-2), [BrokerSynonym("log.local.retention.bytes")],
            "Tiered storage local size limit; -2 means retention.bytes (tiered storage is not supported)."),
        topic(
            "local.retention.ms", .long, .long(-2), .atLeast(-2), [BrokerSynonym("log.local.retention.ms")],
            "Tiered storage local time limit; -2 means retention.ms (tiered storage is not supported)."),
        topic(
            "max.compaction.lag.ms", .long, longMax, .atLeast(1),
            [BrokerSynonym("log.cleaner.max.compaction.lag.ms")],
            "Longest time a record may stay uncompacted."),
        topic(
            "max.message.bytes", .int, .int(1_048_588), .atLeast(0), [BrokerSynonym("message.max.bytes")],
            "Largest record batch this topic accepts."),
        topic(
            "message.downconversion.enable", .boolean, .boolean(true), .none,
            [BrokerSynonym("log.message.downconversion.enable")],
            "Down-convert batches for consumers using old fetch versions."),
        topic(
            "message.format.version", .string, .string("3.0-IV1"), .none,
            [BrokerSynonym("log.message.format.version")],
            "Deprecated message format version; accepted and ignored."),
        topic(
            "message.timestamp.after.max.ms", .long, longMax, .atLeast(0),
            [BrokerSynonym("log.message.timestamp.after.max.ms")],
            "How far in the future a CreateTime timestamp may be."),
        topic(
            "message.timestamp.before.max.ms", .long, longMax, .atLeast(0),
            [BrokerSynonym("log.message.timestamp.before.max.ms")],
            "How far in the past a CreateTime timestamp may be."),
        topic(
            "message.timestamp.difference.max.ms", .long, longMax, .atLeast(0),
            [BrokerSynonym("log.message.timestamp.difference.max.ms")],
            "Deprecated: largest gap between a CreateTime timestamp and the broker clock."),
        topic(
            "message.timestamp.type", .string, .string("CreateTime"),
            .oneOf(MessageTimestampType.allCases.map(\.rawValue)), [BrokerSynonym("log.message.timestamp.type")],
            "CreateTime keeps producer timestamps; LogAppendTime stamps batches with the broker clock."),
        topic(
            "min.cleanable.dirty.ratio", .double, .double(0.5), .between(0, 1),
            [BrokerSynonym("log.cleaner.min.cleanable.ratio")],
            "Dirty share of the log that makes it eligible for compaction."),
        topic(
            "min.compaction.lag.ms", .long, .long(0), .atLeast(0),
            [BrokerSynonym("log.cleaner.min.compaction.lag.ms")],
            "Shortest time a record stays uncompacted."),
        topic(
            "min.insync.replicas", .int, .int(1), .atLeast(1), [BrokerSynonym("min.insync.replicas")],
            "Fewest in-sync replicas an acks=all produce needs."),
        topic(
            "preallocate", .boolean, .boolean(false), .none, [BrokerSynonym("log.preallocate")],
            "Preallocate segment files at full size."),
        topic(
            "remote.storage.enable", .boolean, .boolean(false), .none, [],
            "Tiered storage for this topic (not supported; must stay false)."),
        topic(
            "retention.bytes", .long, .long(-1), .none, [BrokerSynonym("log.retention.bytes")],
            "Largest size of a partition before old segments are deleted; -1 means no limit."),
        topic(
            "retention.ms", .long, .long(604_800_000), .atLeast(-1),
            [
                BrokerSynonym("log.retention.ms"), BrokerSynonym("log.retention.minutes", .minutesToMilliseconds),
                BrokerSynonym("log.retention.hours", .hoursToMilliseconds),
            ],
            "How long data is kept before old segments are deleted; -1 keeps forever."),
        topic(
            "segment.bytes", .int, .int(1_073_741_824), .atLeast(14), [BrokerSynonym("log.segment.bytes")],
            "Largest size of one segment file."),
        topic(
            "segment.index.bytes", .int, .int(10_485_760), .atLeast(4), [BrokerSynonym("log.index.size.max.bytes")],
            "Size of the offset and time index files of a segment."),
        topic(
            "segment.jitter.ms", .long, .long(0), .atLeast(0),
            [BrokerSynonym("log.roll.jitter.ms"), BrokerSynonym("log.roll.jitter.hours", .hoursToMilliseconds)],
            "Random jitter subtracted from segment.ms so segments do not all roll at once."),
        topic(
            "segment.ms", .long, .long(604_800_000), .atLeast(1),
            [BrokerSynonym("log.roll.ms"), BrokerSynonym("log.roll.hours", .hoursToMilliseconds)],
            "Longest time before a segment is rolled, even if not full."),
        topic(
            "unclean.leader.election.enable", .boolean, .boolean(false), .none,
            [BrokerSynonym("unclean.leader.election.enable")],
            "Allow an out-of-sync replica to become leader as a last resort (data loss)."),
    ]

    static let byName: [String: TopicConfigDefinition] = {
        var map: [String: TopicConfigDefinition] = [:]
        for def in definitions { map[def.name] = def }
        return map
    }()

    public static func definition(named name: String) -> TopicConfigDefinition? { byName[name] }

    /// Names of every topic-level key, sorted.
    public static var names: [String] { definitions.map(\.name).sorted() }

    /// Checks topic configs from CreateTopics / AlterConfigs: every name must be a topic config and every value
    /// must parse and satisfy its rule; `min.compaction.lag.ms` may not exceed `max.compaction.lag.ms`.
    public static func validate(_ configs: [String: String]) throws(ConfigError) {
        var parsed: [String: ConfigValue] = [:]
        for (name, raw) in configs.sorted(by: { $0.key < $1.key }) {
            guard let def = byName[name] else { throw ConfigError.unknownTopicConfig(name: name) }
            parsed[name] = try def.key.parse(raw)
        }
        if case .boolean(true) = parsed["remote.storage.enable"] {
            throw ConfigError.invalidValue(
                key: "remote.storage.enable", value: "true", reason: "Tiered storage is not supported by this broker")
        }
        let minLag = parsed["min.compaction.lag.ms"]?.integer ?? 0
        let maxLag = parsed["max.compaction.lag.ms"]?.integer ?? Int64.max
        if minLag > maxLag {
            throw ConfigError.conflict(
                "conflict topic config setting min.compaction.lag.ms (\(minLag)) > max.compaction.lag.ms (\(maxLag))")
        }
    }

    /// The value a broker configuration gives a topic key when the topic does not override it, with where it came
    /// from; nil when no broker synonym is configured (the topic default applies).
    static func brokerValue(
        for def: TopicConfigDefinition, broker: BrokerConfig
    ) -> (value: ConfigValue, synonym: String)? {
        for synonym in def.brokerSynonyms {
            guard let value = broker.configured[synonym.name] else { continue }
            return (convert(value, synonym: synonym, to: def), synonym.name)
        }
        return nil
    }

    /// The effective value of a topic key without a topic override: configured broker synonym, else the broker
    /// default of the first synonym that has one, else the topic default.
    static func inheritedValue(for def: TopicConfigDefinition, broker: BrokerConfig) -> ConfigValue? {
        if let found = brokerValue(for: def, broker: broker) { return found.value }
        for synonym in def.brokerSynonyms {
            if let value = BrokerKeys.byName[synonym.name]?.defaultValue {
                return convert(value, synonym: synonym, to: def)
            }
        }
        return def.key.defaultValue
    }

    private static func convert(_ value: ConfigValue, synonym: BrokerSynonym, to def: TopicConfigDefinition)
        -> ConfigValue
    {
        guard let n = value.integer else { return value }
        var scaled = n.multipliedReportingOverflow(by: synonym.unit.factor)
        if scaled.overflow { scaled.partialValue = n < 0 ? Int64.min : Int64.max }
        var result = scaled.partialValue
        if def.name == "retention.ms", result < 0 { result = -1 }
        switch def.key.type {
        case .int: return .int(Int32(clamping: result))
        case .short: return .short(Int16(clamping: result))
        default: return .long(result)
        }
    }
}

/// Validates topic configs (CreateTopics / AlterConfigs): unknown name or bad value throws in Kafka's wording.
public func validateTopicConfigs(_ configs: [String: String]) throws(ConfigError) {
    try TopicConfig.validate(configs)
}
