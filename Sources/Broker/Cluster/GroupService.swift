import Foundation
import GroupCoordinator
import KafkaConfig
import KafkaProtocol
import Logging
import Replication
import Synchronization

/// Glue between the broker and the group coordinator: creates `__consumer_offsets` on first use, loads the
/// partitions this broker leads from their logs, appends coordinator records through the replica manager, and
/// answers FindCoordinator.
final class GroupService: PartitionLeadershipListener {
    static let topic = GroupPlacement.offsetsTopic
    /// The replica manager reports leadership changes of `__consumer_offsets` partitions.
    var watchedTopic: String { Self.topic }

    let runtime: GroupCoordinatorRuntime
    private let brokerId: Int32
    private let metadata: MetadataCache
    private let replicas: ReplicaManager
    private let topics: TopicAdmin
    private let brokerConfig: @Sendable () -> BrokerConfig
    private let logger: Logger
    /// Topic ids of `__consumer_offsets` whose layout has been checked (`adopt`).
    private let checkedTopicIds = Mutex<Set<UUIDValue>>([])

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
        var groupConfig = GroupConfig(
            initialRebalanceDelayMs: Int64(config.groupInitialRebalanceDelayMs),
            minSessionTimeoutMs: Int32(clamping: config.groupMinSessionTimeoutMs),
            maxSessionTimeoutMs: Int32(clamping: config.groupMaxSessionTimeoutMs), maxSize: config.groupMaxSize,
            offsetMetadataMaxBytes: config.offsetMetadataMaxBytes, offsetsRetentionMs: config.offsetsRetentionMs)
        groupConfig.rebalanceHistoryMaxEntries = config.rebalanceHistoryMaxEntries
        groupConfig.rebalanceHistoryRetentionMs = config.rebalanceHistoryRetentionMs
        let commitTimeout = Int32(clamping: config.offsetsCommitTimeoutMs)
        let coordinatorLogger = Logger(label: "needletail.group-coordinator")
        runtime = GroupCoordinatorRuntime(
            config: groupConfig, partitionCount: Int32(clamping: config.offsetsTopicNumPartitions),
            clock: { Int64(Date().timeIntervalSince1970 * 1000) },
            newId: { UUID().uuidString.lowercased() },
            log: { coordinatorLogger.info("[GroupCoordinator \(brokerId)]: \($0)") },
            appender: { partition, batch in
                // Kafka's offsets.commit.required.acks=-1: a commit is answered once the ISR has it.
                let results = await replicas.produce(
                    [ProduceEntry(topic: GroupService.topic, partition: partition, records: batch)], acks: -1,
                    timeout: .milliseconds(Int(commitTimeout)), origin: .internal)
                return results.first?.error.map { ErrorCode($0) } ?? .noError
            },
            guardedAppender: { partition, batch, verificationGuard in
                let results = await replicas.produce(
                    [
                        ProduceEntry(
                            topic: GroupService.topic, partition: partition, records: batch,
                            verificationGuard: verificationGuard)
                    ], acks: -1, timeout: .milliseconds(Int(commitTimeout)), origin: .internal)
                return results.first?.error.map { ErrorCode($0) } ?? .noError
            })
    }

    /// Startup: only the timers (heartbeat/rebalance deadlines every 100 ms, offset expiry every
    /// `offsets.retention.check.interval.ms`). Partitions are loaded when the replica manager reports leadership
    /// (`partitionLeadershipChanged`), or lazily by FindCoordinator when that has not happened yet.
    func start() async -> Task<Void, Never> {
        if let topic = metadata.topic(Self.topic) { await runtime.setPartitionCount(Int32(topic.partitions.count)) }
        let interval = UInt64(max(brokerConfig().offsetsRetentionCheckIntervalMs, 1))
        return runtime.startTimers(expiryIntervalMs: interval)
    }

    /// Reads a partition from its log start to its end and hands the batches to the coordinator. A newer
    /// notification (or an unload) arriving meanwhile makes this load stale: it stops and changes nothing.
    /// Returns false when there is no local replica to read (the partition is then not served).
    @discardableResult
    func load(partition index: Int32, leaderEpoch: Int32) async -> Bool {
        guard let ticket = await runtime.beginLoading(partition: index, leaderEpoch: leaderEpoch) else { return true }
        return await readAndFinish(partition: index, leaderEpoch: leaderEpoch, ticket: ticket)
    }

    private func readAndFinish(partition index: Int32, leaderEpoch: Int32, ticket: UInt64) async -> Bool {
        guard let p = replicas.partition(Self.topic, index) else {
            logger.warning("Cannot load \(Self.topic)-\(index): no local replica")
            await runtime.abandonLoading(partition: index, ticket: ticket)
            return false
        }
        let started = ContinuousClock.now
        let log = p.log
        var offset = log.logStartOffset
        let end = log.logEndOffset
        let chunk = max(brokerConfig().offsetsLoadBufferSize, 1 << 16)
        while offset < end {
            let bytes: [UInt8]
            do {
                // Blocking file reads stay off the cooperative pool's hot path in small chunks.
                bytes = try log.readBytes(
                    from: max(offset, log.logStartOffset), maxBytes: chunk, upTo: end, minOneBatch: true)
            } catch {
                logger.error("Error loading \(Self.topic)-\(index) at offset \(offset): \(error)")
                break
            }
            guard !bytes.isEmpty else { break }
            guard let next = await runtime.replay(partition: index, batches: bytes, ticket: ticket) else {
                if await runtime.status(of: index) != .loading { return true }  // superseded or unloaded
                break
            }
            guard next > offset else { break }
            offset = next
        }
        await runtime.finishLoading(partition: index, ticket: ticket)
        let elapsed = ContinuousClock.now - started
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        logger.info("Loaded \(Self.topic)-\(index) in \(milliseconds) milliseconds for epoch \(leaderEpoch)")
        return true
    }

    /// Called by the replica manager after this broker becomes leader (`isLeader`) or follower of an
    /// `__consumer_offsets` partition: a new leader loads the partition's groups (members meanwhile get
    /// COORDINATOR_LOAD_IN_PROGRESS), a former leader unloads them so their members get NOT_COORDINATOR and move to
    /// the new coordinator. Notifications older than the last one (by leader epoch) are ignored.
    func partitionLeadershipChanged(partition: Int32, isLeader: Bool, leaderEpoch: Int32) async {
        if let topic = metadata.topic(Self.topic) { _ = await adopt(topic) }
        if isLeader {
            // The partition answers COORDINATOR_LOAD_IN_PROGRESS from here on; the log is read in the background so
            // the LeaderAndIsr that brought this leadership is not held up by the load.
            guard let ticket = await runtime.beginLoading(partition: partition, leaderEpoch: leaderEpoch) else {
                return
            }
            Task { await self.readAndFinish(partition: partition, leaderEpoch: leaderEpoch, ticket: ticket) }
        } else {
            await runtime.unload(partition: partition, leaderEpoch: leaderEpoch)
        }
    }

    /// The replica of an offsets partition was removed from this broker (StopReplica): forget its groups.
    func partitionRemoved(partition: Int32) async {
        await runtime.unload(partition: partition, leaderEpoch: nil)
    }

    /// Creates `__consumer_offsets` if missing (through the one internal-topic path, with its own settings) and
    /// returns it once the metadata cache shows it.
    private func offsetsTopic() async -> TopicMetadata? {
        if let topic = metadata.topic(Self.topic) { return await adopt(topic) }
        guard await topics.ensureInternal(.consumerOffsets) == .ready, let topic = metadata.topic(Self.topic) else {
            return nil
        }
        return await adopt(topic)
    }

    /// Groups are placed over the partitions the topic really has (as Kafka's coordinator reads the count from
    /// ZooKeeper), so a topic made with another count still works; a layout the coordinator would not have made is
    /// reported once per topic id, with the fix.
    private func adopt(_ topic: TopicMetadata) async -> TopicMetadata {
        await runtime.setPartitionCount(Int32(topic.partitions.count))
        guard checkedTopicIds.withLock({ $0.insert(topic.topicId).inserted }) else { return topic }
        let config = brokerConfig()
        if topic.partitions.count != config.offsetsTopicNumPartitions {
            logger.error(
                "\(Self.topic) has \(topic.partitions.count) partitions but offsets.topic.num.partitions is \(config.offsetsTopicNumPartitions): groups are placed over the existing \(topic.partitions.count). It was not created by the group coordinator; set offsets.topic.num.partitions=\(topic.partitions.count) to match it, or recreate it (stop the brokers, delete /brokers/topics/\(Self.topic) and its log directories) to get \(config.offsetsTopicNumPartitions)."
            )
        }
        if let overrides = await topics.topicOverrides(Self.topic),
            let effective = try? EffectiveTopicConfig(topicOverrides: overrides, broker: config),
            effective.cleanupPolicy != [.compact]
        {
            logger.error(
                "\(Self.topic) has cleanup.policy=\(effective.cleanupPolicy), not compact: retention will delete committed offsets. Fix: needletail configs --bootstrap-server <broker> --entity-type topics --entity-name \(Self.topic) --alter --add-config cleanup.policy=compact"
            )
        }
        return topic
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
        guard let topic = await offsetsTopic() else { return CoordinatorAnswer(error: .coordinatorNotAvailable) }
        let index = GroupPlacement.partition(for: key, partitionCount: Int32(topic.partitions.count))
        guard let leadership = topic.partitions.first(where: { $0.partition == index }), leadership.leader >= 0,
            let broker = metadata.snapshot.brokers[leadership.leader], let address = broker.address(on: listener)
        else {
            return CoordinatorAnswer(error: .coordinatorNotAvailable)
        }
        if leadership.leader == brokerId, await runtime.status(of: index) == nil {
            // Fallback when the leadership notification has not arrived (yet): load now. A stale cache entry
            // (this broker already told it is follower at this epoch or later) loads nothing.
            guard await load(partition: index, leaderEpoch: leadership.leaderEpoch),
                await runtime.status(of: index) != nil
            else {
                return CoordinatorAnswer(error: .coordinatorNotAvailable)
            }
        }
        return CoordinatorAnswer(error: .noError, nodeId: broker.id, host: address.host, port: address.port)
    }
}
