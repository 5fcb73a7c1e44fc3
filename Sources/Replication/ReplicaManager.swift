import Foundation
import KafkaConfig
import KafkaProtocol
import KafkaRecords
import LogStorage
import Logging
import Synchronization

/// Where fetch reads stop.
public enum ReadIsolation: Sendable {
    /// Followers read up to the log end offset.
    case logEnd
    /// read_uncommitted consumers read up to the high watermark.
    case highWatermark
    /// read_committed consumers read up to the last stable offset (= HW while there are no transactions).
    case committed
}

/// The partitions this broker hosts, and the one call per request on them.
///
/// Facets: `+Produce` (`produce`: validate acks, check min.insync, append, complete after replication or the
/// timeout — Kafka's appendRecords + DelayedProduce), `+Fetch` (`fetch`: reads plus the long poll — fetchMessages +
/// DelayedFetch), `+Leadership` (LeaderAndIsr, StopReplica, follower fetchers), `+ISR` (ISR changes written through
/// the `LeaderIsrWriter` port). LeaderAndIsr makes each local replica a leader or a follower
/// (`becomeLeaderOrFollower`); followers copy from their leader through `ReplicaFetcherManager`; the leader tracks
/// follower fetches, moves the high watermark and writes ISR changes itself from the background task
/// `startReplication` launches.
///
/// Storage calls are synchronous (page-cache reads and writes, no fsync on the request path) and run on the
/// calling task's thread of the cooperative pool; never on an event loop (docs/architecture.md, "Concurrency").
public final class ReplicaManager: Sendable {
    public let logManager: LogManager
    public let brokerId: Int32
    let partitions = Mutex<[TopicPartition: Partition]>([:])
    let clock: @Sendable () -> Int64
    /// Replication settings and liveness shared with every partition.
    let environment = ReplicationEnvironment()
    /// The highest controller epoch seen in a controller request (Kafka starts at 0).
    let controllerEpochBox = Mutex<Int32>(0)
    let replication = Mutex<ReplicationServices?>(nil)
    let isrChanges = Mutex(IsrChangeBatch())
    /// Followers whose leader had no known address yet (retried after each UpdateMetadata): partition → leader.
    let followersWithoutLeaderAddress = Mutex<[TopicPartition: Int32]>([:])
    /// One LeaderAndIsr / StopReplica / UpdateMetadata retry at a time.
    let stateChangeLock = StateChangeLock()
    /// KIP-227 incremental fetch sessions of the readers of this broker's leader partitions.
    public let fetchSessions: FetchSessions

    /// What `startReplication` wires in.
    struct ReplicationServices: Sendable {
        var fetchers: ReplicaFetcherManager
        var writer: any LeaderIsrWriter
        var brokers: any LiveBrokers
        /// One listener per watched topic (the group and transaction coordinators).
        var leadershipListeners: [any PartitionLeadershipListener]
        var logger: Logger
    }

    /// Partitions whose ISR this leader changed, waiting for the next `/isr_change_notification`.
    struct IsrChangeBatch: Sendable {
        var pending: Set<TopicPartition> = []
        var lastChangeMs: Int64 = 0
        var lastPublishMs: Int64 = 0
    }

    public init(logManager: LogManager, brokerId: Int32, clock: @escaping @Sendable () -> Int64 = systemClockMillis) {
        self.logManager = logManager
        self.brokerId = brokerId
        self.clock = clock
        self.fetchSessions = FetchSessions(clock: clock)
    }

    public func partition(_ topic: String, _ index: Int32) -> Partition? {
        partitions.withLock { $0[TopicPartition(topic: topic, partition: index)] }
    }

    public var allPartitions: [Partition] { partitions.withLock { Array($0.values) } }

    /// Wires replication in through its ports (ISR writes, connections to leaders, broker liveness and addresses,
    /// the group coordinator's leadership notifications) and starts the background task: ISR shrink checks every
    /// `replica.lag.time.max.ms`/2 and ISR-change notifications every 2.5 s. Cancel the returned task at shutdown
    /// (it stops the fetchers).
    public func startReplication(
        writer: any LeaderIsrWriter, connector: any LeaderConnector, brokers: any LiveBrokers,
        leadershipListeners: [any PartitionLeadershipListener] = [],
        config: @escaping @Sendable () -> BrokerConfig, logger: Logger
    ) -> Task<Void, Never> {
        environment.attach(config: config, brokers: brokers)
        let fetchers = ReplicaFetcherManager(
            brokerId: brokerId, connector: connector,
            lookup: { [weak self] (tp: TopicPartition) -> Partition? in self?.partition(tp.topic, tp.partition) },
            settings: config, logger: logger)
        replication.withLock {
            $0 = ReplicationServices(
                fetchers: fetchers, writer: writer, brokers: brokers, leadershipListeners: leadershipListeners,
                logger: logger)
        }
        return Task { [weak self] in
            var lastShrinkCheck = ContinuousClock.now
            var lastPublishCheck = ContinuousClock.now
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                guard let self else { return }
                let lag = config().replicaLagTimeMaxMs
                let now = ContinuousClock.now
                if now - lastShrinkCheck >= .milliseconds(max(lag / 2, 1)) {
                    lastShrinkCheck = now
                    self.maybeShrinkIsr()
                }
                if now - lastPublishCheck >= .milliseconds(2500) {
                    lastPublishCheck = now
                    await self.maybePublishIsrChanges()
                }
            }
            fetchers.shutdown()
        }
    }

    /// Kafka's `partition.metadata` file (since 2.8): the topic id next to the segments, written once.
    static func writePartitionMetadata(directory: String, topicId: UUIDValue) {
        guard !topicId.isZero else { return }
        let path = directory + "/partition.metadata"
        guard !FileManager.default.fileExists(atPath: path) else { return }
        let text = "version: 0\ntopic_id: \(topicId.base64URL)\n"
        let tmp = path + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(text.utf8)) else { return }
        try? FileManager.default.moveItem(atPath: tmp, toPath: path)
    }

    /// Drops the replica and deletes its log (topic deletion).
    func removeReplica(topic: String, index: Int32) {
        replication.withLock { $0 }?.fetchers.remove([TopicPartition(topic: topic, partition: index)])
        let removed = partitions.withLock { $0.removeValue(forKey: TopicPartition(topic: topic, partition: index)) }
        removed?.signal.notify()
        _ = try? logManager.deleteLog(topic: topic, partition: index)
    }

    /// ZooKeeper session lost: every partition led here stops acting as leader — produce,
    /// consumer fetches and follower fetches get NOT_LEADER_OR_FOLLOWER, waiting acks=all produces fail — until a
    /// LeaderAndIsr arrives after re-registration. Followers keep fetching (harmless: the leader fences them).
    public func resignAllLeadership() {
        for p in allPartitions { p.fence() }
    }

    public func updateConfig(topic: String, config: EffectiveTopicConfig) {
        for p in allPartitions where p.topic == topic { p.update { $0.config = config } }
    }

    func leaderPartition(_ topic: String, _ index: Int32) throws(ReplicationError) -> Partition {
        guard let p = partition(topic, index) else { throw .unknownTopicOrPartition }
        guard p.isLeader else { throw .notLeaderOrFollower }
        return p
    }

    // MARK: offsets

    public struct OffsetLookup: Sendable {
        public var offset: Int64
        public var timestamp: Int64
        public var leaderEpoch: Int32
    }

    public func offsetLookup(
        topic: String, partition index: Int32, timestamp: Int64, readCommitted: Bool, currentLeaderEpoch: Int32,
        fromReplica: Bool, clientRetriesUnavailableOffsets: Bool = false
    ) throws(ReplicationError) -> OffsetLookup {
        let p = try leaderPartition(topic, index)
        try p.checkLeaderEpoch(currentLeaderEpoch)
        let log = p.log
        let epoch = p.state.leaderEpoch
        // KIP-207, as Kafka's `Partition.fetchOffsetForTimestamp`: right after a leader change the new leader's HW can
        // still be below its epoch's start offset (the followers have not fetched yet), so "latest" would go
        // backwards. Clients that send an isolation level (ListOffsets v2+) are told to retry instead.
        if clientRetriesUnavailableOffsets, !fromReplica, timestamp != -2,
            let start = log.leaderEpochEntries.last(where: { $0.epoch == epoch })?.startOffset,
            start > log.highWatermark
        {
            throw .offsetNotAvailable
        }
        switch timestamp {
        case -1:
            let latest = fromReplica ? log.logEndOffset : (readCommitted ? log.lastStableOffset : log.highWatermark)
            return OffsetLookup(offset: latest, timestamp: -1, leaderEpoch: epoch)
        case -2:
            return OffsetLookup(offset: log.logStartOffset, timestamp: -1, leaderEpoch: epoch)
        case -3:
            guard let max = log.maxTimestampAndOffset else {
                return OffsetLookup(offset: -1, timestamp: -1, leaderEpoch: -1)
            }
            return OffsetLookup(offset: max.offset, timestamp: max.timestamp, leaderEpoch: epoch)
        default:
            do {
                let fetchable = readCommitted ? log.lastStableOffset : log.highWatermark
                guard let found = try log.offsetForTimestamp(timestamp), found.offset < fetchable else {
                    return OffsetLookup(offset: -1, timestamp: -1, leaderEpoch: -1)
                }
                return OffsetLookup(offset: found.offset, timestamp: found.timestamp, leaderEpoch: epoch)
            } catch {
                throw ReplicationError(error)
            }
        }
    }

    public func deleteRecords(topic: String, partition index: Int32, before offset: Int64) throws(ReplicationError)
        -> Int64
    {
        let p = try leaderPartition(topic, index)
        let target = offset == -1 ? p.log.highWatermark : offset
        guard target <= p.log.highWatermark, target >= 0 else { throw .offsetOutOfRange }
        do {
            let start = try p.log.deleteRecords(before: target)
            p.signal.notify()  // followers' long polls answer with the new log start offset
            return start
        } catch {
            throw ReplicationError(error)
        }
    }

    /// Kafka's DelayedDeleteRecords: waits until every other ISR member reports (in its fetches) a log start
    /// offset of at least `lowWatermark`, the leadership moves (NOT_LEADER_OR_FOLLOWER), or `timeoutMs` passes
    /// (REQUEST_TIMED_OUT). Without it a leader failing right after DeleteRecords could resurrect the records.
    public func awaitFollowersLogStart(topic: String, partition index: Int32, lowWatermark: Int64, timeoutMs: Int32)
        async
        throws(ReplicationError)
    {
        let deadline = ContinuousClock.now + .milliseconds(Int(max(timeoutMs, 0)))
        while true {
            guard let p = partition(topic, index), p.isLeader else { throw .notLeaderOrFollower }
            let watch = p.signal.watch()
            let rt = p.state
            let lagging = rt.isr.filter { id in
                id != brokerId && (rt.followers[id]?.logStartOffset ?? -1) < lowWatermark
            }
            if lagging.isEmpty { return }
            if ContinuousClock.now >= deadline || Task.isCancelled { throw .requestTimedOut }
            // Follower fetches do not signal (that would wake every consumer long poll); DeleteRecords is rare, so
            // it re-checks every 50 ms.
            await AppendSignal.waitForAny([watch], until: min(deadline, ContinuousClock.now + .milliseconds(50)))
        }
    }
}
