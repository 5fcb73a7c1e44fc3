import KafkaRecords

/// One segment of a partition log: `<base>.log` plus its `.index` and `.timeindex`.
///
/// ```
/// 00000000000000000000.log        batches, back to back, offsets [base, next)
/// 00000000000000000000.index      sparse: (lastOffset − base, startPosition) every index.interval.bytes
/// 00000000000000000000.timeindex  sparse: (maxTimestampSoFar, offsetOfThatTimestamp − base)
/// ```
/// Not thread-safe by itself: the owning `PartitionLog` serialises mutations. Reads of the `.log` bytes go
/// through `SegmentFile`, which is safe to use concurrently.
///
/// Descriptors: the active segment keeps its `.log` open (pinned); other segments open it on first read and
/// `DescriptorCache` closes the least recently used. The indexes are mapped (`MappedIndexFile`) and hold no
/// descriptor; a segment opened with `lazyIndexes` maps them on first use (Kafka's lazy index, KAFKA-7283) and
/// rebuilds them then if they fail the sanity check.
final class LogSegment {
    let baseOffset: Int64
    let directory: String
    /// The suffix of all three file names: "" normally, `.cleaned`/`.swap` while the cleaner builds the segment,
    /// `.deleted` appended once deleted.
    private(set) var fileSuffix: String
    let logHandle: SegmentLogHandle
    private var indexes: (offset: OffsetIndex, time: TimeIndex)?
    /// Set while the indexes of a lazily opened segment have not been mapped yet: how to rebuild them when they
    /// fail the sanity check on first use.
    private var lazyIndexCheck: (indexIntervalBytes: Int, maxIndexBytes: Int)?
    private(set) var size: Int64
    private var bytesSinceLastIndexEntry: Int64 = 0
    private var maxTs: Int64 = -1
    private var maxTsOffset: Int64 = -1
    /// The first batch's max timestamp: what `segment.ms` is measured from.
    private(set) var rollingBasedTimestamp: Int64?
    /// Wall-clock creation (or load) time, used for `segment.ms` when batches carry no timestamp.
    let created: Int64
    /// The offset after the last batch, once known.
    private(set) var nextOffset: Int64

    static func logPath(_ directory: String, _ base: Int64) -> String { "\(directory)/\(filenamePrefix(base)).log" }
    static func indexPath(_ directory: String, _ base: Int64) -> String { "\(directory)/\(filenamePrefix(base)).index" }
    static func timeIndexPath(_ directory: String, _ base: Int64) -> String {
        "\(directory)/\(filenamePrefix(base)).timeindex"
    }

    var logPath: String { Self.logPath(directory, baseOffset) + fileSuffix }
    var indexFilePath: String { Self.indexPath(directory, baseOffset) + fileSuffix }
    var timeIndexFilePath: String { Self.timeIndexPath(directory, baseOffset) + fileSuffix }
    /// The aborted-transaction index; it exists only once a transaction aborted in this segment.
    var txnIndexFilePath: String { TransactionIndexFormat.path(directory, baseOffset) + fileSuffix }

    /// The `.log`, opened if it was closed (holding the returned file keeps its descriptor open).
    var log: SegmentFile {
        get throws(LogError) { try logHandle.acquire() }
    }
    var offsetIndex: OffsetIndex {
        get throws(LogError) { try loadIndexes().offset }
    }
    var timeIndex: TimeIndex {
        get throws(LogError) { try loadIndexes().time }
    }
    /// Whether the index files are mapped.
    var indexesLoaded: Bool { indexes != nil }

    /// Opens a new or active segment's files, creating them if absent: the `.log` stays open (pinned) and the
    /// indexes are mapped but not yet checked. `suffix` names the files of a segment under construction (the
    /// cleaner's `.cleaned`).
    init(directory: String, baseOffset: Int64, now: Int64, suffix: String = "", cache: DescriptorCache = .shared)
        throws(LogError)
    {
        self.directory = directory
        self.baseOffset = baseOffset
        fileSuffix = suffix
        logHandle = try SegmentLogHandle(
            path: Self.logPath(directory, baseOffset) + suffix, pinned: true, open: true, cache: cache)
        size = try logHandle.size()
        created = now
        nextOffset = baseOffset
        try loadIndexes()
    }

    /// An existing segment found by the loader. With `lazyIndexes` nothing is opened: the `.log` opens on first
    /// read, the indexes are mapped (and checked against `indexIntervalBytes`/`maxIndexBytes`) on first use.
    /// Otherwise the indexes are mapped now, unchecked (the loader checks them) and the `.log` opens on first use.
    init(
        existingIn directory: String, baseOffset: Int64, now: Int64, lazyIndexes: Bool, indexIntervalBytes: Int,
        maxIndexBytes: Int, cache: DescriptorCache = .shared
    ) throws(LogError) {
        self.directory = directory
        self.baseOffset = baseOffset
        fileSuffix = ""
        logHandle = try SegmentLogHandle(
            path: Self.logPath(directory, baseOffset), pinned: false, open: false, cache: cache)
        size = try logHandle.size()
        created = now
        nextOffset = baseOffset
        if lazyIndexes {
            lazyIndexCheck = (indexIntervalBytes, maxIndexBytes)
        } else {
            try loadIndexes()
        }
    }

    @discardableResult
    private func loadIndexes() throws(LogError) -> (offset: OffsetIndex, time: TimeIndex) {
        if let indexes { return indexes }
        let loaded = (
            offset: try OffsetIndex(path: indexFilePath, baseOffset: baseOffset),
            time: try TimeIndex(path: timeIndexFilePath, baseOffset: baseOffset)
        )
        indexes = loaded
        if let last = loaded.time.lastEntry {
            maxTs = last.timestamp
            maxTsOffset = last.offset
        }
        bytesSinceLastIndexEntry = size - (loaded.offset.positions.last.map { Int64($0) } ?? 0)
        if let check = lazyIndexCheck {
            lazyIndexCheck = nil
            if try !indexesAreSane() {
                try recover(indexIntervalBytes: check.indexIntervalBytes, maxIndexBytes: check.maxIndexBytes) { _ in }
            }
            releaseIndexMappings()
        }
        return loaded
    }

    /// The largest batch timestamp seen (from the time index), −1 when none.
    var maxTimestampSoFar: Int64 {
        get throws(LogError) {
            try loadIndexes()
            return maxTs
        }
    }
    var offsetOfMaxTimestampSoFar: Int64 {
        get throws(LogError) {
            try loadIndexes()
            return maxTsOffset
        }
    }

    var isEmpty: Bool { size == 0 }

    /// Whether both indexes pass Kafka's sanity checks against this log size.
    /// A missing index file of a non-empty segment also fails, as in Kafka.
    func indexesAreSane() throws(LogError) -> Bool {
        let (offsetIndex, timeIndex) = try loadIndexes()
        if size > 0 && !(offsetIndex.existedBeforeOpen && timeIndex.existedBeforeOpen) { return false }
        return offsetIndex.isSane(logSize: size) && timeIndex.isSane()
    }

    /// Reads the first batch's timestamp and scans from the last index entry to the end to learn `nextOffset`.
    /// Throws `corruptLog` when the tail is not a sequence of whole batches.
    func loadTail() throws(LogError) {
        guard size > 0 else {
            nextOffset = baseOffset
            rollingBasedTimestamp = nil
            return
        }
        let log = try self.log
        var first = BatchScanner(file: log, from: 0, end: size, chunkSize: 4096)
        if case .batch(let b) = try first.next() { rollingBasedTimestamp = b.header.maxTimestamp }
        let start = try offsetIndex.lookup(Int64.max)
        var scanner = BatchScanner(file: log, from: start.position, end: size)
        var next = baseOffset
        while true {
            switch try scanner.next() {
            case .batch(let b): next = b.header.nextOffset
            case .end:
                nextOffset = next
                return
            case .invalid(let position, let reason):
                throw .corruptLog("\(logPath) at \(position): \(reason)")
            }
        }
    }

    // MARK: Append

    /// Kafka's `shouldRoll`: size, time (by record timestamps), full index, or relative-offset overflow.
    func shouldRoll(appendSize: Int, maxTimestamp: Int64, maxOffset: Int64, now: Int64, config: LogConfig) -> Bool {
        if size > Int64(config.segmentBytes) - Int64(appendSize) { return true }
        if size > 0 {
            let waited: Int64
            if let first = rollingBasedTimestamp, first >= 0 {
                waited = maxTimestamp &- first
            } else {
                waited = now &- created
            }
            if waited > config.segmentMs - config.segmentJitterMs { return true }
        }
        if indexes?.offset.isFull ?? false || indexes?.time.isFull ?? false { return true }
        return maxOffset - baseOffset > Int64(Int32.max) || maxOffset < baseOffset
    }

    /// Writes whole batches with one `pwrite` and indexes them batch by batch (one index entry at most every
    /// `indexIntervalBytes`). `batches` describes each batch inside `bytes`.
    func append(_ bytes: UnsafeRawBufferPointer, batches: some Sequence<BatchSpan>, indexIntervalBytes: Int)
        throws(LogError)
    {
        guard bytes.count > 0 else { return }
        let start = size
        try write(bytes, at: start)
        for b in batches {
            try indexBatch(
                position: start + Int64(b.relativePosition), size: b.size, header: b.header,
                indexIntervalBytes: indexIntervalBytes)
        }
    }

    /// Single-batch append (the cleaner's rewritten batches).
    func append(batch bytes: UnsafeRawBufferPointer, header: RecordBatchHeader, indexIntervalBytes: Int)
        throws(LogError)
    {
        let start = size
        try write(bytes, at: start)
        try indexBatch(position: start, size: bytes.count, header: header, indexIntervalBytes: indexIntervalBytes)
    }

    /// Single-batch append, the leader's hot path: the batch is `prefix` (its patched first bytes) followed by
    /// `rest`, written with one `pwritev`, no allocation and no copy.
    func append(
        batchPrefix prefix: UnsafeRawBufferPointer, rest: UnsafeRawBufferPointer, header: RecordBatchHeader,
        indexIntervalBytes: Int
    ) throws(LogError) {
        let start = size
        try write(prefix, rest, at: start)
        try indexBatch(
            position: start, size: prefix.count + rest.count, header: header, indexIntervalBytes: indexIntervalBytes)
    }

    private func write(_ bytes: UnsafeRawBufferPointer, at start: Int64) throws(LogError) {
        try write(UnsafeRawBufferPointer(start: nil, count: 0), bytes, at: start)
    }

    /// Writes `first` then `second` at the end of the log; on failure cuts the file back so no partial batch is
    /// left behind.
    private func write(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer, at start: Int64)
        throws(LogError)
    {
        let file = try log
        do {
            try file.write(first, second, at: start)
        } catch {
            try? file.truncate(to: start)
            throw error
        }
        size += Int64(first.count + second.count)
    }

    private func indexBatch(position: Int64, size batchSize: Int, header: RecordBatchHeader, indexIntervalBytes: Int)
        throws(LogError)
    {
        if position == 0 { rollingBasedTimestamp = header.maxTimestamp }
        let (offsetIndex, timeIndex) = try loadIndexes()
        if header.maxTimestamp > maxTs {
            maxTs = header.maxTimestamp
            maxTsOffset = header.lastOffset
        }
        if bytesSinceLastIndexEntry > Int64(indexIntervalBytes) {
            try offsetIndex.append(offset: header.lastOffset, position: position)
            try timeIndex.maybeAppend(timestamp: maxTs, offset: maxTsOffset)
            bytesSinceLastIndexEntry = 0
        }
        bytesSinceLastIndexEntry += Int64(batchSize)
        nextOffset = header.nextOffset
    }

    // MARK: Lookup

    /// The first batch whose last offset is ≥ `offset`, found from the index then by scanning forward.
    func translate(offset: Int64, limit: Int64? = nil) throws(LogError) -> ScannedBatch? {
        let start = try offsetIndex.lookup(offset)
        var scanner = BatchScanner(file: try log, from: start.position, end: limit ?? size)
        while true {
            switch try scanner.next() {
            case .batch(let b) where b.header.lastOffset >= offset: return b
            case .batch: continue
            case .end: return nil
            case .invalid(let position, let reason): throw .corruptLog("\(logPath) at \(position): \(reason)")
            }
        }
    }

    /// The earliest (offset, timestamp) of a record whose timestamp is ≥ `timestamp` and offset ≥ `startingOffset`.
    func findOffset(byTimestamp timestamp: Int64, startingOffset: Int64) throws(LogError) -> (
        offset: Int64, timestamp: Int64
    )? {
        let fromTimeIndex = try timeIndex.lookup(timestamp)
        let start = try offsetIndex.lookup(max(fromTimeIndex.offset, startingOffset))
        var scanner = BatchScanner(file: try log, from: start.position, end: size)
        while true {
            switch try scanner.next() {
            case .batch(let b):
                let h = b.header
                guard h.maxTimestamp >= timestamp, h.lastOffset >= startingOffset else { continue }
                if h.compressionCodec != 0 || h.isLogAppendTime {
                    // Compressed records are not decoded here: answer with the batch's first offset, which never
                    // skips a matching record. LogAppendTime gives every record the batch's max timestamp.
                    return (max(h.baseOffset, startingOffset), h.maxTimestamp)
                }
                guard let body = try scanner.body(of: b) else { return nil }
                if let hit = RecordTimestamps.first(in: body, header: h, atLeast: timestamp, minOffset: startingOffset)
                {
                    return hit
                }
            case .end: return nil
            case .invalid(let position, let reason): throw .corruptLog("\(logPath) at \(position): \(reason)")
            }
        }
    }

    /// The newest timestamp in the segment, or the file's mtime when no batch carries one (retention by time).
    var largestTimestamp: Int64 {
        get throws(LogError) {
            let newest = try maxTimestampSoFar
            return newest > 0 ? newest : logHandle.lastModifiedMs()
        }
    }

    // MARK: Recovery and truncation

    /// Rebuilds both indexes by validating every batch (structure and CRC) and truncates the `.log` at the first
    /// invalid byte. `onBatch` sees every valid batch in order. Returns the number of bytes truncated.
    @discardableResult
    func recover(indexIntervalBytes: Int, maxIndexBytes: Int, onBatch: (RecordBatchHeader) -> Void) throws(LogError)
        -> Int64
    {
        let (offsetIndex, timeIndex) = try loadIndexes()
        let log = try self.log
        try offsetIndex.reset(maxIndexBytes: maxIndexBytes)
        try timeIndex.reset(maxIndexBytes: maxIndexBytes)
        maxTs = -1
        maxTsOffset = -1
        rollingBasedTimestamp = nil
        nextOffset = baseOffset
        var validBytes: Int64 = 0
        var lastIndexEntry: Int64 = 0
        var expectedNext = baseOffset
        var scanner = BatchScanner(file: log, from: 0, end: try log.size())
        scan: while true {
            switch try scanner.next(verify: true) {
            case .batch(let b):
                let h = b.header
                if h.baseOffset < expectedNext || h.lastOffset - baseOffset > Int64(Int32.max) { break scan }
                if validBytes == 0 { rollingBasedTimestamp = h.maxTimestamp }
                if h.maxTimestamp > maxTs {
                    maxTs = h.maxTimestamp
                    maxTsOffset = h.lastOffset
                }
                if validBytes - lastIndexEntry > Int64(indexIntervalBytes) {
                    try offsetIndex.append(offset: h.lastOffset, position: validBytes)
                    try timeIndex.maybeAppend(timestamp: maxTs, offset: maxTsOffset)
                    lastIndexEntry = validBytes
                }
                validBytes += Int64(b.size)
                expectedNext = h.nextOffset
                nextOffset = expectedNext
                onBatch(h)
            case .end, .invalid:
                break scan
            }
        }
        let fileSize = try log.size()
        let truncated = fileSize - validBytes
        if truncated > 0 { try log.truncate(to: validBytes) }
        size = validBytes
        bytesSinceLastIndexEntry = validBytes - lastIndexEntry
        try offsetIndex.trimToValidSize()
        if maxTs >= 0 {
            try timeIndex.maybeAppend(timestamp: maxTs, offset: maxTsOffset, skipFullCheck: true)
        }
        try timeIndex.trimToValidSize()
        return truncated
    }

    /// Removes every batch at or after the batch containing `offset`. Returns the bytes removed.
    @discardableResult
    func truncate(to offset: Int64) throws(LogError) -> Int64 {
        guard let batch = try translate(offset: offset) else { return 0 }
        let (offsetIndex, timeIndex) = try loadIndexes()
        let removed = size - batch.position
        try offsetIndex.truncate(toOffset: offset)
        try timeIndex.truncate(toOffset: offset)
        try log.truncate(to: batch.position)
        size = batch.position
        if let last = timeIndex.lastEntry {
            maxTs = last.timestamp
            maxTsOffset = last.offset
        } else {
            maxTs = -1
            maxTsOffset = -1
        }
        if size == 0 { rollingBasedTimestamp = nil }
        bytesSinceLastIndexEntry = size - (offsetIndex.positions.last.map { Int64($0) } ?? 0)
        try loadTail()
        return removed
    }

    // MARK: Lifecycle

    /// Called when a newer segment becomes active: final time-index entry, indexes trimmed to size, and the `.log`
    /// descriptor handed to the descriptor cache.
    func onBecomeInactive() throws(LogError) {
        if let (offsetIndex, timeIndex) = indexes {
            if maxTs >= 0 {
                try timeIndex.maybeAppend(timestamp: maxTs, offset: maxTsOffset, skipFullCheck: true)
            }
            try offsetIndex.trimToValidSize()
            try timeIndex.trimToValidSize()
        }
        releaseIndexMappings()
        logHandle.unpin()
    }

    /// Unmaps the indexes of a segment that is no longer written (its entries stay in memory).
    func releaseIndexMappings() {
        indexes?.offset.file.releaseMapping()
        indexes?.time.file.releaseMapping()
    }

    /// Pins the `.log` open and preallocates the indexes for appends.
    func becomeActive(maxIndexBytes: Int) throws(LogError) {
        try logHandle.pin()
        let (offsetIndex, timeIndex) = try loadIndexes()
        try offsetIndex.resize(maxIndexBytes: maxIndexBytes)
        try timeIndex.resize(maxIndexBytes: maxIndexBytes)
    }

    func flush() throws(LogError) {
        try log.sync()
        try syncIndexes()
    }

    /// `msync`s mapped indexes; indexes never mapped have nothing to write.
    func syncIndexes() throws(LogError) {
        try indexes?.offset.file.sync()
        try indexes?.time.file.sync()
    }

    /// Renames the three files with a `.deleted` suffix; open readers keep their descriptors.
    func markDeleted() throws(LogError) {
        try renameFiles(suffix: fileSuffix + ".deleted")
    }

    var filePaths: [String] { [logPath, indexFilePath, timeIndexFilePath, txnIndexFilePath] }

    /// Renames the three files to their canonical names plus `suffix` (the cleaner's `.cleaned` → `.swap` → "").
    /// Index files of a lazily opened segment that were never created are skipped.
    func renameFiles(suffix: String) throws(LogError) {
        let newLog = Self.logPath(directory, baseOffset) + suffix
        try FS.rename(logPath, newLog)
        logHandle.rename(to: newLog)
        let newIndex = Self.indexPath(directory, baseOffset) + suffix
        let newTimeIndex = Self.timeIndexPath(directory, baseOffset) + suffix
        if let (offsetIndex, timeIndex) = indexes {
            try offsetIndex.rename(to: newIndex)
            try timeIndex.rename(to: newTimeIndex)
        } else {
            if FS.exists(indexFilePath) { try FS.rename(indexFilePath, newIndex) }
            if FS.exists(timeIndexFilePath) { try FS.rename(timeIndexFilePath, newTimeIndex) }
        }
        let newTxnIndex = TransactionIndexFormat.path(directory, baseOffset) + suffix
        if FS.exists(txnIndexFilePath) { try FS.rename(txnIndexFilePath, newTxnIndex) }
        fileSuffix = suffix
    }

    func deleteFiles() throws(LogError) {
        for path in filePaths { try FS.remove(path) }
        logHandle.closeIfUnpinned()
    }
}

/// A batch inside a multi-batch append buffer.
struct BatchSpan {
    var relativePosition: Int
    var size: Int
    var header: RecordBatchHeader
}

/// Minimal walk over the records of an uncompressed v2 batch, to find a record by timestamp.
enum RecordTimestamps {
    static func first(in batch: ArraySlice<UInt8>, header: RecordBatchHeader, atLeast target: Int64, minOffset: Int64)
        -> (offset: Int64, timestamp: Int64)?
    {
        batch.withUnsafeBytes { p -> (Int64, Int64)? in
            var i = RecordBatchHeader.size
            for _ in 0..<max(0, Int(header.recordsCount)) {
                guard let length = readVarint(p, &i), length >= 0, length <= Int64(p.count) else { return nil }
                let recordEnd = i + Int(length)
                guard recordEnd <= p.count, i < p.count else { return nil }
                i += 1  // attributes
                guard let tsDelta = readVarint(p, &i), let offsetDelta = readVarint(p, &i) else { return nil }
                let ts = header.baseTimestamp &+ tsDelta
                let offset = header.baseOffset &+ offsetDelta
                if ts >= target && offset >= minOffset { return (offset, ts) }
                i = recordEnd
            }
            return nil
        }
    }

    /// Zig-zag varint (up to 64 bits), bounds-checked.
    static func readVarint(_ p: UnsafeRawBufferPointer, _ i: inout Int) -> Int64? {
        var raw: UInt64 = 0
        var shift: UInt64 = 0
        while i < p.count, shift < 64 {
            let byte = p[i]
            i += 1
            raw |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1))) }
            shift += 7
        }
        return nil
    }
}
