import Coordination
import KafkaConfig
import KafkaProtocol
import Logging

/// What a CreateTopics entry asks for (-1 partitions / replication factor = broker defaults).
struct TopicSpec: Sendable {
    var name: String
    var numPartitions: Int32
    var replicationFactor: Int16
    var assignments: [(Int32, [Int32])]
    var configs: [(String, String?)]
}

struct CreatedTopic: Sendable {
    var topicId: UUIDValue
    var numPartitions: Int32
    var replicationFactor: Int16
    var configs: [ConfigEntryView]
}

/// Topic lifecycle: create, delete, add partitions, load at startup. Writes Kafka's znodes
/// (`/config/topics/<t>` first, then `/brokers/topics/<t>` and partition states), then opens local replicas and
/// refreshes the metadata cache. One admin operation at a time (actor).
actor TopicAdmin {
    private let zk: KafkaZkClient
    private let metadata: MetadataCache
    private let replicas: ReplicaManager
    private let brokerConfig: @Sendable () -> BrokerConfig
    private let logger: Logger
    /// Topic config overrides as stored in `/config/topics/<t>`.
    private(set) var overrides: [String: [String: String]] = [:]
    /// This broker's controller election, when it is the controller: fences its ZooKeeper writes.
    private let election: @Sendable () -> ControllerElection?

    init(
        zk: KafkaZkClient, metadata: MetadataCache, replicas: ReplicaManager,
        brokerConfig: @escaping @Sendable () -> BrokerConfig,
        election: @escaping @Sendable () -> ControllerElection?,
        logger: Logger
    ) {
        self.zk = zk
        self.metadata = metadata
        self.replicas = replicas
        self.brokerConfig = brokerConfig
        self.election = election
        self.logger = logger
    }

    func topicOverrides(_ name: String) -> [String: String]? { overrides[name] }

    /// The config a local replica of `name` runs under: the topic's overrides (read from `/config/topics/<t>` the
    /// first time) over the broker's settings. Used when a LeaderAndIsr opens a replica on this broker.
    func effectiveConfig(for name: String) async throws -> EffectiveTopicConfig {
        if overrides[name] == nil { overrides[name] = try await zk.topicConfig(name) }
        return try EffectiveTopicConfig(topicOverrides: overrides[name] ?? [:], broker: brokerConfig())
    }

    // MARK: startup

    /// Reads every topic from ZooKeeper, fills the metadata cache and opens the local replicas.
    func loadAll() async throws {
        let names = try await zk.allTopics()
        for name in names.sorted() {
            do {
                try await load(name)
            } catch {
                logger.error("cannot load topic \(name) from ZooKeeper: \(error)")
            }
        }
    }

    private func load(_ name: String) async throws {
        guard let record = try await zk.getTopic(name) else { return }
        let assignment = record.assignment
        let configs = try await zk.topicConfig(name)
        overrides[name] = configs
        var topicId = assignment.topicId.flatMap(UUIDValue.init(base64URL:)) ?? .zero
        if topicId.isZero {
            topicId = Self.newTopicId()
            var updated = assignment
            updated.topicId = topicId.base64URL
            _ = try? await zk.setTopicAssignment(
                name, updated, expectedVersion: record.zkVersion, fence: election())
        }
        var partitions: [PartitionLeadership] = []
        for (index, replicaList) in assignment.partitions.sorted(by: { $0.key < $1.key }) {
            var leadership = PartitionLeadership(
                partition: index, leader: replicaList.first ?? -1, leaderEpoch: 0, replicas: replicaList,
                isr: replicaList)
            if let record = try await zk.partitionState(topic: name, partition: index) {
                leadership.leader = record.state.leader
                leadership.leaderEpoch = record.state.leaderEpoch
                leadership.isr = record.state.isr
            } else if let fence = election() {
                _ = try? await zk.createPartitionStates(
                    topic: name,
                    states: [index: LeaderIsrState(
                        leader: leadership.leader, leaderEpoch: 0, isr: leadership.isr, controllerEpoch: fence.epoch)],
                    fence: fence)
            }
            partitions.append(leadership)
        }
        try openLocal(name: name, topicId: topicId, partitions: partitions, configs: configs)
    }

    private func openLocal(name: String, topicId: UUIDValue, partitions: [PartitionLeadership], configs: [String: String])
        throws
    {
        let effective = try EffectiveTopicConfig(topicOverrides: configs, broker: brokerConfig())
        let localId = replicas.brokerId
        for p in partitions where p.replicas.contains(localId) {
            try replicas.becomeReplica(
                topic: name, index: p.partition, topicId: topicId, leadership: p, config: effective)
        }
        metadata.update { $0.topics[name] = TopicMetadata(name: name, topicId: topicId, partitions: partitions) }
    }

    // MARK: create

    func autoCreate(_ names: [String]) async {
        let config = brokerConfig()
        for name in names where metadata.topic(name) == nil {
            let spec = TopicSpec(
                name: name, numPartitions: Int32(config.numPartitions),
                replicationFactor: Int16(config.defaultReplicationFactor), assignments: [], configs: [])
            do {
                _ = try await create(spec, validateOnly: false)
                logger.info("Auto-created topic \(name) with \(config.numPartitions) partitions")
            } catch {
                logger.warning("auto-creation of topic \(name) failed: \(error)")
            }
        }
    }

    func create(_ spec: TopicSpec, validateOnly: Bool) async throws(BrokerError) -> CreatedTopic {
        let config = brokerConfig()
        do {
            try TopicName.validate(spec.name)
        } catch {
            throw .invalidTopic("\(error)")
        }
        let snapshot = metadata.snapshot
        if snapshot.topics[spec.name] != nil {
            throw .topicAlreadyExists("Topic '\(spec.name)' already exists.")
        }
        let colliding = TopicName.collisions(of: spec.name, in: snapshot.topics.keys)
        if !colliding.isEmpty {
            throw .invalidTopic(
                "Topic '\(spec.name)' collides with existing topics: \(colliding.joined(separator: ", "))")
        }
        var configs: [String: String] = [:]
        for (k, v) in spec.configs {
            guard let v else { throw .invalidConfig("Null value not supported for topic configs: \(k)") }
            configs[k] = v
        }
        do {
            try TopicConfig.validate(configs)
            // Values that parse per key can still fail together with the broker's (e.g. segment sizes).
            _ = try EffectiveTopicConfig(topicOverrides: configs, broker: config)
        } catch {
            throw .invalidConfig("\(error)")
        }
        let liveBrokers = snapshot.brokers.keys.sorted()
        var assignment: [Int32: [Int32]] = [:]
        if !spec.assignments.isEmpty {
            guard spec.numPartitions == -1 && spec.replicationFactor == -1 else {
                throw .invalidRequest(
                    "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.")
            }
            for (partition, brokers) in spec.assignments { assignment[partition] = brokers }
            do {
                try ReplicaAssignment.validate(assignment)
            } catch {
                throw .invalidReplicaAssignment("\(error)")
            }
            for brokers in assignment.values where brokers.contains(where: { !liveBrokers.contains($0) }) {
                throw .invalidReplicaAssignment("Unknown broker in replica assignment \(brokers)")
            }
        } else {
            let partitions = spec.numPartitions == -1 ? Int32(config.numPartitions) : spec.numPartitions
            let rf = spec.replicationFactor == -1 ? Int16(config.defaultReplicationFactor) : spec.replicationFactor
            guard partitions > 0 else { throw .invalidPartitions("Number of partitions must be larger than 0.") }
            guard rf > 0 else { throw .invalidReplicationFactor("Replication factor must be larger than 0.") }
            guard Int(rf) <= liveBrokers.count else {
                throw .invalidReplicationFactor(
                    "Replication factor: \(rf) larger than available brokers: \(liveBrokers.count).")
            }
            do {
                assignment = try ReplicaAssignment.assign(
                    brokers: liveBrokers, partitionCount: partitions, replicationFactor: Int32(rf))
            } catch {
                throw .invalidReplicationFactor("\(error)")
            }
        }
        let rf = Int16(assignment.values.first?.count ?? 0)
        let described = TopicConfig.describe(topicOverrides: configs, broker: config).map(ConfigEntryView.init)
        let topicId = Self.newTopicId()
        if validateOnly {
            return CreatedTopic(topicId: topicId, numPartitions: Int32(assignment.count), replicationFactor: rf, configs: described)
        }
        let leaderships = assignment.sorted { $0.key < $1.key }.map { (p, brokers) in
            let isr = brokers.filter { liveBrokers.contains($0) }
            return PartitionLeadership(partition: p, leader: isr.first ?? -1, leaderEpoch: 0, replicas: brokers, isr: isr)
        }
        guard let fence = election() else { throw .notController }
        do {
            try await zk.createTopic(
                spec.name, topicId: topicId.base64URL, assignment: assignment, configs: configs)
            _ = try await zk.createPartitionStates(
                topic: spec.name,
                states: Dictionary(uniqueKeysWithValues: leaderships.map {
                    ($0.partition, LeaderIsrState(leader: $0.leader, leaderEpoch: 0, isr: $0.isr, controllerEpoch: fence.epoch))
                }),
                fence: fence)
        } catch KafkaZkError.topicAlreadyExists {
            throw .topicAlreadyExists("Topic '\(spec.name)' already exists.")
        } catch KafkaZkError.topicMarkedForDeletion {
            throw .topicAlreadyExists("Topic '\(spec.name)' is marked for deletion.")
        } catch {
            throw .unknownServerError("ZooKeeper write failed: \(error)")
        }
        overrides[spec.name] = configs
        do {
            try openLocal(name: spec.name, topicId: topicId, partitions: leaderships, configs: configs)
        } catch {
            throw .storage("\(error)")
        }
        logger.info("Created topic \(spec.name) with \(assignment.count) partitions, replication factor \(rf)")
        return CreatedTopic(topicId: topicId, numPartitions: Int32(assignment.count), replicationFactor: rf, configs: described)
    }

    /// Kafka rejects random ids that are zero or would print starting with '-'.
    static func newTopicId() -> UUIDValue {
        while true {
            let id = UUIDValue.random()
            if !id.isZero && !id.base64URL.hasPrefix("-") { return id }
        }
    }

    // MARK: delete

    func delete(_ name: String) async throws(BrokerError) -> UUIDValue {
        guard brokerConfig().deleteTopicEnable else { throw .topicDeletionDisabled }
        guard let topic = metadata.topic(name) else { throw .unknownTopicOrPartition }
        do {
            try await zk.markTopicForDeletion(name)
        } catch {
            logger.warning("cannot mark topic \(name) for deletion: \(error)")
        }
        for p in topic.partitions { replicas.removeReplica(topic: name, index: p.partition) }
        metadata.update { $0.topics[name] = nil }
        overrides[name] = nil
        do {
            guard let fence = election() else { throw BrokerError.notController }
            try await zk.deleteTopicZnodes(name, fence: fence)
        } catch {
            throw .unknownServerError("ZooKeeper delete failed: \(error)")
        }
        logger.info("Deleted topic \(name)")
        return topic.topicId
    }

    // MARK: partitions

    func createPartitions(_ name: String, count: Int32, assignments: [[Int32]]?, validateOnly: Bool) async
        throws(BrokerError)
    {
        guard let topic = metadata.topic(name) else { throw .unknownTopicOrPartition }
        let current = Int32(topic.partitions.count)
        guard count > current else {
            if count == current {
                throw .invalidPartitions("Topic already has \(current) partitions.")
            }
            throw .invalidPartitions("Topic currently has \(current) partitions, which is higher than the requested \(count).")
        }
        let live = metadata.snapshot.brokers.keys.sorted()
        let existing = Dictionary(uniqueKeysWithValues: topic.partitions.map { ($0.partition, $0.replicas) })
        var added: [Int32: [Int32]] = [:]
        if let assignments {
            guard assignments.count == Int(count - current) else {
                throw .invalidReplicaAssignment(
                    "Increasing the number of partitions by \(count - current) but \(assignments.count) assignments provided.")
            }
            for (i, brokers) in assignments.enumerated() { added[current + Int32(i)] = brokers }
        } else {
            do {
                added = try ReplicaAssignment.assignAdditionalPartitions(
                    existing: existing, brokers: live, newPartitionCount: count)
            } catch {
                throw .invalidReplicaAssignment("\(error)")
            }
        }
        if validateOnly { return }
        var all = existing
        for (k, v) in added { all[k] = v }
        let leaderships = added.sorted { $0.key < $1.key }.map { (p, brokers) in
            let isr = brokers.filter { live.contains($0) }
            return PartitionLeadership(partition: p, leader: isr.first ?? -1, leaderEpoch: 0, replicas: brokers, isr: isr)
        }
        guard let fence = election() else { throw .notController }
        do {
            guard let record = try await zk.getTopic(name) else { throw BrokerError.unknownTopicOrPartition }
            try await zk.setTopicAssignment(
                name, TopicAssignment(topicId: topic.topicId.base64URL, partitions: all),
                expectedVersion: record.zkVersion, fence: fence)
            _ = try await zk.createPartitionStates(
                topic: name,
                states: Dictionary(uniqueKeysWithValues: leaderships.map {
                    ($0.partition, LeaderIsrState(leader: $0.leader, leaderEpoch: 0, isr: $0.isr, controllerEpoch: fence.epoch))
                }),
                fence: fence)
        } catch {
            throw .unknownServerError("ZooKeeper write failed: \(error)")
        }
        do {
            try openLocal(
                name: name, topicId: topic.topicId, partitions: topic.partitions + leaderships,
                configs: overrides[name] ?? [:])
        } catch {
            throw .storage("\(error)")
        }
    }

    // MARK: configs

    /// Replaces a topic's overrides (already validated), persists them and applies them live.
    func setOverrides(_ name: String, _ configs: [String: String]) async throws(BrokerError) {
        guard metadata.topic(name) != nil else { throw .unknownTopicOrPartition }
        let effective: EffectiveTopicConfig
        do {
            effective = try EffectiveTopicConfig(topicOverrides: configs, broker: brokerConfig())
        } catch {
            throw .invalidConfig("\(error)")
        }
        do {
            try await zk.setTopicConfig(name, configs)
        } catch {
            throw .unknownServerError("ZooKeeper write failed: \(error)")
        }
        overrides[name] = configs
        replicas.updateConfig(topic: name, config: effective)
    }
}
