import KafkaConfig

/// A DescribeConfigs entry, independent of the wire version.
struct ConfigEntryView: Sendable {
    var name: String
    var value: String?
    var readOnly: Bool
    var source: Int8
    var isSensitive: Bool
    var synonyms: [(name: String, value: String?, source: Int8)]
    var configType: Int8
    var documentation: String?

    init(_ e: ConfigEntry) {
        name = e.name
        value = e.value
        readOnly = e.readOnly
        source = e.source.rawValue
        isSensitive = e.isSensitive
        synonyms = e.synonyms.map { ($0.name, $0.value, $0.source.rawValue) }
        configType = e.configType.rawValue
        documentation = e.documentation
    }
}

/// Topic and broker configs for DescribeConfigs / AlterConfigs / IncrementalAlterConfigs.
/// Topic overrides persist in `/config/topics/<t>`, dynamic broker configs in `/config/brokers/<id|<default>>`
/// (KRaft mode: ConfigRecords, through the `MetadataWriter`); both are applied live.
final class ConfigService: Sendable {
    static let topicResource: Int8 = 2
    static let brokerResource: Int8 = 4
    static let brokerLoggerResource: Int8 = 8

    private let writer: any MetadataWriter
    private let topics: TopicAdmin
    private let brokerConfig: Shared<BrokerConfig>
    private let brokerId: Int32

    init(writer: any MetadataWriter, topics: TopicAdmin, brokerConfig: Shared<BrokerConfig>, brokerId: Int32) {
        self.writer = writer
        self.topics = topics
        self.brokerConfig = brokerConfig
        self.brokerId = brokerId
    }

    var current: BrokerConfig { brokerConfig.value }

    private func checkBroker(_ name: String) throws(BrokerError) -> Bool {
        if name.isEmpty { return false }
        guard let id = Int32(name) else {
            throw .invalidRequest("Broker id must be an integer, got \(name)")
        }
        guard id == brokerId else {
            throw .invalidRequest("Unexpected broker id, expected \(brokerId) but received \(id)")
        }
        return true
    }

    func describe(resourceType: Int8, name: String, keys: [String]?) async throws(BrokerError) -> [ConfigEntryView] {
        switch resourceType {
        case Self.topicResource:
            guard let overrides = await topics.topicOverrides(name) else { throw .unknownTopicOrPartition }
            return TopicConfig.describe(topicOverrides: overrides, broker: current, keys: keys).map(
                ConfigEntryView.init)
        case Self.brokerResource:
            _ = try checkBroker(name)
            return current.describe(keys: keys).map(ConfigEntryView.init)
        case Self.brokerLoggerResource:
            return []
        default:
            throw .invalidRequest("Unsupported resource type \(resourceType)")
        }
    }

    /// AlterConfigs: the given set replaces all overrides.
    func replace(resourceType: Int8, name: String, configs: [(String, String?)], validateOnly: Bool)
        async
        throws(BrokerError)
    {
        var map: [String: String] = [:]
        for (k, v) in configs {
            guard let v else { throw .invalidRequest("Null value not supported for: \(k)") }
            map[k] = v
        }
        try await apply(resourceType: resourceType, name: name, newConfigs: map, validateOnly: validateOnly)
    }

    /// IncrementalAlterConfigs: SET 0, DELETE 1, APPEND 2, SUBTRACT 3.
    func alter(resourceType: Int8, name: String, operations: [(String, Int8, String?)], validateOnly: Bool)
        async
        throws(BrokerError)
    {
        var map = try await existing(resourceType: resourceType, name: name)
        for (key, op, value) in operations {
            switch op {
            case 0:
                guard let value else { throw .invalidRequest("Null value not supported for: \(key)") }
                map[key] = value
            case 1:
                map[key] = nil
            case 2, 3:
                let isList: Bool
                if resourceType == Self.topicResource {
                    isList = TopicConfig.definition(named: key)?.key.type == .list
                } else {
                    isList = BrokerConfig.definition(named: key)?.type == .list
                }
                guard isList else {
                    throw .invalidConfig("Config value append/subtract is not allowed for config key: \(key)")
                }
                var items = (map[key] ?? currentListValue(resourceType: resourceType, name: name, key: key))
                    .split(separator: ",").map { String($0) }.filter { !$0.isEmpty }
                let delta = (value ?? "").split(separator: ",").map(String.init)
                if op == 2 {
                    for d in delta where !items.contains(d) { items.append(d) }
                } else {
                    items.removeAll { delta.contains($0) }
                }
                map[key] = items.joined(separator: ",")
            default:
                throw .invalidRequest("Unknown config operation \(op)")
            }
        }
        try await apply(resourceType: resourceType, name: name, newConfigs: map, validateOnly: validateOnly)
    }

    private func currentListValue(resourceType: Int8, name: String, key: String) -> String {
        if resourceType == Self.brokerResource { return current.value(key)?.description ?? "" }
        return ""
    }

    private func existing(resourceType: Int8, name: String) async throws(BrokerError) -> [String: String] {
        switch resourceType {
        case Self.topicResource:
            guard let overrides = await topics.topicOverrides(name) else { throw .unknownTopicOrPartition }
            return overrides
        case Self.brokerResource:
            let perBroker = try checkBroker(name)
            return perBroker ? current.dynamicBrokerProperties : current.dynamicDefaultProperties
        default:
            throw .invalidRequest("Unsupported resource type \(resourceType)")
        }
    }

    private func apply(resourceType: Int8, name: String, newConfigs: [String: String], validateOnly: Bool)
        async
        throws(BrokerError)
    {
        switch resourceType {
        case Self.topicResource:
            do {
                try TopicConfig.validate(newConfigs)
            } catch {
                throw .invalidConfig("\(error)")
            }
            guard await topics.topicOverrides(name) != nil else { throw .unknownTopicOrPartition }
            if validateOnly { return }
            try await topics.setOverrides(name, newConfigs)
        case Self.brokerResource:
            let perBroker = try checkBroker(name)
            let updated: BrokerConfig
            do {
                try BrokerConfig.validateDynamicConfigs(newConfigs, perBroker: perBroker)
                let c = current
                updated = try c.withDynamicConfigs(
                    default: perBroker ? c.dynamicDefaultProperties : newConfigs,
                    broker: perBroker ? newConfigs : c.dynamicBrokerProperties)
            } catch {
                throw .invalidConfig("\(error)")
            }
            if validateOnly { return }
            try await writer.setBrokerConfig(perBroker ? brokerId : nil, newConfigs)
            brokerConfig.withLock { $0 = updated }
        default:
            throw .invalidRequest("Unsupported resource type \(resourceType)")
        }
    }
}
