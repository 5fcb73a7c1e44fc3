import Foundation
import KafkaConfig
import KafkaProtocol
import KafkaRecords
import LogStorage
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Where fetch reads stop.
enum ReadIsolation: Sendable {
    /// Followers read up to the log end offset.
    case logEnd
    /// read_uncommitted consumers read up to the high watermark.
    case highWatermark
    /// read_committed consumers read up to the last stable offset (= HW while there are no transactions).
    case committed
}

/// The partitions this broker hosts, and the produce/fetch/offset operations on them.
///
/// Replication (facts §4): LeaderAndIsr makes each local replica a leader or a follower
/// (`becomeLeaderOrFollower`); followers copy from their leader through `ReplicaFetcherManager`; the leader tracks
/// follower fetches, moves the high watermark, completes acks=all produces (`awaitReplication`) and writes ISR
/// changes to ZooKeeper itself (CONTRACT item 4) from the background task `startReplication` launches.
final class ReplicaManager: Sendable {
    let logManager: LogManager
    let brokerId: Int32
    let partitions = NIOLockedValueBox<[TopicPartition: Partition]>([:])
    let clock: @Sendable () -> Int64
    /// Replication settings and liveness shared with every partition.
    let environment = ReplicationEnvironment()
    /// The highest controller epoch seen in a controller request (Kafka starts at 0).
    let controllerEpochBox = NIOLockedValueBox<Int32>(0)
    let replication = NIOLockedValueBox<ReplicationServices?>(nil)
    let isrChanges = NIOLockedValueBox(IsrChangeBatch())
    /// Followers whose leader had no known address yet (retried after each UpdateMetadata): partition → leader.
    let followersWithoutLeaderAddress = NIOLockedValueBox<[TopicPartition: Int32]>([:])
    /// One LeaderAndIsr / StopReplica at a time.
    let stateChangeLock = StateChangeLock()

    /// What `startReplication` wires in.
    struct ReplicationServices: Sendable {
        var fetchers: ReplicaFetcherManager
        var writer: any LeaderIsrWriter
        var metadata: MetadataCache
        var config: NIOLockedValueBox<BrokerConfig>
        var logger: Logger
    }

    /// Partitions whose ISR this leader changed, waiting for the next `/isr_change_notification`.
    struct IsrChangeBatch: Sendable {
        var pending: Set<TopicPartition> = []
        var lastChangeMs: Int64 = 0
        var lastPublishMs: Int64 = 0
    }

    init(logManager: LogManager, brokerId: Int32, clock: @escaping @Sendable () -> Int64 = systemClockMillis) {
        self.logManager = logManager
        self.brokerId = brokerId
        self.clock = clock
    }

    func partition(_ topic: String, _ index: Int32) -> Partition? {
        partitions.withLockedValue { $0[TopicPartition(topic: topic, partition: index)] }
    }

    var allPartitions: [Partition] { partitions.withLockedValue { Array($0.values) } }

    /// Opens (creating if needed) the local replica of a partition, or updates its leadership and config.
    @discardableResult
    func becomeReplica(
        topic: String, index: Int32, topicId: UUIDValue, leadership: PartitionLeadership, config: EffectiveTopicConfig
    ) throws(BrokerError) -> Partition {
        if let existing = partition(topic, index) {
            existing.update {
                $0.leader = leadership.leader
                $0.leaderEpoch = leadership.leaderEpoch
                $0.replicas = leadership.replicas
                $0.isr = leadership.isr
                $0.config = config
            }
            return existing
        }
        let log: PartitionLog
        do {
            log = try logManager.getOrCreateLog(topic: topic, partition: index, config: LogConfig(config))
        } catch {
            throw BrokerError(error)
        }
        Self.writePartitionMetadata(directory: log.directory, topicId: topicId)
        if leadership.leader == brokerId {
            try? log.assignEpochStartOffset(epoch: leadership.leaderEpoch, startOffset: log.logEndOffset)
            if leadership.isr == [brokerId] { log.highWatermark = log.logEndOffset }
        }
        let partition = Partition(
            topic: topic, index: index, log: log,
            runtime: .init(
                leader: leadership.leader, leaderEpoch: leadership.leaderEpoch, replicas: leadership.replicas,
                isr: leadership.isr, config: config),
            localBrokerId: brokerId, environment: environment)
        partitions.withLockedValue { $0[TopicPartition(topic: topic, partition: index)] = partition }
        return partition
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
        replication.withLockedValue { $0 }?.fetchers.remove([TopicPartition(topic: topic, partition: index)])
        let removed = partitions.withLockedValue { $0.removeValue(forKey: TopicPartition(topic: topic, partition: index)) }
        removed?.signal.notify()
        _ = try? logManager.deleteLog(topic: topic, partition: index)
    }

    /// ZooKeeper session lost (CONTRACT item 6): every partition led here stops acting as leader — produce,
    /// consumer fetches and follower fetches get NOT_LEADER_OR_FOLLOWER, waiting acks=all produces fail — until a
    /// LeaderAndIsr arrives after re-registration. Followers keep fetching (harmless: the leader fences them).
    func resignAllLeadership() {
        for p in allPartitions { p.fence() }
    }

    func updateConfig(topic: String, config: EffectiveTopicConfig) {
        for p in allPartitions where p.topic == topic { p.update { $0.config = config } }
    }

    func leaderPartition(_ topic: String, _ index: Int32) throws(BrokerError) -> Partition {
        guard let p = partition(topic, index) else { throw .unknownTopicOrPartition }
        guard p.isLeader else { throw .notLeaderOrFollower }
        return p
    }

    // MARK: produce

    func appendAsLeader(
        topic: String, partition index: Int32, records: [UInt8], produceVersion: Int16, requiredAcks: Int16,
        timeoutMs: Int32
    ) async throws(BrokerError) -> Partition.AppendOutcome {
        guard requiredAcks == 0 || requiredAcks == 1 || requiredAcks == -1 else { throw .invalidRequiredAcks }
        let p = try leaderPartition(topic, index)
        return try p.appendAsLeader(
            records: records, produceVersion: produceVersion, requiredAcks: requiredAcks, now: clock())
    }

    /// Append then, for acks=-1, wait for replication as a Produce does (for internal writers such as the group
    /// coordinator's `__consumer_offsets` appends).
    func appendAndAwaitReplication(
        topic: String, partition index: Int32, records: [UInt8], produceVersion: Int16, requiredAcks: Int16,
        timeoutMs: Int32
    ) async throws(BrokerError) -> Partition.AppendOutcome {
        let outcome = try await appendAsLeader(
            topic: topic, partition: index, records: records, produceVersion: produceVersion,
            requiredAcks: requiredAcks, timeoutMs: timeoutMs)
        guard requiredAcks == -1 else { return outcome }
        let wait = AckWait(topic: topic, partition: index, requiredOffset: outcome.lastOffset + 1)
        if let error = await awaitReplication([wait], timeoutMs: timeoutMs).first ?? nil { throw error }
        return outcome
    }

    /// One partition an acks=all produce appended to: done when the HW reaches `requiredOffset` (last offset + 1).
    struct AckWait: Sendable {
        var topic: String
        var partition: Int32
        var requiredOffset: Int64
    }

    /// Waits (without holding locks or threads) until every partition's HW reaches its required offset, the
    /// partition stops being led here (NOT_LEADER_OR_FOLLOWER), or `timeoutMs` passes (REQUEST_TIMED_OUT).
    /// Once reached, fewer than `min.insync.replicas` in the ISR gives NOT_ENOUGH_REPLICAS_AFTER_APPEND
    /// (Kafka's DelayedProduce). A sole-replica partition completes at once.
    func awaitReplication(_ waits: [AckWait], timeoutMs: Int32) async -> [BrokerError?] {
        var results = [BrokerError?](repeating: nil, count: waits.count)
        var open = Set(waits.indices)
        let deadline = ContinuousClock.now + .milliseconds(Int(max(timeoutMs, 0)))
        while true {
            var watches: [AppendWatch] = []
            for i in open.sorted() {
                let w = waits[i]
                guard let p = partition(w.topic, w.partition) else {
                    results[i] = .notLeaderOrFollower
                    open.remove(i)
                    continue
                }
                let watch = p.signal.watch()
                switch p.ackProgress(requiredOffset: w.requiredOffset) {
                case .done:
                    open.remove(i)
                case .failed(let error):
                    results[i] = error
                    open.remove(i)
                case .waiting:
                    watches.append(watch)
                }
            }
            if open.isEmpty { return results }
            if ContinuousClock.now >= deadline || Task.isCancelled {
                for i in open { results[i] = .requestTimedOut }
                return results
            }
            await AppendSignal.waitForAny(watches, until: deadline)
        }
    }

    func logStartOffset(topic: String, partition index: Int32) -> Int64? {
        partition(topic, index)?.log.logStartOffset
    }

    // MARK: fetch

    struct PartitionRead: Sendable {
        enum Payload: Sendable {
            case bytes([UInt8])
            case file(SegmentChunks)
        }
        var payload: Payload
        var size: Int
        var highWatermark: Int64
        var lastStableOffset: Int64
        var logStartOffset: Int64
        var watch: AppendWatch
        /// The leader's LEO when the read started (follower bookkeeping).
        var logEndOffset: Int64 = -1
        /// Set for a follower whose last fetched epoch diverges from the leader's log (Fetch v12+).
        var divergingEpoch: (epoch: Int32, endOffset: Int64)? = nil
    }

    /// A fetch read. `replicaId` ≥ 0 is a follower: it must be one of the partition's replicas, reads to the LEO,
    /// and gets `divergingEpoch` instead of data when `lastFetchedEpoch` (≥ 0) does not match the leader's log.
    func read(
        topic: String, partition index: Int32, offset: Int64, maxBytes: Int, minOneBatch: Bool,
        isolation: ReadIsolation, currentLeaderEpoch: Int32, downConvertToMagic: Int8?, replicaId: Int32 = -1,
        lastFetchedEpoch: Int32 = -1
    ) throws(BrokerError) -> PartitionRead {
        let p = try leaderPartition(topic, index)
        try p.checkLeaderEpoch(currentLeaderEpoch)
        let watch = p.signal.watch()
        let log = p.log
        if replicaId >= 0 {
            guard p.state.replicas.contains(replicaId) else { throw .notLeaderOrFollower }
            if let diverging = ReplicationRules.divergingEpoch(
                lastFetchedEpoch: lastFetchedEpoch, fetchOffset: offset,
                leaderEndForEpoch: log.endOffset(forLeaderEpoch: lastFetchedEpoch))
            {
                guard diverging.epoch >= 0, diverging.endOffset >= 0 else { throw .offsetOutOfRange }
                let hw = log.highWatermark
                return PartitionRead(
                    payload: .bytes([]), size: 0, highWatermark: hw, lastStableOffset: hw,
                    logStartOffset: log.logStartOffset, watch: watch, logEndOffset: log.logEndOffset,
                    divergingEpoch: diverging)
            }
        }
        let hw = log.highWatermark
        let upTo: Int64 = isolation == .logEnd ? log.logEndOffset : hw
        do {
            if let magic = downConvertToMagic {
                let bytes = try log.readBytes(from: offset, maxBytes: maxBytes, upTo: upTo, minOneBatch: minOneBatch)
                let converted = bytes.isEmpty ? [] : try LegacyMessageSet.downConvert(bytes, toMagic: magic, fromOffset: offset)
                return PartitionRead(
                    payload: .bytes(converted), size: converted.count, highWatermark: hw, lastStableOffset: hw,
                    logStartOffset: log.logStartOffset, watch: watch, logEndOffset: log.logEndOffset)
            }
            let result = try log.read(from: offset, maxBytes: maxBytes, upTo: upTo, minOneBatch: minOneBatch)
            return PartitionRead(
                payload: .file(SegmentChunks(slices: result.slices)), size: result.byteCount,
                highWatermark: result.highWatermark, lastStableOffset: result.highWatermark,
                logStartOffset: result.logStartOffset, watch: watch, logEndOffset: result.logEndOffset)
        } catch let error as LogError {
            throw BrokerError(error)
        } catch {
            throw .corruptMessage("down-conversion failed: \(error)")
        }
    }

    /// Leader bookkeeping of one follower fetch (facts §4.1): its LEO and catch-up time, the HW, and an ISR
    /// expansion written to ZooKeeper in the background when it caught up.
    func recordFollowerFetch(
        topic: String, partition index: Int32, replicaId: Int32, fetchOffset: Int64, followerLogStartOffset: Int64,
        leaderLogEndOffset: Int64
    ) {
        guard let p = partition(topic, index) else { return }
        if let proposal = p.recordFollowerFetch(
            replicaId: replicaId, fetchOffset: fetchOffset, followerLogStartOffset: followerLogStartOffset,
            leaderLogEndOffset: leaderLogEndOffset, now: clock())
        {
            submitIsrChange(proposal, for: p)
        }
    }

    // MARK: offsets

    struct OffsetLookup: Sendable {
        var offset: Int64
        var timestamp: Int64
        var leaderEpoch: Int32
    }

    func offsetLookup(
        topic: String, partition index: Int32, timestamp: Int64, readCommitted: Bool, currentLeaderEpoch: Int32,
        fromReplica: Bool
    ) throws(BrokerError) -> OffsetLookup {
        let p = try leaderPartition(topic, index)
        try p.checkLeaderEpoch(currentLeaderEpoch)
        let log = p.log
        let epoch = p.state.leaderEpoch
        switch timestamp {
        case -1:
            return OffsetLookup(offset: fromReplica ? log.logEndOffset : log.highWatermark, timestamp: -1, leaderEpoch: epoch)
        case -2:
            return OffsetLookup(offset: log.logStartOffset, timestamp: -1, leaderEpoch: epoch)
        case -3:
            guard let max = log.maxTimestampAndOffset else {
                return OffsetLookup(offset: -1, timestamp: -1, leaderEpoch: -1)
            }
            return OffsetLookup(offset: max.offset, timestamp: max.timestamp, leaderEpoch: epoch)
        default:
            do {
                guard let found = try log.offsetForTimestamp(timestamp), found.offset < log.highWatermark else {
                    return OffsetLookup(offset: -1, timestamp: -1, leaderEpoch: -1)
                }
                return OffsetLookup(offset: found.offset, timestamp: found.timestamp, leaderEpoch: epoch)
            } catch {
                throw BrokerError(error)
            }
        }
    }

    func deleteRecords(topic: String, partition index: Int32, before offset: Int64) throws(BrokerError) -> Int64 {
        let p = try leaderPartition(topic, index)
        let target = offset == -1 ? p.log.highWatermark : offset
        guard target <= p.log.highWatermark, target >= 0 else { throw .offsetOutOfRange }
        do {
            let start = try p.log.deleteRecords(before: target)
            p.signal.notify()  // followers' long polls answer with the new log start offset
            return start
        } catch {
            throw BrokerError(error)
        }
    }

    /// Kafka's DelayedDeleteRecords: waits until every other ISR member reports (in its fetches) a log start
    /// offset of at least `lowWatermark`, the leadership moves (NOT_LEADER_OR_FOLLOWER), or `timeoutMs` passes
    /// (REQUEST_TIMED_OUT). Without it a leader failing right after DeleteRecords could resurrect the records.
    func awaitFollowersLogStart(topic: String, partition index: Int32, lowWatermark: Int64, timeoutMs: Int32) async
        throws(BrokerError)
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

/// Segment slices of one partition's fetch answer, sent with sendfile.
struct SegmentChunks: FileChunkSource {
    let slices: [FileSlice]

    func makeFileRegions() throws -> [FileRegion] {
        try slices.map { slice in
            let fd = dup(slice.file.fileDescriptor)
            guard fd >= 0 else { throw BrokerError.storage("dup failed: errno \(errno)") }
            let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: fd)
            let start = Int(slice.position)
            return FileRegion(fileHandle: handle, readerIndex: start, endIndex: start + slice.length)
        }
    }
}
