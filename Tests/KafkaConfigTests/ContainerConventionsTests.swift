import Testing

@testable import KafkaConfig

/// The seed's KRaft compose files (compose/docker-compose.kraft-*.yml) as the broker reads their environment.
@Suite("Container conventions of KRaft compose files")
struct ContainerConventionsTests {
    static let seedSingle = [
        "KAFKA_NODE_ID": "1", "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": "PLAINTEXT://0.0.0.0:9092", "KAFKA_ADVERTISED_LISTENERS": "PLAINTEXT://localhost:9092",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@kafka_kraft:9093", "KAFKA_LOG_DIRS": "/tmp/kraft-combined-logs",
        "KAFKA_CLUSTER_ID": "kraft-cluster-12345",
    ]

    static func seedClusterNode(_ n: Int) -> [String: String] {
        let port = 9090 + 2 * n
        return [
            "KAFKA_NODE_ID": "\(n)", "KAFKA_PROCESS_ROLES": "broker,controller",
            "KAFKA_LISTENERS": "PLAINTEXT://0.0.0.0:\(port),CONTROLLER://0.0.0.0:\(port + 1)",
            "KAFKA_ADVERTISED_LISTENERS": "PLAINTEXT://localhost:\(port)",
            "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER", "KAFKA_INTER_BROKER_LISTENER_NAME": "PLAINTEXT",
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@kafka_kraft_1:9093,2@kafka_kraft_2:9095,3@kafka_kraft_3:9097",
            "KAFKA_CLUSTER_ID": "kraft-cluster-12345",
        ]
    }

    @Test func aControllerWithoutAControllerListenerInTheEnvironmentGetsOneOnItsVotersPort() throws {
        let loaded = try BrokerConfig.load(propertiesFile: nil, environment: Self.seedSingle)
        let controller = loaded.config.listeners.first { $0.listenerName == "CONTROLLER" }
        #expect(controller?.port == 9093)
        #expect(controller?.host == "0.0.0.0")
        #expect(loaded.warnings.contains { $0.message.hasPrefix("listeners has no CONTROLLER listener") })
        #expect(loaded.warnings.contains { $0.key == "KAFKA_CLUSTER_ID" })
        #expect(loaded.warnings.count == 2, "\(loaded.warnings)")
    }

    @Test func theSameMistakeInAPropertiesFileGetsKafkasError() throws {
        var env = Self.seedSingle
        env.removeValue(forKey: "KAFKA_LISTENERS")
        let file = try PropertiesFile(parsing: "listeners=PLAINTEXT://0.0.0.0:9092\n")
        #expect(throws: ConfigError.self) {
            _ = try BrokerConfig.load(file: ("server.properties", file), environment: env, overrides: [])
        }
    }

    @Test func localhostAdvertisedToTheOtherNodesIsNotedOnEveryNodeOfTheSeedsClusterFile() throws {
        for n in 1...3 {
            let loaded = try BrokerConfig.load(propertiesFile: nil, environment: Self.seedClusterNode(n))
            let notes = loaded.warnings.filter { $0.message.contains("other brokers would connect to themselves") }
            #expect(notes.count == 1, "\(loaded.warnings)")
            #expect(notes.first?.message.contains("kafka_kraft_1, kafka_kraft_2, kafka_kraft_3") == true)
            #expect(!loaded.warnings.contains { $0.message.contains("no CONTROLLER listener") })
        }
    }

    @Test func aQuorumOnOneMachineAdvertisingLoopbackIsNotNoted() throws {
        var env = Self.seedClusterNode(1)
        env["KAFKA_CONTROLLER_QUORUM_VOTERS"] = "1@127.0.0.1:9093,2@127.0.0.1:9095,3@127.0.0.1:9097"
        env.removeValue(forKey: "KAFKA_CLUSTER_ID")
        let loaded = try BrokerConfig.load(propertiesFile: nil, environment: env)
        #expect(loaded.warnings.isEmpty, "\(loaded.warnings)")
    }

    @Test func clusterIdComesFromClusterIdAndOnlyThenFromKafkaClusterId() {
        #expect(ContainerConventions.clusterId(environment: ["CLUSTER_ID": "a", "KAFKA_CLUSTER_ID": "b"])?.id == "a")
        let fallback = ContainerConventions.clusterId(environment: ["KAFKA_CLUSTER_ID": "b"])
        #expect(fallback?.id == "b" && fallback?.warning != nil)
        #expect(ContainerConventions.clusterId(environment: [:]) == nil)
    }

    @Test func zooKeeperModeIsLeftAlone() throws {
        let env = ["KAFKA_BROKER_ID": "1", "KAFKA_ZOOKEEPER_CONNECT": "zk:2181", "KAFKA_CLUSTER_ID": "x"]
        let loaded = try BrokerConfig.load(propertiesFile: nil, environment: env)
        #expect(loaded.warnings.isEmpty, "\(loaded.warnings)")
    }
}
