import KafkaRecords

/// One stored batch found by a scan: where it starts and its parsed header.
struct ScannedBatch {
    var position: Int64
    var header: RecordBatchHeader
    var size: Int { header.totalSize }
}

/// Walks the v2 batches of a `.log` file forward from a position, reading the file in large chunks so a scan over
/// many small batches costs few system calls. Used by reads, offset translation, recovery and producer-state replay.
struct BatchScanner {
    enum Step {
        case batch(ScannedBatch)
        /// Clean end of the scanned range.
        case end
        /// The bytes at `position` are not a whole valid batch (torn write, corruption).
        case invalid(position: Int64, reason: String)
    }

    /// Smallest legal v2 batch: the header with no records.
    static let minimumBatchSize = RecordBatchHeader.size
    /// Above this, `baseOffset + lastOffsetDelta + 1` could overflow.
    static let maxBaseOffset = Int64.max - Int64(Int32.max) - 1

    let file: SegmentFile
    private(set) var position: Int64
    let end: Int64
    private let chunkSize: Int
    private var buffer: [UInt8] = []
    private var bufferStart: Int64 = 0

    init(file: SegmentFile, from position: Int64, end: Int64, chunkSize: Int = 64 * 1024) {
        self.file = file
        self.position = position
        self.end = end
        self.chunkSize = chunkSize
    }

    /// Makes [from, from+count) available in `buffer`; false if the file is shorter.
    private mutating func ensureBuffered(_ from: Int64, _ count: Int) throws(LogError) -> Bool {
        if from >= bufferStart && from + Int64(count) <= bufferStart + Int64(buffer.count) { return true }
        let want = Int(min(Int64(max(count, chunkSize)), end - from))
        guard want >= count else { return false }
        if buffer.count != want { buffer = [UInt8](repeating: 0, count: want) }
        let n = try buffer.withMutableBytes { (p) throws(LogError) in try file.read(into: p, at: from) }
        bufferStart = from
        if n < want { buffer.removeLast(want - n) }
        return n >= count
    }

    /// The next batch. With `verify`, the whole batch is read and its CRC-32C checked.
    mutating func next(verify: Bool = false) throws(LogError) -> Step {
        let remaining = end - position
        if remaining <= 0 { return .end }
        if remaining < Int64(Self.minimumBatchSize) { return .invalid(position: position, reason: "partial header") }
        guard try ensureBuffered(position, Self.minimumBatchSize) else {
            return .invalid(position: position, reason: "file shorter than expected")
        }
        let offsetInBuffer = Int(position - bufferStart)
        let header = buffer.withUnsafeBytes { p in
            RecordBatchHeader(parsing: UnsafeRawBufferPointer(rebasing: p[offsetInBuffer...]))
        }
        if header.magic != 2 { return .invalid(position: position, reason: "magic \(header.magic)") }
        if Int(header.batchLength) < Self.minimumBatchSize - RecordBatchHeader.logOverhead {
            return .invalid(position: position, reason: "batch length \(header.batchLength)")
        }
        if header.lastOffsetDelta < 0 || header.baseOffset < 0 || header.baseOffset > Self.maxBaseOffset {
            return .invalid(position: position, reason: "bad offsets")
        }
        let size = header.totalSize
        if Int64(size) > remaining { return .invalid(position: position, reason: "partial batch") }
        if verify {
            guard try ensureBuffered(position, size) else {
                return .invalid(position: position, reason: "file shorter than expected")
            }
            let start = Int(position - bufferStart)
            let computed = buffer.withUnsafeBytes { p in
                CRC32C.checksum(
                    UnsafeRawBufferPointer(rebasing: p[(start + RecordBatchHeader.crcCoverageStart)..<(start + size)]))
            }
            if computed != header.crc { return .invalid(position: position, reason: "CRC mismatch") }
        }
        let batch = ScannedBatch(position: position, header: header)
        position += Int64(size)
        return .batch(batch)
    }

    /// The whole bytes of a batch just returned by `next` (reads it if it was not buffered).
    mutating func body(of batch: ScannedBatch) throws(LogError) -> ArraySlice<UInt8>? {
        guard try ensureBuffered(batch.position, batch.size) else { return nil }
        let start = Int(batch.position - bufferStart)
        return buffer[start..<(start + batch.size)]
    }
}
