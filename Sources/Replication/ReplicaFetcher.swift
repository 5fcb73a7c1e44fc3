import KafkaConfig
import LogStorage
import Logging
import Synchronization

/// The leader a follower partition copies from, at its inter-broker listener address.
public struct FetchSource: Hashable, Sendable, CustomStringConvertible {
    public var brokerId: Int32
    public var host: String
    public var port: Int

    public init(brokerId: Int32, host: String, port: Int) {
        self.brokerId = brokerId
        self.host = host
        self.port = port
    }

    public var description: String { "broker \(brokerId) at \(host):\(port)" }
}

/// One follower partition's position in its fetcher.
struct PartitionFetchState: Sendable, Equatable {
    var fetchOffset: Int64
    var currentLeaderEpoch: Int32
    /// Skipped until then after an error (`replica.fetch.backoff.ms`).
    var delayedUntil: ContinuousClock.Instant?
}

/// Copies the partitions this broker follows from one leader broker (Kafka's `ReplicaFetcherThread`): one
/// long-poll follower fetch in flight at a time (through the `LeaderConnector` port) in a KIP-227 fetch session
/// (`FollowerFetchSession`), batches appended as-is, HW and log start following the leader,
/// divergence and out-of-range handled by truncation. Runs as one task; never on an event loop.
final class ReplicaFetcher: Sendable {
    private struct State: Sendable {
        var partitions: [TopicPartition: PartitionFetchState] = [:]
        var wake = WakeGate()
        /// Kafka's `FetcherLagMetrics`: the leader's high watermark minus this follower's next offset, as of the
        /// partition's last answer.
        var lags: [TopicPartition: Int64] = [:]
    }

    let source: FetchSource
    private let brokerId: Int32
    private let state = Mutex(State())
    private let connector: any LeaderConnector
    private let lookup: @Sendable (TopicPartition) -> Partition?
    private let settings: @Sendable () -> BrokerConfig
    private let logger: Logger
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(
        source: FetchSource, brokerId: Int32, connector: any LeaderConnector,
        lookup: @escaping @Sendable (TopicPartition) -> Partition?, settings: @escaping @Sendable () -> BrokerConfig,
        logger: Logger
    ) {
        self.source = source
        self.brokerId = brokerId
        self.connector = connector
        self.lookup = lookup
        self.settings = settings
        self.logger = logger
    }

    func start() {
        let t = Task { [self] in await run() }
        task.withLock { $0 = t }
    }

    func stop() {
        task.withLock { $0 }?.cancel()
        state.withLock { $0.wake }.fire()
    }

    func add(_ tp: TopicPartition, _ fetchState: PartitionFetchState) {
        let gate = state.withLock { s -> WakeGate in
            s.partitions[tp] = fetchState
            return s.wake
        }
        gate.fire()
    }

    /// Removes partitions; returns whether any remain.
    func remove(_ tps: Set<TopicPartition>) -> Bool {
        state.withLock { s -> Bool in
            for tp in tps {
                s.partitions.removeValue(forKey: tp)
                s.lags.removeValue(forKey: tp)
            }
            return !s.partitions.isEmpty
        }
    }

    var partitions: [TopicPartition: PartitionFetchState] { state.withLock { $0.partitions } }

    /// The largest lag among this fetcher's partitions (Kafka's `FetcherLagStats`), 0 without answers yet.
    var maxLag: Int64 { state.withLock { $0.lags.values.max() ?? 0 } }

    // MARK: loop

    private func run() async {
        var connection: (any LeaderConnection)?
        defer { if let connection { Task { await connection.close() } } }
        // KIP-227: after the first full fetch, requests carry only partitions whose position changed.
        var session = FollowerFetchSession()
        while !Task.isCancelled {
            let config = settings()
            let backoff = Duration.milliseconds(config.replicaFetchBackoffMs)
            let (ready, gate) = readyPartitions()
            if ready.isEmpty {
                await waitForWork(gate, upTo: backoff)
                continue
            }
            if connection == nil || connection?.isActive == false {
                do {
                    connection = try await connector.connect(
                        to: source, clientId: "broker-\(brokerId)-fetcher-0",
                        connectTimeoutMs: config.replicaSocketTimeoutMs,
                        requestTimeoutMs: config.replicaSocketTimeoutMs + config.replicaFetchWaitMaxMs)
                } catch {
                    logger.warning("[ReplicaFetcher broker=\(brokerId)] cannot connect to \(source): \(error)")
                    try? await Task.sleep(for: backoff)
                    continue
                }
            }
            guard let conn = connection else { continue }
            let request = session.build(buildRequest(ready, config: config))
            let response: FollowerFetchResponse
            do {
                response = try await conn.fetch(request)
            } catch {
                session.handleError()
                if Task.isCancelled { return }
                logger.warning("[ReplicaFetcher broker=\(brokerId)] fetch from \(source) failed: \(error)")
                await conn.close()
                connection = nil
                try? await Task.sleep(for: backoff)
                continue
            }
            guard session.handleResponse(response, to: request) else {
                // A lost session (evicted, wrong epoch, a leader restarted) costs one full fetch, at once, as in
                // Kafka's `RemoteLeaderEndPoint.fetch`; other errors back off.
                if !FollowerFetchSession.sessionErrorCodes.contains(response.errorCode) && response.errorCode != 0 {
                    try? await Task.sleep(for: backoff)
                }
                continue
            }
            for p in response.partitions {
                guard let sent = ready[p.topicPartition] else { continue }
                await process(p.topicPartition, sent: sent, data: p, connection: conn, backoff: backoff)
            }
        }
    }

    private func readyPartitions() -> ([TopicPartition: PartitionFetchState], WakeGate) {
        let now = ContinuousClock.now
        return state.withLock { s in
            let ready = s.partitions.filter { ($0.value.delayedUntil ?? now) <= now }
            if ready.isEmpty { s.wake = WakeGate() }
            return (ready, s.wake)
        }
    }

    private func waitForWork(_ gate: WakeGate, upTo limit: Duration) async {
        let timer = Task {
            try? await Task.sleep(for: limit)
            gate.fire()
        }
        await gate.wait()
        timer.cancel()
    }

    func buildRequest(_ ready: [TopicPartition: PartitionFetchState], config: BrokerConfig) -> FollowerFetchRequest {
        let partitions = ready.sorted(by: { $0.key < $1.key }).map { (tp, s) in
            FollowerFetchRequest.Partition(
                topicPartition: tp, currentLeaderEpoch: s.currentLeaderEpoch, fetchOffset: s.fetchOffset,
                lastFetchedEpoch: lookup(tp)?.log.latestLeaderEpoch ?? -1,
                logStartOffset: lookup(tp)?.log.logStartOffset ?? -1,
                maxBytes: Int32(clamping: config.replicaFetchMaxBytes))
        }
        return FollowerFetchRequest(
            replicaId: brokerId, maxWaitMs: Int32(clamping: config.replicaFetchWaitMaxMs),
            minBytes: Int32(clamping: config.replicaFetchMinBytes),
            maxBytes: Int32(clamping: config.replicaFetchResponseMaxBytes), partitions: partitions)
    }

    /// Applies one partition's answer, if the partition is still fetched from the same position.
    private func process(
        _ tp: TopicPartition, sent: PartitionFetchState, data: FollowerFetchResponse.Partition,
        connection: any LeaderConnection, backoff: Duration
    ) async {
        guard let partition = lookup(tp), partitions[tp]?.fetchOffset == sent.fetchOffset,
            partitions[tp]?.currentLeaderEpoch == sent.currentLeaderEpoch
        else { return }
        let log = partition.log
        let epoch = sent.currentLeaderEpoch
        do {
            switch data.outcome {
            case .noError:
                if let diverging = data.divergingEpoch {
                    let epochBefore = log.latestLeaderEpoch
                    let truncatedTo = try partition.withFollowerLog(leaderEpoch: epoch) { log -> Int64 in
                        let own = log.endOffset(forLeaderEpoch: diverging.epoch)
                        let target = ReplicationRules.truncationOffset(
                            leaderEpoch: diverging.epoch, leaderEndOffset: diverging.endOffset,
                            followerEndForLeaderEpoch: own, followerLogEndOffset: log.logEndOffset,
                            highWatermark: log.highWatermark)
                        try log.truncate(to: target.offset)
                        return target.offset
                    }
                    guard let truncatedTo else { return }
                    logger.info(
                        "[ReplicaFetcher broker=\(brokerId)] \(tp) diverged from the leader at epoch \(diverging.epoch) end \(diverging.endOffset); truncated to \(truncatedTo)"
                    )
                    if log.logEndOffset == sent.fetchOffset && log.latestLeaderEpoch == epochBefore {
                        delay(tp, sent: sent, by: backoff)  // nothing changed: do not spin on the same answer
                    } else {
                        setFetchOffset(tp, sent: sent, to: log.logEndOffset)
                    }
                    return
                }
                let applied = try partition.withFollowerLog(leaderEpoch: epoch) { log -> Bool in
                    if !data.records.isEmpty { try log.appendAsFollower(data.records) }
                    log.highWatermark = min(data.highWatermark, log.logEndOffset)
                    if data.logStartOffset > log.logStartOffset {
                        let target = min(data.logStartOffset, log.highWatermark)
                        if target > log.logStartOffset { _ = try log.deleteRecords(before: target) }
                    }
                    return true
                }
                guard applied != nil else { return }
                let next = log.logEndOffset
                state.withLock { $0.lags[tp] = max(0, data.highWatermark - next) }
                setFetchOffset(tp, sent: sent, to: next)
            case .offsetOutOfRange:
                try await handleOutOfRange(tp, sent: sent, partition: partition, connection: connection)
            case .otherError:
                // NOT_LEADER_OR_FOLLOWER, FENCED/UNKNOWN_LEADER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION...: wait for the
                // controller's LeaderAndIsr to move this partition, retrying after the back-off.
                delay(tp, sent: sent, by: backoff)
            }
        } catch {
            logger.warning("[ReplicaFetcher broker=\(brokerId)] \(tp): \(error)")
            delay(tp, sent: sent, by: backoff)
        }
    }

    /// Asks the leader for its log start and end (ListOffsets as a replica) and truncates or restarts the log.
    private func handleOutOfRange(
        _ tp: TopicPartition, sent: PartitionFetchState, partition: Partition, connection: any LeaderConnection
    ) async throws {
        let log = partition.log
        func leaderOffset(_ position: LeaderOffsetPosition) async throws -> Int64 {
            guard
                let offset = try await connection.leaderOffset(
                    tp, replicaId: brokerId, currentLeaderEpoch: sent.currentLeaderEpoch, position)
            else { throw ReplicationError.notLeaderOrFollower }
            return offset
        }
        let leaderEnd = try await leaderOffset(.latest)
        let leaderStart = try await leaderOffset(.earliest)
        let action = ReplicationRules.outOfRangeAction(
            followerLogEndOffset: log.logEndOffset, leaderLogStartOffset: leaderStart, leaderLogEndOffset: leaderEnd)
        logger.info("[ReplicaFetcher broker=\(brokerId)] \(tp) out of range at \(sent.fetchOffset): \(action)")
        let next = try partition.withFollowerLog(leaderEpoch: sent.currentLeaderEpoch) { log -> Int64 in
            switch action {
            case .truncate(let offset):
                try log.truncate(to: offset)
                return log.logEndOffset
            case .restartAt(let offset):
                try log.truncateFullyAndStartAt(offset)
                return offset
            case .fetchFrom(let offset):
                return offset
            }
        }
        guard let next else { return }
        if next == sent.fetchOffset {
            // The leader keeps refusing the same position: back off instead of spinning.
            delay(tp, sent: sent, by: .milliseconds(settings().replicaFetchBackoffMs))
        } else {
            setFetchOffset(tp, sent: sent, to: next)
        }
    }

    private func setFetchOffset(_ tp: TopicPartition, sent: PartitionFetchState, to offset: Int64) {
        state.withLock { s in
            guard var current = s.partitions[tp], current.currentLeaderEpoch == sent.currentLeaderEpoch else { return }
            current.fetchOffset = offset
            current.delayedUntil = nil
            s.partitions[tp] = current
        }
    }

    private func delay(_ tp: TopicPartition, sent: PartitionFetchState, by backoff: Duration) {
        state.withLock { s in
            guard var current = s.partitions[tp], current.currentLeaderEpoch == sent.currentLeaderEpoch else { return }
            current.delayedUntil = ContinuousClock.now + backoff
            s.partitions[tp] = current
        }
    }
}

/// The fetchers of this broker, one per source broker (`num.replica.fetchers` = 1), created when a partition
/// starts following a leader and stopped when their last partition leaves (Kafka's `ReplicaFetcherManager`).
final class ReplicaFetcherManager: Sendable {
    private let brokerId: Int32
    private let connector: any LeaderConnector
    private let fetchers = Mutex<[FetchSource: ReplicaFetcher]>([:])
    private let lookup: @Sendable (TopicPartition) -> Partition?
    private let settings: @Sendable () -> BrokerConfig
    private let logger: Logger

    init(
        brokerId: Int32, connector: any LeaderConnector, lookup: @escaping @Sendable (TopicPartition) -> Partition?,
        settings: @escaping @Sendable () -> BrokerConfig, logger: Logger
    ) {
        self.brokerId = brokerId
        self.connector = connector
        self.lookup = lookup
        self.settings = settings
        self.logger = logger
    }

    /// Starts fetching `tp` from `source` (moving it off any other fetcher).
    func add(_ tp: TopicPartition, from source: FetchSource, _ fetchState: PartitionFetchState) {
        remove([tp], except: source)
        let (fetcher, isNew) = fetchers.withLock { f -> (ReplicaFetcher, Bool) in
            if let existing = f[source] { return (existing, false) }
            let created = ReplicaFetcher(
                source: source, brokerId: brokerId, connector: connector, lookup: lookup, settings: settings,
                logger: logger)
            f[source] = created
            return (created, true)
        }
        fetcher.add(tp, fetchState)
        if isNew { fetcher.start() }
    }

    func remove(_ tps: Set<TopicPartition>) { remove(tps, except: nil) }

    /// Kafka's `ReplicaFetcherManager` `MaxLag` (clientId `Replica`): the largest lag over every fetcher.
    var maxLag: Int64 { fetchers.withLock { Array($0.values) }.map(\.maxLag).max() ?? 0 }

    private func remove(_ tps: Set<TopicPartition>, except keep: FetchSource?) {
        let stopped = fetchers.withLock { f -> [ReplicaFetcher] in
            var stopped: [ReplicaFetcher] = []
            for (source, fetcher) in f where source != keep {
                if !fetcher.remove(tps) {
                    f.removeValue(forKey: source)
                    stopped.append(fetcher)
                }
            }
            return stopped
        }
        for fetcher in stopped { fetcher.stop() }
    }

    func shutdown() {
        let all = fetchers.withLock { f -> [ReplicaFetcher] in
            defer { f.removeAll() }
            return Array(f.values)
        }
        for fetcher in all { fetcher.stop() }
    }

    /// Partition → (source broker, fetch state), for tests and DescribeLogDirs-style introspection.
    var assignments: [TopicPartition: (source: FetchSource, state: PartitionFetchState)] {
        var result: [TopicPartition: (source: FetchSource, state: PartitionFetchState)] = [:]
        for fetcher in fetchers.withLock({ Array($0.values) }) {
            for (tp, s) in fetcher.partitions { result[tp] = (fetcher.source, s) }
        }
        return result
    }
}
