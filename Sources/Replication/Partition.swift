import KafkaConfig
import KafkaProtocol
import KafkaRecords
import LogStorage
import Synchronization

/// One partition replica on this broker: its log, its leadership facts and the topic config it runs under.
///
/// The produce path's last replication step: `appendAsLeader` validates the batch (KafkaRecords),
/// rewrites it for the topic's compression and timestamp type, and hands it to `PartitionLog.appendAsLeader`,
/// which assigns offsets and runs the idempotent-producer checks. Thread-safe; never called on an event loop.
///
/// As leader it also keeps each follower's fetch state, moves the high watermark (`Partition.maybeIncrementLeaderHW`) and proposes ISR
/// changes (§4.3); `ReplicaManager` writes them through the `LeaderIsrWriter` port, one change in flight at a time.
public final class Partition: Sendable {
    public struct Runtime: Sendable {
        public var leader: Int32
        public var leaderEpoch: Int32
        public var replicas: [Int32]
        public var isr: [Int32]
        public var config: EffectiveTopicConfig
        /// The state znode's zkVersion from the last LeaderAndIsr (or our own ISR write).
        public var partitionEpoch: Int32 = 0
        /// The controller epoch of the last LeaderAndIsr (written back with our ISR changes).
        public var controllerEpoch: Int32 = 0
        public var topicId: UUIDValue = .zero
        /// LEO when this broker became leader in `leaderEpoch` (a follower must reach it to join the ISR).
        public var leaderEpochStartOffset: Int64 = 0
        /// Leader only: each other replica's fetch state.
        public var followers: [Int32: FollowerState] = [:]
        /// The ISR proposed to ZooKeeper and not yet confirmed (no second change while set).
        public var pendingIsr: [Int32]? = nil
        /// Leader duties suspended (session loss, or our ISR write met another state) until the next LeaderAndIsr.
        public var fenced = false

        /// Takes the controller's view from a LeaderAndIsr: roles, epochs and config; a pending ISR change and a
        /// fence are dropped (the controller's state supersedes both).
        mutating func adopt(_ s: LeaderAndIsrState, topicId: UUIDValue, config: EffectiveTopicConfig) {
            leader = s.leader
            leaderEpoch = s.leaderEpoch
            isr = s.isr
            replicas = s.replicas
            partitionEpoch = s.partitionEpoch
            controllerEpoch = s.controllerEpoch
            self.config = config
            if !topicId.isZero { self.topicId = topicId }
            pendingIsr = nil
            fenced = false
        }
    }

    /// An ISR change the leader wants written (conditional on `expectedZkVersion`).
    public struct IsrProposal: Sendable, Equatable {
        public var topic: String
        public var partition: Int32
        public var leader: Int32
        public var leaderEpoch: Int32
        public var controllerEpoch: Int32
        public var newIsr: [Int32]
        public var expectedZkVersion: Int32
    }

    public let topic: String
    public let index: Int32
    public let log: PartitionLog
    let signal = AppendSignal()
    private let runtime: Mutex<Runtime>
    /// Held by leader appends and by leadership changes (never by reads); it guards a section, not a value.
    private let leadershipLock = Mutex(())
    private let localBrokerId: Int32
    private let environment: ReplicationEnvironment

    init(
        topic: String, index: Int32, log: PartitionLog, runtime: Runtime, localBrokerId: Int32,
        environment: ReplicationEnvironment = ReplicationEnvironment()
    ) {
        self.topic = topic
        self.index = index
        self.log = log
        self.runtime = Mutex(runtime)
        self.localBrokerId = localBrokerId
        self.environment = environment
    }

    public var state: Runtime { runtime.withLock { $0 } }

    func update(_ body: (inout Runtime) -> Void) {
        let config = runtime.withLock { r -> EffectiveTopicConfig in
            body(&r)
            return r.config
        }
        log.updateConfig(LogConfig(config))
    }

    /// Leader and not fenced.
    public var isLeader: Bool { runtime.withLock { $0.leader == localBrokerId && !$0.fenced } }

    func checkLeaderEpoch(_ current: Int32) throws(ReplicationError) {
        guard current >= 0 else { return }
        let epoch = runtime.withLock { $0.leaderEpoch }
        if current < epoch { throw .fencedLeaderEpoch }
        if current > epoch { throw .unknownLeaderEpoch }
    }

    // MARK: leadership changes (LeaderAndIsr)

    /// The LeaderAndIsr facts for this partition.
    public struct LeaderAndIsrState: Sendable, Equatable {
        public var leader: Int32
        public var leaderEpoch: Int32
        public var isr: [Int32]
        public var replicas: [Int32]
        /// The state znode's zkVersion.
        public var partitionEpoch: Int32
        public var controllerEpoch: Int32

        public init(
            leader: Int32, leaderEpoch: Int32, isr: [Int32], replicas: [Int32], partitionEpoch: Int32,
            controllerEpoch: Int32
        ) {
            self.leader = leader
            self.leaderEpoch = leaderEpoch
            self.isr = isr
            self.replicas = replicas
            self.partitionEpoch = partitionEpoch
            self.controllerEpoch = controllerEpoch
        }
    }

    /// Becomes leader for `s.leaderEpoch`: records (epoch, LEO) in the epoch cache, resets follower states (ISR
    /// members caught up now) and recomputes the HW. Waiters are woken.
    func makeLeader(_ s: LeaderAndIsrState, topicId: UUIDValue, config: EffectiveTopicConfig, now: Int64) {
        leadershipLock.withLock { _ in applyLeader(s, topicId: topicId, config: config, now: now) }
        maybeIncrementHighWatermark(now: now)
        signal.notify()
    }

    private func applyLeader(_ s: LeaderAndIsrState, topicId: UUIDValue, config: EffectiveTopicConfig, now: Int64) {
        let leo = log.logEndOffset
        if log.latestLeaderEpoch != s.leaderEpoch {
            try? log.assignEpochStartOffset(epoch: s.leaderEpoch, startOffset: leo)
        }
        update { r in
            let wasLeader = r.leader == localBrokerId
            r.adopt(s, topicId: topicId, config: config)
            r.leaderEpochStartOffset = leo
            // A new leader forgets its followers' positions; a re-elected one keeps them (`resetReplicaState`).
            let previous = r.followers
            var followers: [Int32: FollowerState] = [:]
            for id in s.replicas where id != localBrokerId {
                followers[id] = FollowerState.reset(inIsr: s.isr.contains(id), now: now)
                    .keepingPosition(of: wasLeader ? previous[id] : nil, leaderLogEndOffset: leo, now: now)
            }
            r.followers = followers
        }
    }

    /// Becomes a follower of `s.leader`: leader duties stop (waiting acks=all produces fail) and follower states go.
    func makeFollower(_ s: LeaderAndIsrState, topicId: UUIDValue, config: EffectiveTopicConfig) {
        leadershipLock.withLock { _ in applyFollower(s, topicId: topicId, config: config) }
        signal.notify()
    }

    private func applyFollower(_ s: LeaderAndIsrState, topicId: UUIDValue, config: EffectiveTopicConfig) {
        update { r in
            r.adopt(s, topicId: topicId, config: config)
            r.followers = [:]
        }
    }

    /// Runs a follower's log change (fetched append, truncation) unless this replica stopped following at
    /// `leaderEpoch` meanwhile (then nil): leadership changes wait for it and it waits for them.
    func withFollowerLog<T: Sendable>(leaderEpoch: Int32, _ body: (PartitionLog) throws -> T) throws -> T? {
        try leadershipLock.withLock { _ throws -> T? in
            let r = state
            guard r.leader != localBrokerId, r.leaderEpoch == leaderEpoch else { return nil }
            return try body(log)
        }
    }

    /// Session loss or a lost ISR race: stop acting as leader until the next LeaderAndIsr.
    func fence() {
        let changed = runtime.withLock { r -> Bool in
            guard r.leader == localBrokerId, !r.fenced else { return false }
            r.fenced = true
            return true
        }
        if changed { signal.notify() }
    }

    // MARK: leader: follower fetches, high watermark, ISR

    /// A follower fetched at `fetchOffset` while the leader's LEO was `leaderLogEndOffset`: update its state,
    /// advance the HW, and return an ISR expansion to write when the follower caught up.
    func recordFollowerFetch(
        replicaId: Int32, fetchOffset: Int64, followerLogStartOffset: Int64, leaderLogEndOffset: Int64, now: Int64
    ) -> IsrProposal? {
        let isAlive = environment.isAlive(replicaId)
        let proposal = runtime.withLock { r -> IsrProposal? in
            guard r.leader == localBrokerId, let f = r.followers[replicaId] else { return nil }
            let next = f.afterFetch(
                fetchOffset: fetchOffset, logStartOffset: followerLogStartOffset,
                leaderLogEndOffset: leaderLogEndOffset, now: now)
            r.followers[replicaId] = next
            guard !r.fenced, r.pendingIsr == nil, !r.isr.contains(replicaId),
                ReplicationRules.canJoinIsr(
                    follower: next, highWatermark: log.highWatermark, leaderEpochStartOffset: r.leaderEpochStartOffset,
                    isAlive: isAlive)
            else { return nil }
            // Kafka adds the caught-up replica at the end (`isr + replicaId`), so `Isr: 3,1,2` reads as history.
            let newIsr = r.isr + [replicaId]
            r.pendingIsr = newIsr
            return IsrProposal(
                topic: topic, partition: index, leader: localBrokerId, leaderEpoch: r.leaderEpoch,
                controllerEpoch: r.controllerEpoch,
                newIsr: newIsr, expectedZkVersion: r.partitionEpoch)
        }
        maybeIncrementHighWatermark(now: now)
        return proposal
    }

    /// The periodic ISR check: the followers that fell behind leave (one change in flight at a time).
    func proposeIsrShrink(now: Int64) -> IsrProposal? {
        let maxLag = environment.replicaLagTimeMaxMs
        return runtime.withLock { r -> IsrProposal? in
            guard r.leader == localBrokerId, !r.fenced, r.pendingIsr == nil else { return nil }
            let out = ReplicationRules.outOfSyncReplicas(
                isr: r.isr, leaderId: localBrokerId, followers: r.followers, leaderLogEndOffset: log.logEndOffset,
                now: now, maxLagMs: maxLag)
            guard !out.isEmpty else { return nil }
            let newIsr = r.isr.filter { !out.contains($0) }
            guard !newIsr.isEmpty else { return nil }
            r.pendingIsr = newIsr
            return IsrProposal(
                topic: topic, partition: index, leader: localBrokerId, leaderEpoch: r.leaderEpoch,
                controllerEpoch: r.controllerEpoch,
                newIsr: newIsr, expectedZkVersion: r.partitionEpoch)
        }
    }

    /// How an ISR write ended.
    public enum IsrWriteResult: Sendable {
        /// Written (or found already written); the new zkVersion.
        case written(zkVersion: Int32)
        /// ZooKeeper holds another state: a new LeaderAndIsr will come; stop acknowledging until then.
        case conflict
        /// Not attempted or failed transiently (connection loss): retry later.
        case failed
    }

    /// Applies the outcome of writing `proposal`. Returns true when the ISR changed.
    @discardableResult
    func completeIsrChange(_ proposal: IsrProposal, result: IsrWriteResult, now: Int64) -> Bool {
        let changed = runtime.withLock { r -> Bool in
            guard r.pendingIsr == proposal.newIsr, r.leaderEpoch == proposal.leaderEpoch else { return false }
            r.pendingIsr = nil
            switch result {
            case .written(let version):
                r.isr = proposal.newIsr
                r.partitionEpoch = version
                return true
            case .conflict:
                r.fenced = true
                return false
            case .failed:
                return false
            }
        }
        if changed { maybeIncrementHighWatermark(now: now) }
        signal.notify()
        return changed
    }

    /// Moves the HW forward when the ISR members (and caught-up live followers) have the data (Kafka's `maybeIncrementLeaderHW`).
    func maybeIncrementHighWatermark(now: Int64) {
        let advanced = runtime.withLock { r -> Bool in
            guard r.leader == localBrokerId else { return false }
            if r.followers.isEmpty {
                // A sole replica: everything appended is committed.
                let leo = log.logEndOffset
                guard leo > log.highWatermark else { return false }
                log.highWatermark = leo
                return true
            }
            let maxLag = environment.replicaLagTimeMaxMs
            let environment = self.environment
            let maximal = Set(r.isr).union(r.pendingIsr ?? [])
            guard
                let hw = ReplicationRules.advancedHighWatermark(
                    leaderLogEndOffset: log.logEndOffset, currentHighWatermark: log.highWatermark, maximalIsr: maximal,
                    followers: r.followers, now: now, maxLagMs: maxLag, isAlive: { environment.isAlive($0) })
            else { return false }
            log.highWatermark = hw
            return true
        }
        if advanced { signal.notify() }
    }

    /// An acks=all produce's check (`Partition.checkEnoughReplicasReachOffset`).
    enum AckProgress: Sendable, Equatable {
        case waiting
        case done
        case failed(ReplicationError)
    }

    func ackProgress(requiredOffset: Int64) -> AckProgress {
        runtime.withLock { r -> AckProgress in
            guard r.leader == localBrokerId, !r.fenced else { return .failed(.notLeaderOrFollower) }
            guard log.highWatermark >= requiredOffset else { return .waiting }
            let maximal = Set(r.isr).union(r.pendingIsr ?? [])
            return maximal.count < r.config.minInsyncReplicas ? .failed(.notEnoughReplicasAfterAppend) : .done
        }
    }

    struct AppendOutcome: Sendable {
        var baseOffset: Int64
        var lastOffset: Int64
        var logAppendTime: Int64
        var logStartOffset: Int64
    }

    func appendAsLeader(
        records: [UInt8], origin: ProduceOrigin, acks: RequiredAcks, now: Int64, verificationGuard: UInt64? = nil
    ) throws(ReplicationError) -> AppendOutcome {
        let rt = state
        guard rt.leader == localBrokerId, !rt.fenced else { throw .notLeaderOrFollower }
        if acks == .all && rt.isr.count < rt.config.minInsyncReplicas { throw .notEnoughReplicas }
        guard records.count > RecordBatchHeader.logOverhead + 5 else {
            throw .invalidRecord("produce request partition data holds no complete record batch")
        }
        // The magic byte sits at offset 16 in both legacy messages and v2 batches.
        let magic = records[16]
        var batch = records
        do {
            if origin == .coordinator {
                // A marker the broker built itself: appended as it is, no client validation or recompression.
                return try appendLocked(records, logAppendTime: -1, leaderEpoch: rt.leaderEpoch, now: now)
            }
            if magic < 2 {
                guard origin.canWriteLegacyMagic else { throw ReplicationError.legacyRecordFormatNotAccepted }
                batch = try LegacyMessageSet.upConvert(records)
            } else if magic > 2 {
                throw ReplicationError.corruptMessage("unknown record batch magic \(magic)")
            }
            let validator = BatchValidator(
                config: .init(
                    maxMessageBytes: rt.config.maxMessageBytes,
                    isCompacted: rt.config.cleanupPolicy.contains(.compact),
                    timestampBeforeMaxMs: min(
                        rt.config.messageTimestampBeforeMaxMs, rt.config.messageTimestampDifferenceMaxMs),
                    timestampAfterMaxMs: min(
                        rt.config.messageTimestampAfterMaxMs, rt.config.messageTimestampDifferenceMaxMs),
                    allowZstd: origin.canWriteZstd, allowUnsequencedProducerBatches: origin == .internal))
            let timestampType: TimestampType =
                rt.config.messageTimestampType == .logAppendTime ? .logAppendTime : .createTime
            let prepared = try validator.prepareForAppend(
                batch,
                topicCompression: TargetCompression(configValue: rt.config.compressionType.rawValue) ?? .producer,
                timestampType: timestampType, now: now)
            return try appendLocked(
                prepared.bytes, logAppendTime: prepared.logAppendTime, leaderEpoch: rt.leaderEpoch, now: now,
                verificationGuard: verificationGuard)
        } catch let error as ReplicationError {
            throw error
        } catch let error as RecordValidationError {
            throw ReplicationError(error)
        } catch let error as LogError {
            throw ReplicationError(error)
        } catch {
            throw .unknownServerError("\(error)")
        }
    }

    /// The log append under the leadership lock: leadership changes wait for an append in progress (Kafka's
    /// leaderIsrUpdateLock), so a batch is never stamped with an epoch older than one the epoch cache already started.
    private func appendLocked(
        _ bytes: [UInt8], logAppendTime: Int64, leaderEpoch: Int32, now: Int64, verificationGuard: UInt64? = nil
    ) throws -> AppendOutcome {
        let result = try leadershipLock.withLock { _ throws -> LeaderAppendResult in
            let current = state
            guard current.leader == localBrokerId, !current.fenced, current.leaderEpoch == leaderEpoch else {
                throw ReplicationError.notLeaderOrFollower
            }
            return try log.appendAsLeader(
                bytes, leaderEpoch: current.leaderEpoch, now: now, verificationGuard: verificationGuard)
        }
        if !result.isDuplicate {
            maybeIncrementHighWatermark(now: now)
            signal.notify()
        }
        return AppendOutcome(
            baseOffset: result.baseOffset, lastOffset: result.lastOffset, logAppendTime: logAppendTime,
            logStartOffset: result.logStartOffset)
    }
}
