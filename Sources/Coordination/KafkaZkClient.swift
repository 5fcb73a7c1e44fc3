import Foundation

/// The result of winning the controller election.
public struct ControllerElection: Sendable, Equatable {
    public var epoch: Int32
    /// zkVersion of `/controller_epoch` after the bump: controller writes are fenced on it.
    public var epochZkVersion: Int32
}

/// Layer 3: Kafka's ZooKeeper operations (registration, election, topics, configs, producer-id blocks), written
/// with Kafka's paths and JSON from the catalogue. `zookeeper.connect` may carry a chroot, created if missing.
public final class KafkaZkClient: Sendable {
    public let session: ZooKeeperSession
    private let connectionTimeoutMs: Int

    private init(session: ZooKeeperSession, connectionTimeoutMs: Int) {
        self.session = session
        self.connectionTimeoutMs = connectionTimeoutMs
    }

    /// Connects to `h1:2181,h2:2181[/chroot]`; a missing chroot path is created first, as Kafka does.
    public static func connect(connectString: String, sessionTimeoutMs: Int, connectionTimeoutMs: Int) async throws
        -> KafkaZkClient
    {
        if let slash = connectString.firstIndex(of: "/") {
            let hosts = String(connectString[..<slash])
            let chroot = String(connectString[slash...])
            if chroot != "/" {
                let bootstrap = try await ZooKeeperSession(
                    connectString: hosts, sessionTimeoutMs: sessionTimeoutMs, connectionTimeoutMs: connectionTimeoutMs)
                try await createRecursive(bootstrap, chroot)
                bootstrap.close()
            }
        }
        let session = try await ZooKeeperSession(
            connectString: connectString, sessionTimeoutMs: sessionTimeoutMs, connectionTimeoutMs: connectionTimeoutMs)
        return KafkaZkClient(session: session, connectionTimeoutMs: connectionTimeoutMs)
    }

    public var sessionEvents: AsyncStream<SessionEvent> { session.events }

    public func reconnect() async throws { try await session.reconnect(connectionTimeoutMs: connectionTimeoutMs) }

    public func close() async { session.close() }

    // MARK: helpers

    /// Creates `path` and any missing parents (persistent, no data); existing nodes are fine.
    static func createRecursive(_ session: ZooKeeperSession, _ path: String, data: [UInt8] = []) async throws {
        do {
            try await session.create(path, data: data)
        } catch ZooKeeperError.nodeExists {
            return
        } catch ZooKeeperError.noNode {
            guard let parent = ZkPaths.parent(of: path), parent != "/" else { throw ZooKeeperError.noNode }
            try await createRecursive(session, parent)
            do {
                try await session.create(path, data: data)
            } catch ZooKeeperError.nodeExists {}
        }
    }

    private func createOrSet(_ path: String, _ data: [UInt8]) async throws {
        do {
            try await session.set(path, data: data)
        } catch ZooKeeperError.noNode {
            do {
                try await Self.createRecursive(session, ZkPaths.parent(of: path) ?? "/")
                try await session.create(path, data: data)
            } catch ZooKeeperError.nodeExists {
                try await session.set(path, data: data)
            }
        }
    }

    private func deleteRecursive(_ path: String) async throws {
        let children: [String]
        do {
            children = try await session.children(path)
        } catch ZooKeeperError.noNode {
            return
        }
        for child in children { try await deleteRecursive("\(path)/\(child)") }
        do {
            try await session.delete(path)
        } catch ZooKeeperError.noNode {}
    }

    // MARK: startup

    public func ensureTopLevelPaths() async throws {
        for path in ZkPaths.persistentPaths { try await Self.createRecursive(session, path) }
    }

    public func getOrCreateClusterId() async throws -> String {
        if let (data, _) = try await session.get(ClusterIdZNode.path) {
            return try ClusterIdZNode.decode(data)
        }
        let id = ClusterIdZNode.generate()
        do {
            try await Self.createRecursive(session, "/cluster")
            try await session.create(ClusterIdZNode.path, data: ClusterIdZNode.encode(clusterId: id))
            return id
        } catch ZooKeeperError.nodeExists {
            guard let (data, _) = try await session.get(ClusterIdZNode.path) else { throw ZooKeeperError.noNode }
            return try ClusterIdZNode.decode(data)
        }
    }

    // MARK: brokers

    /// Creates the ephemeral `/brokers/ids/<id>`. A node held by another live session → `nodeExists`.
    public func registerBroker(_ registration: BrokerRegistration) async throws {
        let path = BrokerIdZNode.path(registration.brokerId)
        let data = BrokerIdZNode.encode(registration)
        do {
            try await session.create(path, data: data, mode: .ephemeral)
        } catch ZooKeeperError.nodeExists {
            guard let stat = try await session.exists(path) else {
                return try await registerBroker(registration)
            }
            guard stat.ephemeralOwner == session.sessionId else { throw ZooKeeperError.nodeExists }
            try await session.set(path, data: data)
        }
    }

    public func liveBrokers() async throws -> [BrokerRegistration] {
        var out: [BrokerRegistration] = []
        for child in try await session.children(BrokerIdsZNode.path) {
            guard let id = Int32(child), let (data, _) = try await session.get(BrokerIdZNode.path(id)) else { continue }
            out.append(try BrokerIdZNode.decode(brokerId: id, data))
        }
        return out.sorted { $0.brokerId < $1.brokerId }
    }

    // MARK: controller

    /// Tries to become controller: ephemeral `/controller`, then bumps `/controller_epoch`.
    /// Returns nil when another broker holds `/controller`.
    public func electController(brokerId: Int32) async throws -> ControllerElection? {
        let registration = ControllerRegistration(brokerId: brokerId, timestamp: Int64(Date().timeIntervalSince1970 * 1000))
        do {
            try await session.create(ControllerZNode.path, data: ControllerZNode.encode(registration), mode: .ephemeral)
        } catch ZooKeeperError.nodeExists {
            return nil
        }
        while true {
            if let (data, stat) = try await session.get(ControllerEpochZNode.path) {
                let epoch = try ControllerEpochZNode.decode(data) + 1
                do {
                    let newStat = try await session.set(
                        ControllerEpochZNode.path, data: ControllerEpochZNode.encode(epoch), version: stat.version)
                    return ControllerElection(epoch: epoch, epochZkVersion: newStat.version)
                } catch ZooKeeperError.badVersion {
                    continue
                }
            } else {
                do {
                    try await session.create(ControllerEpochZNode.path, data: ControllerEpochZNode.encode(1))
                    return ControllerElection(epoch: 1, epochZkVersion: 0)
                } catch ZooKeeperError.nodeExists {
                    continue
                }
            }
        }
    }

    public func controllerId() async throws -> Int32? {
        guard let (data, _) = try await session.get(ControllerZNode.path) else { return nil }
        return try ControllerZNode.decode(data).brokerId
    }

    // MARK: topics

    public func allTopics() async throws -> [String] { try await session.children(TopicsZNode.path) }

    public func getTopic(_ name: String) async throws -> TopicAssignment? {
        guard let (data, _) = try await session.get(TopicZNode.path(name)) else { return nil }
        return try TopicZNode.decode(data)
    }

    public func setTopicAssignment(_ name: String, _ assignment: TopicAssignment) async throws {
        try await session.set(TopicZNode.path(name), data: TopicZNode.encode(assignment))
    }

    /// Writes `/config/topics/<t>` first, then `/brokers/topics/<t>` (as Kafka's admin path does).
    /// An existing topic znode → `nodeExists`.
    public func createTopic(_ name: String, topicId: String, assignment: [Int32: [Int32]], configs: [String: String])
        async throws
    {
        if try await session.exists(TopicZNode.path(name)) != nil { throw ZooKeeperError.nodeExists }
        try await createOrSet(ConfigEntityZNode.path(.topics, name), ConfigEntityZNode.encode(configs))
        try await session.create(
            TopicZNode.path(name), data: TopicZNode.encode(TopicAssignment(topicId: topicId, partitions: assignment)))
    }

    public func topicConfig(_ name: String) async throws -> [String: String]? {
        guard let (data, _) = try await session.get(ConfigEntityZNode.path(.topics, name)) else { return nil }
        return try ConfigEntityZNode.decode(data)
    }

    /// Writes the overrides and announces them in `/config/changes`.
    public func setTopicConfig(_ name: String, _ configs: [String: String]) async throws {
        try await createOrSet(ConfigEntityZNode.path(.topics, name), ConfigEntityZNode.encode(configs))
        try await notifyConfigChange(ConfigEntityChangeNotificationZNode.entityPath(.topics, name))
    }

    public func brokerConfig(_ name: String) async throws -> [String: String]? {
        guard let (data, _) = try await session.get(ConfigEntityZNode.path(.brokers, name)) else { return nil }
        return try ConfigEntityZNode.decode(data)
    }

    public func setBrokerConfig(_ name: String, _ configs: [String: String]) async throws {
        try await createOrSet(ConfigEntityZNode.path(.brokers, name), ConfigEntityZNode.encode(configs))
        try await notifyConfigChange(ConfigEntityChangeNotificationZNode.entityPath(.brokers, name))
    }

    private func notifyConfigChange(_ entityPath: String) async throws {
        try await session.create(
            ConfigEntityChangeNotificationZNode.sequentialPath,
            data: ConfigEntityChangeNotificationZNode.encode(entityPath: entityPath), mode: .persistentSequential)
    }

    public func partitionState(_ topic: String, _ partition: Int32) async throws -> (LeaderIsrState, Int32)? {
        guard let (data, stat) = try await session.get(TopicPartitionStateZNode.path(topic, partition)) else {
            return nil
        }
        return (try TopicPartitionStateZNode.decode(data), stat.version)
    }

    public func createPartitionStates(_ topic: String, _ states: [Int32: LeaderIsrState]) async throws {
        for (partition, state) in states.sorted(by: { $0.key < $1.key }) {
            try await Self.createRecursive(session, TopicPartitionZNode.path(topic, partition))
            try await createOrSet(TopicPartitionStateZNode.path(topic, partition), TopicPartitionStateZNode.encode(state))
        }
    }

    public func markTopicForDeletion(_ name: String) async throws {
        do {
            try await session.create(DeleteTopicsTopicZNode.path(name), data: [])
        } catch ZooKeeperError.nodeExists {}
    }

    /// Removes the topic's znodes and its deletion marker.
    public func deleteTopicZnodes(_ name: String) async throws {
        try await deleteRecursive(TopicZNode.path(name))
        try await deleteRecursive(ConfigEntityZNode.path(.topics, name))
        try await deleteRecursive(DeleteTopicsTopicZNode.path(name))
    }

    // MARK: producer ids

    /// Claims the next block of producer ids with a conditional write on `/latest_producer_id_block`.
    public func allocateProducerIdBlock(brokerId: Int32, blockSize: Int64 = ProducerIdBlock.defaultSize) async throws
        -> ProducerIdBlock
    {
        while true {
            guard let (data, stat) = try await session.get(ProducerIdBlockZNode.path) else {
                try await Self.createRecursive(session, ProducerIdBlockZNode.path)
                continue
            }
            let previous = try ProducerIdBlockZNode.decode(data)
            let start = (previous?.lastProducerId ?? -1) + 1
            let block = ProducerIdBlock(brokerId: brokerId, firstProducerId: start, lastProducerId: start + blockSize - 1)
            do {
                try await session.set(ProducerIdBlockZNode.path, data: ProducerIdBlockZNode.encode(block), version: stat.version)
                return block
            } catch ZooKeeperError.badVersion {
                continue
            }
        }
    }

    // MARK: watches

    public func waitForChildrenChange(of path: String) async throws { try await session.waitForChildrenChange(of: path) }
    public func waitForNodeChange(at path: String) async throws { try await session.waitForNodeChange(at: path) }
}
