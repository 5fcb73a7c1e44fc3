import class KafkaClient.BrokerConnection
import struct KafkaClient.BrokerAddress
import KafkaConfig
import KafkaProtocol
import LogStorage
import Logging
import NIOConcurrencyHelpers

/// The leader a follower partition copies from, at its inter-broker listener address.
struct FetchSource: Hashable, Sendable, CustomStringConvertible {
    var brokerId: Int32
    var host: String
    var port: Int

    var description: String { "broker \(brokerId) at \(host):\(port)" }
}

/// One follower partition's position in its fetcher.
struct PartitionFetchState: Sendable, Equatable {
    var fetchOffset: Int64
    var currentLeaderEpoch: Int32
    /// Skipped until then after an error (`replica.fetch.backoff.ms`).
    var delayedUntil: ContinuousClock.Instant?
}

/// Copies the partitions this broker follows from one leader broker (Kafka's `ReplicaFetcherThread`): one
/// long-poll Fetch v12 in flight at a time, batches appended as-is, HW and log start following the leader,
/// divergence and out-of-range handled by truncation. Runs as one task; never on an event loop.
final class ReplicaFetcher: Sendable {
    private struct State: Sendable {
        var partitions: [TopicPartition: PartitionFetchState] = [:]
        var wake = WakeGate()
    }

    let source: FetchSource
    private let brokerId: Int32
    private let state = NIOLockedValueBox(State())
    private let lookup: @Sendable (TopicPartition) -> Partition?
    private let settings: @Sendable () -> BrokerConfig
    private let logger: Logger
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(
        source: FetchSource, brokerId: Int32, lookup: @escaping @Sendable (TopicPartition) -> Partition?,
        settings: @escaping @Sendable () -> BrokerConfig, logger: Logger
    ) {
        self.source = source
        self.brokerId = brokerId
        self.lookup = lookup
        self.settings = settings
        self.logger = logger
    }

    func start() {
        let t = Task { [self] in await run() }
        task.withLockedValue { $0 = t }
    }

    func stop() {
        task.withLockedValue { $0 }?.cancel()
        state.withLockedValue { $0.wake }.fire()
    }

    func add(_ tp: TopicPartition, _ fetchState: PartitionFetchState) {
        let gate = state.withLockedValue { s -> WakeGate in
            s.partitions[tp] = fetchState
            return s.wake
        }
        gate.fire()
    }

    /// Removes partitions; returns whether any remain.
    func remove(_ tps: Set<TopicPartition>) -> Bool {
        state.withLockedValue { s -> Bool in
            for tp in tps { s.partitions.removeValue(forKey: tp) }
            return !s.partitions.isEmpty
        }
    }

    var partitions: [TopicPartition: PartitionFetchState] { state.withLockedValue { $0.partitions } }

    // MARK: loop

    private func run() async {
        var connection: BrokerConnection?
        defer { if let connection { Task { await connection.close() } } }
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
                    connection = try await BrokerConnection.connect(
                        to: BrokerAddress(host: source.host, port: source.port),
                        clientId: "broker-\(brokerId)-fetcher-0", connectTimeoutMs: config.replicaSocketTimeoutMs,
                        requestTimeoutMs: config.replicaSocketTimeoutMs + config.replicaFetchWaitMaxMs)
                } catch {
                    logger.warning("[ReplicaFetcher broker=\(brokerId)] cannot connect to \(source): \(error)")
                    try? await Task.sleep(for: backoff)
                    continue
                }
            }
            guard let conn = connection else { continue }
            let request = buildRequest(ready, config: config)
            let response: FetchResponse
            do {
                response = try await conn.send(request, version: 12)
            } catch {
                if Task.isCancelled { return }
                logger.warning("[ReplicaFetcher broker=\(brokerId)] fetch from \(source) failed: \(error)")
                await conn.close()
                connection = nil
                try? await Task.sleep(for: backoff)
                continue
            }
            if response.errorCode != 0 {
                try? await Task.sleep(for: backoff)
                continue
            }
            for topic in response.responses {
                for p in topic.partitions {
                    let tp = TopicPartition(topic: topic.topic, partition: p.partitionIndex)
                    guard let sent = ready[tp] else { continue }
                    await process(tp, sent: sent, data: p, connection: conn, backoff: backoff)
                }
            }
        }
    }

    private func readyPartitions() -> ([TopicPartition: PartitionFetchState], WakeGate) {
        let now = ContinuousClock.now
        return state.withLockedValue { s in
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

    func buildRequest(_ ready: [TopicPartition: PartitionFetchState], config: BrokerConfig) -> FetchRequest {
        var byTopic: [String: [FetchRequest.FetchPartition]] = [:]
        for (tp, s) in ready.sorted(by: { $0.key < $1.key }) {
            let lastFetchedEpoch = lookup(tp)?.log.latestLeaderEpoch ?? -1
            byTopic[tp.topic, default: []].append(
                FetchRequest.FetchPartition(
                    partition: tp.partition, currentLeaderEpoch: s.currentLeaderEpoch, fetchOffset: s.fetchOffset,
                    lastFetchedEpoch: lastFetchedEpoch, logStartOffset: lookup(tp)?.log.logStartOffset ?? -1,
                    partitionMaxBytes: Int32(clamping: config.replicaFetchMaxBytes)))
        }
        var request = FetchRequest()
        request.replicaId = brokerId
        request.maxWaitMs = Int32(clamping: config.replicaFetchWaitMaxMs)
        request.minBytes = Int32(clamping: config.replicaFetchMinBytes)
        request.maxBytes = Int32(clamping: config.replicaFetchResponseMaxBytes)
        request.isolationLevel = 0
        request.sessionId = 0
        request.sessionEpoch = -1
        request.topics = byTopic.keys.sorted().map { FetchRequest.FetchTopic(topic: $0, partitions: byTopic[$0] ?? []) }
        return request
    }

    /// Applies one partition's answer, if the partition is still fetched from the same position.
    private func process(
        _ tp: TopicPartition, sent: PartitionFetchState, data: FetchResponse.PartitionData, connection: BrokerConnection,
        backoff: Duration
    ) async {
        guard let partition = lookup(tp), partitions[tp]?.fetchOffset == sent.fetchOffset,
            partitions[tp]?.currentLeaderEpoch == sent.currentLeaderEpoch
        else { return }
        let log = partition.log
        let code = ErrorCode(rawValue: data.errorCode) ?? .unknownServerError
        let epoch = sent.currentLeaderEpoch
        do {
            switch code {
            case .noError:
                if !data.divergingEpoch.isDefault {
                    let epochBefore = log.latestLeaderEpoch
                    let truncatedTo = try partition.withFollowerLog(leaderEpoch: epoch) { log -> Int64 in
                        let own = log.endOffset(forLeaderEpoch: data.divergingEpoch.epoch)
                        let target = ReplicationRules.truncationOffset(
                            leaderEpoch: data.divergingEpoch.epoch, leaderEndOffset: data.divergingEpoch.endOffset,
                            followerEndForLeaderEpoch: own, followerLogEndOffset: log.logEndOffset,
                            highWatermark: log.highWatermark)
                        try log.truncate(to: target.offset)
                        return target.offset
                    }
                    guard let truncatedTo else { return }
                    logger.info(
                        "[ReplicaFetcher broker=\(brokerId)] \(tp) diverged from the leader at epoch \(data.divergingEpoch.epoch) end \(data.divergingEpoch.endOffset); truncated to \(truncatedTo)"
                    )
                    if log.logEndOffset == sent.fetchOffset && log.latestLeaderEpoch == epochBefore {
                        delay(tp, sent: sent, by: backoff)  // nothing changed: do not spin on the same answer
                    } else {
                        setFetchOffset(tp, sent: sent, to: log.logEndOffset)
                    }
                    return
                }
                let applied = try partition.withFollowerLog(leaderEpoch: epoch) { log -> Bool in
                    if case .bytes(let bytes) = data.records, !bytes.isEmpty {
                        try log.appendAsFollower(bytes)
                    }
                    log.highWatermark = min(data.highWatermark, log.logEndOffset)
                    if data.logStartOffset > log.logStartOffset {
                        let target = min(data.logStartOffset, log.highWatermark)
                        if target > log.logStartOffset { _ = try log.deleteRecords(before: target) }
                    }
                    return true
                }
                guard applied != nil else { return }
                setFetchOffset(tp, sent: sent, to: log.logEndOffset)
            case .offsetOutOfRange:
                try await handleOutOfRange(tp, sent: sent, partition: partition, connection: connection)
            default:
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
        _ tp: TopicPartition, sent: PartitionFetchState, partition: Partition, connection: BrokerConnection
    ) async throws {
        let log = partition.log
        func leaderOffset(_ timestamp: Int64) async throws -> Int64 {
            let request = ListOffsetsRequest(
                replicaId: brokerId, isolationLevel: 0,
                topics: [
                    .init(
                        name: tp.topic,
                        partitions: [
                            .init(partitionIndex: tp.partition, currentLeaderEpoch: sent.currentLeaderEpoch, timestamp: timestamp)
                        ])
                ])
            let response = try await connection.send(request, version: 4)
            guard let p = response.topics.first?.partitions.first, p.errorCode == 0 else {
                throw BrokerError.notLeaderOrFollower
            }
            return p.offset
        }
        let leaderEnd = try await leaderOffset(-1)
        let leaderStart = try await leaderOffset(-2)
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
        state.withLockedValue { s in
            guard var current = s.partitions[tp], current.currentLeaderEpoch == sent.currentLeaderEpoch else { return }
            current.fetchOffset = offset
            current.delayedUntil = nil
            s.partitions[tp] = current
        }
    }

    private func delay(_ tp: TopicPartition, sent: PartitionFetchState, by backoff: Duration) {
        state.withLockedValue { s in
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
    private let fetchers = NIOLockedValueBox<[FetchSource: ReplicaFetcher]>([:])
    private let lookup: @Sendable (TopicPartition) -> Partition?
    private let settings: @Sendable () -> BrokerConfig
    private let logger: Logger

    init(
        brokerId: Int32, lookup: @escaping @Sendable (TopicPartition) -> Partition?,
        settings: @escaping @Sendable () -> BrokerConfig, logger: Logger
    ) {
        self.brokerId = brokerId
        self.lookup = lookup
        self.settings = settings
        self.logger = logger
    }

    /// Starts fetching `tp` from `source` (moving it off any other fetcher).
    func add(_ tp: TopicPartition, from source: FetchSource, _ fetchState: PartitionFetchState) {
        remove([tp], except: source)
        let (fetcher, isNew) = fetchers.withLockedValue { f -> (ReplicaFetcher, Bool) in
            if let existing = f[source] { return (existing, false) }
            let created = ReplicaFetcher(
                source: source, brokerId: brokerId, lookup: lookup, settings: settings, logger: logger)
            f[source] = created
            return (created, true)
        }
        fetcher.add(tp, fetchState)
        if isNew { fetcher.start() }
    }

    func remove(_ tps: Set<TopicPartition>) { remove(tps, except: nil) }

    private func remove(_ tps: Set<TopicPartition>, except keep: FetchSource?) {
        let stopped = fetchers.withLockedValue { f -> [ReplicaFetcher] in
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
        let all = fetchers.withLockedValue { f -> [ReplicaFetcher] in
            defer { f.removeAll() }
            return Array(f.values)
        }
        for fetcher in all { fetcher.stop() }
    }

    /// Partition → (source broker, fetch state), for tests and DescribeLogDirs-style introspection.
    var assignments: [TopicPartition: (source: FetchSource, state: PartitionFetchState)] {
        var result: [TopicPartition: (source: FetchSource, state: PartitionFetchState)] = [:]
        for fetcher in fetchers.withLockedValue({ Array($0.values) }) {
            for (tp, s) in fetcher.partitions { result[tp] = (fetcher.source, s) }
        }
        return result
    }
}
