import Foundation
import KafkaConfig
import KafkaProtocol
import Logging
import Replication
import TransactionCoordinator

/// Glue between the broker and the transaction coordinator, the twin of `GroupService`: creates
/// `__transaction_state` on first use, loads the partitions this broker leads when the replica manager reports the
/// leadership, appends coordinator records through the replica manager (acks=all, as Kafka's
/// `TransactionStateManager`), and answers FindCoordinator for key type 1.
final class TransactionService: PartitionLeadershipListener {
    static let topic = TransactionPlacement.topic
    var watchedTopic: String { Self.topic }

    let runtime: TransactionCoordinatorRuntime
    /// KIP-890 part 1: the partition side's check of transactional produces with their coordinator.
    let verifier: TransactionVerifier
    private let brokerId: Int32
    private let metadata: MetadataCache
    private let replicas: ReplicaManager
    private let topics: TopicAdmin
    private let brokerConfig: @Sendable () -> BrokerConfig
    private let logger: Logger

    init(
        brokerId: Int32, metadata: MetadataCache, replicas: ReplicaManager, topics: TopicAdmin,
        producerIds: ProducerIdManager, brokerConfig: @escaping @Sendable () -> BrokerConfig, logger: Logger
    ) {
        self.brokerId = brokerId
        self.metadata = metadata
        self.replicas = replicas
        self.topics = topics
        self.brokerConfig = brokerConfig
        self.logger = logger
        let config = brokerConfig()
        let coordinatorLogger = Logger(label: "needletail.transaction-coordinator")
        let timeout = Duration.milliseconds(max(config.requestTimeoutMs, 1))
        runtime = TransactionCoordinatorRuntime(
            config: TransactionCoordinatorConfig(
                maxTimeoutMs: Int32(clamping: config.transactionMaxTimeoutMs),
                transactionalIdExpirationMs: Int64(config.transactionalIdExpirationMs)),
            partitionCount: Int32(clamping: config.transactionStateLogNumPartitions),
            clock: { Int64(Date().timeIntervalSince1970 * 1000) },
            log: { coordinatorLogger.info("[TransactionCoordinator id=\(brokerId)] \($0)") },
            appender: { partition, batch in
                let results = await replicas.produce(
                    [ProduceEntry(topic: TransactionService.topic, partition: partition, records: batch)], acks: -1,
                    timeout: timeout, origin: .internal)
                return results.first?.error.map { ErrorCode($0) } ?? .noError
            },
            allocateProducerId: { try? await producerIds.nextId() },
            markers: TransactionMarkerChannel(
                brokerId: brokerId, metadata: metadata, config: brokerConfig, logger: logger))
        verifier = TransactionVerifier(
            brokerId: brokerId, metadata: metadata, replicas: replicas, runtime: runtime, config: brokerConfig,
            logger: logger)
    }

    /// Startup: the timeout and expiration timers, and the leader's scan for hanging transactions. Partitions load
    /// on leadership notifications. Cancelling the returned task stops all of them.
    func start() async -> Task<Void, Never> {
        if let topic = metadata.topic(Self.topic) { await runtime.setPartitionCount(Int32(topic.partitions.count)) }
        let config = brokerConfig()
        let timers = runtime.startTimers(
            abortIntervalMs: UInt64(max(config.transactionAbortTimedOutTransactionCleanupIntervalMs, 1)),
            removeIntervalMs: UInt64(max(config.transactionRemoveExpiredTransactionCleanupIntervalMs, 1)))
        let scanner = HangingTransactionScanner(
            brokerId: brokerId, replicas: replicas, config: brokerConfig, logger: logger)
        return Task {
            await withTaskCancellationHandler {
                async let scanning: Void = scanner.run()
                await timers.value
                await scanning
            } onCancel: {
                timers.cancel()
            }
        }
    }

    func partitionLeadershipChanged(partition: Int32, isLeader: Bool, leaderEpoch: Int32) async {
        if let topic = metadata.topic(Self.topic) { await runtime.setPartitionCount(Int32(topic.partitions.count)) }
        if isLeader {
            guard let ticket = await runtime.beginLoading(partition: partition, leaderEpoch: leaderEpoch) else {
                return
            }
            Task { await self.readAndFinish(partition: partition, leaderEpoch: leaderEpoch, ticket: ticket) }
        } else {
            await runtime.unload(partition: partition, leaderEpoch: leaderEpoch)
        }
    }

    func partitionRemoved(partition: Int32) async {
        await runtime.unload(partition: partition, leaderEpoch: nil)
    }

    /// Loads a partition synchronously (FindCoordinator's fallback when no notification arrived yet).
    @discardableResult
    private func load(partition index: Int32, leaderEpoch: Int32) async -> Bool {
        guard let ticket = await runtime.beginLoading(partition: index, leaderEpoch: leaderEpoch) else { return true }
        return await readAndFinish(partition: index, leaderEpoch: leaderEpoch, ticket: ticket)
    }

    @discardableResult
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
        let chunk = max(brokerConfig().transactionStateLogLoadBufferSize, 1 << 16)
        while offset < end {
            let bytes: [UInt8]
            do {
                bytes = try log.readBytes(
                    from: max(offset, log.logStartOffset), maxBytes: chunk, upTo: end, minOneBatch: true)
            } catch {
                logger.error("Error loading \(Self.topic)-\(index) at offset \(offset): \(error)")
                break
            }
            guard !bytes.isEmpty,
                let next = await runtime.replay(partition: index, batches: bytes, ticket: ticket), next > offset
            else { break }
            offset = next
        }
        await runtime.finishLoading(partition: index, ticket: ticket)
        logger.info(
            "Loaded \(Self.topic)-\(index) in \((ContinuousClock.now - started).components.seconds) seconds for epoch \(leaderEpoch)"
        )
        return true
    }

    private func stateTopic() async -> TopicMetadata? {
        if let topic = metadata.topic(Self.topic) {
            await runtime.setPartitionCount(Int32(topic.partitions.count))
            return topic
        }
        guard await topics.ensureInternal(.transactionState) == .ready, let topic = metadata.topic(Self.topic) else {
            return nil
        }
        await runtime.setPartitionCount(Int32(topic.partitions.count))
        return topic
    }

    /// FindCoordinator for a transactional id: the leader of its `__transaction_state` partition.
    func findCoordinator(key: String, listener: String) async -> GroupService.CoordinatorAnswer {
        guard let topic = await stateTopic() else { return .init(error: .coordinatorNotAvailable) }
        let index = TransactionPlacement.partition(for: key, partitionCount: Int32(topic.partitions.count))
        guard let leadership = topic.partitions.first(where: { $0.partition == index }), leadership.leader >= 0,
            let broker = metadata.snapshot.brokers[leadership.leader], let address = broker.address(on: listener)
        else {
            return .init(error: .coordinatorNotAvailable)
        }
        if leadership.leader == brokerId, await runtime.status(of: index) == nil {
            guard await load(partition: index, leaderEpoch: leadership.leaderEpoch),
                await runtime.status(of: index) != nil
            else { return .init(error: .coordinatorNotAvailable) }
        }
        return .init(error: .noError, nodeId: broker.id, host: address.host, port: address.port)
    }

    /// The partition of `__consumer_offsets` a group's offsets go to (AddOffsetsToTxn adds it to the transaction).
    func offsetsPartition(for groupId: String, groups: GroupService) async -> TxnTopicPartition {
        TxnTopicPartition(topic: GroupService.topic, partition: await groups.runtime.partition(for: groupId))
    }
}
