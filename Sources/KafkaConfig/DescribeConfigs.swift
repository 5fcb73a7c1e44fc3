/// Where a described value comes from, numbered as DescribeConfigs v1+ reports it.
public enum ConfigSource: Int8, Sendable, CaseIterable {
    case unknown = 0
    case topicConfig = 1
    case dynamicBrokerConfig = 2
    case dynamicDefaultBrokerConfig = 3
    case staticBrokerConfig = 4
    case defaultConfig = 5
    case dynamicBrokerLoggerConfig = 6
}

/// One synonym of a described configuration: another key (or layer) that supplies or would supply the value.
public struct ConfigSynonym: Sendable, Equatable {
    public var name: String
    /// nil for sensitive values.
    public var value: String?
    public var source: ConfigSource

    public init(name: String, value: String?, source: ConfigSource) {
        self.name = name
        self.value = value
        self.source = source
    }
}

/// One DescribeConfigs result entry, carrying every field any version needs.
public struct ConfigEntry: Sendable, Equatable {
    public var name: String
    /// nil for sensitive values and keys without a value.
    public var value: String?
    public var source: ConfigSource
    /// DescribeConfigs v0's `IsDefault`.
    public var isDefault: Bool
    public var readOnly: Bool
    public var isSensitive: Bool
    /// Highest priority first; the first one is where `value` comes from.
    public var synonyms: [ConfigSynonym]
    public var configType: ConfigType
    public var documentation: String?

    public init(
        name: String, value: String?, source: ConfigSource, isDefault: Bool, readOnly: Bool, isSensitive: Bool,
        synonyms: [ConfigSynonym], configType: ConfigType, documentation: String?
    ) {
        self.name = name
        self.value = value
        self.source = source
        self.isDefault = isDefault
        self.readOnly = readOnly
        self.isSensitive = isSensitive
        self.synonyms = synonyms
        self.configType = configType
        self.documentation = documentation
    }
}

extension BrokerConfig {
    /// Synonyms of broker keys, layer by layer (dynamic per-broker, dynamic default, static, default), each layer in
    /// synonym priority order, as Kafka lists them.
    func brokerSynonyms(_ names: [String], sensitive: Bool) -> [ConfigSynonym] {
        var result: [ConfigSynonym] = []
        let layers: [([String: String], ConfigSource)] = [
            (dynamicBrokerProperties, .dynamicBrokerConfig),
            (dynamicDefaultProperties, .dynamicDefaultBrokerConfig),
            (staticProperties, .staticBrokerConfig),
        ]
        for (layer, source) in layers {
            for name in names {
                guard let raw = layer[name], let def = BrokerKeys.byName[name] else { continue }
                let shown = sensitive ? nil : ((try? def.parse(raw))?.description ?? raw)
                result.append(ConfigSynonym(name: name, value: shown, source: source))
            }
        }
        for name in names {
            guard let def = BrokerKeys.byName[name], let value = def.defaultValue else { continue }
            result.append(ConfigSynonym(name: name, value: sensitive ? nil : value.description, source: .defaultConfig))
        }
        return result
    }

    /// DescribeConfigs for this broker: every known key (or only `keys`, unknown names skipped), sorted by name.
    /// As in Kafka, the synonyms of a key start at the key itself (higher-priority synonyms are not listed).
    public func describe(
        keys: [String]? = nil, includeSynonyms: Bool = true, includeDocumentation: Bool = true
    ) -> [ConfigEntry] {
        let names = keys.map { $0.filter { BrokerKeys.byName[$0] != nil } } ?? BrokerKeys.all.map(\.name)
        return Array(Set(names)).sorted().compactMap { name -> ConfigEntry? in
            guard let def = BrokerKeys.byName[name] else { return nil }
            let all = brokerSynonyms(BrokerKeys.synonyms(of: name), sensitive: def.isSensitive)
            let synonyms = Array(all.drop(while: { $0.name != name }))
            let source = synonyms.first?.source ?? .defaultConfig
            return ConfigEntry(
                name: name,
                value: def.isSensitive ? nil : value(name)?.description,
                source: source,
                isDefault: source == .defaultConfig,
                readOnly: def.updateMode == .readOnly,
                isSensitive: def.isSensitive,
                synonyms: includeSynonyms ? synonyms : [],
                configType: def.type,
                documentation: includeDocumentation ? def.documentation : nil)
        }
    }

    /// Checks an AlterConfigs / IncrementalAlterConfigs request for a broker resource: known keys, dynamically
    /// updatable at that level (`perBroker` false means the cluster default `<default>`), valid values.
    public static func validateDynamicConfigs(_ configs: [String: String], perBroker: Bool) throws(ConfigError) {
        var notDynamic: [String] = []
        for name in configs.keys.sorted() {
            guard let def = BrokerKeys.byName[name] else {
                if BrokerKeys.isPassThrough(name) { continue }
                notDynamic.append(name)
                continue
            }
            switch def.updateMode {
            case .readOnly: notDynamic.append(name)
            case .perBroker where !perBroker: notDynamic.append(name)
            default: break
            }
        }
        if !notDynamic.isEmpty { throw ConfigError.notDynamicallyUpdatable(keys: notDynamic) }
        for (name, raw) in configs.sorted(by: { $0.key < $1.key }) {
            guard let def = BrokerKeys.byName[name] else { continue }
            _ = try def.parse(raw)
        }
    }
}

extension TopicConfig {
    /// DescribeConfigs for a topic: every topic key (or only `keys`, unknown names skipped), sorted by name.
    ///
    /// The value is the effective one. Synonyms list the topic override (TOPIC_CONFIG) if any, then the broker keys
    /// behind the topic key layer by layer, ending with their defaults; the entry's source is the first synonym's.
    public static func describe(
        topicOverrides: [String: String], broker: BrokerConfig, keys: [String]? = nil,
        includeSynonyms: Bool = true, includeDocumentation: Bool = true
    ) -> [ConfigEntry] {
        let selected = keys.map { Set($0) }
        return definitions.filter { selected?.contains($0.name) ?? true }.sorted { $0.name < $1.name }.map { def in
            var synonyms: [ConfigSynonym] = []
            var value: String?
            if let raw = topicOverrides[def.name] {
                value = (try? def.key.parse(raw))?.description ?? raw.trimmingBlanks()
                synonyms.append(ConfigSynonym(name: def.name, value: value, source: .topicConfig))
            } else {
                value = inheritedValue(for: def, broker: broker)?.description
            }
            synonyms += broker.brokerSynonyms(def.brokerSynonyms.map(\.name), sensitive: false)
            let source = synonyms.first?.source ?? .defaultConfig
            return ConfigEntry(
                name: def.name, value: value, source: source, isDefault: source == .defaultConfig, readOnly: false,
                isSensitive: false, synonyms: includeSynonyms ? synonyms : [], configType: def.key.type,
                documentation: includeDocumentation ? def.key.documentation : nil)
        }
    }
}
