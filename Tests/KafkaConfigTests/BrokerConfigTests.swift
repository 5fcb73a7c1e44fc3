import Testing

@testable import KafkaConfig

private let minimal = ["broker.id": "0", "zookeeper.connect": "localhost:2181"]

private func config(_ extra: [String: String]) throws -> BrokerConfig {
    try BrokerConfig(properties: minimal.merging(extra) { _, new in new })
}

@Suite("Broker configuration")
struct BrokerConfigTests {
    @Test("applies Kafka's defaults when only broker.id and zookeeper.connect are set")
    func defaults() throws {
        let c = try BrokerConfig(properties: minimal)
        #expect(c.brokerId == 0)
        #expect(
            c.listeners == [Endpoint(listenerName: "PLAINTEXT", host: "", port: 9092, securityProtocol: .plaintext)])
        #expect(c.advertisedListeners == c.listeners)
        #expect(c.interBrokerListenerName == "PLAINTEXT")
        #expect(c.logDirs == ["/tmp/kafka-logs"])
        #expect(c.zookeeperSessionTimeoutMs == 18000)
        #expect(c.zookeeperConnectionTimeoutMs == 18000)
        #expect(c.numPartitions == 1)
        #expect(c.defaultReplicationFactor == 1)
        #expect(c.autoCreateTopicsEnable && c.deleteTopicEnable)
        #expect(c.messageMaxBytes == 1_048_588)
        #expect(c.replicaFetchMaxBytes == 1_048_576)
        #expect(c.socketRequestMaxBytes == 104_857_600)
        #expect(c.numNetworkThreads == 3 && c.numIoThreads == 8)
        #expect(c.logSegmentBytes == 1_073_741_824)
        #expect(c.logRollMs == 604_800_000)
        #expect(c.logRetentionMs == 604_800_000)
        #expect(c.logRetentionBytes == -1)
        #expect(c.logRetentionCheckIntervalMs == 300_000)
        #expect(c.logIndexIntervalBytes == 4096)
        #expect(c.logSegmentDeleteDelayMs == 60_000)
        #expect(c.logFlushIntervalMessages == Int64.max && c.logFlushIntervalMs == Int64.max)
        #expect(c.logCleanupPolicy == .delete)
        #expect(c.logCleanerEnable && c.logCleanerThreads == 1)
        #expect(c.logCleanerMinCleanableRatio == 0.5)
        #expect(c.logCleanerDeleteRetentionMs == 86_400_000 && c.logCleanerBackoffMs == 15_000)
        #expect(c.compressionType == .producer)
        #expect(c.logMessageTimestampType == .createTime)
        #expect(c.minInsyncReplicas == 1 && !c.uncleanLeaderElectionEnable)
        #expect(c.offsetsTopicNumPartitions == 50 && c.offsetsTopicReplicationFactor == 3)
        #expect(c.offsetsRetentionMinutes == 10080 && c.offsetsRetentionMs == 604_800_000)
        #expect(c.offsetsCommitTimeoutMs == 5000)
        #expect(c.groupInitialRebalanceDelayMs == 3000)
        #expect(c.groupMinSessionTimeoutMs == 6000 && c.groupMaxSessionTimeoutMs == 1_800_000)
        #expect(c.groupMaxSize == Int(Int32.max))
        #expect(c.transactionStateLogReplicationFactor == 3 && c.transactionStateLogMinIsr == 2)
        #expect(c.replicaLagTimeMaxMs == 30_000 && c.replicaFetchWaitMaxMs == 500 && c.replicaFetchMinBytes == 1)
        #expect(c.numReplicaFetchers == 1)
        #expect(c.controlledShutdownEnable && c.autoLeaderRebalanceEnable)
        #expect(c.leaderImbalanceCheckIntervalSeconds == 300 && c.leaderImbalancePerBrokerPercentage == 10)
        #expect(c.brokerRack == nil)
        #expect(c.producerIdExpirationMs == 86_400_000)
        #expect(c.requestTimeoutMs == 30_000 && c.connectionsMaxIdleMs == 600_000)
        #expect(c.unknownKeys.isEmpty)
    }

    @Test("every default in the key table passes its own validation and no key is listed twice")
    func tableIsConsistent() throws {
        var seen = Set<String>()
        for def in BrokerConfig.definitions {
            #expect(seen.insert(def.name).inserted, "duplicate \(def.name)")
            if let value = def.defaultValue {
                try def.check(value)
                // Round trip through text, as DescribeConfigs shows it, except passwords and huge doubles.
                if def.type != .double && def.type != .password {
                    #expect(try def.parse(value.description) == value, "\(def.name)")
                }
            }
            #expect(!def.documentation.isEmpty)
        }
        #expect(BrokerConfig.definition(named: "num.partitions")?.validator.validValuesDescription == "[1,...]")
        #expect(
            BrokerConfig.definition(named: "log.cleanup.policy")?.validator.validValuesDescription
                == "[compact, delete]")
        for def in TopicConfig.definitions {
            if let value = def.key.defaultValue { try def.key.check(value) }
            for synonym in def.brokerSynonyms {
                #expect(BrokerConfig.definition(named: synonym.name) != nil, "\(synonym.name) is not a broker key")
            }
        }
    }

    @Test("retention: log.retention.ms beats minutes, minutes beat hours, negative means forever")
    func retentionSynonyms() throws {
        #expect(try config(["log.retention.hours": "1"]).logRetentionMs == 3_600_000)
        #expect(try config(["log.retention.hours": "1", "log.retention.minutes": "2"]).logRetentionMs == 120_000)
        #expect(try config(["log.retention.minutes": "2", "log.retention.ms": "5"]).logRetentionMs == 5)
        #expect(try config(["log.retention.ms": "-7"]).logRetentionMs == -1)
        #expect(try config(["log.roll.hours": "2"]).logRollMs == 7_200_000)
        #expect(try config(["log.roll.hours": "2", "log.roll.ms": "10"]).logRollMs == 10)
        #expect(try config(["log.flush.scheduler.interval.ms": "100"]).logFlushIntervalMs == 100)
    }

    @Test("log.dirs beats log.dir and relative directories resolve against the working directory")
    func logDirs() throws {
        #expect(try config(["log.dir": "/a"]).logDirs == ["/a"])
        let c = try config(["log.dir": "/a", "log.dirs": "data/b1, /abs/b2,"])
        #expect(c.logDirs == ["data/b1", "/abs/b2"])
        #expect(c.resolvedLogDirs(workingDirectory: "/srv/needletail/") == ["/srv/needletail/data/b1", "/abs/b2"])
    }

    @Test("parses listener lists, IPv6 hosts and the security protocol map")
    func listeners() throws {
        let c = try config([
            "listeners": "INTERNAL://0.0.0.0:19092, EXTERNAL://[::1]:9092",
            "advertised.listeners": "internal://kafka1:19092,EXTERNAL://localhost:9092",
            "listener.security.protocol.map": "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT",
            "inter.broker.listener.name": "INTERNAL",
        ])
        #expect(c.listeners.map(\.description) == ["INTERNAL://0.0.0.0:19092", "EXTERNAL://[::1]:9092"])
        #expect(c.listeners[1].host == "::1")
        #expect(c.advertisedListeners.map(\.description) == ["INTERNAL://kafka1:19092", "EXTERNAL://localhost:9092"])
        #expect(c.listenerSecurityProtocolMap == ["INTERNAL": .plaintext, "EXTERNAL": .plaintext])
        #expect(c.interBrokerListenerName == "INTERNAL")
    }

    @Test("listener problems are one-line errors")
    func listenerErrors() {
        #expect(
            throws: ConfigError.invalidValue(
                key: "listeners", value: "PLAINTEXT://nohostport",
                reason: "Unable to parse PLAINTEXT://nohostport to a broker endpoint")
        ) {
            try config(["listeners": "PLAINTEXT://nohostport"])
        }
        #expect(throws: ConfigError.self) { try config(["listeners": "FOO://:9092"]) }
        #expect(throws: ConfigError.self) { try config(["listeners": "PLAINTEXT://:70000"]) }
        #expect(throws: ConfigError.self) { try config(["advertised.listeners": "PLAINTEXT://0.0.0.0:9092"]) }
        #expect(throws: ConfigError.self) { try config(["inter.broker.listener.name": "OTHER"]) }
        #expect(throws: ConfigError.self) {
            try config(["inter.broker.listener.name": "PLAINTEXT", "security.inter.broker.protocol": "PLAINTEXT"])
        }
    }

    @Test("invalid values give Kafka's one-line message naming key, value and expectation")
    func invalidValueMessages() {
        let cases: [([String: String], String)] = [
            (["num.partitions": "abc"], "Invalid value abc for configuration num.partitions: Not a number of type INT"),
            (["num.partitions": "0"], "Invalid value 0 for configuration num.partitions: Value must be at least 1"),
            (
                ["auto.create.topics.enable": "yes"],
                "Invalid value yes for configuration auto.create.topics.enable: Expected value to be either true or false"
            ),
            (
                ["log.retention.bytes": "1.5"],
                "Invalid value 1.5 for configuration log.retention.bytes: Not a number of type LONG"
            ),
            (
                ["offsets.topic.replication.factor": "70000"],
                "Invalid value 70000 for configuration offsets.topic.replication.factor: Not a number of type SHORT"
            ),
            (
                ["log.cleaner.min.cleanable.ratio": "1.5"],
                "Invalid value 1.5 for configuration log.cleaner.min.cleanable.ratio: Value must be no more than 1"
            ),
            (
                ["compression.type": "brotli"],
                "Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer"
            ),
            (
                ["log.cleanup.policy": "delete,compacted"],
                "Invalid value compacted for configuration log.cleanup.policy: String must be one of: compact, delete"
            ),
            (
                ["num.io.threads": "4\n2"],
                "Invalid value 4\\n2 for configuration num.io.threads: Not a number of type INT"
            ),
        ]
        for (props, message) in cases {
            do {
                _ = try config(props)
                Issue.record("expected an error for \(props)")
            } catch {
                #expect(String(describing: error) == message)
                #expect(!String(describing: error).contains("\n"))
            }
        }
    }

    @Test("values are trimmed and booleans are case-insensitive")
    func lenientParsing() throws {
        let c = try config(["num.partitions": "  4 ", "delete.topic.enable": "FALSE", "broker.rack": " r1 "])
        #expect(c.numPartitions == 4)
        #expect(!c.deleteTopicEnable)
        #expect(c.brokerRack == "r1")
    }

    @Test("missing zookeeper.connect and a negative broker.id are errors")
    func required() throws {
        #expect(throws: ConfigError.missingRequired(key: "zookeeper.connect")) {
            try BrokerConfig(properties: ["broker.id": "1"])
        }
        #expect(
            ConfigError.missingRequired(key: "zookeeper.connect").description
                == "Missing required configuration \"zookeeper.connect\" which has no default value.")
        #expect(throws: ConfigError.self) { try BrokerConfig(properties: ["zookeeper.connect": "zk:2181"]) }
        #expect(throws: ConfigError.self) { try config(["broker.id": "1001"]) }
        #expect(try config(["broker.id": "1001", "broker.id.generation.enable": "false"]).brokerId == 1001)
    }

    @Test("unknown keys are kept as warnings, listener.name.* overrides are accepted")
    func unknownKeys() throws {
        let c = try config(["not.a.key": "1", "listener.name.plaintext.foo": "x"])
        #expect(c.unknownKeys == ["not.a.key"])
    }

    @Test("dynamic broker configs override dynamic defaults, which override static ones")
    func dynamicLayers() throws {
        let c = try config(["message.max.bytes": "1000"])
            .withDynamicConfigs(
                default: ["message.max.bytes": "2000", "log.retention.ms": "50", "num.partitions": "9"],
                broker: ["message.max.bytes": "3000", "listeners": "PLAINTEXT://:9092"])
        #expect(c.messageMaxBytes == 3000)
        #expect(c.logRetentionMs == 50)
        // read-only keys in ZooKeeper are ignored
        #expect(c.numPartitions == 1)
        #expect(c.dynamicDefaultProperties["num.partitions"] == nil)
    }

    @Test("dynamic updates are refused for read-only keys")
    func dynamicValidation() throws {
        try BrokerConfig.validateDynamicConfigs(
            ["log.retention.ms": "1000", "message.max.bytes": "10"], perBroker: false)
        try BrokerConfig.validateDynamicConfigs(["listeners": "PLAINTEXT://:9092"], perBroker: true)
        #expect(throws: ConfigError.notDynamicallyUpdatable(keys: ["listeners"])) {
            try BrokerConfig.validateDynamicConfigs(["listeners": "PLAINTEXT://:9092"], perBroker: false)
        }
        #expect(throws: ConfigError.notDynamicallyUpdatable(keys: ["broker.id", "num.partitions"])) {
            try BrokerConfig.validateDynamicConfigs(["num.partitions": "3", "broker.id": "2"], perBroker: true)
        }
        #expect(throws: ConfigError.self) {
            try BrokerConfig.validateDynamicConfigs(["message.max.bytes": "x"], perBroker: true)
        }
    }

    @Test("describe lists every broker key with source, synonyms, type and read-only flag")
    func describeBroker() throws {
        let c = try config(["log.retention.hours": "24", "ssl.keystore.password": "secret"])
            .withDynamicConfigs(default: ["log.retention.ms": "1000"], broker: [:])
        let entries = c.describe()
        #expect(entries.count == BrokerConfig.definitions.count)
        let byName = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0) })

        let hours = try #require(byName["log.retention.hours"])
        #expect(hours.value == "24")
        #expect(hours.source == .staticBrokerConfig && !hours.isDefault && hours.readOnly)
        #expect(
            hours.synonyms == [
                ConfigSynonym(name: "log.retention.hours", value: "24", source: .staticBrokerConfig),
                ConfigSynonym(name: "log.retention.hours", value: "168", source: .defaultConfig),
            ])
        #expect(hours.configType == .int)

        let ms = try #require(byName["log.retention.ms"])
        #expect(ms.value == "1000" && ms.source == .dynamicDefaultBrokerConfig && !ms.readOnly)
        #expect(
            ms.synonyms.first
                == ConfigSynonym(
                    name: "log.retention.ms", value: "1000", source: .dynamicDefaultBrokerConfig))

        let minutes = try #require(byName["log.retention.minutes"])
        #expect(minutes.value == nil && minutes.source == .defaultConfig && minutes.isDefault)

        let password = try #require(byName["ssl.keystore.password"])
        #expect(password.isSensitive && password.value == nil && password.synonyms.allSatisfy { $0.value == nil })

        let partitions = try #require(byName["num.partitions"])
        #expect(partitions.value == "1" && partitions.source == .defaultConfig && partitions.isDefault)

        let selected = c.describe(
            keys: ["num.partitions", "nope"], includeSynonyms: false, includeDocumentation: false)
        #expect(selected.map(\.name) == ["num.partitions"])
        #expect(selected.first?.synonyms == [] && selected.first?.documentation == nil)
    }
}
