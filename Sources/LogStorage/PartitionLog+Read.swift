import KafkaRecords

extension PartitionLog {
    /// At most this many segments are visited by one read; a fetch resumes where it stopped.
    static let maxSegmentsPerRead = 8

    /// Locates whole batches from the one containing `offset` onwards, for zero-copy sending.
    ///
    /// - Stops before the first batch whose last offset is ≥ `maxOffset` (pass the high watermark for consumers,
    ///   the LEO or `Int64.max` for followers).
    /// - Stops before a batch that would exceed `maxBytes`, except that with `minOneBatch` the first batch is
    ///   returned whole even when larger (KIP-74).
    /// - `offset == logEndOffset` gives an empty result; outside [logStartOffset, logEndOffset] throws
    ///   `offsetOutOfRange`.
    ///
    /// Only segment bookkeeping happens under the lock; the batch headers are scanned outside it.
    public func read(from offset: Int64, maxBytes: Int, upTo maxOffset: Int64, minOneBatch: Bool) throws(LogError)
        -> LogReadResult
    {
        struct View {
            /// The first segment's file is opened under the lock; later ones only if the scan gets there.
            var file: SegmentFile?
            var handle: SegmentLogHandle
            var start: Int64
            var end: Int64
            /// The offset after the segment's last batch (next segment's base, or the LEO for the active one).
            var nextOffset: Int64
        }
        let (views, start, end, hw, lso) = try lock.withLock {
            () throws(LogError) -> ([View], Int64, Int64, Int64, Int64) in
            try ensureOpen()
            let end = leo
            if offset < logStart || offset > end {
                throw .offsetOutOfRange(requested: offset, logStartOffset: logStart, logEndOffset: end)
            }
            let lso = lastStableOffsetLocked
            guard offset < end, let first = segmentIndex(containing: offset) else {
                return ([], logStart, end, highWatermarkValue, lso)
            }
            var views: [View] = []
            for i in first..<min(segments.count, first + Self.maxSegmentsPerRead) {
                let seg = segments[i]
                let position = i == first ? try seg.offsetIndex.lookup(offset).position : 0
                let next = i + 1 < segments.count ? segments[i + 1].baseOffset : end
                views.append(
                    View(
                        file: i == first ? try seg.log : nil, handle: seg.logHandle, start: position, end: seg.size,
                        nextOffset: next))
            }
            return (views, logStart, end, highWatermarkValue, lso)
        }
        var result = LogReadResult(
            slices: [], byteCount: 0, logStartOffset: start, logEndOffset: end, highWatermark: hw,
            lastStableOffset: lso, nextOffset: offset)
        var first = true
        outer: for view in views {
            // The slices hold the file, so an eviction from the descriptor cache cannot close it mid-send.
            let file: SegmentFile
            if let opened = view.file {
                file = opened
            } else {
                do throws(LogError) {
                    file = try view.handle.acquire()
                } catch {
                    // Deleted by retention meanwhile, or out of descriptors: answer with what was found so far.
                    if result.byteCount > 0 { break outer }
                    throw error
                }
            }
            var scanner = BatchScanner(file: file, from: view.start, end: view.end, chunkSize: 16 * 1024)
            var sliceStart: Int64 = -1
            var sliceEnd: Int64 = -1
            defer {
                if sliceStart >= 0 {
                    result.slices.append(
                        FileSlice(file: file, position: sliceStart, length: Int(sliceEnd - sliceStart)))
                }
            }
            while true {
                switch try scanner.next() {
                case .batch(let b):
                    let h = b.header
                    if h.lastOffset < offset { continue }
                    if h.lastOffset >= maxOffset { break outer }
                    if result.byteCount + b.size > maxBytes && !(first && minOneBatch) { break outer }
                    // Fast path: the rest of the segment is below maxOffset and fits, so it goes whole without
                    // walking every batch header (a tail fetch costs one index lookup and a short scan).
                    let rest = Int(view.end - b.position)
                    if view.nextOffset <= maxOffset && result.byteCount + rest <= maxBytes {
                        if sliceStart < 0 { sliceStart = b.position }
                        sliceEnd = view.end
                        result.nextOffset = view.nextOffset
                        result.byteCount += rest
                        first = false
                        continue outer
                    }
                    if sliceStart < 0 { sliceStart = b.position }
                    sliceEnd = b.position + Int64(b.size)
                    result.nextOffset = h.nextOffset
                    result.byteCount += b.size
                    first = false
                case .end:
                    continue outer
                case .invalid(let position, let reason):
                    if result.byteCount > 0 { break outer }
                    throw .corruptLog("\(file.openedPath) at \(position): \(reason)")
                }
            }
        }
        return result
    }

    /// `read` copied into one buffer, for callers that need the bytes (tests, tools, internal consumers).
    public func readBytes(
        from offset: Int64, maxBytes: Int, upTo maxOffset: Int64 = Int64.max, minOneBatch: Bool = true
    )
        throws(LogError) -> [UInt8]
    {
        let result = try read(from: offset, maxBytes: maxBytes, upTo: maxOffset, minOneBatch: minOneBatch)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(result.byteCount)
        for slice in result.slices { bytes += try slice.readBytes() }
        return bytes
    }

    /// ListOffsets by timestamp: the first record with timestamp ≥ `timestamp` at or after the log start offset,
    /// found through the time index. Records of compressed batches are not decoded: the batch's first offset and
    /// max timestamp answer instead (never skipping a match). Nil when no record is that recent.
    public func offsetForTimestamp(_ timestamp: Int64) throws(LogError) -> (offset: Int64, timestamp: Int64)? {
        try lock.withLock { () throws(LogError) -> (offset: Int64, timestamp: Int64)? in
            try ensureOpen()
            for (i, seg) in segments.enumerated() {
                guard try seg.maxTimestampSoFar >= timestamp else { continue }
                let segmentEnd = i + 1 < segments.count ? segments[i + 1].baseOffset : leo
                if segmentEnd <= logStart { continue }
                if let hit = try seg.findOffset(byTimestamp: timestamp, startingOffset: logStart) { return hit }
            }
            return nil
        }
    }

    /// The largest timestamp in the log and the offset of the batch carrying it (ListOffsets −3), if any.
    public var maxTimestampAndOffset: (timestamp: Int64, offset: Int64)? {
        lock.withLock {
            var best: (timestamp: Int64, offset: Int64)?
            for seg in segments {
                // A segment whose time index cannot be mapped has no timestamp to offer here.
                guard let newest = try? seg.maxTimestampSoFar, newest >= 0,
                    let offset = try? seg.offsetOfMaxTimestampSoFar
                else { continue }
                if let b = best, b.timestamp >= newest { continue }
                best = (newest, offset)
            }
            return best
        }
    }
}
