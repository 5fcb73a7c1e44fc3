import Foundation
import KafkaProtocol
import KafkaRecords
import Synchronization

/// Producer settings (names follow the Java client's).
public struct ProducerConfiguration: Sendable {
    /// `acks`: 0 (no answer), 1 (leader) or -1 (all in-sync replicas).
    public var acks: Int16
    /// `linger.ms`: how long a batch waits for more records before it is sent.
    public var lingerMs: Int
    /// `batch.size`: bytes at which a partition's batch is sent without waiting.
    public var batchSize: Int
    /// `compression.type`.
    public var compression: CompressionCodec
    /// `enable.idempotence`: InitProducerId + per-partition sequence numbers (forces acks=-1).
    public var enableIdempotence: Bool
    /// The Produce request's `timeout.ms` (how long the broker may wait for replication).
    public var produceTimeoutMs: Int32
    /// `buffer.memory`: bytes of records (sizes as estimated when appended) that may be buffered or in flight;
    /// past it, `send` and `enqueue` wait until acknowledgements free room.
    public var bufferMemory: Int
    /// `max.in.flight.requests.per.connection`: Produce requests written to one leader and not answered yet.
    /// Batches of a partition are written in order whatever the value; with idempotence keep it at most 5 (the
    /// batches a broker remembers per producer for deduplication).
    public var maxInFlightRequests: Int

    public init(
        acks: Int16 = -1, lingerMs: Int = 5, batchSize: Int = 16_384, compression: CompressionCodec = .none,
        enableIdempotence: Bool = false, produceTimeoutMs: Int32 = 30_000, bufferMemory: Int = 33_554_432,
        maxInFlightRequests: Int = 5
    ) {
        self.acks = acks
        self.lingerMs = lingerMs
        self.batchSize = batchSize
        self.compression = compression
        self.enableIdempotence = enableIdempotence
        self.produceTimeoutMs = produceTimeoutMs
        self.bufferMemory = bufferMemory
        self.maxInFlightRequests = maxInFlightRequests
    }
}

/// A record to send. A nil partition means "choose": murmur2 of the key, or sticky for null keys.
public struct ProducerRecord: Sendable {
    public var topic: String
    public var partition: Int32?
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [RecordHeader]
    /// CreateTime in ms since the epoch; nil means now.
    public var timestamp: Int64?

    public init(
        topic: String, partition: Int32? = nil, key: [UInt8]? = nil, value: [UInt8]?, headers: [RecordHeader] = [],
        timestamp: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }
}

/// Where a record was written. `offset` is -1 with acks=0.
public struct RecordMetadata: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var timestamp: Int64
}

/// Called exactly once per record sent with `send(_:completion:)`: where the record was written, or why it was
/// not. Runs on the producer's executor, so it should be short (record a figure, resume something).
public typealias ProducerCompletion = @Sendable (Result<RecordMetadata, any Error>) -> Void

/// Batching producer on top of a `KafkaClient`.
///
/// Records are partitioned, appended to per-partition batches (`RecordAccumulator`) and sent when a batch is
/// full, when `linger.ms` has passed, or on `flush()`. Ready batches are grouped into one Produce request per
/// leader; retriable errors (leader moves, a topic that is still being created) are retried after a metadata
/// refresh until the client's retry timeout. Idempotence keeps a producer id and one sequence per partition, so
/// a retried batch is deduplicated by the broker.
///
/// Appending does not hop onto the actor: callers partition and encode their record into the open batch under a
/// lock (`front`), as the Java client's `send` does on the caller's thread. The actor only sees whole batches: a
/// caller that closes a batch wakes the actor once, which seals and sends everything ready; acknowledgements
/// complete a batch's records in one pass.
public actor KafkaProducer {
    typealias Accumulator = RecordAccumulator<ProducerCompletion?>

    /// What callers touch under the lock: partitioning state, open batches and closed batches not yet taken by
    /// the actor, plus the buffer-memory account.
    struct Front: Sendable {
        var accumulator: Accumulator
        var sticky = StickyPartitionChooser()
        var partitionCounts: [String: Int32] = [:]
        /// Closed batches in the order they closed, waiting for the actor.
        var ready: [Accumulator.Batch] = []
        /// A task is on its way to take `ready`.
        var senderScheduled = false
        /// A task is watching the open batches' linger deadlines.
        var lingerArmed = false
        var bufferedBytes = 0
        var spaceWaiters: [CheckedContinuation<Void, Never>] = []
        /// The first delivery failure of a record sent with `enqueue` (thrown by the next `enqueue` or `flush`).
        var deferredError: (any Error)?
        /// The last topic's partition count and sticky partition (-1: ask `sticky`), so a run of records to one
        /// topic hashes no strings.
        var lastTopic = ""
        var lastCount: Int32 = 0
        var lastSticky: Int32 = -1

        mutating func partitionCount(_ topic: String) -> Int32? {
            if lastCount > 0, topic == lastTopic { return lastCount }
            guard let count = partitionCounts[topic] else { return nil }
            lastTopic = topic
            lastCount = count
            lastSticky = -1
            return count
        }

        mutating func stickyPartition(_ topic: String, count: Int32) -> Int32 {
            if lastSticky >= 0, topic == lastTopic { return lastSticky }
            let p = sticky.partition(for: topic, partitionCount: count)
            if topic == lastTopic { lastSticky = p }
            return p
        }

        /// Records that `batches` left the accumulator: sticky partitioning moves on (KIP-480).
        mutating func closed(_ batches: [Accumulator.Batch]) {
            if !batches.isEmpty { lastSticky = -1 }
            for b in batches {
                guard let count = partitionCounts[b.partition.topic] else { continue }
                sticky.batchClosed(topic: b.partition.topic, partition: b.partition.partition, partitionCount: count)
            }
        }
    }

    enum Admission {
        case accepted(wakeSender: Bool, armLinger: Bool)
        case needMetadata
        case full
    }

    public let client: KafkaClient
    public nonisolated let configuration: ProducerConfiguration
    private nonisolated let front: Mutex<Front>
    /// Batches handed to the sender and not yet acknowledged or failed for good (`flush` waits for none).
    private var unfinished = 0
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    /// Closed batches waiting for the sender, in the order they closed (from `outboxHead` on), with their records
    /// section once compressed (the pump compresses ahead while it waits for a request slot).
    private var outbox: [(batch: Accumulator.Batch, payload: [UInt8]?)?] = []
    private var outboxHead = 0
    /// Outbox entries before this index are compressed already (or need no compression).
    private var compressedUpTo = 0
    /// Sealed batches to send again, in (partition, sequence) order, and how many per partition are waiting to.
    private var retries: [SealedBatch] = []
    private var retrying: [TopicPartition: Int] = [:]
    /// A `pump` task is running.
    private var pumping = false
    /// Produce requests written and not answered yet, per leader.
    private var requestsInFlight: [Int32: Int] = [:]
    private var slotWaiters: [CheckedContinuation<Void, Never>] = []
    /// Each partition's leader and each leader's connection as last used; a retriable failure drops them.
    private var leaderOf: [TopicPartition: Int32] = [:]
    private var connections: [Int32: BrokerConnection] = [:]
    private var producerId: Int64 = -1
    private var producerEpoch: Int16 = -1
    private var sequences: [TopicPartition: Int32] = [:]
    /// Base sequences of sealed, not yet acknowledged batches per partition (idempotence only): a batch answered
    /// OUT_OF_ORDER_SEQUENCE_NUMBER while an earlier one is still unacknowledged is retried, as the Java client does.
    private var unacknowledged: [TopicPartition: Set<Int32>] = [:]
    private nonisolated let clock = ContinuousClock()
    private nonisolated let start: ContinuousClock.Instant

    public init(client: KafkaClient, configuration: ProducerConfiguration = ProducerConfiguration()) {
        self.client = client
        var config = configuration
        if config.enableIdempotence { config.acks = -1 }
        self.configuration = config
        let accumulator = Accumulator(
            batchSize: config.batchSize, lingerMs: Int64(config.lingerMs), codec: config.compression)
        front = Mutex(Front(accumulator: accumulator))
        start = clock.now
    }

    private nonisolated var nowMs: Int64 {
        let d = clock.now - start
        return d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
    }

    private static func wallClockMs() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    // MARK: Public API

    /// Sends one record and waits until the broker acknowledged it (or the send failed).
    public nonisolated func send(_ record: ProducerRecord) async throws -> RecordMetadata {
        try await makeRoom(for: record.topic)
        return try await withCheckedThrowingContinuation { cont in
            do {
                // `makeRoom` learnt the partition count (never forgotten) and `force` skips the buffer check.
                let admission = try admit(record, token: { cont.resume(with: $0) }, force: true)
                guard case .accepted(let wake, let arm) = admission else {
                    throw KafkaClientError.unknownTopic(record.topic)
                }
                kick(wakeSender: wake, armLinger: arm)
            } catch {
                cont.resume(throwing: error)
            }
        }
    }

    /// Sends one record without waiting for its acknowledgement: `completion` is called once the broker answered
    /// for it (or the send failed for good), as the Java client's `send(record, callback)`. Returns as soon as the
    /// record is in a batch; waits only to learn a new topic's partition count or while `bufferMemory` is used up.
    /// Throws (and never calls `completion`) when the record cannot be accepted: an unknown topic, a partition
    /// out of range.
    public nonisolated func send(_ record: ProducerRecord, completion: @escaping ProducerCompletion) async throws {
        try await admitWaiting(record, token: completion)
    }

    /// Buffers one record without waiting for its acknowledgement; a delivery failure is thrown by the next
    /// `flush()` (or `enqueue`).
    public nonisolated func enqueue(_ record: ProducerRecord) async throws {
        if let e = front.withLock({ s -> (any Error)? in
            defer { s.deferredError = nil }
            return s.deferredError
        }) {
            throw e
        }
        try await admitWaiting(record, token: nil)
    }

    /// Sends every buffered record and waits for all outstanding requests; throws the first delivery failure
    /// of records sent with `enqueue`.
    public func flush() async throws {
        let batches = front.withLock { s -> [Accumulator.Batch] in
            let drained = s.accumulator.drainAll()
            s.closed(drained)
            var all = s.ready
            s.ready = []
            all += drained
            return all
        }
        submit(batches)
        while unfinished > 0 {
            await withCheckedContinuation { idleWaiters.append($0) }
        }
        if let e = front.withLock({ s -> (any Error)? in
            defer { s.deferredError = nil }
            return s.deferredError
        }) {
            throw e
        }
    }

    /// Flushes. The client stays open (it may be shared); a linger timer still pending ends on its own.
    public func close() async throws {
        try await flush()
    }

    // MARK: Partitioning and batching (callers, under the lock)

    /// Appends `record` when its topic's partition count is known and there is buffer room (or `force`).
    private nonisolated func admit(
        _ record: ProducerRecord, token: ProducerCompletion?, force: Bool
    ) throws -> Admission {
        let timestamp = record.timestamp ?? Self.wallClockMs()
        let limit = configuration.bufferMemory
        let lingers = configuration.lingerMs > 0
        return try front.withLock { s throws -> Admission in
            guard let count = s.partitionCount(record.topic) else { return .needMetadata }
            if !force, s.bufferedBytes >= limit { return .full }
            let partition: Int32
            if let p = record.partition {
                guard p >= 0, p < count else {
                    throw KafkaClientError.invalidArgument(
                        "partition \(p) is not in [0, \(count)) for topic \(record.topic)")
                }
                partition = p
            } else if let key = record.key {
                partition = Partitioner.partition(forKey: key, partitionCount: count)
            } else {
                partition = s.stickyPartition(record.topic, count: count)
            }
            let recordSize = Record.estimateSize(key: record.key, value: record.value, headers: record.headers)
            s.bufferedBytes += recordSize
            let closed = s.accumulator.append(
                to: TopicPartition(record.topic, partition), timestamp: timestamp, key: record.key,
                value: record.value, headers: record.headers, token: token, recordSize: recordSize, nowMs: nowMs)
            var wake = false
            if !closed.isEmpty {
                s.closed(closed)
                s.ready += closed
                if !s.senderScheduled {
                    s.senderScheduled = true
                    wake = true
                }
            }
            var arm = false
            if lingers, !s.lingerArmed, !s.accumulator.isEmpty {
                s.lingerArmed = true
                arm = true
            }
            return .accepted(wakeSender: wake, armLinger: arm)
        }
    }

    private nonisolated func admitWaiting(_ record: ProducerRecord, token: ProducerCompletion?) async throws {
        while true {
            switch try admit(record, token: token, force: false) {
            case .accepted(let wake, let arm):
                kick(wakeSender: wake, armLinger: arm)
                return
            case .needMetadata:
                try await learnPartitionCount(record.topic)
            case .full:
                await waitForSpace()
            }
        }
    }

    /// Waits until `topic`'s partition count is known and there is buffer room.
    private nonisolated func makeRoom(for topic: String) async throws {
        while true {
            let (known, full) = front.withLock { s in
                (s.partitionCounts[topic] != nil, s.bufferedBytes >= configuration.bufferMemory)
            }
            if !known {
                try await learnPartitionCount(topic)
            } else if full {
                await waitForSpace()
            } else {
                return
            }
        }
    }

    private nonisolated func learnPartitionCount(_ topic: String) async throws {
        let t = try await client.topicMetadata(topic, waitForLeaders: false)
        let count = Int32(t.partitions.count)
        guard count > 0 else { throw KafkaClientError.unknownTopic(topic) }
        front.withLock { s in
            if s.partitionCounts[topic] == nil { s.partitionCounts[topic] = count }
        }
    }

    private nonisolated func waitForSpace() async {
        let limit = configuration.bufferMemory
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = front.withLock { s -> Bool in
                if s.bufferedBytes < limit { return true }
                s.spaceWaiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    private nonisolated func kick(wakeSender: Bool, armLinger: Bool) {
        if wakeSender { Task { await self.takeReady() } }
        if armLinger { Task { await self.lingerLoop() } }
    }

    // MARK: Sending (on the actor)

    /// Takes every closed batch and queues it for sending.
    private func takeReady() {
        let batches = front.withLock { s -> [Accumulator.Batch] in
            s.senderScheduled = false
            defer { s.ready = [] }
            return s.ready
        }
        submit(batches)
    }

    /// Sends batches whose linger time passed, until no batch is open.
    private func lingerLoop() async {
        while true {
            let deadline = front.withLock { s -> Int64? in
                if let d = s.accumulator.nextDeadlineMs { return d }
                s.lingerArmed = false
                return nil
            }
            guard let deadline else { return }
            let delay = deadline - nowMs
            if delay > 0 { try? await Task.sleep(for: .milliseconds(delay)) }
            let now = nowMs
            let due = front.withLock { s -> [Accumulator.Batch] in
                let due = s.accumulator.expired(nowMs: now)
                s.closed(due)
                return due
            }
            submit(due)
        }
    }

    /// A closed batch with its bytes built (and sequence assigned) exactly once, so retries resend the same bytes.
    struct SealedBatch: Sendable {
        var partition: TopicPartition
        var bytes: [UInt8]
        var tokens: [ProducerCompletion?]
        var reservedBytes: Int
        var baseTimestamp: Int64
        /// -1 without idempotence.
        var baseSequence: Int32
        /// When retrying stops (the client's retry timeout after sealing), and the next backoff.
        var retryDeadline: ContinuousClock.Instant
        var backoffMs: Int
        /// Route from fresh metadata when sent again (the leader moved or was unreachable).
        var refreshRoute = false
        /// A retry is not sent before this.
        var notBefore: ContinuousClock.Instant
    }

    /// Queues batches for the sender in the order given (the order they closed).
    private func submit(_ batches: [Accumulator.Batch]) {
        guard !batches.isEmpty else { return }
        unfinished += batches.count
        outbox += batches.map { ($0, nil) }
        startPump()
    }

    private func startPump() {
        guard !pumping else { return }
        pumping = true
        Task { await self.pump() }
    }

    /// The only place requests are written, so a partition's batches reach the broker in sequence order. Each
    /// round takes at most one batch per partition (a Produce request carries one batch per partition): batches
    /// to retry first (in sequence order), then new batches in the order they closed, sealed just before sending.
    /// A partition with a batch waiting to be retried sends nothing newer meanwhile.
    private func pump() async {
        while true {
            var round: [SealedBatch] = []
            if !retries.isEmpty {
                // Each partition's lowest-sequence retry once its backoff is over; later ones wait behind it.
                let now = clock.now
                var seen = Set<TopicPartition>()
                var rest: [SealedBatch] = []
                for b in retries {
                    if seen.insert(b.partition).inserted, b.notBefore <= now { round.append(b) } else { rest.append(b) }
                }
                retries = rest
                for b in round { retrying[b.partition, default: 0] -= 1 }
            }
            if round.isEmpty {
                var batches: [(batch: Accumulator.Batch, payload: [UInt8]?)] = []
                var taken = Set<TopicPartition>()
                while outboxHead < outbox.count, let next = outbox[outboxHead] {
                    let tp = next.batch.partition
                    guard retrying[tp, default: 0] == 0, taken.insert(tp).inserted else { break }
                    batches.append(next)
                    // Drop the outbox's reference, so the record buffer is unique again when it is recycled.
                    outbox[outboxHead] = nil
                    outboxHead += 1
                }
                if outboxHead == outbox.count {
                    outbox.removeAll(keepingCapacity: true)
                    outboxHead = 0
                    compressedUpTo = 0
                } else if outboxHead > 4096 {
                    outbox.removeFirst(outboxHead)
                    compressedUpTo = max(compressedUpTo - outboxHead, 0)
                    outboxHead = 0
                }
                guard !batches.isEmpty else {
                    pumping = false
                    return
                }
                do {
                    try await ensureProducerId()
                } catch {
                    for (b, _) in batches { fail(b.tokens, reservedBytes: b.reservedBytes, with: error) }
                    continue
                }
                for (b, payload) in batches {
                    do {
                        round.append(try seal(b, payload: payload))
                    } catch {
                        fail(b.tokens, reservedBytes: b.reservedBytes, with: error)
                    }
                }
            }
            await transmit(round)
        }
    }

    private func ensureProducerId() async throws {
        guard configuration.enableIdempotence, producerId < 0 else { return }
        let response = try await client.retrying("InitProducerId") {
            let r = try await self.client.sendToAnyBroker(
                InitProducerIdRequest(transactionalId: nil, transactionTimeoutMs: -1))
            try KafkaClientError.check(r.errorCode, context: "InitProducerId")
            return r
        }
        producerId = response.producerId
        producerEpoch = response.producerEpoch
    }

    /// Compresses the next outbox batch that needs it; false when there is none.
    private func compressAhead() -> Bool {
        guard configuration.compression != .none else { return false }
        compressedUpTo = max(compressedUpTo, outboxHead)
        guard compressedUpTo < outbox.count else { return false }
        let i = compressedUpTo
        compressedUpTo += 1
        // A failure is left for `seal` to meet again and report.
        if let entry = outbox[i] { outbox[i]?.payload = try? entry.batch.builder.encodedRecords() }
        return true
    }

    private func seal(_ batch: Accumulator.Batch, payload: [UInt8]?) throws -> SealedBatch {
        var builder = batch.builder
        if configuration.enableIdempotence {
            let seq = sequences[batch.partition, default: 0]
            builder.producerId = producerId
            builder.producerEpoch = producerEpoch
            builder.baseSequence = seq
            let next = Int64(seq) + Int64(builder.recordCount)
            sequences[batch.partition] = Int32(
                truncatingIfNeeded: next > Int64(Int32.max) ? next - Int64(Int32.max) - 1 : next)
            unacknowledged[batch.partition, default: []].insert(seq)
        }
        let bytes = try builder.build(encodedRecords: payload ?? builder.encodedRecords())
        front.withLock { $0.accumulator.recycle(builder.recordBytes) }
        return SealedBatch(
            partition: batch.partition, bytes: bytes, tokens: batch.tokens,
            reservedBytes: batch.reservedBytes, baseTimestamp: builder.baseTimestamp ?? -1,
            baseSequence: builder.baseSequence,
            retryDeadline: clock.now + .milliseconds(client.configuration.retryTimeoutMs),
            backoffMs: client.configuration.retryBackoffMs, notBefore: clock.now)
    }

    /// Whether a failed batch is sent again after a metadata refresh and a backoff.
    static func shouldRetry(
        _ error: any Error, baseSequence: Int32, idempotent: Bool, unacknowledged: Set<Int32>
    ) -> Bool {
        guard let e = error as? KafkaClientError else { return false }
        if e.isRetriable { return true }
        // An earlier batch of this partition failed (and is being retried) or is still in flight: the broker saw a
        // gap, which closes once the earlier batch lands.
        if idempotent, e.errorCode == .outOfOrderSequenceNumber, baseSequence >= 0 {
            return unacknowledged.contains { $0 < baseSequence }
        }
        return false
    }

    private func settled(_ batch: SealedBatch) {
        guard batch.baseSequence >= 0 else { return }
        unacknowledged[batch.partition]?.remove(batch.baseSequence)
    }

    /// Writes one request per leader for `round` (waiting while a leader has `maxInFlightRequests` unanswered);
    /// the answers are handled by `answered` as they come.
    private func transmit(_ round: [SealedBatch]) async {
        guard !round.isEmpty else { return }
        do {
            // The leaders found last time, until a retriable failure drops them: no hop to the client per request.
            if round.contains(where: { $0.refreshRoute || leaderOf[$0.partition] == nil }) {
                let fresh = try await client.partitionsByLeader(
                    Set(round.map(\.partition)), useCache: !round.contains { $0.refreshRoute })
                for (leader, tps) in fresh {
                    for tp in tps { leaderOf[tp] = leader }
                }
            }
        } catch let e as KafkaClientError where e.isRetriable {
            for b in round { retryLater(b, after: e, refresh: true) }
            return
        } catch {
            for b in round {
                fail(b, with: error)
            }
            return
        }
        // Every partition has a leader now (partitionsByLeader throws for one without).
        let byLeader = Dictionary(grouping: round) { leaderOf[$0.partition] ?? -1 }
        for leader in byLeader.keys.sorted() {
            let group = byLeader[leader] ?? []
            while requestsInFlight[leader, default: 0] >= max(configuration.maxInFlightRequests, 1) {
                // Use the wait: compress what comes next while the broker works.
                if compressAhead() { continue }
                await withCheckedContinuation { slotWaiters.append($0) }
            }
            do {
                let conn: BrokerConnection
                if let open = connections[leader], open.isActive {
                    conn = open
                } else {
                    conn = try await client.connection(toRoleHolder: leader)
                    connections[leader] = conn
                }
                guard try conn.version(for: ProduceRequest.self) >= 3 else {
                    throw KafkaClientError.unsupportedAPI(.produce, host: conn.address.host, port: conn.address.port)
                }
                let request = produceRequest(group)
                if configuration.acks == 0 {
                    try await conn.sendWithoutResponse(request)
                    for b in group {
                        let md = RecordMetadata(
                            topic: b.partition.topic, partition: b.partition.partition, offset: -1,
                            timestamp: b.baseTimestamp)
                        succeed(b, base: md)
                    }
                    continue
                }
                let pending = try conn.start(request, capacity: group.reduce(256) { $0 + $1.bytes.count + 64 })
                requestsInFlight[leader, default: 0] += 1
                Task {
                    let answer: Result<ProduceResponse, KafkaClientError>
                    do throws(KafkaClientError) {
                        answer = .success(try await pending.response())
                    } catch {
                        answer = .failure(error)
                    }
                    self.answered(group, leader: leader, connection: conn, answer)
                }
            } catch let e as KafkaClientError where e.isRetriable {
                for b in group { retryLater(b, after: e, refresh: true) }
            } catch {
                for b in group {
                    fail(b, with: error)
                }
            }
        }
    }

    private func produceRequest(_ batches: [SealedBatch]) -> ProduceRequest {
        var request = ProduceRequest()
        request.acks = configuration.acks
        request.timeoutMs = configuration.produceTimeoutMs
        let byTopic = Dictionary(grouping: batches, by: \.partition.topic)
        request.topicData = byTopic.keys.sorted().map { topic in
            .init(
                name: topic,
                partitionData: byTopic[topic, default: []].map {
                    .init(index: $0.partition.partition, records: $0.bytes)
                })
        }
        return request
    }

    /// Handles the answer to one Produce request: completes acknowledged batches, queues retriable failures.
    private func answered(
        _ group: [SealedBatch], leader: Int32, connection: BrokerConnection,
        _ answer: Result<ProduceResponse, KafkaClientError>
    ) {
        requestsInFlight[leader, default: 1] -= 1
        let waiters = slotWaiters
        slotWaiters = []
        for w in waiters { w.resume() }
        let response: ProduceResponse
        switch answer {
        case .success(let r):
            response = r
        case .failure(let e):
            switch e {
            case .connectionClosed, .timeout: Task { await connection.close() }
            default: break
            }
            for b in group {
                if e.isRetriable {
                    retryLater(b, after: e, refresh: true)
                } else {
                    fail(b, with: e)
                }
            }
            return
        }
        var results: [TopicPartition: ProduceResponse.PartitionProduceResponse] = [:]
        for t in response.responses {
            for p in t.partitionResponses { results[TopicPartition(t.name, p.index)] = p }
        }
        for b in group {
            guard let p = results[b.partition] else {
                fail(b, with: KafkaClientError.malformedResponse(api: .produce, reason: "no result for \(b.partition)"))
                continue
            }
            if p.errorCode == ErrorCode.duplicateSequenceNumber.rawValue {
                let md = RecordMetadata(
                    topic: b.partition.topic, partition: b.partition.partition, offset: p.baseOffset,
                    timestamp: b.baseTimestamp)
                succeed(b, base: md)
                continue
            }
            do {
                try KafkaClientError.check(p.errorCode, message: p.errorMessage, context: "produce to \(b.partition)")
            } catch {
                if Self.shouldRetry(
                    error, baseSequence: b.baseSequence, idempotent: configuration.enableIdempotence,
                    unacknowledged: unacknowledged[b.partition] ?? [])
                {
                    // An out-of-order answer only means an earlier batch is missing: no leader change to look for.
                    let outOfOrder = error.errorCode == .outOfOrderSequenceNumber
                    retryLater(b, after: error, refresh: !outOfOrder)
                } else {
                    fail(b, with: error)
                }
                continue
            }
            let md = RecordMetadata(
                topic: b.partition.topic, partition: b.partition.partition, offset: p.baseOffset,
                timestamp: p.logAppendTimeMs >= 0 ? p.logAppendTimeMs : b.baseTimestamp)
            succeed(b, base: md)
        }
    }

    /// Sends `batch` again after its backoff (same bytes, same sequence), or fails it once the retry timeout
    /// would pass. Until it is sent again its partition sends nothing newer.
    private func retryLater(_ batch: SealedBatch, after error: any Error, refresh: Bool) {
        let wake = clock.now + .milliseconds(batch.backoffMs)
        guard wake < batch.retryDeadline else {
            fail(batch, with: error)
            return
        }
        var next = batch
        next.backoffMs = min(batch.backoffMs * 2, client.configuration.retryBackoffMaxMs)
        next.refreshRoute = refresh
        if refresh, let leader = leaderOf.removeValue(forKey: batch.partition) { connections[leader] = nil }
        next.notBefore = wake
        retrying[batch.partition, default: 0] += 1
        // Back in front of new batches at once, in (partition, sequence) order, so a batch answered later but
        // sealed earlier still goes first; the pump sends it once `wake` has passed.
        let i =
            retries.firstIndex {
                $0.partition == batch.partition && batch.baseSequence >= 0 && $0.baseSequence > batch.baseSequence
            } ?? retries.endIndex
        retries.insert(next, at: i)
        let client = client
        Task {
            // Leaders moved, a broker died or a topic is still being created: route from fresh metadata.
            if refresh { await client.invalidateMetadata(topics: [batch.partition.topic]) }
            try? await Task.sleep(until: wake, clock: ContinuousClock())
            self.startPump()
        }
    }

    /// Completes every record of an acknowledged batch (record `i` at `base.offset + i`); its sequence is settled.
    private func succeed(_ batch: SealedBatch, base: RecordMetadata) {
        settled(batch)
        var md = base
        for (i, token) in batch.tokens.enumerated() {
            guard let token else { continue }
            if base.offset >= 0 { md.offset = base.offset + Int64(i) }
            token(.success(md))
        }
        release(batch.reservedBytes)
    }

    /// Fails every record of a sealed batch that will not be retried; its sequence is settled.
    private func fail(_ batch: SealedBatch, with error: any Error) {
        settled(batch)
        fail(batch.tokens, reservedBytes: batch.reservedBytes, with: error)
    }

    private func fail(_ tokens: [ProducerCompletion?], reservedBytes: Int, with error: any Error) {
        var anyUnwaited = false
        for token in tokens {
            if let token { token(.failure(error)) } else { anyUnwaited = true }
        }
        if anyUnwaited {
            front.withLock { s in
                if s.deferredError == nil { s.deferredError = error }
            }
        }
        release(reservedBytes)
    }

    /// Gives back the buffer room of a finished batch, wakes callers waiting for it, and `flush` when nothing is
    /// left to send.
    private func release(_ bytes: Int) {
        let limit = configuration.bufferMemory
        let waiters = front.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.bufferedBytes -= bytes
            guard s.bufferedBytes < limit, !s.spaceWaiters.isEmpty else { return [] }
            defer { s.spaceWaiters = [] }
            return s.spaceWaiters
        }
        for w in waiters { w.resume() }
        unfinished -= 1
        if unfinished == 0 {
            let w = idleWaiters
            idleWaiters = []
            for c in w { c.resume() }
        }
    }
}
