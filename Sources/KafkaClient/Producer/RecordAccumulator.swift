import KafkaRecords

/// Per-partition batching by size and linger time, as a value: the producer feeds it records and the current
/// time and sends whatever it hands back. Time is a plain millisecond count so tests can drive it.
///
/// Each record carries a `Token` (whoever waits for it); a batch keeps its records' tokens in order. Records are
/// encoded straight into the open batch of their partition, which is mutated in place (no copy per record), and
/// the last partition used is remembered so a run of records to one partition does not hash its key each time.
public struct RecordAccumulator<Token: Sendable>: Sendable {
    /// One batch being filled or ready to send. `tokens[i]` identifies whoever waits for record `i`.
    public struct Batch: Sendable {
        public var partition: TopicPartition
        public var builder: RecordBatchBuilder
        public var tokens: [Token]
        /// When the first record arrived (ms).
        public var createdAtMs: Int64
        /// The sum of the records' size estimates (what the producer counts against its buffer memory).
        public var reservedBytes: Int

        /// The batch's size so far, before compression.
        public var estimatedSize: Int { RecordBatchHeader.size + builder.recordBytes.count }
    }

    public let batchSize: Int
    public let lingerMs: Int64
    public let codec: CompressionCodec
    /// Open batches by slot; a partition keeps its slot once it had a batch.
    private var slots: [Batch?] = []
    private var slotOf: [TopicPartition: Int] = [:]
    private var lastPartition: TopicPartition?
    private var lastSlot = 0
    /// How many slots hold an open batch.
    public private(set) var openCount = 0
    /// Record buffers of batches already sent, for new batches to reuse (see `recycle`).
    private var spareBuffers: [[UInt8]] = []

    public init(batchSize: Int, lingerMs: Int64, codec: CompressionCodec) {
        self.batchSize = max(batchSize, 1)
        self.lingerMs = max(lingerMs, 0)
        self.codec = codec
    }

    /// The open batches by partition.
    public var open: [TopicPartition: Batch] {
        var out: [TopicPartition: Batch] = [:]
        for case let b? in slots { out[b.partition] = b }
        return out
    }

    @inline(__always)
    private mutating func slot(for tp: TopicPartition) -> Int {
        if let last = lastPartition, last == tp { return lastSlot }
        let s: Int
        if let known = slotOf[tp] {
            s = known
        } else {
            s = slots.count
            slots.append(nil)
            slotOf[tp] = s
        }
        lastPartition = tp
        lastSlot = s
        return s
    }

    /// Adds a record. Returns the batches that are now complete: the previous batch of the partition when this
    /// record would push it past `batchSize`, and the new batch itself when it alone reaches `batchSize`
    /// (or when linger is 0). `nowMs` is read only when the record opens a batch.
    public mutating func append(
        to tp: TopicPartition, timestamp: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader], token: Token,
        nowMs: @autoclosure () -> Int64
    ) -> [Batch] {
        append(
            to: tp, timestamp: timestamp, key: key, value: value, headers: headers, token: token,
            recordSize: Record.estimateSize(key: key, value: value, headers: headers), nowMs: nowMs())
    }

    /// `append` with the record's `Record.estimateSize` already worked out by the caller (the producer counts the
    /// same figure against `buffer.memory`).
    mutating func append(
        to tp: TopicPartition, timestamp: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader], token: Token,
        recordSize: Int, nowMs: @autoclosure () -> Int64
    ) -> [Batch] {
        var ready: [Batch] = []
        let s = slot(for: tp)
        if let existing = slots[s], existing.estimatedSize + recordSize > batchSize {
            ready.append(existing)
            slots[s] = nil
            openCount -= 1
        }
        if slots[s] == nil {
            var builder = RecordBatchBuilder(codec: codec)
            if !spareBuffers.isEmpty { builder.reuseBuffer(spareBuffers.removeLast()) }
            builder.reserveCapacity(min(max(batchSize, recordSize), 1 << 20))
            var tokens: [Token] = []
            tokens.reserveCapacity(min(batchSize / max(recordSize / 2, 1) + 1, 4096))
            slots[s] = Batch(partition: tp, builder: builder, tokens: tokens, createdAtMs: nowMs(), reservedBytes: 0)
            openCount += 1
        }
        slots[s]!.builder.append(timestamp: timestamp, key: key, value: value, headers: headers)
        slots[s]!.tokens.append(token)
        slots[s]!.reservedBytes += recordSize
        if slots[s]!.estimatedSize >= batchSize || lingerMs == 0 {
            ready.append(slots[s].take()!)
            openCount -= 1
        }
        return ready
    }

    /// Keeps the record buffer of a batch that no longer needs it (sealed: its bytes were built) for a new batch.
    public mutating func recycle(_ buffer: consuming [UInt8]) {
        guard spareBuffers.count < 16 else { return }
        spareBuffers.append(buffer)
    }

    /// Whether `tp` has an open batch.
    public func hasOpenBatch(_ tp: TopicPartition) -> Bool {
        guard let s = slotOf[tp] else { return false }
        return slots[s] != nil
    }

    /// Removes and returns the batches whose linger time has passed.
    public mutating func expired(nowMs: Int64) -> [Batch] {
        var due: [Batch] = []
        for i in slots.indices {
            if let b = slots[i], b.createdAtMs + lingerMs <= nowMs {
                due.append(b)
                slots[i] = nil
                openCount -= 1
            }
        }
        return due.sorted { $0.partition < $1.partition }
    }

    /// Removes and returns every open batch (flush).
    public mutating func drainAll() -> [Batch] {
        var all: [Batch] = []
        for i in slots.indices {
            if let b = slots[i].take() { all.append(b) }
        }
        openCount = 0
        return all.sorted { $0.partition < $1.partition }
    }

    /// When the next open batch's linger time ends, or nil when nothing is open.
    public var nextDeadlineMs: Int64? {
        guard openCount > 0 else { return nil }
        var best: Int64?
        for case let b? in slots {
            let d = b.createdAtMs + lingerMs
            if best.map({ d < $0 }) ?? true { best = d }
        }
        return best
    }

    public var isEmpty: Bool { openCount == 0 }
}

extension Record {
    /// An upper bound on the encoded size of one record (varint fields counted at their maximum).
    @inline(__always)
    static func estimateSize(key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader]) -> Int {
        var n = 5 + 1 + 10 + 5 + 5 + 5 + (key?.count ?? 0) + (value?.count ?? 0)
        for h in headers { n += 10 + h.key.utf8.count + (h.value?.count ?? 0) }
        return n
    }
}
