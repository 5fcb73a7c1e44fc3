import KafkaRecords

extension PartitionLog {
    /// Kafka's `LogLoader`, simplified:
    /// 1. finish a cleaner swap interrupted by a crash (`.swap` files replace the segments they cover), then remove
    ///    leftovers (`.deleted`, `.cleaned`, `.tmp`, indexes without a `.log`);
    /// 2. list segments in base-offset order; the active segment and, after an unclean shutdown, those holding
    ///    offsets at or past the recovery point are opened and recovered (batches re-validated, indexes rebuilt,
    ///    `.log` cut at the first invalid byte) when their indexes fail the sanity check, when the tail is torn, or
    ///    — unclean shutdown — always. A cut drops all later segments. Every other segment opens nothing: its
    ///    `.log` opens on first read and its indexes are mapped and checked (rebuilt when bad) on first use;
    /// 3. an empty directory gets a segment at the checkpointed log start offset; an LEO below that start empties
    ///    the log;
    /// 4. producer state = newest snapshot ≤ LEO + replay (open transactions included); after an unclean shutdown the
    ///    replay starts at or before the recovery point and re-derives the `.txnindex` entries from there; the
    ///    leader-epoch cache is trimmed to [start, LEO].
    func load(recoveryPointCheckpoint: Int64?, logStartCheckpoint: Int64?, hwCheckpoint: Int64?, clean: Bool)
        throws(LogError)
    {
        try FS.makeDirectories(dir)
        try completeInterruptedSwaps()
        let now = clock()
        var logBases: [Int64] = []
        var indexFiles: [(base: Int64, name: String)] = []
        for name in try FS.list(dir) {
            if name.hasSuffix(".deleted") || name.hasSuffix(".cleaned") || name.hasSuffix(".swap")
                || name.hasSuffix(".tmp")
            {
                try FS.remove(dir + "/" + name)
            } else if let base = parseOffsetFileName(name, suffix: ".log") {
                logBases.append(base)
            } else if let base = parseOffsetFileName(name, suffix: ".index")
                ?? parseOffsetFileName(name, suffix: ".timeindex") ?? parseOffsetFileName(name, suffix: ".txnindex")
            {
                indexFiles.append((base, name))
            }
        }
        let bases = Set(logBases)
        for orphan in indexFiles where !bases.contains(orphan.base) { try FS.remove(dir + "/" + orphan.name) }
        logBases.sort()

        do { try epochCache.load() } catch { epochCache = LeaderEpochCache(path: epochCache.path) }
        var epochChanged = false

        // Only the active segment and, after an unclean shutdown, the segments holding offsets at or past the
        // recovery point are checked now; the others open nothing until first read (lazy indexes, KAFKA-7283), so
        // a restart costs one descriptor per partition and work proportional to the unflushed tail.
        let recoveryPoint = recoveryPointCheckpoint ?? 0
        var loaded: [LogSegment] = []
        for (k, base) in logBases.enumerated() {
            let nextBase = k + 1 < logBases.count ? logBases[k + 1] : Int64.max
            let checkNow = k == logBases.count - 1 || (!clean && nextBase > recoveryPoint)
            loaded.append(
                try LogSegment(
                    existingIn: dir, baseOffset: base, now: now, lazyIndexes: !checkNow,
                    indexIntervalBytes: config.indexIntervalBytes, maxIndexBytes: config.segmentIndexBytes))
        }

        var info = LogLoadInfo(hadCleanShutdown: clean, recoveredSegments: 0, truncatedBytes: 0)
        var i = 0
        while i < loaded.count {
            let seg = loaded[i]
            let isLast = i == loaded.count - 1
            let nextBase = isLast ? Int64.max : loaded[i + 1].baseOffset
            // A lazy segment is checked (and its indexes rebuilt if need be) on first use instead.
            guard seg.indexesLoaded else {
                i += 1
                continue
            }
            var needsRecovery = try !seg.indexesAreSane() || (!clean && nextBase > recoveryPoint)
            if !needsRecovery && isLast {
                do { try seg.loadTail() } catch { needsRecovery = true }
            }
            if needsRecovery {
                info.recoveredSegments += 1
                var assigned: [EpochEntry] = []
                let cut = try seg.recover(
                    indexIntervalBytes: config.indexIntervalBytes, maxIndexBytes: config.segmentIndexBytes
                ) { h in
                    if h.partitionLeaderEpoch >= 0 {
                        assigned.append(EpochEntry(epoch: h.partitionLeaderEpoch, startOffset: h.baseOffset))
                    }
                }
                for e in assigned where epochCache.assign(epoch: e.epoch, startOffset: e.startOffset) {
                    epochChanged = true
                }
                info.truncatedBytes += cut
                if cut > 0 && !isLast {
                    for later in loaded[(i + 1)...] {
                        info.truncatedBytes += later.size
                        try later.deleteFiles()
                    }
                    loaded.removeSubrange((i + 1)...)
                }
            }
            if i < loaded.count - 1 { seg.releaseIndexMappings() }
            i += 1
        }
        segments = loaded

        if segments.isEmpty {
            segments = [try LogSegment(directory: dir, baseOffset: logStartCheckpoint ?? 0, now: now)]
        }
        let firstBase = segments[0].baseOffset
        logStart = max(logStartCheckpoint ?? firstBase, firstBase)
        if let checkpointStart = logStartCheckpoint, leo < checkpointStart {
            for seg in segments { try seg.deleteFiles() }
            segments = [try LogSegment(directory: dir, baseOffset: checkpointStart, now: now)]
            logStart = checkpointStart
        }
        if logStart > leo { logStart = leo }
        if let active = segments.last { try active.becomeActive(maxIndexBytes: config.segmentIndexBytes) }

        try abortedIndex.load(directory: dir, segmentBases: segments.map(\.baseOffset))
        if clean {
            try rebuildProducerState()
        } else {
            // Segments past the recovery point were re-read, so the producer state and the aborted-transaction
            // index are re-derived from there: snapshots taken after it may describe batches that were cut.
            let recoverFrom = min(recoveryPoint, leo)
            for offset in try snapshotOffsets() where offset > recoverFrom {
                try FS.remove(ProducerStateManager.snapshotPath(dir, offset))
            }
            try rebuildProducerState(abortedIndexFrom: recoverFrom)
        }
        if epochCache.truncateFromEnd(leo) { epochChanged = true }
        if epochCache.truncateFromStart(logStart) { epochChanged = true }
        if epochChanged { try epochCache.persist() }

        recoveryPointValue = clean ? leo : min(recoveryPointCheckpoint ?? 0, leo)
        highWatermarkValue = min(max(hwCheckpoint ?? 0, logStart), leo)
        producerState.onHighWatermarkUpdated(highWatermarkValue)
        loadInfo = info
    }
}
