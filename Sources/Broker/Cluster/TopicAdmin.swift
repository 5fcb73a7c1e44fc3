import Coordination
import KafkaConfig
import KafkaProtocol
import Logging
import Replication

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

/// Topic lifecycle on any broker: validates, then writes through the `MetadataWriter` (ZooKeeper mode, never
/// forwarded: create writes `/config/topics/<t>` then `/brokers/topics/<t>` (assignment + topic id); delete writes
/// the `/admin/delete_topics/<t>` marker; adding partitions rewrites the assignment; KRaft mode: the active
/// controller appends the records). The controller does the rest
/// (state znodes, elections, LeaderAndIsr/UpdateMetadata/StopReplica); callers that pass a timeout wait until
/// this broker's metadata cache shows the result. One admin operation at a time (actor).
actor TopicAdmin {
    private let writer: any MetadataWriter
    private let metadata: MetadataCache
    private let replicas: ReplicaManager
    private let brokerConfig: @Sendable () -> BrokerConfig
    private let logger: Logger
    /// Topic config overrides as last read from `/config/topics/<t>`.
    private(set) var overrides: [String: [String: String]] = [:]
    /// When each internal topic's "not enough brokers" line was last logged (clients retry every 100 ms or so).
    private var shortfallLogged: [InternalTopic: ContinuousClock.Instant] = [:]
    /// The ZooKeeper-mode controller this broker runs while it holds the election (ElectLeaders,
    /// ControlledShutdown); nil in KRaft mode.
    nonisolated let controller: ControllerHost?

    init(
        writer: any MetadataWriter, metadata: MetadataCache, replicas: ReplicaManager,
        brokerConfig: @escaping @Sendable () -> BrokerConfig, controller: ControllerHost?, logger: Logger
    ) {
        self.writer = writer
        self.metadata = metadata
        self.replicas = replicas
        self.brokerConfig = brokerConfig
        self.controller = controller
        self.logger = logger
    }

    /// A known topic's overrides (read from ZooKeeper, so changes made through other brokers show), or nil when
    /// the topic is not in the metadata cache.
    func topicOverrides(_ name: String) async -> [String: String]? {
        guard metadata.topic(name) != nil else { return nil }
        if let fresh = try? await writer.topicConfig(name) { overrides[name] = fresh }
        return overrides[name] ?? [:]
    }

    /// The config a local replica of `name` runs under: the topic's overrides (read from `/config/topics/<t>` the
    /// first time) over the broker's settings. Used when a LeaderAndIsr opens a replica on this broker.
    func effectiveConfig(for name: String) async throws -> EffectiveTopicConfig {
        if overrides[name] == nil { overrides[name] = try await writer.topicConfig(name) }
        return try EffectiveTopicConfig(topicOverrides: overrides[name] ?? [:], broker: brokerConfig())
    }

    /// Re-reads a topic's overrides after a `/config/changes` notification names it and applies them to the local
    /// replicas at once (Kafka's `TopicConfigHandler`).
    func reloadOverrides(_ name: String) async throws {
        let fresh = try await writer.topicConfig(name)
        overrides[name] = fresh
        guard metadata.topic(name) != nil else { return }
        do {
            replicas.updateConfig(
                topic: name, config: try EffectiveTopicConfig(topicOverrides: fresh, broker: brokerConfig()))
        } catch {
            logger.warning("ignoring invalid config of topic \(name) in ZooKeeper: \(error)")
        }
    }

    /// Re-reads every topic whose overrides are cached (after a ZooKeeper session loss).
    func reloadCachedOverrides() async throws {
        for name in overrides.keys.sorted() { try await reloadOverrides(name) }
    }

    /// `/controller_epoch` as ZooKeeper holds it (nil when it cannot be read, and in KRaft mode).
    func controllerEpochInZooKeeper() async -> Int32? {
        await writer.controllerEpoch()
    }

    // MARK: waiting for the controller

    /// Polls the metadata cache (fed by the controller's UpdateMetadata) until `done` holds or `timeoutMs` passes.
    private func waitForMetadata(timeoutMs: Int32, _ done: (ClusterSnapshot) -> Bool) async throws(BrokerError) {
        let deadline = ContinuousClock.now + .milliseconds(Int(max(timeoutMs, 0)))
        while !done(metadata.snapshot) {
            // A cancelled request stops too: the sleep would return at once and the loop spin until the deadline.
            guard ContinuousClock.now < deadline, !Task.isCancelled else { throw .requestTimedOut }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// True when `name` (with id `topicId`) is cached with `count` partitions (at least), each with a leader.
    private static func hasLeaders(
        _ snapshot: ClusterSnapshot, _ name: String, _ topicId: UUIDValue, partitions count: Int
    )
        -> Bool
    {
        guard let topic = snapshot.topics[name], topic.topicId == topicId, topic.partitions.count >= count else {
            return false
        }
        return topic.partitions.allSatisfy { $0.leader >= 0 }
    }

    // MARK: create

    /// Creates missing topics with the broker defaults (Metadata auto-creation; does not wait for the controller).
    /// Returns the topics that now exist in ZooKeeper but not yet in the metadata cache: Kafka reports those as
    /// LEADER_NOT_AVAILABLE in the Metadata answer.
    @discardableResult
    func autoCreate(_ names: [String]) async -> [String] {
        let config = brokerConfig()
        var pending: [String] = []
        // Internal topics never come from here: they have their own settings (`ensureInternal`).
        for name in names where metadata.topic(name) == nil && InternalTopic(name: name) == nil {
            let spec = TopicSpec(
                name: name, numPartitions: Int32(config.numPartitions),
                replicationFactor: Int16(config.defaultReplicationFactor), assignments: [], configs: [])
            do {
                _ = try await create(spec, validateOnly: false)
                logger.info("Auto-created topic \(name) with \(config.numPartitions) partitions")
                pending.append(name)
            } catch .topicAlreadyExists {
                // Created meanwhile (possibly not yet announced by the controller).
                pending.append(name)
            } catch {
                logger.warning("auto-creation of topic \(name) failed: \(error)")
            }
        }
        return pending
    }

    /// Creates an internal topic with its own partition count, replication factor and configs unless it exists.
    /// Kafka's rule: with fewer live brokers than the replication factor nothing is created (the factor is never
    /// lowered) and the caller answers an error until enough brokers are registered. Does not wait for the
    /// controller: `.pending` until the metadata cache shows the topic.
    func ensureInternal(_ topic: InternalTopic) async -> InternalTopicState {
        if metadata.topic(topic.name) != nil { return .ready }
        let config = brokerConfig()
        let required = topic.replicationFactor(config)
        let live = metadata.snapshot.brokers.count
        guard live >= Int(required) else {
            let now = ContinuousClock.now
            if shortfallLogged[topic].map({ now - $0 >= .seconds(10) }) ?? true {
                shortfallLogged[topic] = now
                logger.error("\(topic.shortfallMessage(live: live, required: required))")
            }
            return .notEnoughBrokers(live: live, required: required)
        }
        let spec = TopicSpec(
            name: topic.name, numPartitions: topic.partitions(config), replicationFactor: required, assignments: [],
            configs: topic.configs(config))
        do {
            _ = try await create(spec, validateOnly: false, internalTopic: topic)
        } catch .topicAlreadyExists {
            // Written meanwhile by another broker, or not yet announced by the controller.
        } catch {
            logger.warning("Cannot create internal topic \(topic.name): \(error)")
            return .failed
        }
        return metadata.topic(topic.name) != nil ? .ready : .pending
    }

    /// Validates and writes a new topic. With `timeoutMs`, waits until the controller's UpdateMetadata shows every
    /// partition with a leader here (REQUEST_TIMED_OUT otherwise, also for a timeout ≤ 0, as Kafka answers);
    /// without, returns once ZooKeeper has the topic. An internal topic's name is refused unless `internalTopic`
    /// says this is `ensureInternal` creating it with its own settings.
    func create(
        _ spec: TopicSpec, validateOnly: Bool, timeoutMs: Int32? = nil, internalTopic: InternalTopic? = nil
    ) async throws(BrokerError) -> CreatedTopic {
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
        if let reserved = InternalTopic(name: spec.name), reserved != internalTopic {
            throw .invalidTopic(
                "Topic '\(spec.name)' is an internal topic: the broker creates it itself with \(reserved.partitionsKey) "
                    + "and \(reserved.replicationFactorKey).")
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
                    "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time."
                )
            }
            for (partition, brokers) in spec.assignments { assignment[partition] = brokers }
            do {
                try ReplicaAssignment.validate(assignment)
            } catch {
                throw .invalidReplicaAssignment("\(error)")
            }
            // Like Kafka's ZkAdminManager, replicas on brokers that are down (or unknown) are accepted: such a
            // partition starts with the live replicas in its ISR, or offline when none is live.
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
        let topicId = UUIDValue.randomTopicId()
        if validateOnly {
            return CreatedTopic(
                topicId: topicId, numPartitions: Int32(assignment.count), replicationFactor: rf, configs: described)
        }
        let createdId = try await writer.createTopic(
            spec.name, topicId: topicId, assignment: assignment, configs: configs, timeoutMs: timeoutMs)
        overrides[spec.name] = configs
        logger.info("Created topic \(spec.name) with \(assignment.count) partitions, replication factor \(rf)")
        if let timeoutMs {
            let count = assignment.count
            try await waitForMetadata(timeoutMs: timeoutMs) {
                Self.hasLeaders($0, spec.name, createdId, partitions: count)
            }
        }
        return CreatedTopic(
            topicId: createdId, numPartitions: Int32(assignment.count), replicationFactor: rf, configs: described)
    }

    // MARK: delete

    /// Queues a topic for deletion (`/admin/delete_topics/<t>`); the controller stops and deletes the replicas
    /// and removes the znodes. With `timeoutMs`, waits until the topic left this broker's metadata cache.
    func delete(_ name: String, timeoutMs: Int32? = nil) async throws(BrokerError) -> UUIDValue {
        guard brokerConfig().deleteTopicEnable else { throw .topicDeletionDisabled }
        guard let topic = metadata.topic(name) else { throw .unknownTopicOrPartition }
        guard InternalTopic(name: name) == nil else {
            throw .invalidTopic("Topic \(name) is a kafka internal topic and is not allowed to be marked for deletion.")
        }
        try await writer.deleteTopic(name, timeoutMs: timeoutMs)
        logger.info("Marked topic \(name) for deletion")
        if let timeoutMs {
            try await waitForMetadata(timeoutMs: timeoutMs) { $0.topics[name]?.topicId != topic.topicId }
        }
        overrides[name] = nil
        return topic.topicId
    }

    // MARK: partitions

    /// Adds partitions by rewriting `/brokers/topics/<t>` (conditional on its version); the controller elects
    /// their leaders. With `timeoutMs`, waits until this broker's metadata cache shows them with leaders.
    func createPartitions(
        _ name: String, count: Int32, assignments: [[Int32]]?, validateOnly: Bool, timeoutMs: Int32? = nil
    ) async throws(BrokerError) {
        guard let topic = metadata.topic(name) else { throw .unknownTopicOrPartition }
        let current = Int32(topic.partitions.count)
        guard count > current else {
            if count == current {
                throw .invalidPartitions("Topic already has \(current) partitions.")
            }
            throw .invalidPartitions(
                "Topic currently has \(current) partitions, which is higher than the requested \(count).")
        }
        let live = metadata.snapshot.brokers.keys.sorted()
        let existing = Dictionary(uniqueKeysWithValues: topic.partitions.map { ($0.partition, $0.replicas) })
        var added: [Int32: [Int32]] = [:]
        if let assignments {
            guard assignments.count == Int(count - current) else {
                throw .invalidReplicaAssignment(
                    "Increasing the number of partitions by \(count - current) but \(assignments.count) assignments provided."
                )
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
        try await writer.addPartitions(
            name, topicId: topic.topicId, currentCount: current, added: added, timeoutMs: timeoutMs)
        logger.info("Increased partitions of \(name) from \(current) to \(count)")
        if let timeoutMs {
            try await waitForMetadata(timeoutMs: timeoutMs) {
                Self.hasLeaders($0, name, topic.topicId, partitions: Int(count))
            }
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
        try await writer.setTopicConfig(name, configs)
        overrides[name] = configs
        replicas.updateConfig(topic: name, config: effective)
    }
}
