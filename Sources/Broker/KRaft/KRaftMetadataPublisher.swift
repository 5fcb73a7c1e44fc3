import KRaft
import KafkaConfig
import KafkaProtocol
import Logging
import MetadataImage
import Replication
import Synchronization

/// The broker side of KRaft mode (Kafka's `BrokerMetadataListener` and `BrokerMetadataPublisher`): follows the
/// committed records of the metadata log into a `MetadataImage`, applies each batch's `LocalReplicaChanges` to
/// the local replicas through the same `ReplicaManager` calls a ZooKeeper-mode broker makes for LeaderAndIsr and
/// StopReplica, applies changed topic configs to live logs, and publishes the image to the `MetadataCache` every
/// request handler reads. A controller-only node has no replicas (nil): it follows the log only for the image its
/// controller decides from.
final class KRaftMetadataPublisher: Sendable {
    private let nodeId: Int32
    private let clusterId: String
    private let metadata: MetadataCache
    private let replicas: ReplicaManager?
    private let brokerConfig: @Sendable () -> BrokerConfig
    private let logger: Logger
    private let state = Mutex(Published())

    private struct Published {
        var image = MetadataImage()
        /// The offset after the last record applied.
        var nextOffset: Int64 = 0
        /// Record bytes applied since the last snapshot, and when it was taken (Kafka's `SnapshotGenerator`).
        var bytesSinceSnapshot: Int64 = 0
        var lastSnapshotAt: Int64 = RaftDriver.now()
        var lastCleanAt: Int64 = 0
    }

    init(
        nodeId: Int32, clusterId: String, metadata: MetadataCache, replicas: ReplicaManager?,
        brokerConfig: @escaping @Sendable () -> BrokerConfig, logger: Logger
    ) {
        self.nodeId = nodeId
        self.clusterId = clusterId
        self.metadata = metadata
        self.replicas = replicas
        self.brokerConfig = brokerConfig
        self.logger = logger
        metadata.update { $0.clusterId = clusterId }
    }

    /// The image as published (every committed record below `appliedOffset`).
    var image: MetadataImage { state.withLock { $0.image } }

    /// The offset after the last committed record this broker has applied (its `currentMetadataOffset`).
    var appliedOffset: Int64 { state.withLock { $0.nextOffset } }

    /// Follows the committed log until cancelled: from the latest snapshot when it is ahead of the image (at
    /// startup, or installed from the leader), then record by record; snapshots the image when the policy says so.
    func run(driver: RaftDriver) async {
        while !Task.isCancelled {
            if let snapshot = await driver.snapshot(after: appliedOffset) {
                await load(snapshot)
                continue
            }
            let entries = await driver.committedEntries(from: appliedOffset)
            if entries.isEmpty {
                await maybeSnapshot(driver: driver)
                try? await Task.sleep(for: .milliseconds(5))
                continue
            }
            await apply(entries)
            await maybeSnapshot(driver: driver)
        }
    }

    /// Replaces the image with a snapshot's (Kafka's `MetadataLoader` handling a snapshot) and applies the
    /// difference to the local replicas.
    func load(_ snapshot: RaftSnapshot) async {
        let new: MetadataImage
        do {
            let contents = try MetadataSnapshotFile.decode(snapshot.data)
            var records: [MetadataRecord] = []
            for bytes in contents.records { records.append(try MetadataRecord.decode(bytes).record) }
            new = try MetadataImage(snapshot: records)
        } catch {
            // A snapshot this node cannot read leaves it without its metadata: Kafka's loader faults the same way.
            logger.critical(
                "[BrokerMetadataListener id=\(nodeId)] Cannot load snapshot \(snapshot.fileName): \(error); halting")
            DiskRaftLog.halt("Unreadable snapshot \(snapshot.fileName)")
        }
        let old = image
        await publish(from: old, to: new)
        for name in new.topicIds.keys {
            if let config = try? effectiveConfig(name, in: new) { replicas?.updateConfig(topic: name, config: config) }
        }
        state.withLock {
            $0.image = new
            $0.nextOffset = snapshot.id.offset
            $0.bytesSinceSnapshot = 0
        }
        logger.info(
            "[BrokerMetadataListener id=\(nodeId)] Loaded snapshot \(snapshot.fileName): \(new.topics.count) topics, \(new.brokers.count) brokers"
        )
    }

    /// Kafka's `SnapshotGenerator`: snapshots the published image at its offset after
    /// `metadata.log.max.record.bytes.between.snapshots` bytes or `metadata.log.max.snapshot.interval.ms`, and
    /// lets retention clean the log about once a second.
    private func maybeSnapshot(driver: RaftDriver) async {
        let now = RaftDriver.now()
        let policy = driver.snapshotPolicy
        let (due, cleanDue) = state.withLock {
            (
                policy.shouldSnapshot(
                    bytesSinceLast: $0.bytesSinceSnapshot, lastSnapshotAt: $0.lastSnapshotAt, now: now),
                now - $0.lastCleanAt >= 1_000
            )
        }
        if due {
            let (offset, records) = state.withLock { ($0.nextOffset, $0.image.snapshotRecords.map { $0.encoded() }) }
            // Counted as taken even when the node refused it (nothing new committed there): the next one is due
            // after another interval, instead of re-encoding the image on every turn of this loop.
            _ = await driver.createSnapshot(endOffset: offset, records: records, now: now)
            state.withLock {
                $0.bytesSinceSnapshot = 0
                $0.lastSnapshotAt = now
            }
        }
        if cleanDue {
            state.withLock { $0.lastCleanAt = now }
            await driver.cleanLog(now: now)
        }
    }

    /// Replays a batch of committed entries, then publishes the new image.
    func apply(_ entries: [LogEntry]) async {
        let old = image
        var new = old
        var changedConfigs: Set<String> = []
        var bytesApplied: Int64 = 0
        for entry in entries {
            guard case .data(let bytes) = entry.record else { continue }
            bytesApplied += Int64(bytes.count)
            do {
                let record = try MetadataRecord.decode(bytes).record
                try new.apply(record)
                if case .config(let c) = record, c.resourceType == ConfigResourceKey.topicType {
                    changedConfigs.insert(c.resourceName)
                }
            } catch {
                // Kafka's MetadataLoader logs a fault and carries on with the next record.
                logger.error(
                    "[BrokerMetadataListener id=\(nodeId)] Cannot apply the metadata record at offset \(entry.offset): \(error)"
                )
            }
        }
        let next = (entries.last?.offset ?? -1) + 1
        await publish(from: old, to: new)
        for name in changedConfigs where new.topicIds[name] != nil {
            if let config = try? effectiveConfig(name, in: new) { replicas?.updateConfig(topic: name, config: config) }
        }
        state.withLock {
            $0.image = new
            $0.nextOffset = next
            $0.bytesSinceSnapshot += bytesApplied
        }
    }

    private func effectiveConfig(_ topic: String, in image: MetadataImage) throws -> EffectiveTopicConfig {
        try EffectiveTopicConfig(topicOverrides: image.configs[.topic(topic)] ?? [:], broker: brokerConfig())
    }

    /// Local replicas first (a client that sees a leader in Metadata can produce to it at once), then the cache.
    private func publish(from old: MetadataImage, to new: MetadataImage) async {
        if let replicas { await applyReplicaChanges(from: old, to: new, replicas: replicas) }
        let snapshot = Self.snapshot(of: new, clusterId: clusterId, localId: nodeId)
        metadata.update { $0 = snapshot }
    }

    private func applyReplicaChanges(from old: MetadataImage, to new: MetadataImage, replicas: ReplicaManager) async {
        let changes = LocalReplicaChanges(from: old, to: new, brokerId: nodeId)
        if !changes.deletes.isEmpty {
            let items = changes.deletes.map { key, name in
                StopReplicaPartition(topic: name, partition: key.partition, leaderEpoch: -2, deletePartition: true)
            }
            _ = await replicas.stopReplicas(items)
        }
        let states = changes.leaders.merging(changes.followers) { a, _ in a }.compactMap {
            key, p -> LeaderAndIsrPartition? in
            guard let name = changes.topicNames[key.topicId] else { return nil }
            return LeaderAndIsrPartition(
                topic: name, topicId: key.topicId, partition: key.partition,
                state: Partition.LeaderAndIsrState(
                    leader: p.leader, leaderEpoch: p.leaderEpoch, isr: p.isr, replicas: p.replicas,
                    partitionEpoch: p.partitionEpoch, controllerEpoch: 0))
        }
        if !states.isEmpty {
            let listener = brokerConfig().interBrokerListenerName
            var leaders: [Int32: FetchSource] = [:]
            for (id, b) in new.brokers {
                if let e = b.endpoints.first(where: { $0.name == listener }) {
                    leaders[id] = FetchSource(brokerId: id, host: e.host, port: Int(e.port))
                }
            }
            let results = await replicas.becomeLeaderOrFollower(states, liveLeaders: leaders) { [self] name in
                try effectiveConfig(name, in: new)
            }
            for r in results {
                guard let error = r.error, error != .staleControllerEpoch else { continue }
                logger.warning(
                    "[BrokerMetadataPublisher id=\(nodeId)] \(r.topic)-\(r.partition): leadership change not applied: \(error)"
                )
            }
        }
    }

    /// The image as the broker's request handlers read it: unfenced brokers with their listeners, every topic
    /// with its partitions' leadership, and a live broker as the controller (KRaft clients never reach the
    /// controller directly; Kafka names a random live broker, this names itself when it is live).
    static func snapshot(of image: MetadataImage, clusterId: String, localId: Int32) -> ClusterSnapshot {
        var s = ClusterSnapshot()
        s.clusterId = clusterId
        for (id, b) in image.brokers where !b.fenced {
            var addresses: [String: BrokerEndpoint.Address] = [:]
            for e in b.endpoints { addresses[e.name] = .init(host: e.host, port: Int32(e.port)) }
            s.brokers[id] = BrokerEndpoint(id: id, addresses: addresses, rack: b.rack)
        }
        s.controllerId = s.brokers[localId] != nil ? localId : (s.brokers.keys.min() ?? -1)
        for topic in image.topics.values {
            let partitions = topic.partitions.sorted { $0.key < $1.key }.map { pid, p in
                PartitionLeadership(
                    partition: pid, leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr)
            }
            s.topics[topic.name] = TopicMetadata(name: topic.name, topicId: topic.id, partitions: partitions)
        }
        return s
    }
}
