import KafkaRecords

/// What is remembered of one of a producer's recent batches.
public struct ProducerBatchMetadata: Sendable, Equatable {
    public var firstSequence: Int32
    public var lastSequence: Int32
    public var lastOffset: Int64
    /// lastOffset − firstOffset.
    public var offsetDelta: Int32
    public var timestamp: Int64

    public var firstOffset: Int64 { lastOffset - Int64(offsetDelta) }
}

/// Per-producer state of one partition (Kafka's `ProducerStateEntry`).
public struct ProducerStateEntry: Sendable, Equatable {
    public static let batchesToRetain = 5

    public var producerId: Int64
    public var producerEpoch: Int16
    public var coordinatorEpoch: Int32 = -1
    /// First offset of the open transaction, or -1.
    public var currentTxnFirstOffset: Int64 = -1
    public var lastTimestamp: Int64 = -1
    /// Oldest first; at most `batchesToRetain`.
    public var batches: [ProducerBatchMetadata] = []

    public var lastSequence: Int32 { batches.last?.lastSequence ?? -1 }
}

/// The producer state of a partition (Kafka's `ProducerStateManager`): validation of leader appends (sequences,
/// producer epochs, coordinator epochs of transaction markers), replay of stored batches, the open transactions
/// that hold back the last stable offset, and the `<offset>.snapshot` file format (version 1, CRC-32C, 46-byte
/// entries).
///
/// LSO: a transaction is *ongoing* from its first transactional batch until its marker, then *unreplicated* until
/// the high watermark passes the marker. `LSO = min(first offset of those, HW)`, so a read-committed consumer never
/// sees a transaction whose outcome could still be lost with a leader change.
struct ProducerStateManager {
    private(set) var producers: [Int64: ProducerStateEntry] = [:]
    /// Open transactions: first offset → producer id (Kafka's `ongoingTxns`).
    private(set) var ongoingTxns: [Int64: Int64] = [:]
    /// Completed transactions whose marker may still be at or above the HW (Kafka's `unreplicatedTxns`).
    private(set) var unreplicatedTxns: [CompletedTransaction] = []

    /// KIP-890 part 1 verification guards (Kafka's `VerificationStateEntry`): a leader takes one for a producer
    /// before asking the transaction coordinator about a transactional batch, and the batch may open a transaction
    /// only while the guard is still the producer's. A marker of the producer removes it, so a verification
    /// answered before a marker cannot let a late batch open a transaction after it. In memory only.
    private(set) var verificationGuards: [Int64: UInt64] = [:]
    private var lastVerificationGuard: UInt64 = 0

    /// The producer's current guard, a new one when it has none (never 0: 0 is "not verified").
    mutating func verificationGuard(producerId: Int64) -> UInt64 {
        if let existing = verificationGuards[producerId] { return existing }
        lastVerificationGuard &+= 1
        verificationGuards[producerId] = lastVerificationGuard
        return lastVerificationGuard
    }

    /// Whether a transactional data batch with `guard` may be appended: it continues the producer's open
    /// transaction at its epoch, or opens one with the producer's current verification guard.
    func mayAppendTransactional(_ h: RecordBatchHeader, verificationGuard guardValue: UInt64) -> Bool {
        if let entry = producers[h.producerId], entry.currentTxnFirstOffset >= 0,
            entry.producerEpoch == h.producerEpoch
        {
            return true
        }
        return guardValue != 0 && verificationGuards[h.producerId] == guardValue
    }

    mutating func clear() {
        verificationGuards.removeAll()
        producers.removeAll()
        ongoingTxns.removeAll()
        unreplicatedTxns.removeAll()
    }

    /// Checks a batch against the stored state (Kafka 3.x `ProducerStateManager` / `ProducerAppendInfo` rules).
    /// Returns the original batch's metadata when the batch is a duplicate of one of the last five.
    /// A transaction marker (`marker` set, from the transaction coordinator) needs a producer epoch no older than
    /// the stored one and a coordinator epoch no older than the last marker's (TRANSACTION_COORDINATOR_FENCED).
    func checkLeaderAppend(_ h: RecordBatchHeader, marker: ControlRecord? = nil) throws(LogError)
        -> ProducerBatchMetadata?
    {
        guard h.hasProducerId else { return nil }
        let stored = producers[h.producerId]
        let storedEpoch = stored?.producerEpoch ?? -1
        if let stored, h.producerEpoch == stored.producerEpoch, !h.isControl {
            let lastSeq = h.lastSequence
            if let dup = stored.batches.first(where: {
                $0.firstSequence == h.baseSequence && $0.lastSequence == lastSeq
            }) {
                return dup
            }
        }
        if h.producerEpoch < storedEpoch {
            throw .invalidProducerEpoch(producerId: h.producerId, current: storedEpoch, received: h.producerEpoch)
        }
        if h.isControl {
            if let marker, let stored, stored.coordinatorEpoch > marker.coordinatorEpoch {
                throw .transactionCoordinatorFenced(
                    producerId: h.producerId, current: stored.coordinatorEpoch, received: marker.coordinatorEpoch)
            }
            return nil
        }
        // Only the group coordinator appends producer batches without a sequence (its transactional offset
        // commits; client batches without one are refused by validation): Kafka checks sequences for
        // `AppendOrigin.CLIENT` only.
        if h.baseSequence < 0 { return nil }
        if h.producerEpoch != storedEpoch {
            // A new epoch restarts sequences at 0, unless nothing is known about the producer at all.
            if h.baseSequence != 0 && storedEpoch != -1 {
                throw .outOfOrderSequence(producerId: h.producerId, expected: 0, received: h.baseSequence)
            }
        } else {
            let lastSeq = stored?.lastSequence ?? -1
            if !Self.inSequence(last: lastSeq, next: h.baseSequence) {
                let expected = lastSeq == Int32.max ? 0 : lastSeq + 1
                throw .outOfOrderSequence(producerId: h.producerId, expected: expected, received: h.baseSequence)
            }
        }
        return nil
    }

    static func inSequence(last: Int32, next: Int32) -> Bool {
        Int64(next) == Int64(last) + 1 || (next == 0 && last == Int32.max)
    }

    /// Records a stored batch (offsets already assigned). No validation: used for leader, follower and replay.
    /// A transactional data batch opens its producer's transaction; a marker (`marker`, the control record of a
    /// control batch) closes it and returns the completed transaction, with the LSO Kafka records for an abort.
    @discardableResult
    mutating func apply(_ h: RecordBatchHeader, marker: ControlRecord? = nil) -> CompletedTransaction? {
        guard h.hasProducerId else { return nil }
        var entry = producers[h.producerId] ?? ProducerStateEntry(producerId: h.producerId, producerEpoch: -1)
        if entry.producerEpoch != h.producerEpoch {
            entry.producerEpoch = h.producerEpoch
            entry.batches.removeAll(keepingCapacity: true)
        }
        entry.lastTimestamp = h.maxTimestamp
        var completed: CompletedTransaction?
        if h.isControl {
            verificationGuards[h.producerId] = nil
            if let marker {
                let first = entry.currentTxnFirstOffset >= 0 ? entry.currentTxnFirstOffset : h.baseOffset
                completed = CompletedTransaction(
                    producerId: h.producerId, firstOffset: first, lastOffset: h.lastOffset,
                    isAborted: marker.type == .abort,
                    lastStableOffset: nextIncompleteTxnFirstOffset(excluding: h.producerId) ?? h.lastOffset + 1)
                if entry.currentTxnFirstOffset >= 0 { ongoingTxns[entry.currentTxnFirstOffset] = nil }
                entry.coordinatorEpoch = marker.coordinatorEpoch
                if let completed { unreplicatedTxns.append(completed) }
            } else if entry.currentTxnFirstOffset >= 0 {
                ongoingTxns[entry.currentTxnFirstOffset] = nil
            }
            entry.currentTxnFirstOffset = -1
        } else {
            if h.baseSequence >= 0 {
                if entry.batches.count == ProducerStateEntry.batchesToRetain { entry.batches.removeFirst() }
                entry.batches.append(
                    ProducerBatchMetadata(
                        firstSequence: h.baseSequence, lastSequence: h.lastSequence, lastOffset: h.lastOffset,
                        offsetDelta: h.lastOffsetDelta, timestamp: h.maxTimestamp))
            }
            if h.isTransactional && entry.currentTxnFirstOffset < 0 {
                entry.currentTxnFirstOffset = h.baseOffset
                ongoingTxns[h.baseOffset] = h.producerId
            }
        }
        producers[h.producerId] = entry
        return completed
    }

    /// The first offset of the oldest open transaction of another producer (Kafka's `findNextIncompleteTxn`).
    private func nextIncompleteTxnFirstOffset(excluding producerId: Int64) -> Int64? {
        ongoingTxns.filter { $0.value != producerId }.keys.min()
    }

    /// Completed transactions whose marker is below the new HW stop holding back the LSO.
    mutating func onHighWatermarkUpdated(_ highWatermark: Int64) {
        if unreplicatedTxns.contains(where: { $0.lastOffset < highWatermark }) {
            unreplicatedTxns.removeAll { $0.lastOffset < highWatermark }
        }
    }

    /// The first offset of the oldest transaction not yet both complete and replicated (Kafka's
    /// `firstUnstableOffset`), nil when there is none.
    func firstUnstableOffset(highWatermark: Int64) -> Int64? {
        let unreplicated = unreplicatedTxns.lazy.filter { $0.lastOffset >= highWatermark }.map(\.firstOffset).min()
        let ongoing = ongoingTxns.keys.min()
        switch (unreplicated, ongoing) {
        case (nil, nil): return nil
        case (let a?, nil): return a
        case (nil, let b?): return b
        case (let a?, let b?): return min(a, b)
        }
    }

    /// `min(firstUnstableOffset, HW)`.
    func lastStableOffset(highWatermark: Int64) -> Int64 {
        min(firstUnstableOffset(highWatermark: highWatermark) ?? highWatermark, highWatermark)
    }

    // MARK: Snapshot file

    static let snapshotVersion = ProducerSnapshotFormat.version
    static let snapshotEntrySize = ProducerSnapshotFormat.entrySize
    static let snapshotHeaderSize = ProducerSnapshotFormat.headerSize

    static func snapshotPath(_ directory: String, _ offset: Int64) -> String {
        "\(directory)/\(filenamePrefix(offset)).snapshot"
    }

    /// `version i16 | crc u32 (CRC-32C of everything after it) | count i32 | entries`, entries sorted by producer id.
    func snapshotBytes() -> [UInt8] {
        let sorted = producers.values.sorted { $0.producerId < $1.producerId }
        var bytes = [UInt8](repeating: 0, count: Self.snapshotHeaderSize + sorted.count * Self.snapshotEntrySize)
        bytes.withUnsafeMutableBytes { p in
            p.storeBytes(of: Self.snapshotVersion.bigEndian, toByteOffset: 0, as: Int16.self)
            p.storeBytes(of: Int32(sorted.count).bigEndian, toByteOffset: 6, as: Int32.self)
            var o = Self.snapshotHeaderSize
            for e in sorted {
                let last = e.batches.last
                p.storeBytes(of: e.producerId.bigEndian, toByteOffset: o, as: Int64.self)
                p.storeBytes(of: e.producerEpoch.bigEndian, toByteOffset: o + 8, as: Int16.self)
                p.storeBytes(of: (last?.lastSequence ?? -1).bigEndian, toByteOffset: o + 10, as: Int32.self)
                p.storeBytes(of: (last?.lastOffset ?? -1).bigEndian, toByteOffset: o + 14, as: Int64.self)
                p.storeBytes(of: (last?.offsetDelta ?? 0).bigEndian, toByteOffset: o + 22, as: Int32.self)
                p.storeBytes(of: e.lastTimestamp.bigEndian, toByteOffset: o + 26, as: Int64.self)
                p.storeBytes(of: e.coordinatorEpoch.bigEndian, toByteOffset: o + 34, as: Int32.self)
                p.storeBytes(of: e.currentTxnFirstOffset.bigEndian, toByteOffset: o + 38, as: Int64.self)
                o += Self.snapshotEntrySize
            }
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: p[6...]))
            p.storeBytes(of: crc.bigEndian, toByteOffset: 2, as: UInt32.self)
        }
        return bytes
    }

    /// Parses a snapshot; throws `corruptLog` on a bad version, CRC or length.
    static func parseSnapshot(_ bytes: [UInt8]) throws(LogError) -> [Int64: ProducerStateEntry] {
        let decoded: (entries: [ProducerSnapshotFormat.Entry], trailingBytes: Int)
        do {
            decoded = try ProducerSnapshotFormat.decode(bytes)
        } catch {
            switch error {
            case .tooShort: throw .corruptLog("producer snapshot too short")
            case .unknownVersion(let version): throw .corruptLog("producer snapshot version \(version)")
            case .crcMismatch: throw .corruptLog("producer snapshot CRC mismatch")
            case .truncatedEntries: throw .corruptLog("producer snapshot length")
            }
        }
        guard decoded.trailingBytes == 0 else { throw .corruptLog("producer snapshot length") }
        var result: [Int64: ProducerStateEntry] = [:]
        for d in decoded.entries {
            var e = ProducerStateEntry(producerId: d.producerId, producerEpoch: d.producerEpoch)
            e.lastTimestamp = d.lastTimestamp
            e.coordinatorEpoch = d.coordinatorEpoch
            e.currentTxnFirstOffset = d.currentTxnFirstOffset
            if d.lastOffset >= 0 && d.lastSequence >= 0 && d.offsetDelta >= 0 {
                e.batches = [
                    ProducerBatchMetadata(
                        firstSequence: ProducerSnapshotFormat.firstSequence(
                            lastSequence: d.lastSequence, offsetDelta: d.offsetDelta),
                        lastSequence: d.lastSequence, lastOffset: d.lastOffset, offsetDelta: d.offsetDelta,
                        timestamp: d.lastTimestamp)
                ]
            }
            result[d.producerId] = e
        }
        return result
    }

    /// Takes a snapshot's entries; their `currentTxnFirstOffset`s are the open transactions.
    mutating func load(_ entries: [Int64: ProducerStateEntry]) {
        producers = entries
        ongoingTxns = [:]
        unreplicatedTxns = []
        for e in entries.values where e.currentTxnFirstOffset >= 0 {
            ongoingTxns[e.currentTxnFirstOffset] = e.producerId
        }
    }
}
