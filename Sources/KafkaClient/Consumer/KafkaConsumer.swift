import KafkaProtocol
import KafkaRecords

/// Consumer settings (names follow the Java client's).
public struct ConsumerConfiguration: Sendable {
    /// `fetch.max.wait.ms`: how long the broker may hold a fetch waiting for `minBytes`.
    public var maxWaitMs: Int32
    public var minBytes: Int32
    public var maxBytes: Int32
    /// `max.partition.fetch.bytes`.
    public var partitionMaxBytes: Int32
    /// 0 = read_uncommitted, 1 = read_committed.
    public var isolationLevel: Int8
    /// `auto.offset.reset`: where to go when the position is out of range.
    public var autoOffsetReset: OffsetSpec

    public init(
        maxWaitMs: Int32 = 500, minBytes: Int32 = 1, maxBytes: Int32 = 52_428_800, partitionMaxBytes: Int32 = 1_048_576,
        isolationLevel: Int8 = 0, autoOffsetReset: OffsetSpec = .latest
    ) {
        self.maxWaitMs = maxWaitMs
        self.minBytes = minBytes
        self.maxBytes = maxBytes
        self.partitionMaxBytes = partitionMaxBytes
        self.isolationLevel = isolationLevel
        self.autoOffsetReset = autoOffsetReset
    }
}

/// Where an assigned partition starts.
public enum StartPosition: Sendable, Hashable {
    case earliest
    case latest
    case offset(Int64)
    /// The first record at or after this timestamp (ms), or the end when none.
    case timestamp(Int64)
}

/// One consumed record.
public struct ConsumerRecord: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var timestamp: Int64
    public var timestampType: TimestampType
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [RecordHeader]
}

/// A consumer with manual assignment (no group membership yet): assign partitions with start positions, then
/// `poll()` or iterate `records()`.
///
/// Each poll sends one Fetch per leader (concurrently), decodes whole batches, drops records below the position
/// (a fetch returns whole batches) and control batches, and advances positions. Leader changes refresh metadata;
/// OFFSET_OUT_OF_RANGE resets to `autoOffsetReset`.
public actor KafkaConsumer {
    public let client: KafkaClient
    public nonisolated let configuration: ConsumerConfiguration
    private var positions: [TopicPartition: Int64] = [:]
    private var needsMetadata = true

    public init(client: KafkaClient, configuration: ConsumerConfiguration = ConsumerConfiguration()) {
        self.client = client
        self.configuration = configuration
    }

    /// Replaces the assignment. Earliest/latest/timestamp positions are resolved now with ListOffsets.
    public func assign(_ starts: [TopicPartition: StartPosition]) async throws {
        positions = try await resolve(starts)
        needsMetadata = true
    }

    /// Changes the assignment incrementally (cooperative rebalancing): partitions in `removing` are dropped,
    /// `adding` ones start at their resolved positions, and every other partition keeps its position.
    public func incrementalAssign(adding starts: [TopicPartition: StartPosition], removing: Set<TopicPartition>)
        async throws
    {
        let added = try await resolve(starts)
        for tp in removing { positions[tp] = nil }
        positions.merge(added) { _, new in new }
        needsMetadata = true
    }

    private func resolve(_ starts: [TopicPartition: StartPosition]) async throws -> [TopicPartition: Int64] {
        var resolved: [TopicPartition: Int64] = [:]
        var lookups: [TopicPartition: OffsetSpec] = [:]
        for (tp, start) in starts {
            switch start {
            case .offset(let o): resolved[tp] = o
            case .earliest: lookups[tp] = .earliest
            case .latest: lookups[tp] = .latest
            case .timestamp(let t): lookups[tp] = .timestamp(t)
            }
        }
        if !lookups.isEmpty {
            let found = try await client.listOffsets(lookups, isolationLevel: configuration.isolationLevel)
            var ends: [TopicPartition: ListedOffset] = [:]
            let missing = lookups.filter { (found[$0.key]?.offset ?? -1) < 0 }.keys
            if !missing.isEmpty {
                ends = try await client.listOffsets(Dictionary(uniqueKeysWithValues: missing.map { ($0, .latest) }))
            }
            for tp in lookups.keys {
                let o = found[tp]?.offset ?? -1
                resolved[tp] = o >= 0 ? o : (ends[tp]?.offset ?? 0)
            }
        }
        return resolved
    }

    /// Moves one assigned partition's position.
    public func seek(_ tp: TopicPartition, to offset: Int64) {
        positions[tp] = offset
    }

    /// The next offset to read of each assigned partition.
    public var assignment: [TopicPartition: Int64] { positions }

    /// Fetches once from every leader and returns the records, in offset order per partition. May return an
    /// empty array after `maxWaitMs` when nothing new arrived.
    public func poll() async throws -> [ConsumerRecord] {
        guard !positions.isEmpty else { return [] }
        let byLeader: [Int32: [TopicPartition]]
        do {
            byLeader = try await client.partitionsByLeader(positions.keys.sorted(), useCache: !needsMetadata)
            needsMetadata = false
        } catch let e as KafkaClientError where e.isRetriable {
            // No leader yet (election pending, topic still being created): wait, then ask again.
            needsMetadata = true
            try await Task.sleep(for: .milliseconds(client.configuration.retryBackoffMs))
            return []
        }
        let snapshot = positions
        let config = configuration
        let client = self.client
        let responses = try await withThrowingTaskGroup(of: (FetchResponse?, (any Error)?).self) { group in
            for (leader, tps) in byLeader {
                var request = FetchRequest()
                request.replicaId = -1
                request.maxWaitMs = config.maxWaitMs
                request.minBytes = config.minBytes
                request.maxBytes = config.maxBytes
                request.isolationLevel = config.isolationLevel
                request.sessionId = 0
                request.sessionEpoch = -1
                let byTopic = Dictionary(grouping: tps, by: \.topic)
                request.topics = byTopic.keys.sorted().map { topic in
                    .init(
                        topic: topic,
                        partitions: byTopic[topic, default: []].map { tp in
                            var p = FetchRequest.FetchPartition()
                            p.partition = tp.partition
                            p.fetchOffset = snapshot[tp] ?? 0
                            p.partitionMaxBytes = config.partitionMaxBytes
                            return p
                        })
                }
                group.addTask {
                    do {
                        let conn = try await client.connection(toRoleHolder: leader)
                        // Fetch v13+ names topics by id; v12 is the newest that uses names.
                        let version = min(try conn.version(for: FetchRequest.self), 12)
                        return (try await client.send(request, version: version, on: conn), nil)
                    } catch {
                        return (nil, error)
                    }
                }
            }
            var out: [(FetchResponse?, (any Error)?)] = []
            for try await r in group { out.append(r) }
            return out
        }
        var records: [ConsumerRecord] = []
        var resets: [TopicPartition] = []
        var retriableFailure = false
        var staleTopics = Set<String>()
        for (response, error) in responses {
            if let error {
                if let e = error as? KafkaClientError, e.isRetriable {
                    // Leader died or the connection dropped: re-resolve leaders; positions stay where they are.
                    retriableFailure = true
                    needsMetadata = true
                    continue
                }
                throw error
            }
            guard let response else { continue }
            try KafkaClientError.check(response.errorCode, context: "fetch")
            for t in response.responses {
                for p in t.partitions {
                    let tp = TopicPartition(t.topic, p.partitionIndex)
                    guard let position = positions[tp], position == snapshot[tp] else { continue }
                    if p.errorCode == ErrorCode.offsetOutOfRange.rawValue {
                        resets.append(tp)
                        continue
                    }
                    if let code = ErrorCode(rawValue: p.errorCode), code != .noError, code.isRetriable {
                        // NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION, …: the
                        // partition moved; fetch it from the new leader at the same position.
                        retriableFailure = true
                        staleTopics.insert(tp.topic)
                        continue
                    }
                    try KafkaClientError.check(p.errorCode, context: "fetch \(tp)")
                    guard case .bytes(let bytes) = p.records, !bytes.isEmpty else { continue }
                    let aborted = config.isolationLevel == 1 ? (p.abortedTransactions ?? []) : nil
                    let (decoded, next) = try Self.decode(bytes, partition: tp, from: position, aborted: aborted)
                    records += decoded
                    positions[tp] = next
                }
            }
        }
        if !resets.isEmpty {
            let found = try await client.listOffsets(
                Dictionary(uniqueKeysWithValues: resets.map { ($0, configuration.autoOffsetReset) }))
            for tp in resets { if let o = found[tp]?.offset, o >= 0 { positions[tp] = o } }
        }
        if !staleTopics.isEmpty {
            await client.invalidateMetadata(topics: staleTopics)
            needsMetadata = true
        }
        if retriableFailure && records.isEmpty {
            try await Task.sleep(for: .milliseconds(client.configuration.retryBackoffMs))
        }
        return records
    }

    /// Decodes the complete v2 batches in a fetch payload, keeping records at or after `position`. Returns the
    /// records and the next position (past the last complete batch). Older message formats are skipped; control
    /// batches (transaction markers) are never records.
    ///
    /// `aborted` (read_committed: the response's aborted transactions) drops aborted data the way Java's
    /// `CompletedFetch` does: a producer whose aborted transaction starts at or before a batch is skipped until
    /// its ABORT marker.
    static func decode(
        _ bytes: [UInt8], partition tp: TopicPartition, from position: Int64,
        aborted: [FetchResponse.AbortedTransaction]? = nil
    ) throws -> ([ConsumerRecord], Int64) {
        var out: [ConsumerRecord] = []
        var next = position
        let (entries, _) = try RecordBatchIterator.batches(in: bytes)
        var pendingAborts = (aborted ?? []).sorted { $0.firstOffset < $1.firstOffset }[...]
        var abortedProducers = Set<Int64>()
        for entry in entries {
            guard entry.header.magic == 2 else {
                next = max(next, entry.header.baseOffset + 1)
                continue
            }
            let last = entry.header.lastOffset
            guard last >= position else { continue }
            var skip = false
            if aborted != nil, entry.header.hasProducerId {
                while let first = pendingAborts.first, first.firstOffset <= last {
                    abortedProducers.insert(first.producerId)
                    pendingAborts.removeFirst()
                }
                if entry.header.isControl {
                    let batch = try bytes.withUnsafeBytes {
                        try RecordBatch(parsing: UnsafeRawBufferPointer(rebasing: $0[entry.range]))
                    }
                    if let r = batch.records.first, let marker = try? ControlRecord(key: r.key, value: r.value),
                        marker.type == .abort
                    {
                        abortedProducers.remove(entry.header.producerId)
                    }
                } else if entry.header.isTransactional, abortedProducers.contains(entry.header.producerId) {
                    skip = true
                }
            }
            if !entry.header.isControl && !skip {
                let batch = try bytes.withUnsafeBytes {
                    try RecordBatch(parsing: UnsafeRawBufferPointer(rebasing: $0[entry.range]))
                }
                let type: TimestampType = batch.header.isLogAppendTime ? .logAppendTime : .createTime
                for r in batch.records {
                    let offset = batch.offset(of: r)
                    guard offset >= position else { continue }
                    out.append(
                        ConsumerRecord(
                            topic: tp.topic, partition: tp.partition, offset: offset, timestamp: batch.timestamp(of: r),
                            timestampType: type, key: r.key, value: r.value, headers: r.headers))
                }
            }
            next = max(next, entry.header.nextOffset)
        }
        return (out, next)
    }

    /// Polls until the task is cancelled, yielding records one by one.
    public nonisolated func records() -> AsyncThrowingStream<ConsumerRecord, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    while !Task.isCancelled {
                        for r in try await self.poll() { continuation.yield(r) }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
