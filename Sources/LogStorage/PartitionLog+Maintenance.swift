import KafkaRecords

extension PartitionLog {
    // MARK: DeleteRecords and truncation

    /// DeleteRecords: advances the log start offset to `offset` and deletes segments wholly below it.
    /// Throws `offsetOutOfRange` beyond the high watermark. Returns the new log start offset.
    @discardableResult
    public func deleteRecords(before offset: Int64) throws(LogError) -> Int64 {
        try lock.withLock { () throws(LogError) -> Int64 in
            try ensureOpen()
            guard offset <= highWatermarkValue, offset >= 0 else {
                throw .offsetOutOfRange(requested: offset, logStartOffset: logStart, logEndOffset: leo)
            }
            if offset > logStart {
                logStart = offset
                if epochCache.truncateFromStart(offset) { try epochCache.persist() }
            }
            try deleteSegmentsBelowLogStart(now: clock())
            return logStart
        }
    }

    /// Follower truncation: removes everything at and after `offset` (no-op when `offset` ≥ LEO).
    /// ```
    /// before: [0 … 99][100 … 149][150 … 180]*    truncate(to: 120)
    /// after:  [0 … 99][100 … 119]*                later segments deleted, indexes and producer state rolled back
    /// ```
    /// If `offset` falls inside a batch the whole batch goes, so the LEO may end below `offset`.
    /// At or past the LEO nothing is cut, but leader-epoch entries starting at the LEO still go: a broker that was
    /// leader briefly may hold an epoch entry without any batch in it (Kafka's `UnifiedLog.truncateTo`).
    public func truncate(to offset: Int64) throws(LogError) {
        try lock.withLock { () throws(LogError) in
            try ensureOpen()
            guard offset < leo else {
                if epochCache.truncateFromEnd(leo) { try epochCache.persist() }
                return
            }
            let now = clock()
            guard let firstBase = segments.first?.baseOffset, offset >= firstBase else {
                try truncateFullyLocked(startingAt: offset, now: now)
                return
            }
            while let last = segments.last, last.baseOffset > offset, segments.count > 1 {
                segments.removeLast()
                try scheduleDeletion(last, now: now)
            }
            guard let active = segments.last else { throw .corruptLog("log has no segment") }
            try active.truncate(to: offset)
            try active.becomeActive(maxIndexBytes: config.segmentIndexBytes)
            let end = leo
            highWatermarkValue = min(highWatermarkValue, end)
            recoveryPointValue = min(recoveryPointValue, end)
            logStart = min(logStart, end)
            if epochCache.truncateFromEnd(end) { try epochCache.persist() }
            try abortedIndex.truncate(from: end, directory: dir)
            try rebuildProducerState()
        }
    }

    /// Replaces the whole log with an empty one starting at `offset` (follower out of range below the leader's
    /// start offset).
    public func truncateFullyAndStartAt(_ offset: Int64) throws(LogError) {
        try lock.withLock { () throws(LogError) in
            try ensureOpen()
            try truncateFullyLocked(startingAt: offset, now: clock())
        }
    }

    func truncateFullyLocked(startingAt offset: Int64, now: Int64) throws(LogError) {
        let old = segments
        segments = []
        for seg in old { try scheduleDeletion(seg, now: now) }
        for snapshot in try snapshotOffsets() { try FS.remove(ProducerStateManager.snapshotPath(dir, snapshot)) }
        for path in [
            LogSegment.logPath(dir, offset), LogSegment.indexPath(dir, offset),
            LogSegment.timeIndexPath(dir, offset), TransactionIndexFormat.path(dir, offset),
        ] { try FS.remove(path) }
        abortedIndex.removeAll()
        let segment = try LogSegment(directory: dir, baseOffset: offset, now: now)
        try segment.becomeActive(maxIndexBytes: config.segmentIndexBytes)
        segments = [segment]
        logStart = offset
        highWatermarkValue = offset
        recoveryPointValue = offset
        producerState.clear()
        epochCache.truncateFromEnd(Int64.min)
        try epochCache.persist()
    }

    // MARK: Retention

    /// Deletes old segments by `retention.ms` (largest timestamp older than `now − retention.ms`), by
    /// `retention.bytes` (oldest first while the log stays at or above the limit without it), and below the log
    /// start offset. Never deletes the active segment, nor a segment holding offsets at or above the high
    /// watermark. Advances the log start offset. Returns the number of segments deleted.
    @discardableResult
    public func applyRetention(now: Int64) throws(LogError) -> Int {
        try lock.withLock { () throws(LogError) -> Int in
            try ensureOpen()
            var deleted = 0
            if config.cleanupPolicy.deletes {
                if config.retentionMs >= 0 {
                    while segments.count > 1, segments[1].baseOffset <= highWatermarkValue,
                        try now - segments[0].largestTimestamp > config.retentionMs
                    {
                        try deleteOldestSegment(now: now)
                        deleted += 1
                    }
                }
                if config.retentionBytes >= 0 {
                    var excess = segments.reduce(Int64(0)) { $0 + $1.size } - config.retentionBytes
                    while segments.count > 1, segments[1].baseOffset <= highWatermarkValue,
                        excess - segments[0].size >= 0
                    {
                        excess -= segments[0].size
                        try deleteOldestSegment(now: now)
                        deleted += 1
                    }
                }
            }
            deleted += try deleteSegmentsBelowLogStart(now: now)
            try purgeDeletedFiles(now: now)
            return deleted
        }
    }

    @discardableResult
    func deleteSegmentsBelowLogStart(now: Int64) throws(LogError) -> Int {
        var deleted = 0
        while segments.count > 1, segments[1].baseOffset <= logStart {
            try deleteOldestSegment(now: now)
            deleted += 1
        }
        return deleted
    }

    func deleteOldestSegment(now: Int64) throws(LogError) {
        let oldest = segments.removeFirst()
        try scheduleDeletion(oldest, now: now)
        abortedIndex.dropSegments(below: segments.first?.baseOffset ?? leo)
        if let first = segments.first, first.baseOffset > logStart {
            logStart = first.baseOffset
            if epochCache.truncateFromStart(logStart) { try epochCache.persist() }
        }
        for snapshot in try snapshotOffsets() where snapshot < (segments.first?.baseOffset ?? 0) {
            try FS.remove(ProducerStateManager.snapshotPath(dir, snapshot))
        }
    }

    /// Renames the segment's files to `.deleted`; they are removed after `file.delete.delay.ms`.
    func scheduleDeletion(_ segment: LogSegment, now: Int64) throws(LogError) {
        try segment.markDeleted()
        pendingDeletes.append((now + config.fileDeleteDelayMs, segment))
        try purgeDeletedFiles(now: now)
    }

    func purgeDeletedFiles(now: Int64) throws(LogError) {
        var kept: [(dueAt: Int64, segment: LogSegment)] = []
        for entry in pendingDeletes {
            if entry.dueAt <= now { try entry.segment.deleteFiles() } else { kept.append(entry) }
        }
        pendingDeletes = kept
    }

    // MARK: Flush and close

    /// fsyncs data up to `offset` (default: the LEO) and advances the recovery point. The fsyncs run outside the
    /// lock so appends continue meanwhile.
    public func flush(upTo offset: Int64? = nil) throws(LogError) {
        let (files, target) = try lock.withLock { () throws(LogError) -> ([SegmentFile], Int64) in
            try ensureOpen()
            return try filesToFlush(upTo: offset ?? leo)
        }
        for file in files { try file.sync() }
        try lock.withLock { () throws(LogError) in
            if epochCache.unsynced { try epochCache.persist() }
            if target > recoveryPointValue { recoveryPointValue = target }
            if target >= leo {
                unflushedMessages = 0
                lastFlushTime = clock()
            }
        }
    }

    /// Kafka's background flushing: segments that were rolled are flushed; everything is flushed when `flush.ms`
    /// has passed since the last full flush.
    public func flushIfNeeded(now: Int64) throws(LogError) {
        let target: Int64 = lock.withLock {
            if now - lastFlushTime >= config.flushMs { return leo }
            return segments.last?.baseOffset ?? 0
        }
        // A leader-epoch checkpoint written without fsync is synced here even when no data waits.
        if target > recoveryPoint || lock.withLock({ epochCache.unsynced }) { try flush(upTo: target) }
    }

    /// The `.log` files to fsync (outside the lock) for a flush up to `requested`; the mapped indexes of those
    /// segments are `msync`ed here, under the lock, because a concurrent roll may remap them.
    func filesToFlush(upTo requested: Int64) throws(LogError) -> ([SegmentFile], Int64) {
        let target = min(requested, leo)
        guard target > recoveryPointValue else { return ([], recoveryPointValue) }
        var files: [SegmentFile] = []
        for (i, seg) in segments.enumerated() {
            let segmentEnd = i + 1 < segments.count ? segments[i + 1].baseOffset : Int64.max
            if segmentEnd <= recoveryPointValue || seg.baseOffset >= target { continue }
            try seg.syncIndexes()
            files.append(try seg.log)
        }
        return (files, target)
    }

    func flushLocked(now: Int64) throws(LogError) {
        let (files, target) = try filesToFlush(upTo: leo)
        for file in files { try file.sync() }
        if epochCache.unsynced { try epochCache.persist() }
        recoveryPointValue = max(recoveryPointValue, target)
        unflushedMessages = 0
        lastFlushTime = now
    }

    /// Clean close: flush, final time-index entry, indexes trimmed, producer snapshot at the LEO, pending
    /// deletions done. The log refuses further calls.
    public func close() throws(LogError) {
        try lock.withLock { () throws(LogError) in
            guard !closed else { return }
            try flushLocked(now: clock())
            if let active = segments.last { try active.onBecomeInactive() }
            try writeProducerSnapshot(at: leo, sync: true)
            try purgeDeletedFiles(now: Int64.max)
            closed = true
        }
    }

    /// Marks the log closed without flushing, after its directory was renamed for deletion.
    func markDeleted(newDirectory: String) {
        lock.withLock {
            closed = true
            dir = newDirectory
        }
    }
}
