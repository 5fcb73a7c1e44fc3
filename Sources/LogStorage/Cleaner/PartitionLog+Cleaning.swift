import KafkaRecords

/// What one cleaning of a log covers, decided under the log's lock.
///
/// ```
///  logStart      firstDirtyOffset          firstUncleanableOffset   active
///  [ clean (cleaned before) ][ dirty (new since) ][ uncleanable   ][ seg ]*
/// ```
/// Only whole, non-active segments below `min(active base, last stable offset, first segment younger than
/// min.compaction.lag.ms)` take part.
struct CleaningPlan {
    var firstDirtyOffset: Int64
    var firstUncleanableOffset: Int64
    /// The segments that may be rewritten (oldest first) and the offset each one ends at (next segment's base).
    var segments: [LogSegment]
    var ends: [Int64]
    var sizes: [Int64]
    var cleanBytes: Int64
    var dirtyBytes: Int64
    /// `max.compaction.lag.ms` has passed for the first dirty record.
    var overdue: Bool
    var config: LogConfig
    /// Producer id → last offset of its newest batch: that batch is kept (possibly empty) so producer state stays.
    var producerLastOffsets: [Int64: Int64]
    /// Producer id → [first, marker] ranges of its aborted transactions (from the `.txnindex`): their data is
    /// discarded, as Kafka's cleaner does, so an aborted value never wins over a committed one for its key.
    var abortedRanges: [Int64: [ClosedRange<Int64>]] = [:]

    /// A data batch of an aborted transaction.
    func isAborted(_ h: RecordBatchHeader) -> Bool {
        guard h.isTransactional, !h.isControl, let ranges = abortedRanges[h.producerId] else { return false }
        return ranges.contains { $0.contains(h.baseOffset) }
    }

    var dirtyRatio: Double {
        let total = cleanBytes + dirtyBytes
        return total > 0 ? Double(dirtyBytes) / Double(total) : 0
    }
}

/// The result of cleaning one log.
struct CleaningOutcome {
    var stats = CleanerStats()
    /// The new first dirty offset (for `cleaner-offset-checkpoint`).
    var cleanedUpTo: Int64
    /// The earliest delete horizon of a tombstone still kept, if any: the log needs cleaning again then.
    var earliestDeleteHorizon: Int64?
}

/// The attribute bit saying a batch's base timestamp is its delete horizon (KIP-534).
let deleteHorizonFlag: Int16 = 0x40

extension PartitionLog {
    /// Decides what a cleaning would cover; nil when the log is not compacted or has nothing that could be cleaned.
    func cleaningPlan(checkpoint: Int64?, now: Int64) -> CleaningPlan? {
        lock.withLock { () -> CleaningPlan? in
            guard !closed, config.cleanupPolicy != .delete, segments.count > 1, let active = segments.last else {
                return nil
            }
            var firstDirty = checkpoint ?? logStart
            if firstDirty < logStart || firstDirty > leo { firstDirty = logStart }
            let settings = config.compaction
            // Never at or past the LSO (Kafka's `firstUncleanableOffset`): an open transaction's records could
            // still be aborted, and the markers that decide them are not written yet.
            var uncleanable = min(active.baseOffset, lastStableOffsetLocked)
            if settings.minCompactionLagMs > 0 {
                for i in 0..<(segments.count - 1) where segments[i + 1].baseOffset > firstDirty {
                    // A segment whose time index cannot be read counts as too young to clean.
                    if (try? segments[i].largestTimestamp) ?? Int64.max > now - settings.minCompactionLagMs {
                        uncleanable = min(uncleanable, segments[i].baseOffset)
                        break
                    }
                }
            }
            var plan = CleaningPlan(
                firstDirtyOffset: firstDirty, firstUncleanableOffset: uncleanable, segments: [], ends: [], sizes: [],
                cleanBytes: 0, dirtyBytes: 0, overdue: false, config: config, producerLastOffsets: [:])
            for i in 0..<(segments.count - 1) {
                let end = segments[i + 1].baseOffset
                guard end <= uncleanable else { break }
                let seg = segments[i]
                plan.segments.append(seg)
                plan.ends.append(end)
                plan.sizes.append(seg.size)
                if end <= firstDirty {
                    plan.cleanBytes += seg.size
                } else {
                    if plan.dirtyBytes == 0, settings.maxCompactionLagMs < Int64.max,
                        let first = seg.rollingBasedTimestamp, first >= 0, now - first > settings.maxCompactionLagMs
                    {
                        plan.overdue = true
                    }
                    plan.dirtyBytes += seg.size
                }
            }
            guard !plan.segments.isEmpty else { return nil }
            for (id, entry) in producerState.producers {
                if let last = entry.batches.last?.lastOffset { plan.producerLastOffsets[id] = last }
            }
            for e in abortedIndex.overlapping(from: logStart, upTo: uncleanable) {
                plan.abortedRanges[e.producerId, default: []].append(e.firstOffset...e.lastOffset)
            }
            return plan
        }
    }

    /// Cleans the log as planned: builds the key → latest-offset map over the dirty segments, then rewrites every
    /// planned segment up to the map's end, group by group (`segment.bytes` per group), each group through
    /// `<base>.log.cleaned` → `.swap` → `.log`. Blocking file I/O; appends and reads go on meanwhile (the lock is
    /// only taken to swap). Stops early (without advancing past the last swapped group) when the log changed under
    /// it (truncation, deletion, retention).
    /// `throttle` is told every byte read and written (`log.cleaner.io.max.bytes.per.second`; it may sleep).
    func clean(
        _ plan: CleaningPlan, now: Int64, mapBudgetBytes: Int, throttle: (Int) -> Void = { _ in }
    ) throws(LogError) -> CleaningOutcome {
        var outcome = CleaningOutcome(cleanedUpTo: plan.firstDirtyOffset)
        // 1. Offset map over the dirty segments, whole segments only.
        var map = OffsetMap(budgetBytes: mapBudgetBytes)
        var mapEnd = plan.firstDirtyOffset
        for (i, seg) in plan.segments.enumerated() where plan.ends[i] > plan.firstDirtyOffset {
            if map.isFull && mapEnd > plan.firstDirtyOffset { break }
            try forEachStoredBatch(seg, size: plan.sizes[i]) { (h, bytes) throws(LogError) in
                outcome.stats.bytesRead += Int64(bytes.count)
                throttle(bytes.count)
                guard !h.isControl, !plan.isAborted(h) else { return }
                for record in try decode(bytes, h, seg) {
                    if let key = record.key { map.put(key, offset: h.baseOffset + Int64(record.offsetDelta)) }
                }
            }
            mapEnd = plan.ends[i]
        }
        // 2. The segments to rewrite: everything planned that ends at or below the map's end, grouped by size.
        let count = plan.ends.firstIndex(where: { $0 > mapEnd }) ?? plan.ends.count
        guard count > 0 else { return outcome }
        var groups: [Range<Int>] = []
        var start = 0
        var bytes: Int64 = 0
        for i in 0..<count {
            let tooBig = bytes + plan.sizes[i] > Int64(plan.config.segmentBytes)
            let tooWide = plan.ends[i] - 1 - plan.segments[start].baseOffset > Int64(Int32.max)
            if i > start && (tooBig || tooWide) {
                groups.append(start..<i)
                start = i
                bytes = 0
            }
            bytes += plan.sizes[i]
        }
        groups.append(start..<count)
        // 3. Rewrite and swap each group.
        for group in groups {
            let installed = try cleanGroup(plan, group, map: map, now: now, throttle: throttle, outcome: &outcome)
            guard installed else {
                outcome.stats.failures.append(
                    "\(topicPartition.directoryName): log changed while cleaning, retrying later")
                return outcome
            }
            outcome.cleanedUpTo = max(outcome.cleanedUpTo, min(plan.ends[group.upperBound - 1], mapEnd))
        }
        outcome.cleanedUpTo = max(outcome.cleanedUpTo, mapEnd)
        outcome.stats.cleanedLogs = 1
        return outcome
    }

    private func cleanGroup(
        _ plan: CleaningPlan, _ group: Range<Int>, map: OffsetMap, now: Int64, throttle: (Int) -> Void,
        outcome: inout CleaningOutcome
    ) throws(LogError) -> Bool {
        let sources = Array(plan.segments[group])
        let base = sources[0].baseOffset
        let directory = sources[0].directory
        for suffix in [".cleaned", ".swap"] {
            for path in [
                LogSegment.logPath(directory, base), LogSegment.indexPath(directory, base),
                LogSegment.timeIndexPath(directory, base), TransactionIndexFormat.path(directory, base),
            ] { try FS.remove(path + suffix) }
        }
        let out = try LogSegment(directory: directory, baseOffset: base, now: now, suffix: ".cleaned")
        var installed = false
        defer { if !installed { try? out.deleteFiles() } }
        try out.becomeActive(maxIndexBytes: plan.config.segmentIndexBytes)
        for (k, seg) in sources.enumerated() {
            try forEachStoredBatch(seg, size: plan.sizes[group.lowerBound + k]) { (h, bytes) throws(LogError) in
                throttle(bytes.count)
                let filtered = try filter(bytes, h, seg, map: map, plan: plan, now: now, stats: &outcome.stats)
                if let horizon = filtered.deleteHorizon {
                    outcome.earliestDeleteHorizon = min(outcome.earliestDeleteHorizon ?? horizon, horizon)
                }
                guard let kept = filtered.bytes else { return }
                let header = kept.withUnsafeBytes { RecordBatchHeader(parsing: $0) }
                var failure: LogError?
                kept.withUnsafeBytes { p in
                    do throws(LogError) {
                        try out.append(batch: p, header: header, indexIntervalBytes: plan.config.indexIntervalBytes)
                    } catch {
                        failure = error
                    }
                }
                if let failure { throw failure }
                outcome.stats.bytesWritten += Int64(kept.count)
                throttle(kept.count)
            }
        }
        try out.onBecomeInactive()
        try out.flush()
        try out.renameFiles(suffix: ".swap")
        FS.syncDirectory(directory)
        // Install: the old segments become `.deleted` (readers holding them keep their files), the swap takes
        // their place. A crash in between is finished by the loader (`completeInterruptedSwaps`).
        installed = try lock.withLock { () throws(LogError) -> Bool in
            guard !closed, dir == directory,
                let first = segments.firstIndex(where: { $0 === sources[0] }),
                first + sources.count < segments.count
            else { return false }
            for (k, seg) in sources.enumerated() {
                guard segments[first + k] === seg, seg.size == plan.sizes[group.lowerBound + k] else { return false }
            }
            for seg in sources { try scheduleDeletion(seg, now: now) }
            try out.renameFiles(suffix: "")
            segments.replaceSubrange(first..<(first + sources.count), with: [out])
            // The old segments' `.txnindex` files went with them; their entries now belong to the cleaned segment.
            try abortedIndex.merge(segments: Set(sources.map(\.baseOffset)), into: base, directory: directory)
            return true
        }
        FS.syncDirectory(directory)
        return installed
    }

    /// Reads every batch of a (non-active, immutable) segment up to `size`, with its bytes.
    private func forEachStoredBatch(
        _ seg: LogSegment, size: Int64, _ body: (RecordBatchHeader, [UInt8]) throws(LogError) -> Void
    ) throws(LogError) {
        var scanner = BatchScanner(file: try seg.log, from: 0, end: size)
        while true {
            switch try scanner.next() {
            case .batch(let b):
                // The scanner has the batch in its buffer already (or reads it whole): no second file read.
                guard let bytes = try scanner.body(of: b) else {
                    throw .corruptLog("\(seg.logPath): short read at \(b.position)")
                }
                try body(b.header, Array(bytes))
            case .end:
                return
            case .invalid(let position, let reason):
                throw .corruptLog("\(seg.logPath) at \(position): \(reason)")
            }
        }
    }

    private func decode(_ bytes: [UInt8], _ h: RecordBatchHeader, _ seg: LogSegment) throws(LogError) -> [Record] {
        do {
            return try RecordBatch(parsing: bytes).records
        } catch {
            throw .corruptLog("\(seg.logPath): batch at offset \(h.baseOffset) cannot be read: \(error)")
        }
    }

    /// Kafka's retention rule for one batch (`Cleaner.shouldRetainRecord` and `MemoryRecords.filterTo`):
    /// - control batches stay; the records of aborted transactions go;
    /// - a record stays when it has a key and is the latest for it (or its key is not in the map);
    /// - a tombstone stays until its batch's delete horizon; a batch that keeps a tombstone and has no horizon yet
    ///   gets one (now + `delete.retention.ms`, written as the base timestamp with attribute bit 6);
    /// - a batch left without records disappears, unless it is its producer's newest (then it stays, empty);
    /// - an unchanged batch is copied byte for byte; a changed one keeps its base offset, last offset delta,
    ///   producer fields and codec, and gets a new CRC.
    private func filter(
        _ bytes: [UInt8], _ h: RecordBatchHeader, _ seg: LogSegment, map: OffsetMap, plan: CleaningPlan, now: Int64,
        stats: inout CleanerStats
    ) throws(LogError) -> (bytes: [UInt8]?, deleteHorizon: Int64?) {
        if h.isControl { return (bytes, nil) }
        let records = try decode(bytes, h, seg)
        stats.recordsRead += records.count
        let horizon: Int64? = h.attributes & deleteHorizonFlag != 0 ? h.baseTimestamp : nil
        var kept: [Record] = []
        var keptTombstone = false
        let aborted = plan.isAborted(h)
        for record in records where !aborted {
            guard let key = record.key else { continue }
            let offset = h.baseOffset + Int64(record.offsetDelta)
            if let latest = map.latestOffset(of: key), offset < latest { continue }
            if record.value == nil {
                if let horizon, now >= horizon { continue }
                keptTombstone = true
            }
            kept.append(record)
        }
        stats.recordsRemoved += records.count - kept.count
        let newHorizon = keptTombstone ? (horizon ?? now &+ plan.config.compaction.deleteRetentionMs) : horizon
        if kept.count == records.count && newHorizon == horizon {
            return (bytes, keptTombstone ? horizon : nil)
        }
        if kept.isEmpty && !(h.hasProducerId && plan.producerLastOffsets[h.producerId] == h.lastOffset) {
            return (nil, nil)
        }
        let baseTimestamp = newHorizon ?? h.baseTimestamp
        var builder = RecordBatchBuilder(
            baseOffset: h.baseOffset, partitionLeaderEpoch: h.partitionLeaderEpoch,
            codec: kept.isEmpty ? .none : (CompressionCodec(rawValue: h.compressionCodec) ?? .none),
            timestampType: h.isLogAppendTime ? .logAppendTime : .createTime,
            logAppendTime: h.isLogAppendTime ? h.maxTimestamp : -1, baseTimestamp: baseTimestamp,
            producerId: h.producerId, producerEpoch: h.producerEpoch, baseSequence: h.baseSequence,
            isTransactional: h.isTransactional, isControl: false)
        for r in kept {
            builder.append(
                offsetDelta: r.offsetDelta, timestampDelta: h.baseTimestamp &+ r.timestampDelta &- baseTimestamp,
                key: r.key, value: r.value, headers: r.headers)
        }
        var out: [UInt8]
        do {
            out = try builder.build()
        } catch {
            throw .corruptLog("\(seg.logPath): cannot rebuild batch at offset \(h.baseOffset): \(error)")
        }
        // Keep the original last offset delta (producer state and follower fetches rely on the batch's range).
        out.storeBE(UInt32(bitPattern: h.lastOffsetDelta), at: 23)
        if kept.isEmpty { out.storeBE(UInt64(bitPattern: h.maxTimestamp), at: 35) }
        if newHorizon != nil {
            let attributes = out.withUnsafeBytes { RecordBatchHeader(parsing: $0).attributes } | deleteHorizonFlag
            out.storeBE(UInt16(bitPattern: attributes), at: 21)
        }
        RecordBatch.updateCRC(&out)
        return (out, keptTombstone ? newHorizon : nil)
    }

    /// Finishes a cleaner swap that a crash interrupted: each `<base>.log.swap` is complete (it was flushed before
    /// being renamed from `.cleaned`), so the segments it replaces — those whose base offset lies in
    /// [base, end of the swap) — are removed and the swap files take their canonical names. Runs before loading.
    func completeInterruptedSwaps() throws(LogError) {
        let names = try FS.list(dir)
        for name in names where name.hasSuffix(".log.swap") {
            guard let base = parseOffsetFileName(String(name.dropLast(".swap".count)), suffix: ".log") else { continue }
            let swapPath = dir + "/" + name
            let file = try SegmentFile(path: swapPath, create: false)
            var scanner = BatchScanner(file: file, from: 0, end: try file.size())
            var end = base + 1
            scan: while true {
                switch try scanner.next() {
                case .batch(let b): end = max(end, b.header.nextOffset)
                case .end, .invalid: break scan
                }
            }
            for other in names {
                for suffix in [".log", ".index", ".timeindex", ".txnindex"] {
                    if let otherBase = parseOffsetFileName(other, suffix: suffix), otherBase >= base, otherBase < end {
                        try FS.remove(dir + "/" + other)
                    }
                }
            }
            try FS.rename(swapPath, LogSegment.logPath(dir, base))
            for path in [LogSegment.indexPath(dir, base), LogSegment.timeIndexPath(dir, base)]
            where FS.exists(path + ".swap") {
                try FS.rename(path + ".swap", path)
            }
        }
        FS.syncDirectory(dir)
    }
}

extension Array where Element == UInt8 {
    /// Overwrites a big-endian integer at `offset` (in bounds: only used on batch headers built here).
    fileprivate mutating func storeBE<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        var v = value.bigEndian
        Swift.withUnsafeBytes(of: &v) { raw in
            for i in 0..<raw.count { self[offset + i] = raw[i] }
        }
    }
}
