import KafkaRecords

/// Per-partition batching by size and linger time, as a value: the producer actor feeds it records and the
/// current time and sends whatever it hands back. Time is a plain millisecond count so tests can drive it.
public struct RecordAccumulator: Sendable {
    /// One batch being filled or ready to send. `tokens[i]` identifies whoever waits for record `i`.
    public struct Batch: Sendable {
        public var partition: TopicPartition
        public var builder: RecordBatchBuilder
        public var tokens: [Int]
        /// When the first record arrived (ms).
        public var createdAtMs: Int64

        /// The batch's size so far, before compression.
        public var estimatedSize: Int { RecordBatchHeader.size + builder.recordBytes.count }
    }

    public let batchSize: Int
    public let lingerMs: Int64
    public let codec: CompressionCodec
    public private(set) var open: [TopicPartition: Batch] = [:]

    public init(batchSize: Int, lingerMs: Int64, codec: CompressionCodec) {
        self.batchSize = max(batchSize, 1)
        self.lingerMs = max(lingerMs, 0)
        self.codec = codec
    }

    /// Adds a record. Returns the batches that are now complete: the previous batch of the partition when this
    /// record would push it past `batchSize`, and the new batch itself when it alone reaches `batchSize`
    /// (or when linger is 0).
    public mutating func append(
        to tp: TopicPartition, timestamp: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader], token: Int,
        nowMs: Int64
    ) -> [Batch] {
        var ready: [Batch] = []
        let recordSize = Record.estimateSize(key: key, value: value, headers: headers)
        if let existing = open[tp], existing.estimatedSize + recordSize > batchSize {
            ready.append(existing)
            open[tp] = nil
        }
        var batch = open[tp] ?? Batch(partition: tp, builder: RecordBatchBuilder(codec: codec), tokens: [], createdAtMs: nowMs)
        batch.builder.append(timestamp: timestamp, key: key, value: value, headers: headers)
        batch.tokens.append(token)
        if batch.estimatedSize >= batchSize || lingerMs == 0 {
            ready.append(batch)
            open[tp] = nil
        } else {
            open[tp] = batch
        }
        return ready
    }

    /// Removes and returns the batches whose linger time has passed.
    public mutating func expired(nowMs: Int64) -> [Batch] {
        let due = open.values.filter { $0.createdAtMs + lingerMs <= nowMs }
        for b in due { open[b.partition] = nil }
        return due.sorted { $0.partition < $1.partition }
    }

    /// Removes and returns every open batch (flush).
    public mutating func drainAll() -> [Batch] {
        let all = open.values.sorted { $0.partition < $1.partition }
        open = [:]
        return all
    }

    /// When the next open batch's linger time ends, or nil when nothing is open.
    public var nextDeadlineMs: Int64? { open.values.map { $0.createdAtMs + lingerMs }.min() }

    public var isEmpty: Bool { open.isEmpty }
}

extension Record {
    /// An upper bound on the encoded size of one record (varint fields counted at their maximum).
    static func estimateSize(key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader]) -> Int {
        var n = 5 + 1 + 10 + 5 + 5 + 5 + (key?.count ?? 0) + (value?.count ?? 0)
        for h in headers { n += 10 + h.key.utf8.count + (h.value?.count ?? 0) }
        return n
    }
}
