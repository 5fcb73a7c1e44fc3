import Foundation
import GroupCoordinator
import KafkaConfig
import KafkaProtocol
import Logging

/// Glue between the broker and the group coordinator: creates `__consumer_offsets` on first use, loads the
/// partitions this broker leads from their logs, appends coordinator records through the replica manager, and
/// answers FindCoordinator.
final class GroupService: Sendable {
    static let topic = GroupPlacement.offsetsTopic

    let runtime: GroupCoordinatorRuntime
    private let brokerId: Int32
    private let metadata: MetadataCache
    private let replicas: ReplicaManager
    private let topics: TopicAdmin
    private let brokerConfig: @Sendable () -> BrokerConfig
    private let logger: Logger

    init(
        brokerId: Int32, metadata: MetadataCache, replicas: ReplicaManager, topics: TopicAdmin,
        brokerConfig: @escaping @Sendable () -> BrokerConfig, logger: Logger
    ) {
        self.brokerId = brokerId
        self.metadata = metadata
        self.replicas = replicas
        self.topics = topics
        self.brokerConfig = brokerConfig
        self.logger = logger
        let config = brokerConfig()
        let groupConfig = GroupConfig(
            initialRebalanceDelayMs: Int64(config.groupInitialRebalanceDelayMs),
            minSessionTimeoutMs: Int32(clamping: config.groupMinSessionTimeoutMs),
            maxSessionTimeoutMs: Int32(clamping: config.groupMaxSessionTimeoutMs), maxSize: config.groupMaxSize,
            offsetMetadataMaxBytes: config.offsetMetadataMaxBytes)
        let commitTimeout = Int32(clamping: config.offsetsCommitTimeoutMs)
        let coordinatorLogger = Logger(label: "needletail.group-coordinator")
        runtime = GroupCoordinatorRuntime(
            config: groupConfig, partitionCount: Int32(clamping: config.offsetsTopicNumPartitions),
            clock: { Int64(Date().timeIntervalSince1970 * 1000) },
            newId: { UUID().uuidString.lowercased() },
            log: { coordinatorLogger.info("[GroupCoordinator \(brokerId)]: \($0)") },
            appender: { partition, batch in
                do {
                    _ = try await replicas.appendAsLeader(
                        topic: GroupService.topic, partition: partition, records: batch, produceVersion: 9,
                        requiredAcks: -1, timeoutMs: commitTimeout)
                    return .noError
                } catch {
                    return ErrorCode(error)
                }
            })
    }

    /// Startup: loads the offsets partitions this broker leads (if the topic exists) and starts the timers.
    func start() async -> Task<Void, Never> {
        if let topic = metadata.topic(Self.topic) {
            await runtime.setPartitionCount(Int32(topic.partitions.count))
            for p in topic.partitions where p.leader == brokerId { await load(partition: p.partition) }
        }
        return runtime.startTimers()
    }

    /// Reads a partition from its log start to its end and hands the batches to the coordinator.
    func load(partition index: Int32) async {
        guard await runtime.beginLoading(partition: index) else { return }
        if let p = replicas.partition(Self.topic, index) {
            let log = p.log
            var offset = log.logStartOffset
            let end = log.logEndOffset
            let chunk = max(brokerConfig().offsetsLoadBufferSize, 1 << 16)
            while offset < end {
                let bytes: [UInt8]
                do {
                    bytes = try log.readBytes(from: offset, maxBytes: chunk, upTo: end, minOneBatch: true)
                } catch {
                    logger.error("Error loading \(Self.topic)-\(index) at offset \(offset): \(error)")
                    break
                }
                guard !bytes.isEmpty, let next = await runtime.replay(partition: index, batches: bytes), next > offset
                else { break }
                offset = next
            }
        }
        await runtime.finishLoading(partition: index)
    }

    /// Called by the replica manager after this broker becomes leader (`isLeader`) or follower of an
    /// `__consumer_offsets` partition: a new leader loads the partition's groups, a former leader unloads them so
    /// their members get NOT_COORDINATOR and move to the new coordinator.
    func partitionLeadershipChanged(partition: Int32, isLeader: Bool, leaderEpoch: Int32) async {
        if isLeader { await load(partition: partition) }
    }

    /// Creates `__consumer_offsets` if missing (Kafka's internal topic settings); true when it exists afterwards.
    private func ensureOffsetsTopic() async -> Bool {
        if metadata.topic(Self.topic) != nil { return true }
        let config = brokerConfig()
        let live = max(metadata.snapshot.brokers.count, 1)
        let rf = min(config.offsetsTopicReplicationFactor, live)
        if rf < config.offsetsTopicReplicationFactor {
            logger.warning(
                "offsets.topic.replication.factor \(config.offsetsTopicReplicationFactor) exceeds the \(live) live brokers; creating \(Self.topic) with replication factor \(rf)")
        }
        let spec = TopicSpec(
            name: Self.topic, numPartitions: Int32(clamping: config.offsetsTopicNumPartitions),
            replicationFactor: Int16(clamping: rf), assignments: [],
            configs: [
                ("cleanup.policy", "compact"), ("segment.bytes", String(config.offsetsTopicSegmentBytes)),
                ("compression.type", "producer"),
            ])
        do {
            _ = try await topics.create(spec, validateOnly: false)
        } catch {
            if case .topicAlreadyExists = error { return true }
            logger.warning("Cannot create \(Self.topic): \(error)")
            return false
        }
        guard let topic = metadata.topic(Self.topic) else { return false }
        await runtime.setPartitionCount(Int32(topic.partitions.count))
        for p in topic.partitions where p.leader == brokerId { await load(partition: p.partition) }
        return true
    }

    struct CoordinatorAnswer {
        var error: ErrorCode
        var nodeId: Int32 = -1
        var host: String = ""
        var port: Int32 = -1
    }

    /// FindCoordinator for one key: the leader of the group's offsets partition, on the caller's listener.
    func findCoordinator(key: String, keyType: Int8, listener: String) async -> CoordinatorAnswer {
        guard keyType == 0 else { return CoordinatorAnswer(error: .coordinatorNotAvailable) }
        guard await ensureOffsetsTopic(), let topic = metadata.topic(Self.topic) else {
            return CoordinatorAnswer(error: .coordinatorNotAvailable)
        }
        let index = GroupPlacement.partition(for: key, partitionCount: Int32(topic.partitions.count))
        guard let leadership = topic.partitions.first(where: { $0.partition == index }), leadership.leader >= 0,
            let broker = metadata.snapshot.brokers[leadership.leader], let address = broker.address(on: listener)
        else {
            return CoordinatorAnswer(error: .coordinatorNotAvailable)
        }
        if leadership.leader == brokerId, await runtime.status(of: index) == nil {
            await load(partition: index)
        }
        return CoordinatorAnswer(error: .noError, nodeId: broker.id, host: address.host, port: address.port)
    }
}
