import KafkaRecords

extension PartitionLog {
    /// baseOffset (8), batchLength (4), partitionLeaderEpoch (4): the leader rewrites the first and the last.
    static let patchedPrefixSize = 16

    /// Appends one client batch (already validated by the broker: CRC, sizes, timestamps, compression).
    ///
    /// Assigns offsets from the log end offset by rewriting `baseOffset` and `partitionLeaderEpoch` (both outside
    /// the CRC), runs the idempotent-producer checks, rolls the active segment if needed, writes the batch with one
    /// `pwrite`, and updates indexes, producer state and the leader-epoch cache.
    ///
    /// A duplicate of one of the producer's last five batches is not written; its original offsets come back with
    /// `isDuplicate = true`.
    ///
    /// `verificationGuard` (KIP-890 part 1, set when the leader verifies transactional produces; 0: not verified):
    /// a transactional batch that would open a transaction needs the producer's current guard.
    public func appendAsLeader(
        _ batch: consuming [UInt8], leaderEpoch: Int32, now: Int64, verificationGuard: UInt64? = nil
    ) throws(LogError) -> LeaderAppendResult {
        let bytes = batch
        var header = try Self.parseSingleBatch(bytes)
        let marker = header.isControl ? bytes.withUnsafeBytes { Self.marker(in: $0, header: header) } : nil
        return try lock.withLock { () throws(LogError) -> LeaderAppendResult in
            try ensureOpen()
            if bytes.count > config.segmentBytes {
                throw .recordTooLarge(size: bytes.count, limit: config.segmentBytes)
            }
            if let verificationGuard, header.isTransactional, !header.isControl, header.hasProducerId,
                !producerState.mayAppendTransactional(header, verificationGuard: verificationGuard)
            {
                throw .invalidTxnState(producerId: header.producerId)
            }
            if let dup = try producerState.checkLeaderAppend(header, marker: marker) {
                return LeaderAppendResult(
                    baseOffset: dup.firstOffset, lastOffset: dup.lastOffset, logStartOffset: logStart,
                    maxTimestamp: dup.timestamp, isDuplicate: true)
            }
            let base = leo
            header.baseOffset = base
            header.partitionLeaderEpoch = leaderEpoch
            let segment = try maybeRoll(
                appendSize: bytes.count, maxTimestamp: header.maxTimestamp, firstOffset: base,
                lastOffset: header.lastOffset, now: now)
            // The batch's first 16 bytes (baseOffset, batchLength, partitionLeaderEpoch) go out patched from a
            // copy; the rest is written from the request's own bytes, which are shared and so never mutated.
            try bytes.withBytes { (p) throws(LogError) in
                try withUnsafeTemporaryAllocation(byteCount: Self.patchedPrefixSize, alignment: 8) {
                    (prefix) throws(LogError) in
                    prefix.copyMemory(from: UnsafeRawBufferPointer(rebasing: p[0..<Self.patchedPrefixSize]))
                    prefix.storeBytes(of: base.bigEndian, toByteOffset: 0, as: Int64.self)
                    prefix.storeBytes(of: leaderEpoch.bigEndian, toByteOffset: 12, as: Int32.self)
                    try segment.append(
                        batchPrefix: UnsafeRawBufferPointer(prefix),
                        rest: UnsafeRawBufferPointer(rebasing: p[Self.patchedPrefixSize...]), header: header,
                        indexIntervalBytes: config.indexIntervalBytes)
                }
            }
            if let done = producerState.apply(header, marker: marker) {
                try recordAbort(done, segmentBase: segment.baseOffset)
            }
            if epochCache.assign(epoch: leaderEpoch, startOffset: base) { try epochCache.persist() }
            unflushedMessages += Int64(max(1, header.recordsCount))
            if unflushedMessages >= config.flushMessages { try flushLocked(now: now) }
            return LeaderAppendResult(
                baseOffset: base, lastOffset: header.lastOffset, logStartOffset: logStart,
                maxTimestamp: header.maxTimestamp, isDuplicate: false)
        }
    }

    /// Appends batches copied from the leader, offsets already assigned. They must start at or after the LEO and
    /// increase. A trailing partial batch (as a fetch response may end with) is ignored. Every batch's CRC is checked.
    /// Returns nil when `batches` holds no whole batch.
    @discardableResult
    public func appendAsFollower(_ batches: [UInt8]) throws(LogError) -> FollowerAppendResult? {
        try lock.withLock { () throws(LogError) -> FollowerAppendResult? in
            try ensureOpen()
            let spans = try Self.parseBatches(batches, from: leo)
            guard let firstSpan = spans.first, let lastSpan = spans.last else { return nil }
            let now = clock()
            try batches.withBytes { (p) throws(LogError) in
                var i = 0
                while i < spans.count {
                    let first = spans[i]
                    let segment = try maybeRoll(
                        appendSize: first.size, maxTimestamp: first.header.maxTimestamp,
                        firstOffset: first.header.baseOffset, lastOffset: first.header.lastOffset, now: now)
                    var j = i + 1
                    var groupBytes = first.size
                    while j < spans.count,
                        !segment.shouldRoll(
                            appendSize: groupBytes + spans[j].size, maxTimestamp: spans[j].header.maxTimestamp,
                            maxOffset: spans[j].header.lastOffset, now: now, config: config)
                    {
                        groupBytes += spans[j].size
                        j += 1
                    }
                    let start = first.relativePosition
                    let group = spans[i..<j].lazy.map {
                        BatchSpan(relativePosition: $0.relativePosition - start, size: $0.size, header: $0.header)
                    }
                    try segment.append(
                        UnsafeRawBufferPointer(rebasing: p[start..<(start + groupBytes)]), batches: group,
                        indexIntervalBytes: config.indexIntervalBytes)
                    for span in spans[i..<j] {
                        // Followers derive the same open transactions, LSO and aborted index from the markers.
                        let marker =
                            span.header.isControl
                            ? Self.marker(
                                in: UnsafeRawBufferPointer(
                                    rebasing: p[span.relativePosition..<(span.relativePosition + span.size)]),
                                header: span.header) : nil
                        if let done = producerState.apply(span.header, marker: marker) {
                            try recordAbort(done, segmentBase: segment.baseOffset)
                        }
                        if epochCache.assign(
                            epoch: span.header.partitionLeaderEpoch, startOffset: span.header.baseOffset)
                        {
                            try epochCache.persist()
                        }
                        unflushedMessages += Int64(max(1, span.header.recordsCount))
                    }
                    i = j
                }
            }
            if unflushedMessages >= config.flushMessages { try flushLocked(now: now) }
            let byteCount = lastSpan.relativePosition + lastSpan.size - firstSpan.relativePosition
            return FollowerAppendResult(
                firstOffset: firstSpan.header.baseOffset, lastOffset: lastSpan.header.lastOffset,
                batchCount: spans.count, byteCount: byteCount)
        }
    }

    // MARK: Parsing input

    static func parseSingleBatch(_ bytes: [UInt8]) throws(LogError) -> RecordBatchHeader {
        guard bytes.count >= RecordBatchHeader.size else {
            throw .invalidBatch("\(bytes.count) bytes is below a batch header")
        }
        let header = bytes.withUnsafeBytes { RecordBatchHeader(parsing: $0) }
        guard header.magic == 2 else { throw .invalidBatch("magic \(header.magic) is not 2") }
        guard header.totalSize == bytes.count else {
            throw .invalidBatch("batch length \(header.batchLength) does not match \(bytes.count) bytes")
        }
        guard header.lastOffsetDelta >= 0 else { throw .invalidBatch("negative lastOffsetDelta") }
        return header
    }

    /// Splits follower input into whole, CRC-valid batches with increasing offsets starting at ≥ `logEnd`.
    static func parseBatches(_ bytes: [UInt8], from logEnd: Int64) throws(LogError) -> [BatchSpan] {
        try bytes.withBytes { (p) throws(LogError) -> [BatchSpan] in
            var spans: [BatchSpan] = []
            var position = 0
            var expected = logEnd
            while p.count - position >= RecordBatchHeader.size {
                let header = RecordBatchHeader(parsing: UnsafeRawBufferPointer(rebasing: p[position...]))
                guard header.magic == 2 else { throw .invalidBatch("magic \(header.magic) at byte \(position)") }
                guard Int(header.batchLength) >= RecordBatchHeader.size - RecordBatchHeader.logOverhead,
                    header.lastOffsetDelta >= 0, header.baseOffset >= 0, header.baseOffset <= BatchScanner.maxBaseOffset
                else { throw .invalidBatch("bad batch header at byte \(position)") }
                let size = header.totalSize
                if position + size > p.count { break }
                let covered = UnsafeRawBufferPointer(
                    rebasing: p[(position + RecordBatchHeader.crcCoverageStart)..<(position + size)])
                guard CRC32C.checksum(covered) == header.crc else {
                    throw .invalidBatch("CRC mismatch in batch at offset \(header.baseOffset)")
                }
                guard header.baseOffset >= expected else {
                    throw .nonMonotonicOffsets(expectedAtLeast: expected, received: header.baseOffset)
                }
                expected = header.nextOffset
                spans.append(BatchSpan(relativePosition: position, size: size, header: header))
                position += size
            }
            return spans
        }
    }

    // MARK: Rolling

    /// Returns the segment the append goes to, rolling first when the active segment says so.
    func maybeRoll(appendSize: Int, maxTimestamp: Int64, firstOffset: Int64, lastOffset: Int64, now: Int64)
        throws(LogError) -> LogSegment
    {
        guard let active = segments.last else { throw .corruptLog("log has no segment") }
        guard
            active.shouldRoll(
                appendSize: appendSize, maxTimestamp: maxTimestamp, maxOffset: lastOffset, now: now, config: config)
        else { return active }
        return try roll(at: firstOffset, now: now)
    }

    /// Starts a new active segment at `newBase` (≥ LEO):
    /// ```
    /// before: [0 … 99][100 … 149]*          (* = active, LEO 150)
    /// after:  [0 … 99][100 … 149][150 …]*   previous indexes trimmed, producer snapshot 150.snapshot written
    /// ```
    @discardableResult
    func roll(at newBase: Int64, now: Int64) throws(LogError) -> LogSegment {
        guard let active = segments.last else { throw .corruptLog("log has no segment") }
        if active.isEmpty && active.baseOffset == newBase { return active }
        let base = max(newBase, leo)
        try active.onBecomeInactive()
        for path in [
            LogSegment.logPath(dir, base), LogSegment.indexPath(dir, base),
            LogSegment.timeIndexPath(dir, base), TransactionIndexFormat.path(dir, base),
        ] { try FS.remove(path) }
        let segment = try LogSegment(directory: dir, baseOffset: base, now: now)
        try segment.becomeActive(maxIndexBytes: config.segmentIndexBytes)
        segments.append(segment)
        try writeProducerSnapshot(at: base, sync: false)
        return segment
    }

    /// Forces a roll (for example before deleting every segment by retention). No-op on an empty active segment.
    public func roll() throws(LogError) {
        try lock.withLock { () throws(LogError) in
            try ensureOpen()
            try roll(at: leo, now: clock())
        }
    }
}
