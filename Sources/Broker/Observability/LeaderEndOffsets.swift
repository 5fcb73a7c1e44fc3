import KafkaProtocol
import Synchronization

import struct KafkaClient.BrokerAddress
import class KafkaClient.BrokerConnection

/// One partition a group committed an offset for, as the lag series label it.
struct LagPartition: Hashable, Sendable, Comparable {
    var topic: String
    var partition: Int32

    static func < (a: LagPartition, b: LagPartition) -> Bool { (a.topic, a.partition) < (b.topic, b.partition) }
}

/// High watermarks learned from other brokers, as a value: what was answered and when. A group's coordinator often
/// holds no replica of the partitions its groups read (RF=1 topics spread over the cluster, or RF < brokers), so its
/// lag needs the leader's high watermark, as kafka_exporter gets it with a ListOffsets(latest) to each leader.
struct EndOffsetCache: Sendable {
    struct Entry: Sendable, Equatable {
        var offset: Int64
        var at: ContinuousClock.Instant
    }

    /// How long an answer stands in for a leader that no longer answers (it died and the controller has not moved
    /// leadership yet). Older answers are dropped, so the lag line disappears rather than freezing.
    var maxAge: Duration
    private(set) var entries: [LagPartition: Entry] = [:]

    init(maxAge: Duration) { self.maxAge = maxAge }

    mutating func record(_ offsets: [LagPartition: Int64], at now: ContinuousClock.Instant) {
        for (p, offset) in offsets { entries[p] = Entry(offset: offset, at: now) }
    }

    func offset(_ p: LagPartition, now: ContinuousClock.Instant) -> Int64? {
        guard let e = entries[p], now - e.at <= maxAge else { return nil }
        return e.offset
    }

    /// Forgets partitions no group asks about any more (their group was deleted or moved to another coordinator),
    /// so the cache stays as large as this broker's groups' committed partitions.
    mutating func retain(only wanted: Set<LagPartition>) {
        entries = entries.filter { wanted.contains($0.key) }
    }

    /// One request per leader: the partitions to ask each live leader other than `localBroker` about. Partitions
    /// without a leader (offline) or led here are left out: the caller reads those locally or exports no lag.
    static func plan(
        _ partitions: some Sequence<LagPartition>, localBroker: Int32, leaderOf: (LagPartition) -> Int32?
    ) -> [Int32: [LagPartition]] {
        var plan: [Int32: [LagPartition]] = [:]
        for p in partitions {
            guard let leader = leaderOf(p), leader >= 0, leader != localBroker else { continue }
            plan[leader, default: []].append(p)
        }
        for key in plan.keys { plan[key]?.sort() }
        return plan
    }
}

/// How the broker asks a leader for high watermarks (a port, so the cache logic is tested without sockets).
protocol LeaderOffsetClient: Sendable {
    /// The leader's high watermark of each partition it answered for without an error.
    func highWatermarks(leader: Int32, _ partitions: [LagPartition]) async throws -> [LagPartition: Int64]
}

/// Refreshes `EndOffsetCache` at scrape time: one ListOffsets per leader, all leaders at once. A scrape waits for
/// the refresh at most `patience`, then renders from the cache while the refresh finishes in the background for the
/// next scrape: a slow or stopped leader can never hold a scrape past Prometheus's timeout, and no request is ever
/// made per series or on an event loop. One refresh runs at a time; concurrent scrapes share it.
final class LeaderEndOffsets: Sendable {
    private struct State {
        var cache: EndOffsetCache
        var inFlight: Task<Void, Never>?
        var generation: UInt64 = 0
    }

    private let client: any LeaderOffsetClient
    private let patience: Duration
    private let state: Mutex<State>

    init(client: any LeaderOffsetClient, maxAge: Duration = .seconds(30), patience: Duration = .milliseconds(500)) {
        self.client = client
        self.patience = patience
        self.state = Mutex(State(cache: EndOffsetCache(maxAge: maxAge)))
    }

    /// The cached high watermark of `p`, if a leader answered within `maxAge`.
    func offset(_ p: LagPartition, now: ContinuousClock.Instant = .now) -> Int64? {
        state.withLock { $0.cache.offset(p, now: now) }
    }

    /// Asks every leader in `plan` (waiting at most `patience`) and forgets partitions outside `wanted`.
    func refresh(_ plan: [Int32: [LagPartition]], wanted: Set<LagPartition>) async {
        state.withLock { $0.cache.retain(only: wanted) }
        guard !plan.isEmpty else { return }
        let task = state.withLock { s -> Task<Void, Never> in
            if let running = s.inFlight { return running }
            s.generation &+= 1
            let generation = s.generation
            // The task's last step takes this lock, so it cannot clear `inFlight` before it is set here.
            let started = Task {
                await self.ask(plan)
                self.state.withLock { if $0.generation == generation { $0.inFlight = nil } }
            }
            s.inFlight = started
            return started
        }
        await Self.wait(for: task, atMost: patience)
    }

    /// Runs the refresh to the end (tests and shutdown-free callers that want every answer in).
    func refreshFully(_ plan: [Int32: [LagPartition]], wanted: Set<LagPartition>) async {
        state.withLock { $0.cache.retain(only: wanted) }
        await ask(plan)
    }

    private func ask(_ plan: [Int32: [LagPartition]]) async {
        let client = self.client
        await withTaskGroup(of: [LagPartition: Int64].self) { group in
            for (leader, partitions) in plan {
                group.addTask { (try? await client.highWatermarks(leader: leader, partitions)) ?? [:] }
            }
            for await answered in group where !answered.isEmpty {
                let now = ContinuousClock.now
                state.withLock { $0.cache.record(answered, at: now) }
            }
        }
    }

    /// Returns when `task` finishes or `limit` passes, whichever is first; `task` itself is never cancelled.
    private static func wait(for task: Task<Void, Never>, atMost limit: Duration) async {
        let gate = ResumeOnce()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            gate.set(continuation)
            Task {
                await task.value
                gate.resume()
            }
            Task {
                try? await Task.sleep(for: limit)
                gate.resume()
            }
        }
    }
}

/// A continuation resumed by whichever of two tasks comes first.
private final class ResumeOnce: Sendable {
    private let continuation = Mutex<CheckedContinuation<Void, Never>?>(nil)

    func set(_ c: CheckedContinuation<Void, Never>) { continuation.withLock { $0 = c } }
    func resume() { continuation.withLock { $0.take() }?.resume() }
}

/// `LeaderOffsetClient` over the inter-broker client: ListOffsets(latest, read_uncommitted) as a consumer
/// (replica id -1), so the answer is the high watermark, exactly what consumers and kafka_exporter see. One
/// connection per leader is kept between scrapes and dropped when a request fails.
final class ConnectionLeaderOffsetClient: LeaderOffsetClient {
    private let address: @Sendable (Int32) -> BrokerAddress?
    private let connections = Mutex<[Int32: BrokerConnection]>([:])
    private let connectTimeoutMs: Int
    private let requestTimeoutMs: Int

    init(
        connectTimeoutMs: Int = 1000, requestTimeoutMs: Int = 5000,
        address: @escaping @Sendable (Int32) -> BrokerAddress?
    ) {
        self.address = address
        self.connectTimeoutMs = connectTimeoutMs
        self.requestTimeoutMs = requestTimeoutMs
    }

    func highWatermarks(leader: Int32, _ partitions: [LagPartition]) async throws -> [LagPartition: Int64] {
        guard let target = address(leader) else { return [:] }
        let connection = try await connection(to: leader, at: target)
        var byTopic: [String: [ListOffsetsRequest.ListOffsetsPartition]] = [:]
        for p in partitions {
            byTopic[p.topic, default: []].append(.init(partitionIndex: p.partition, timestamp: -1))
        }
        let request = ListOffsetsRequest(
            replicaId: -1, isolationLevel: 0,
            topics: byTopic.keys.sorted().map { .init(name: $0, partitions: byTopic[$0] ?? []) })
        let response: ListOffsetsResponse
        do {
            response = try await connection.send(request)
        } catch {
            connections.withLock { if $0[leader] === connection { $0[leader] = nil } }
            await connection.close()
            throw error
        }
        var answered: [LagPartition: Int64] = [:]
        for topic in response.topics {
            // A new leader answers OFFSET_NOT_AVAILABLE until its high watermark catches up (KIP-207), a former
            // one NOT_LEADER_OR_FOLLOWER: both leave the partition to the next scrape.
            for p in topic.partitions where p.errorCode == 0 && p.offset >= 0 {
                answered[LagPartition(topic: topic.name, partition: p.partitionIndex)] = p.offset
            }
        }
        return answered
    }

    private func connection(to leader: Int32, at target: BrokerAddress) async throws -> BrokerConnection {
        if let open = connections.withLock({ $0[leader] }) {
            if open.isActive && open.address == target { return open }
            connections.withLock { if $0[leader] === open { $0[leader] = nil } }
            await open.close()
        }
        let fresh = try await BrokerConnection.connect(
            to: target, clientId: "needletail-metrics", connectTimeoutMs: connectTimeoutMs,
            requestTimeoutMs: requestTimeoutMs)
        let extra = connections.withLock { c -> BrokerConnection? in
            if let other = c[leader], other.isActive { return other }
            c[leader] = fresh
            return nil
        }
        if let other = extra {
            await fresh.close()
            return other
        }
        return fresh
    }
}
