import KafkaRecords

/// What `appendAsLeader` did.
public struct LeaderAppendResult: Sendable, Equatable {
    public var baseOffset: Int64
    public var lastOffset: Int64
    public var logStartOffset: Int64
    /// The batch's max timestamp (the original batch's, for a duplicate).
    public var maxTimestamp: Int64
    /// The batch repeated one of the producer's last five: nothing was written, offsets are the original ones.
    public var isDuplicate: Bool
}

/// What `appendAsFollower` wrote.
public struct FollowerAppendResult: Sendable, Equatable {
    public var firstOffset: Int64
    public var lastOffset: Int64
    public var batchCount: Int
    public var byteCount: Int
}

/// Whole batches located for a fetch, as file ranges for zero-copy sending.
public struct LogReadResult: Sendable {
    public var slices: [FileSlice]
    public var byteCount: Int
    public var logStartOffset: Int64
    public var logEndOffset: Int64
    public var highWatermark: Int64
    /// The LSO when the read started (Kafka's `lastStableOffset`; the HW when no transaction is open).
    public var lastStableOffset: Int64 = -1
    /// The offset after the last batch returned (the read's start when nothing was returned).
    public var nextOffset: Int64 = -1
}

/// How the log was opened.
public struct LogLoadInfo: Sendable, Equatable {
    public var hadCleanShutdown: Bool
    /// Segments whose batches were re-validated and whose indexes were rebuilt.
    public var recoveredSegments: Int
    /// Bytes cut from torn or corrupt tails (including whole segments dropped after a truncation).
    public var truncatedBytes: Int64
}

/// One partition's log: the `<topic>-<partition>` directory of segments.
///
/// Thread-safe: every method takes the log's lock; file reads for fetches happen outside it. Methods do blocking
/// file I/O and must never be called on an event loop.
///
/// Offsets: `logStartOffset ≤ highWatermark ≤ logEndOffset`. Segments cover [base, next base); the last one is
/// the active segment that receives appends.
/// `@unchecked`: its `var`s are guarded by `lock` (a `StateLock`), not yet by a `Mutex<State>` the compiler checks.
public final class PartitionLog: @unchecked Sendable {
    public let topicPartition: TopicPartition
    /// The partition directory (renamed to `….<uuid>-delete` once the log is deleted).
    public var directory: String { lock.withLock { dir } }
    public internal(set) var loadInfo = LogLoadInfo(hadCleanShutdown: true, recoveredSegments: 0, truncatedBytes: 0)

    let lock = StateLock()
    let clock: @Sendable () -> Int64

    // Guarded by `lock`.
    var dir: String
    var config: LogConfig
    var segments: [LogSegment] = []
    var logStart: Int64 = 0
    var highWatermarkValue: Int64 = 0
    var recoveryPointValue: Int64 = 0
    var producerState = ProducerStateManager()
    var abortedIndex = AbortedTransactionIndex()
    var epochCache: LeaderEpochCache
    var pendingDeletes: [(dueAt: Int64, segment: LogSegment)] = []
    var unflushedMessages: Int64 = 0
    var lastFlushTime: Int64
    var closed = false

    /// Opens (creating if needed) the log in `directory`, recovering it as Kafka's `LogLoader` does.
    /// - Parameters:
    ///   - recoveryPoint: from `recovery-point-offset-checkpoint`; segments from here on are re-validated after an
    ///     unclean shutdown.
    ///   - logStartOffset: from `log-start-offset-checkpoint`.
    ///   - highWatermark: from `replication-offset-checkpoint`; clamped to [logStartOffset, logEndOffset].
    ///   - hadCleanShutdown: whether `.kafka_cleanshutdown` was present.
    ///   - clock: milliseconds since the epoch; injected for tests.
    public init(
        directory: String, topicPartition: TopicPartition, config: LogConfig, recoveryPoint: Int64? = nil,
        logStartOffset: Int64? = nil, highWatermark: Int64? = nil, hadCleanShutdown: Bool = false,
        clock: @escaping @Sendable () -> Int64
    ) throws(LogError) {
        self.dir = directory
        self.topicPartition = topicPartition
        self.config = config
        self.clock = clock
        epochCache = LeaderEpochCache(path: directory + "/leader-epoch-checkpoint")
        lastFlushTime = clock()
        try load(
            recoveryPointCheckpoint: recoveryPoint, logStartCheckpoint: logStartOffset, hwCheckpoint: highWatermark,
            clean: hadCleanShutdown)
    }

    // MARK: Offsets

    public var logStartOffset: Int64 { lock.withLock { logStart } }
    public var logEndOffset: Int64 { lock.withLock { leo } }
    public var recoveryPoint: Int64 { lock.withLock { recoveryPointValue } }

    /// The high watermark, persisted in `replication-offset-checkpoint`. Setting clamps to [logStart, LEO].
    public var highWatermark: Int64 {
        get { lock.withLock { highWatermarkValue } }
        set {
            lock.withLock {
                highWatermarkValue = min(max(newValue, logStart), leo)
                producerState.onHighWatermarkUpdated(highWatermarkValue)
            }
        }
    }

    /// The last stable offset: below it every transaction is decided and replicated (read_committed reads stop
    /// here). Equal to the HW when no transaction is open.
    public var lastStableOffset: Int64 { lock.withLock { lastStableOffsetLocked } }

    /// Never below the log start offset: an open transaction whose first batches were deleted (retention,
    /// DeleteRecords) holds the LSO at the log start, as Kafka's `maybeIncrementFirstUnstableOffset` does.
    var lastStableOffsetLocked: Int64 {
        max(producerState.lastStableOffset(highWatermark: highWatermarkValue), min(logStart, highWatermarkValue))
    }

    /// The aborted transactions overlapping [from, upTo) (Kafka's `collectAbortedTransactions`), oldest marker first.
    public func abortedTransactions(from: Int64, upTo: Int64) -> [AbortedTransaction] {
        lock.withLock { abortedIndex.overlapping(from: from, upTo: upTo) }
    }

    /// Total bytes of all segments.
    public var size: Int64 { lock.withLock { segments.reduce(0) { $0 + $1.size } } }
    public var segmentCount: Int { lock.withLock { segments.count } }
    /// Base offsets of the segments, oldest first.
    public var segmentBaseOffsets: [Int64] { lock.withLock { segments.map(\.baseOffset) } }

    public func updateConfig(_ newConfig: LogConfig) { lock.withLock { config = newConfig } }
    public var currentConfig: LogConfig { lock.withLock { config } }

    /// Log end offset; caller holds the lock.
    var leo: Int64 { segments.last?.nextOffset ?? logStart }

    func ensureOpen() throws(LogError) {
        if closed { throw .logClosed(topicPartition.directoryName) }
    }

    // MARK: Producer state and leader epochs

    public func producerStateEntry(producerId: Int64) -> ProducerStateEntry? {
        lock.withLock { producerState.producers[producerId] }
    }

    /// KIP-890 part 1: the guard a leader holds while it verifies a transactional batch of `producerId` with the
    /// coordinator; hand it to `appendAsLeader`.
    public func transactionVerificationGuard(producerId: Int64) -> UInt64 {
        lock.withLock { producerState.verificationGuard(producerId: producerId) }
    }

    public var producerStateEntries: [ProducerStateEntry] {
        lock.withLock { producerState.producers.values.sorted { $0.producerId < $1.producerId } }
    }

    public var leaderEpochEntries: [EpochEntry] { lock.withLock { epochCache.entries } }
    public var latestLeaderEpoch: Int32? { lock.withLock { epochCache.latestEpoch } }

    /// On becoming leader with a new epoch: (epoch, LEO) is recorded and written, without fsync; the next flush
    /// of the log makes it durable. A LeaderAndIsr naming thousands of partitions would otherwise wait for two
    /// fsyncs per partition (Kafka made the same change, KAFKA-15046). Losing the entry in a crash loses nothing
    /// the log needs: an epoch that wrote batches is re-learned from them when the tail is recovered.
    public func assignEpochStartOffset(epoch: Int32, startOffset: Int64) throws(LogError) {
        try lock.withLock { () throws(LogError) in
            if epochCache.assign(epoch: epoch, startOffset: startOffset) { try epochCache.persist(sync: false) }
        }
    }

    /// The leader's answer to OffsetsForLeaderEpoch / a follower's diverging-epoch check.
    public func endOffset(forLeaderEpoch epoch: Int32) -> (epoch: Int32, endOffset: Int64) {
        lock.withLock { epochCache.endOffset(for: epoch, logEndOffset: leo) }
    }

    // MARK: Helpers used by the extensions (lock held)

    /// Index of the segment whose range contains `offset` (the last with base ≤ offset).
    func segmentIndex(containing offset: Int64) -> Int? {
        var low = 0
        var high = segments.count - 1
        guard high >= 0, segments[0].baseOffset <= offset else { return nil }
        while low < high {
            let mid = (low + high + 1) / 2
            if segments[mid].baseOffset <= offset { low = mid } else { high = mid - 1 }
        }
        return low
    }

    func writeProducerSnapshot(at offset: Int64, sync: Bool) throws(LogError) {
        try FS.writeAtomically(
            ProducerStateManager.snapshotPath(dir, offset), producerState.snapshotBytes(), sync: sync)
    }

    /// Snapshot offsets present in the directory, ascending.
    func snapshotOffsets() throws(LogError) -> [Int64] {
        try FS.list(dir).compactMap { parseOffsetFileName($0, suffix: ".snapshot") }.sorted()
    }

    /// Rebuilds producer state for the current LEO: newest snapshot at or below it, then replay of later batches.
    /// With `abortedIndexFrom` (recovery after an unclean shutdown), the aborted-transaction entries of markers at or
    /// after that offset are dropped and re-derived from the replayed markers, as Kafka's segment recovery rebuilds
    /// the `.txnindex`.
    func rebuildProducerState(abortedIndexFrom: Int64? = nil) throws(LogError) {
        let end = leo
        var snapshotOffset: Int64?
        for offset in try snapshotOffsets().reversed() {
            let path = ProducerStateManager.snapshotPath(dir, offset)
            if offset > end {
                try FS.remove(path)
                continue
            }
            if snapshotOffset != nil { continue }
            do {
                let bytes = try FS.readFile(path) ?? []
                producerState.load(try ProducerStateManager.parseSnapshot(bytes))
                snapshotOffset = offset
            } catch {
                try FS.remove(path)  // corrupt: fall back to an older one
            }
        }
        if snapshotOffset == nil { producerState.clear() }
        let from = max(snapshotOffset ?? 0, segments.first?.baseOffset ?? 0)
        if let rebuildFrom = abortedIndexFrom {
            let cut = max(rebuildFrom, from)
            try abortedIndex.truncate(from: cut, directory: dir)
            var completedAborts: [(CompletedTransaction, Int64)] = []
            try forEachBatch(from: from) { h, marker, segmentBase in
                if let done = producerState.apply(h, marker: marker), done.isAborted, done.lastOffset >= cut {
                    completedAborts.append((done, segmentBase))
                }
            }
            for (done, base) in completedAborts { try recordAbort(done, segmentBase: base) }
        } else {
            try forEachBatch(from: from) { h, marker, _ in producerState.apply(h, marker: marker) }
        }
        producerState.onHighWatermarkUpdated(highWatermarkValue)
    }

    /// Appends an aborted transaction to the `.txnindex` of the segment holding its marker.
    func recordAbort(_ done: CompletedTransaction, segmentBase: Int64) throws(LogError) {
        guard done.isAborted else { return }
        try abortedIndex.append(
            AbortedTransaction(
                producerId: done.producerId, firstOffset: done.firstOffset, lastOffset: done.lastOffset,
                lastStableOffset: done.lastStableOffset), segmentBase: segmentBase, directory: dir)
    }

    /// The transaction marker of a control batch (nil for data batches and unreadable control records, which
    /// Kafka skips too).
    static func marker(in batch: UnsafeRawBufferPointer, header: RecordBatchHeader) -> ControlRecord? {
        guard header.isControl, let parsed = try? RecordBatch(parsing: batch, verifyCRC: false),
            let record = parsed.records.first
        else { return nil }
        return try? ControlRecord(key: record.key, value: record.value)
    }

    /// Calls `body` with every stored batch whose last offset is ≥ `offset`, in order, with its transaction marker
    /// (control batches) and the base offset of its segment.
    func forEachBatch(from offset: Int64, _ body: (RecordBatchHeader, ControlRecord?, Int64) -> Void)
        throws(LogError)
    {
        guard offset < leo else { return }
        let first = segmentIndex(containing: offset) ?? 0
        for i in first..<segments.count {
            let seg = segments[i]
            let start = i == first ? try seg.offsetIndex.lookup(offset).position : 0
            var scanner = BatchScanner(file: try seg.log, from: start, end: seg.size)
            scan: while true {
                switch try scanner.next() {
                case .batch(let b):
                    guard b.header.lastOffset >= offset else { continue }
                    var marker: ControlRecord?
                    if b.header.isControl, let bytes = try scanner.body(of: b) {
                        marker = bytes.withUnsafeBytes { Self.marker(in: $0, header: b.header) }
                    }
                    body(b.header, marker, seg.baseOffset)
                case .end: break scan
                case .invalid(let position, let reason):
                    throw .corruptLog("\(seg.logPath) at \(position): \(reason)")
                }
            }
        }
    }
}

/// Parses `<20 digits><suffix>` into its offset.
func parseOffsetFileName(_ name: String, suffix: String) -> Int64? {
    guard name.hasSuffix(suffix) else { return nil }
    let stem = name.dropLast(suffix.count)
    guard stem.count == 20, stem.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
    return Int64(stem)
}
