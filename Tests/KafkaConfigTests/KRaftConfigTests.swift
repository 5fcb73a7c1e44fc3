import Testing

@testable import KafkaConfig

private let combined = [
    "process.roles": "broker,controller", "node.id": "1", "controller.quorum.voters": "1@localhost:9093",
    "listeners": "PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093", "controller.listener.names": "CONTROLLER",
]

private func kraft(_ change: [String: String?]) throws -> BrokerConfig {
    var properties = combined
    for (key, value) in change { properties[key] = value }
    return try BrokerConfig(properties: properties)
}

private func message(_ change: [String: String?]) -> String? {
    do {
        _ = try kraft(change)
        return nil
    } catch {
        return "\(error)"
    }
}

@Suite("KRaft mode configuration")
struct KRaftConfigTests {
    @Test("process.roles selects KRaft mode without zookeeper.connect and node.id becomes the broker id")
    func combinedMode() throws {
        let c = try kraft([:])
        let k = try #require(c.kraft)
        #expect(k.processRoles == [.broker, .controller])
        #expect(c.brokerId == 1 && k.nodeId == 1)
        #expect(k.voters.map(\.port) == [9093])
        #expect(k.ownVoter?.host == "localhost")
        #expect(k.quorum.electionTimeoutMs == 1000 && k.quorum.fetchTimeoutMs == 2000)
    }

    @Test("the controller listener is PLAINTEXT by default and not advertised to clients")
    func controllerListener() throws {
        let c = try kraft([:])
        #expect(c.listenerSecurityProtocolMap["CONTROLLER"] == .plaintext)
        #expect(c.advertisedListeners.map(\.listenerName) == ["PLAINTEXT"])
    }

    @Test("without process.roles the configuration stays in ZooKeeper mode")
    func zooKeeperMode() throws {
        let c = try BrokerConfig(properties: ["broker.id": "0", "zookeeper.connect": "localhost:2181"])
        #expect(c.kraft == nil)
    }

    @Test("both process.roles and zookeeper.connect is an error naming both keys")
    func bothModes() {
        let text = message(["zookeeper.connect": "localhost:2181"]) ?? ""
        #expect(text.contains("process.roles") && text.contains("zookeeper.connect"))
    }

    @Test("the KRaft keys are not reported as unknown")
    func knownKeys() throws {
        #expect(try kraft([:]).unknownKeys.isEmpty)
    }

    @Test("an unknown or repeated role is refused with Kafka's message")
    func roles() {
        #expect(message(["process.roles": "broker,zookeeper"])?.contains("Unknown process role 'zookeeper'") == true)
        #expect(message(["process.roles": "broker,broker"])?.contains("Duplicate role names") == true)
    }

    @Test("KRaft mode needs node.id")
    func nodeIdRequired() {
        #expect(message(["node.id": nil])?.contains("Missing configuration `node.id`") == true)
    }

    @Test("a controller's node id must be one of the voters")
    func controllerInVoters() {
        #expect(
            message(["node.id": "2"])
                == "If process.roles contains the 'controller' role, the node id 2 must be included in the set of voters controller.quorum.voters={1}"
        )
    }

    @Test("a broker-only node must not be a voter and must not listen on the controller listener")
    func brokerOnly() throws {
        #expect(
            message(["process.roles": "broker", "listeners": "PLAINTEXT://localhost:9092"])?.contains(
                "must not be included in the set of voters") == true)
        let c = try kraft([
            "process.roles": "broker", "node.id": "4", "listeners": "PLAINTEXT://localhost:9092",
        ])
        #expect(c.kraft?.isController == false)
    }

    @Test("controller.listener.names is required and must name a listener for the controller role")
    func controllerListenerNames() {
        #expect(
            message(["controller.listener.names": nil, "listeners": "PLAINTEXT://localhost:9092"])
                == "controller.listener.names must contain at least one value when running in KRaft mode.")
        #expect(
            message(["listeners": "PLAINTEXT://localhost:9092"])
                == "controller.listener.names must contain at least one value appearing in the 'listeners' configuration when running the KRaft controller role"
        )
    }

    @Test("KRaft mode needs voters or bootstrap servers")
    func quorumRequired() throws {
        #expect(message(["controller.quorum.voters": nil])?.contains("controller.quorum.bootstrap.servers") == true)
        let c = try kraft(["controller.quorum.voters": nil, "controller.quorum.bootstrap.servers": "localhost:9093"])
        #expect(c.kraft?.bootstrapServers == ["localhost:9093"])
    }

    @Test("a malformed voters entry is refused with Kafka's parser message")
    func badVoters() {
        #expect(message(["controller.quorum.voters": "1@localhost"])?.contains("Failed to parse host name") == true)
    }

    @Test("a controller-only node listens only on controller listeners")
    func controllerOnly() throws {
        #expect(
            message(["process.roles": "controller"])?.contains(
                "must only contain KRaft controller listeners") == true)
        let c = try kraft(["process.roles": "controller", "listeners": "CONTROLLER://localhost:9093"])
        #expect(c.kraft?.isBroker == false)
    }

    @Test("the KAFKA_* environment forms of the KRaft keys are read")
    func environment() throws {
        let loaded = try BrokerConfig.load(
            file: nil,
            environment: [
                "KAFKA_PROCESS_ROLES": "broker,controller", "KAFKA_NODE_ID": "3",
                "KAFKA_CONTROLLER_QUORUM_VOTERS": "3@localhost:9095",
                "KAFKA_LISTENERS": "PLAINTEXT://localhost:9094,CONTROLLER://localhost:9095",
                "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
            ], overrides: [])
        #expect(loaded.config.kraft?.nodeId == 3)
        #expect(loaded.warnings.isEmpty)
    }
}
