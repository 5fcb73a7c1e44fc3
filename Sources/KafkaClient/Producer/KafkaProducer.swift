import Foundation
import KafkaProtocol
import KafkaRecords

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

    public init(
        acks: Int16 = -1, lingerMs: Int = 5, batchSize: Int = 16_384, compression: CompressionCodec = .none,
        enableIdempotence: Bool = false, produceTimeoutMs: Int32 = 30_000
    ) {
        self.acks = acks
        self.lingerMs = lingerMs
        self.batchSize = batchSize
        self.compression = compression
        self.enableIdempotence = enableIdempotence
        self.produceTimeoutMs = produceTimeoutMs
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

/// Batching producer on top of a `KafkaClient`.
///
/// Records are partitioned, appended to per-partition batches (`RecordAccumulator`) and sent when a batch is
/// full, when `linger.ms` has passed, or on `flush()`. Ready batches are grouped into one Produce request per
/// leader; retriable errors (leader moves, a topic that is still being created) are retried after a metadata
/// refresh until the client's retry timeout. Idempotence keeps a producer id and one sequence per partition, so
/// a retried batch is deduplicated by the broker.
public actor KafkaProducer {
    public let client: KafkaClient
    public nonisolated let configuration: ProducerConfiguration
    private var accumulator: RecordAccumulator
    private var sticky = StickyPartitionChooser()
    private var partitionCounts: [String: Int32] = [:]
    private var waiters: [Int: CheckedContinuation<RecordMetadata, any Error>] = [:]
    private var nextToken = 0
    private var inFlight = 0
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    private var deferredError: (any Error)?
    private var lingerTask: Task<Void, Never>?
    private var producerId: Int64 = -1
    private var producerEpoch: Int16 = -1
    private var sequences: [TopicPartition: Int32] = [:]
    /// Base sequences of sealed, not yet acknowledged batches per partition (idempotence only): a batch answered
    /// OUT_OF_ORDER_SEQUENCE_NUMBER while an earlier one is still unacknowledged is retried, as the Java client does.
    private var unacknowledged: [TopicPartition: Set<Int32>] = [:]
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    public init(client: KafkaClient, configuration: ProducerConfiguration = ProducerConfiguration()) {
        self.client = client
        var config = configuration
        if config.enableIdempotence { config.acks = -1 }
        self.configuration = config
        accumulator = RecordAccumulator(
            batchSize: config.batchSize, lingerMs: Int64(config.lingerMs), codec: config.compression)
        start = clock.now
    }

    private var nowMs: Int64 {
        let d = clock.now - start
        return d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
    }

    private static func wallClockMs() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    // MARK: Public API

    /// Sends one record and waits until the broker acknowledged it (or the send failed).
    public func send(_ record: ProducerRecord) async throws -> RecordMetadata {
        let tp = try await choosePartition(record)
        let token = nextToken
        nextToken += 1
        return try await withCheckedThrowingContinuation { cont in
            waiters[token] = cont
            append(record, to: tp, token: token)
        }
    }

    /// Buffers one record without waiting for its acknowledgement; a delivery failure is thrown by the next
    /// `flush()`.
    public func enqueue(_ record: ProducerRecord) async throws {
        if let e = deferredError {
            deferredError = nil
            throw e
        }
        let tp = try await choosePartition(record)
        let token = nextToken
        nextToken += 1
        append(record, to: tp, token: token)
    }

    /// Sends every buffered record and waits for all outstanding requests; throws the first delivery failure
    /// of records sent with `enqueue`.
    public func flush() async throws {
        dispatch(accumulator.drainAll())
        while inFlight > 0 {
            await withCheckedContinuation { idleWaiters.append($0) }
        }
        if let e = deferredError {
            deferredError = nil
            throw e
        }
    }

    /// Flushes, then stops the linger timer. The client stays open (it may be shared).
    public func close() async throws {
        defer {
            lingerTask?.cancel()
            lingerTask = nil
        }
        try await flush()
    }

    // MARK: Partitioning and batching

    private func choosePartition(_ record: ProducerRecord) async throws -> TopicPartition {
        let count: Int32
        if let known = partitionCounts[record.topic] {
            count = known
        } else {
            let t = try await client.topicMetadata(record.topic, waitForLeaders: false)
            count = Int32(t.partitions.count)
            guard count > 0 else { throw KafkaClientError.unknownTopic(record.topic) }
            partitionCounts[record.topic] = count
        }
        if let p = record.partition {
            guard p >= 0, p < count else {
                throw KafkaClientError.invalidArgument("partition \(p) is not in [0, \(count)) for topic \(record.topic)")
            }
            return TopicPartition(record.topic, p)
        }
        if let key = record.key { return TopicPartition(record.topic, Partitioner.partition(forKey: key, partitionCount: count)) }
        return TopicPartition(record.topic, sticky.partition(for: record.topic, partitionCount: count))
    }

    private func append(_ record: ProducerRecord, to tp: TopicPartition, token: Int) {
        let ready = accumulator.append(
            to: tp, timestamp: record.timestamp ?? Self.wallClockMs(), key: record.key, value: record.value,
            headers: record.headers, token: token, nowMs: nowMs)
        dispatch(ready)
        scheduleLinger()
    }

    private func scheduleLinger() {
        guard lingerTask == nil, let deadline = accumulator.nextDeadlineMs else { return }
        let delay = max(deadline - nowMs, 0)
        lingerTask = Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(delay))
            await self?.lingerFired()
        }
    }

    private func lingerFired() {
        lingerTask = nil
        dispatch(accumulator.expired(nowMs: nowMs))
        scheduleLinger()
    }

    // MARK: Sending

    /// A closed batch with its bytes built (and sequence assigned) exactly once, so retries resend the same bytes.
    struct SealedBatch: Sendable {
        var partition: TopicPartition
        var bytes: [UInt8]
        var tokens: [Int]
        var baseTimestamp: Int64
        /// -1 without idempotence.
        var baseSequence: Int32
    }

    private func dispatch(_ batches: [RecordAccumulator.Batch]) {
        guard !batches.isEmpty else { return }
        for b in batches where partitionCounts[b.partition.topic] != nil {
            sticky.batchClosed(
                topic: b.partition.topic, partition: b.partition.partition,
                partitionCount: partitionCounts[b.partition.topic] ?? 1)
        }
        inFlight += 1
        Task { await self.deliver(batches) }
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

    private func seal(_ batch: RecordAccumulator.Batch) throws -> SealedBatch {
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
            baseTimestamp: builder.baseTimestamp ?? -1, baseSequence: builder.baseSequence)
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

    private func deliver(_ batches: [RecordAccumulator.Batch]) async {
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
            for b in batches { complete(b.tokens, with: .failure(error)) }
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
                                complete(batch.tokens, base: md)
                            case .failure(let e) where Self.shouldRetry(
                                e, baseSequence: batch.baseSequence, idempotent: configuration.enableIdempotence,
                                unacknowledged: unacknowledged[batch.partition] ?? []):
                                retry.append((batch, e))
                            case .failure(let e):
                                settled(batch)
                                complete(batch.tokens, with: .failure(e))
                            }
                        }
                    } catch let e as KafkaClientError where e.isRetriable {
                        retry += group.map { ($0, e) }
                    } catch {
                        for b in group {
                            settled(b)
                            complete(b.tokens, with: .failure(error))
                        }
                    }
                }
            } catch let e as KafkaClientError where e.isRetriable {
                retry = pending.map { ($0, e) }
            } catch {
                for b in pending {
                    settled(b)
                    complete(b.tokens, with: .failure(error))
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
                    complete(b.tokens, with: .failure(e))
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

    private func complete(_ tokens: [Int], base: RecordMetadata) {
        for (i, token) in tokens.enumerated() {
            var md = base
            if md.offset >= 0 { md.offset += Int64(i) }
            waiters.removeValue(forKey: token)?.resume(returning: md)
        }
    }

    private func complete(_ tokens: [Int], with result: Result<RecordMetadata, any Error>) {
        var anyUnwaited = false
        for token in tokens {
            if let c = waiters.removeValue(forKey: token) {
                c.resume(with: result)
            } else {
                anyUnwaited = true
            }
        }
        if anyUnwaited, case .failure(let e) = result, deferredError == nil { deferredError = e }
    }
}
