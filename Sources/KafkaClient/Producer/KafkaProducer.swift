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

    public init(
        acks: Int16 = -1, lingerMs: Int = 5, batchSize: Int = 16_384, compression: CompressionCodec = .none,
        enableIdempotence: Bool = false, produceTimeoutMs: Int32 = 30_000, bufferMemory: Int = 33_554_432
    ) {
        self.acks = acks
        self.lingerMs = lingerMs
        self.batchSize = batchSize
        self.compression = compression
        self.enableIdempotence = enableIdempotence
        self.produceTimeoutMs = produceTimeoutMs
        self.bufferMemory = bufferMemory
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
    private var inFlight = 0
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
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
                let admission = try admit(record, token: { cont.resume(with: $0) }, force: true)
                if case .accepted(let wake, let arm) = admission { kick(wakeSender: wake, armLinger: arm) }
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
        dispatch(batches)
        while inFlight > 0 {
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
            s.bufferedBytes += Record.estimateSize(key: record.key, value: record.value, headers: record.headers)
            let closed = s.accumulator.append(
                to: TopicPartition(record.topic, partition), timestamp: timestamp, key: record.key,
                value: record.value, headers: record.headers, token: token, nowMs: nowMs)
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

    /// Gives back the buffer room of finished records and wakes callers waiting for it.
    private nonisolated func release(_ bytes: Int) {
        let limit = configuration.bufferMemory
        let waiters = front.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.bufferedBytes -= bytes
            guard s.bufferedBytes < limit, !s.spaceWaiters.isEmpty else { return [] }
            defer { s.spaceWaiters = [] }
            return s.spaceWaiters
        }
        for w in waiters { w.resume() }
    }

    private nonisolated func kick(wakeSender: Bool, armLinger: Bool) {
        if wakeSender { Task { await self.takeReady() } }
        if armLinger { Task { await self.lingerLoop() } }
    }

    // MARK: Sending (on the actor)

    /// Takes every closed batch and sends it.
    private func takeReady() {
        let batches = front.withLock { s -> [Accumulator.Batch] in
            s.senderScheduled = false
            defer { s.ready = [] }
            return s.ready
        }
        dispatch(batches)
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
            dispatch(due)
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
    }

    /// Starts delivering `batches` (in order); a Produce request carries at most one batch per partition, so
    /// several batches of one partition go out in successive requests.
    private func dispatch(_ batches: [Accumulator.Batch]) {
        guard !batches.isEmpty else { return }
        var rounds: [[Accumulator.Batch]] = []
        var roundOf: [TopicPartition: Int] = [:]
        for b in batches {
            let r = roundOf[b.partition].map { $0 + 1 } ?? 0
            roundOf[b.partition] = r
            if r == rounds.count { rounds.append([]) }
            rounds[r].append(b)
        }
        for round in rounds {
            inFlight += 1
            Task { await self.deliver(round) }
        }
    }

    private func ensureProducerId() async throws {
        guard configuration.enableIdempotence, producerId < 0 else { return }
        let response = try await client.retrying("InitProducerId") {
            let r = try await self.client.sendToAnyBroker(InitProducerIdRequest(transactionalId: nil, transactionTimeoutMs: -1))
            try KafkaClientError.check(r.errorCode, context: "InitProducerId")
            return r
        }
        producerId = response.producerId
        producerEpoch = response.producerEpoch
    }

    private func seal(_ batch: Accumulator.Batch) throws -> SealedBatch {
        var builder = batch.builder
        if configuration.enableIdempotence {
            let seq = sequences[batch.partition, default: 0]
            builder.producerId = producerId
            builder.producerEpoch = producerEpoch
            builder.baseSequence = seq
            let next = Int64(seq) + Int64(builder.recordCount)
            sequences[batch.partition] = Int32(truncatingIfNeeded: next > Int64(Int32.max) ? next - Int64(Int32.max) - 1 : next)
            unacknowledged[batch.partition, default: []].insert(seq)
        }
        return SealedBatch(
            partition: batch.partition, bytes: try builder.build(), tokens: batch.tokens,
            reservedBytes: batch.reservedBytes, baseTimestamp: builder.baseTimestamp ?? -1,
            baseSequence: builder.baseSequence)
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

    private func deliver(_ batches: [Accumulator.Batch]) async {
        defer {
            inFlight -= 1
            if inFlight == 0 {
                let w = idleWaiters
                idleWaiters = []
                for c in w { c.resume() }
            }
        }
        var sealed: [SealedBatch] = []
        do {
            try await ensureProducerId()
            for b in batches { sealed.append(try seal(b)) }
        } catch {
            for b in batches { fail(b.tokens, reservedBytes: b.reservedBytes, with: error) }
            return
        }
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(client.configuration.retryTimeoutMs)
        var backoff = client.configuration.retryBackoffMs
        var pending = sealed
        var refresh = false
        while !pending.isEmpty {
            var retry: [(SealedBatch, any Error)] = []
            do {
                let byLeader = try await client.partitionsByLeader(Set(pending.map(\.partition)), useCache: !refresh)
                for (leader, tps) in byLeader {
                    let group = pending.filter { tps.contains($0.partition) }
                    do {
                        let results = try await produce(group, to: leader)
                        for (batch, result) in zip(group, results) {
                            switch result {
                            case .success(let md):
                                settled(batch)
                                succeed(batch, base: md)
                            case .failure(let e) where Self.shouldRetry(
                                e, baseSequence: batch.baseSequence, idempotent: configuration.enableIdempotence,
                                unacknowledged: unacknowledged[batch.partition] ?? []):
                                retry.append((batch, e))
                            case .failure(let e):
                                settled(batch)
                                fail(batch, with: e)
                            }
                        }
                    } catch let e as KafkaClientError where e.isRetriable {
                        retry += group.map { ($0, e) }
                    } catch {
                        for b in group {
                            settled(b)
                            fail(b, with: error)
                        }
                    }
                }
            } catch let e as KafkaClientError where e.isRetriable {
                retry = pending.map { ($0, e) }
            } catch {
                for b in pending {
                    settled(b)
                    fail(b, with: error)
                }
                return
            }
            guard !retry.isEmpty else { return }
            // Leaders moved, a broker died or a topic is still being created: route from fresh metadata next time.
            await client.invalidateMetadata(topics: Set(retry.map(\.0.partition.topic)))
            refresh = true
            let wake = clock.now + .milliseconds(backoff)
            if wake >= deadline {
                for (b, e) in retry {
                    settled(b)
                    fail(b, with: e)
                }
                return
            }
            try? await Task.sleep(until: wake, clock: clock)
            backoff = min(backoff * 2, client.configuration.retryBackoffMaxMs)
            pending = retry.map(\.0)
        }
    }

    /// Sends the batches (one per partition) to `leader` in one Produce request.
    private func produce(_ batches: [SealedBatch], to leader: Int32) async throws -> [Result<RecordMetadata, any Error>] {
        var request = ProduceRequest()
        request.acks = configuration.acks
        request.timeoutMs = configuration.produceTimeoutMs
        let byTopic = Dictionary(grouping: batches, by: \.partition.topic)
        request.topicData = byTopic.keys.sorted().map { topic in
            .init(name: topic, partitionData: byTopic[topic, default: []].map { .init(index: $0.partition.partition, records: $0.bytes) })
        }
        let conn = try await client.connection(toRoleHolder: leader)
        guard try conn.version(for: ProduceRequest.self) >= 3 else {
            throw KafkaClientError.unsupportedAPI(.produce, host: conn.address.host, port: conn.address.port)
        }
        if configuration.acks == 0 {
            try await conn.sendWithoutResponse(request)
            return batches.map { .success(RecordMetadata(topic: $0.partition.topic, partition: $0.partition.partition, offset: -1, timestamp: $0.baseTimestamp)) }
        }
        let response = try await client.send(request, on: conn)
        var results: [TopicPartition: ProduceResponse.PartitionProduceResponse] = [:]
        for t in response.responses {
            for p in t.partitionResponses { results[TopicPartition(t.name, p.index)] = p }
        }
        return batches.map { b in
            guard let p = results[b.partition] else {
                return .failure(KafkaClientError.malformedResponse(api: .produce, reason: "no result for \(b.partition)"))
            }
            if p.errorCode == ErrorCode.duplicateSequenceNumber.rawValue {
                return .success(RecordMetadata(topic: b.partition.topic, partition: b.partition.partition, offset: p.baseOffset, timestamp: b.baseTimestamp))
            }
            do {
                try KafkaClientError.check(p.errorCode, message: p.errorMessage, context: "produce to \(b.partition)")
            } catch {
                return .failure(error)
            }
            return .success(RecordMetadata(
                topic: b.partition.topic, partition: b.partition.partition, offset: p.baseOffset,
                timestamp: p.logAppendTimeMs >= 0 ? p.logAppendTimeMs : b.baseTimestamp))
        }
    }

    /// Completes every record of an acknowledged batch (record `i` at `base.offset + i`).
    private func succeed(_ batch: SealedBatch, base: RecordMetadata) {
        var md = base
        for (i, token) in batch.tokens.enumerated() {
            guard let token else { continue }
            if base.offset >= 0 { md.offset = base.offset + Int64(i) }
            token(.success(md))
        }
        release(batch.reservedBytes)
    }

    private func fail(_ batch: SealedBatch, with error: any Error) {
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
}
