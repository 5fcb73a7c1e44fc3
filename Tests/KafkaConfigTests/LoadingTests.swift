import Foundation
import Testing

@testable import KafkaConfig

@Suite("Loading from file, KAFKA_* environment and --override")
struct LoadingTests {
    @Test("maps the Confluent images' variable names to property names")
    func environmentNames() {
        let cases: [(String, String)] = [
            ("KAFKA_ZOOKEEPER_CONNECT", "zookeeper.connect"),
            ("KAFKA_ADVERTISED_LISTENERS", "advertised.listeners"),
            ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "offsets.topic.replication.factor"),
            ("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "listener.security.protocol.map"),
            ("KAFKA_INTER_BROKER_LISTENER_NAME", "inter.broker.listener.name"),
            ("KAFKA_BROKER_ID", "broker.id"),
            ("KAFKA_LOG_RETENTION_HOURS", "log.retention.hours"),
            ("KAFKA_LISTENER_NAME_INTERNAL_SSL__KEYSTORE", "listener.name.internal.ssl_keystore"),
            ("KAFKA_SOME___DASHED_KEY", "some-dashed.key"),
            ("KAFKA_CFG_ZOOKEEPER_CONNECT", "zookeeper.connect"),
        ]
        for (variable, property) in cases {
            #expect(KafkaEnvironment.propertyName(forVariable: variable) == property, "\(variable)")
        }
    }

    @Test("skips the images' JVM, JMX and logging variables and anything without the prefix")
    func environmentExclusions() {
        for variable in [
            "KAFKA_HEAP_OPTS", "KAFKA_OPTS", "KAFKA_JMX_PORT", "KAFKA_JMX_HOSTNAME", "KAFKA_LOG4J_ROOT_LOGLEVEL",
            "KAFKA_LOG4J_LOGGERS", "KAFKA_JVM_PERFORMANCE_OPTS", "KAFKA_VERSION", "KAFKA_", "KAFKA_CFG_", "PATH",
            "ZOOKEEPER_CONNECT",
        ] {
            #expect(KafkaEnvironment.propertyName(forVariable: variable) == nil, "\(variable)")
        }
    }

    @Test("a docker-compose style environment alone configures a broker")
    func environmentOnly() throws {
        let env = [
            "KAFKA_BROKER_ID": "2",
            "KAFKA_ZOOKEEPER_CONNECT": "zookeeper:2181",
            "KAFKA_LISTENERS": "INTERNAL://0.0.0.0:29092,EXTERNAL://0.0.0.0:9092",
            "KAFKA_ADVERTISED_LISTENERS": "INTERNAL://kafka:29092,EXTERNAL://localhost:9092",
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT",
            "KAFKA_INTER_BROKER_LISTENER_NAME": "INTERNAL",
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
            "KAFKA_LOG_RETENTION_HOURS": "12",
            "KAFKA_HEAP_OPTS": "-Xmx1G",
            "KAFKA_JMX_PORT": "9999",
            "HOME": "/root",
        ]
        let loaded = try BrokerConfig.load(propertiesFile: nil, environment: env)
        let c = loaded.config
        #expect(c.brokerId == 2)
        #expect(c.zookeeperConnect == "zookeeper:2181")
        #expect(c.advertisedListeners.map(\.description) == ["INTERNAL://kafka:29092", "EXTERNAL://localhost:9092"])
        #expect(c.interBrokerListenerName == "INTERNAL")
        #expect(c.offsetsTopicReplicationFactor == 1)
        #expect(c.logRetentionMs == 12 * 3_600_000)
        #expect(loaded.warnings.isEmpty)
        #expect(loaded.origins["broker.id"] == .environment(variable: "KAFKA_BROKER_ID"))
    }

    @Test("file, then environment, then --override: the later source wins")
    func precedence() throws {
        let file = try PropertiesFile(
            parsing: """
                broker.id=1
                zookeeper.connect=file:2181
                num.partitions=2
                log.retention.hours=10
                """)
        let loaded = try BrokerConfig.load(
            file: ("server.properties", file),
            environment: ["KAFKA_NUM_PARTITIONS": "3", "KAFKA_LOG_RETENTION_HOURS": "20"],
            overrides: try BrokerConfig.parseOverrides(["num.partitions=4", "broker.id = 7"]))
        #expect(loaded.config.numPartitions == 4)
        #expect(loaded.config.logRetentionMs == 20 * 3_600_000)
        #expect(loaded.config.zookeeperConnect == "file:2181")
        #expect(loaded.config.brokerId == 7)
        #expect(loaded.origins["num.partitions"] == .override)
        #expect(loaded.origins["log.retention.hours"] == .environment(variable: "KAFKA_LOG_RETENTION_HOURS"))
        #expect(loaded.origins["zookeeper.connect"] == .file(path: "server.properties", line: 2))
    }

    @Test("an override keeps everything after the first '=' and rejects arguments without one")
    func overrides() throws {
        let pairs = try BrokerConfig.parseOverrides(["zookeeper.connect=a:1,b:2/chroot=x"])
        #expect(pairs.first?.key == "zookeeper.connect" && pairs.first?.value == "a:1,b:2/chroot=x")
        #expect(throws: ConfigError.malformedOverride("num.partitions")) {
            try BrokerConfig.parseOverrides(["num.partitions"])
        }
        #expect(throws: ConfigError.malformedOverride("=3")) { try BrokerConfig.parseOverrides(["=3"]) }
    }

    @Test("unknown keys become warnings naming where they came from")
    func warnings() throws {
        let file = try PropertiesFile(parsing: "broker.id=1\nzookeeper.connect=zk:2181\nlog.retention.dayz=3")
        let loaded = try BrokerConfig.load(
            file: ("s.properties", file), environment: ["KAFKA_CONFLUENT_SUPPORT_METRICS_ENABLE": "false"],
            overrides: [])
        #expect(loaded.warnings.map(\.key) == ["confluent.support.metrics.enable", "log.retention.dayz"])
        #expect(loaded.warnings.last?.origin == .file(path: "s.properties", line: 3))
        #expect(
            loaded.warnings.last?.message
                == "The configuration 'log.retention.dayz' was supplied but isn't a known config.")
    }

    @Test("an invalid value from the environment is a typed one-line error")
    func invalidFromEnvironment() {
        #expect(
            throws: ConfigError.invalidValue(
                key: "num.partitions", value: "abc", reason: "Not a number of type INT")
        ) {
            try BrokerConfig.load(
                propertiesFile: nil,
                environment: [
                    "KAFKA_BROKER_ID": "1", "KAFKA_ZOOKEEPER_CONNECT": "zk:2181", "KAFKA_NUM_PARTITIONS": "abc",
                ])
        }
    }

    @Test("a missing file is a typed error")
    func missingFile() {
        #expect(throws: ConfigError.self) {
            try BrokerConfig.load(propertiesFile: "/nonexistent/needletail/server.properties")
        }
    }
}

@Suite("Shipped conf/*.properties files")
struct ConfFilesTests {
    static let confDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("conf")

    @Test(
        "every key in every conf/*.properties file is known and every value parses",
        arguments: ["server.properties", "broker-1.properties", "broker-2.properties", "broker-3.properties"])
    func confFileLoads(name: String) throws {
        let path = Self.confDirectory.appendingPathComponent(name).path
        let file = try PropertiesFile(contentsOfFile: path)
        #expect(!file.entries.isEmpty)
        for entry in file.entries {
            #expect(BrokerConfig.definition(named: entry.key) != nil, "\(name):\(entry.line) unknown key \(entry.key)")
        }
        let loaded = try BrokerConfig.load(propertiesFile: path)
        #expect(loaded.warnings.isEmpty)
        // server.properties talks to the quickstart's single ZooKeeper, broker-N to tools/cluster's 3-node ensemble.
        let expected = name == "server.properties" ? "127.0.0.1:2181" : "127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183"
        #expect(loaded.config.zookeeperConnect == expected)
    }

    @Test("the sample files describe a single broker and the 3-broker local cluster under run/cluster")
    func confValues() throws {
        let single = try BrokerConfig.load(
            propertiesFile: Self.confDirectory.appendingPathComponent("server.properties").path
        ).config
        #expect(single.brokerId == 1)
        #expect(single.advertisedListeners.map(\.description) == ["PLAINTEXT://localhost:9092"])
        #expect(single.logDirs == ["data/broker-1"])
        #expect(single.offsetsTopicReplicationFactor == 1 && single.transactionStateLogReplicationFactor == 1)

        var ports: [Int] = []
        var dirs: [String] = []
        for i in 1...3 {
            let c = try BrokerConfig.load(
                propertiesFile: Self.confDirectory.appendingPathComponent("broker-\(i).properties").path
            ).config
            #expect(c.brokerId == Int32(i))
            ports += c.listeners.map(\.port)
            dirs += c.logDirs
        }
        #expect(ports == [9092, 9093, 9094])
        #expect(dirs == ["run/cluster/broker-1", "run/cluster/broker-2", "run/cluster/broker-3"])
    }
}
