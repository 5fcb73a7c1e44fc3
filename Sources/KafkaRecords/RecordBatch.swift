/// How a batch's timestamps are to be read (attribute bit 3).
public enum TimestampType: Sendable, Equatable {
    case createTime
    case logAppendTime
}

/// A decoded record batch v2: its header and its records (decompressed).
public struct RecordBatch: Sendable, Equatable {
    public var header: RecordBatchHeader
    public var records: [Record]

    public init(header: RecordBatchHeader, records: [Record]) {
        self.header = header
        self.records = records
    }

    /// Absolute offset of a record of this batch.
    public func offset(of record: Record) -> Int64 { header.baseOffset &+ Int64(record.offsetDelta) }

    /// Timestamp of a record as a consumer sees it: the batch's maxTimestamp for LogAppendTime batches.
    public func timestamp(of record: Record) -> Int64 {
        header.isLogAppendTime ? header.maxTimestamp : header.baseTimestamp &+ record.timestampDelta
    }

    /// Parses the single v2 batch at the start of `bytes` (trailing bytes are ignored).
    ///
    /// Checks the framing, the magic, the CRC (unless `verifyCRC` is false), decompresses when needed and decodes
    /// exactly `recordsCount` records that must fill the records section. Never traps on malformed input.
    public init(
        parsing bytes: UnsafeRawBufferPointer, verifyCRC: Bool = true,
        maxDecompressedSize: Int = CompressionCodec.defaultMaxDecompressedSize
    ) throws {
        let header = try RecordBatch.checkedHeader(bytes)
        let batch = UnsafeRawBufferPointer(rebasing: bytes[0..<header.totalSize])
        if verifyCRC { try RecordBatch.verifyCRC(batch, header: header) }
        let codec = try CompressionCodec(attributes: header.attributes)
        let body = UnsafeRawBufferPointer(rebasing: batch[RecordBatchHeader.size...])
        var records: [Record] = []
        let count = Int(header.recordsCount)
        if codec == .none {
            records = try RecordBatch.decodeRecords(body, count: count)
        } else {
            let plain = try codec.decompress(body, maxOutputSize: maxDecompressedSize)
            records = try plain.withUnsafeBytes { try RecordBatch.decodeRecords($0, count: count) }
        }
        self.init(header: header, records: records)
    }

    public init(
        parsing bytes: [UInt8], verifyCRC: Bool = true,
        maxDecompressedSize: Int = CompressionCodec.defaultMaxDecompressedSize
    ) throws {
        self = try bytes.withUnsafeBytes {
            try RecordBatch(parsing: $0, verifyCRC: verifyCRC, maxDecompressedSize: maxDecompressedSize)
        }
    }

    /// Encodes this batch with `codec`, recomputing batchLength, lastOffsetDelta, recordsCount and the CRC from
    /// the records. Other header fields (offsets, timestamps, producer fields, flags) are kept as they are.
    public func encoded(codec: CompressionCodec? = nil) throws -> [UInt8] {
        var builder = RecordBatchBuilder(header: header)
        if let codec { builder.codec = codec }
        for r in records { builder.append(r) }
        return try builder.build()
    }

    /// The magic byte of the first entry in a produce or fetch payload (byte 16), or nil when too short.
    /// Magic 0/1 means a legacy message set (`LegacyMessageSet`), 2 a record batch.
    public static func peekMagic(_ bytes: [UInt8]) -> Int8? {
        bytes.count > 16 ? Int8(bitPattern: bytes[16]) : nil
    }

    // MARK: shared framing helpers

    /// Reads and sanity-checks the header at the start of `bytes`: enough bytes, magic 2, batchLength covering at
    /// least the header and not running past the buffer, a non-negative record count.
    static func checkedHeader(_ bytes: UnsafeRawBufferPointer) throws -> RecordBatchHeader {
        guard bytes.count >= RecordBatchHeader.size else {
            throw RecordValidationError.corruptMessage("batch shorter than its \(RecordBatchHeader.size)-byte header")
        }
        let header = RecordBatchHeader(parsing: bytes)
        guard header.magic == 2 else {
            throw RecordValidationError.invalidRecord("unsupported magic \(header.magic), expected 2")
        }
        guard header.batchLength >= Int32(RecordBatchHeader.size - RecordBatchHeader.logOverhead) else {
            throw RecordValidationError.corruptMessage("batchLength \(header.batchLength) below the header size")
        }
        guard header.totalSize <= bytes.count else {
            throw RecordValidationError.corruptMessage(
                "batchLength \(header.batchLength) runs past the \(bytes.count) available bytes")
        }
        guard header.recordsCount >= 0 else {
            throw RecordValidationError.invalidRecord("negative record count \(header.recordsCount)")
        }
        return header
    }

    /// The CRC-32C of a whole batch's CRC-covered bytes (attributes to the end).
    static func computeCRC(_ batch: UnsafeRawBufferPointer) -> UInt32 {
        CRC32C.checksum(UnsafeRawBufferPointer(rebasing: batch[RecordBatchHeader.crcCoverageStart...]))
    }

    static func verifyCRC(_ batch: UnsafeRawBufferPointer, header: RecordBatchHeader) throws {
        let actual = computeCRC(batch)
        guard actual == header.crc else {
            throw RecordValidationError.corruptMessage(
                "batch CRC mismatch: stored \(header.crc), computed \(actual)")
        }
    }

    /// Recomputes and stores the CRC of the batch occupying all of `batch`.
    public static func updateCRC(_ batch: inout [UInt8]) {
        let crc = batch.withUnsafeBytes { computeCRC($0) }
        batch.storeBE(crc, at: 17)
    }

    /// Decodes exactly `count` records that must consume all of `bytes`.
    static func decodeRecords(_ bytes: UnsafeRawBufferPointer, count: Int) throws -> [Record] {
        var cursor = ByteCursor(bytes)
        var records: [Record] = []
        // A record needs at least 7 bytes, so cap the reservation by what the buffer could hold.
        records.reserveCapacity(min(count, bytes.count / 7 + 1))
        for _ in 0..<count {
            guard !cursor.isAtEnd else {
                throw RecordValidationError.invalidRecord("batch declares \(count) records but holds fewer")
            }
            records.append(try Record.decode(&cursor))
        }
        guard cursor.isAtEnd else {
            throw RecordValidationError.invalidRecord("bytes left over after \(count) records")
        }
        return records
    }
}

/// Builds one v2 batch from records, appending each record's encoding as it comes (no per-record arrays kept).
///
/// Record timestamps are absolute in `append(timestamp:…)`; the first record's timestamp becomes the base
/// timestamp unless one was given. `build()` compresses with `codec`, fills in the counts, maxTimestamp and CRC.
public struct RecordBatchBuilder: Sendable {
    public var baseOffset: Int64
    public var partitionLeaderEpoch: Int32
    public var codec: CompressionCodec
    public var timestampType: TimestampType
    /// For LogAppendTime batches: the broker time written as maxTimestamp.
    public var logAppendTime: Int64
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var isTransactional: Bool
    public var isControl: Bool
    public private(set) var baseTimestamp: Int64?
    public private(set) var maxTimestamp: Int64 = -1
    public private(set) var recordCount = 0
    public private(set) var lastOffsetDelta: Int32 = -1
    /// Uncompressed encoded records so far.
    public private(set) var recordBytes: [UInt8] = []

    public init(
        baseOffset: Int64 = 0, partitionLeaderEpoch: Int32 = -1, codec: CompressionCodec = .none,
        timestampType: TimestampType = .createTime, logAppendTime: Int64 = -1, baseTimestamp: Int64? = nil,
        producerId: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1, isTransactional: Bool = false,
        isControl: Bool = false
    ) {
        self.baseOffset = baseOffset
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.codec = codec
        self.timestampType = timestampType
        self.logAppendTime = logAppendTime
        self.baseTimestamp = baseTimestamp
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.isTransactional = isTransactional
        self.isControl = isControl
    }

    /// A builder that keeps `header`'s offsets, timestamps, producer fields and flags.
    public init(header: RecordBatchHeader) {
        self.init(
            baseOffset: header.baseOffset, partitionLeaderEpoch: header.partitionLeaderEpoch,
            codec: CompressionCodec(rawValue: header.compressionCodec) ?? .none,
            timestampType: header.isLogAppendTime ? .logAppendTime : .createTime,
            logAppendTime: header.isLogAppendTime ? header.maxTimestamp : -1, baseTimestamp: header.baseTimestamp,
            producerId: header.producerId, producerEpoch: header.producerEpoch, baseSequence: header.baseSequence,
            isTransactional: header.isTransactional, isControl: header.isControl)
    }

    public var isEmpty: Bool { recordCount == 0 }

    /// Reserves room for `bytes` bytes of encoded records (avoids regrowing while a batch fills).
    public mutating func reserveCapacity(_ bytes: Int) { recordBytes.reserveCapacity(bytes) }

    /// Encodes this (still empty) batch's records into `buffer`'s storage, dropping its contents: a producer reuses
    /// the memory of batches already sent instead of touching fresh pages for every batch.
    public mutating func reuseBuffer(_ buffer: consuming [UInt8]) {
        precondition(recordCount == 0, "reuseBuffer on a builder that holds records")
        var b = buffer
        b.removeAll(keepingCapacity: true)
        recordBytes = b
    }

    /// Appends a record with the next offset delta and an absolute timestamp.
    public mutating func append(
        timestamp: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = []
    ) {
        let base = baseTimestamp ?? timestamp
        baseTimestamp = base
        append(
            offsetDelta: lastOffsetDelta &+ 1, timestampDelta: timestamp &- base, key: key, value: value,
            headers: headers)
    }

    /// Appends a record as given (its offset delta must be greater than the previous one's).
    public mutating func append(_ record: Record) {
        append(
            offsetDelta: record.offsetDelta, timestampDelta: record.timestampDelta, key: record.key,
            value: record.value, headers: record.headers)
    }

    public mutating func append(
        offsetDelta: Int32, timestampDelta: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = []
    ) {
        let base = baseTimestamp ?? 0
        baseTimestamp = base
        Record.encode(
            offsetDelta: offsetDelta, timestampDelta: timestampDelta, key: key, value: value, headers: headers,
            into: &recordBytes)
        let ts = base &+ timestampDelta
        if recordCount == 0 || ts > maxTimestamp { maxTimestamp = ts }
        recordCount += 1
        lastOffsetDelta = offsetDelta
    }

    /// Appends already-encoded records (for rebuilds that keep record bytes as they are).
    mutating func appendEncoded(
        _ bytes: UnsafeRawBufferPointer, count: Int, lastOffsetDelta: Int32, maxTimestamp: Int64
    ) {
        recordBytes.append(contentsOf: bytes)
        if recordCount == 0 || maxTimestamp > self.maxTimestamp { self.maxTimestamp = maxTimestamp }
        recordCount += count
        self.lastOffsetDelta = lastOffsetDelta
    }

    /// The attributes this builder writes.
    public var attributes: Int16 {
        var a = Int16(codec.rawValue)
        if timestampType == .logAppendTime { a |= 0x08 }
        if isTransactional { a |= 0x10 }
        if isControl { a |= 0x20 }
        return a
    }

    /// The records section as it goes on the wire: the encoded records, compressed with `codec`.
    public func encodedRecords() throws -> [UInt8] {
        codec == .none ? recordBytes : try codec.compress(recordBytes)
    }

    /// The complete batch: header, (compressed) records, CRC.
    public func build() throws -> [UInt8] {
        try build(encodedRecords: try encodedRecords())
    }

    /// The complete batch around a records section made earlier by `encodedRecords()` (so a producer can compress
    /// a batch before it knows the batch's sequence number).
    public func build(encodedRecords payload: [UInt8]) throws -> [UInt8] {
        let total = RecordBatchHeader.size + payload.count
        guard total - RecordBatchHeader.logOverhead <= Int(Int32.max) else {
            throw RecordValidationError.messageTooLarge(size: total, limit: Int(Int32.max))
        }
        let header = RecordBatchHeader(
            baseOffset: baseOffset, batchLength: Int32(total - RecordBatchHeader.logOverhead),
            partitionLeaderEpoch: partitionLeaderEpoch, magic: 2, crc: 0, attributes: attributes,
            lastOffsetDelta: max(lastOffsetDelta, 0), baseTimestamp: baseTimestamp ?? -1,
            maxTimestamp: timestampType == .logAppendTime ? logAppendTime : (recordCount == 0 ? -1 : maxTimestamp),
            producerId: producerId, producerEpoch: producerEpoch, baseSequence: baseSequence,
            recordsCount: Int32(clamping: recordCount))
        var out = [UInt8](repeating: 0, count: RecordBatchHeader.size)
        out.reserveCapacity(total)
        out.withUnsafeMutableBytes { header.write(into: $0) }
        out.append(contentsOf: payload)
        RecordBatch.updateCRC(&out)
        return out
    }
}

/// Walks the v2 batches laid end to end in a buffer (a log segment slice or a fetch/produce payload).
///
/// Yields each complete batch's header and byte range; stops cleanly at a partial trailing batch (fewer than 12
/// bytes, or a batchLength running past the end), leaving `trailingBytes` set. It does not check CRCs or magic:
/// legacy entries share the offset/length framing, so callers dispatch on `header.magic`.
/// A declared length below the smallest possible entry throws (the buffer cannot be walked further).
public struct RecordBatchIterator: Sequence, IteratorProtocol {
    public struct Entry: Sendable, Equatable {
        /// Parsed only when the entry is at least 61 bytes long; for short legacy entries only
        /// `baseOffset`, `batchLength` and `magic` are meaningful.
        public var header: RecordBatchHeader
        public var range: Range<Int>
    }

    private let bytes: UnsafeRawBufferPointer
    public private(set) var position: Int
    /// Set when iteration stopped before the end of the buffer because the last batch is incomplete.
    public private(set) var trailingBytes = 0
    public private(set) var error: RecordValidationError?

    /// `bytes` must stay valid while iterating.
    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        position = 0
    }

    public mutating func next() -> Entry? {
        guard error == nil else { return nil }
        let remaining = bytes.count - position
        guard remaining > 0 else { return nil }
        guard remaining >= RecordBatchHeader.logOverhead + 5 else {
            trailingBytes = remaining
            return nil
        }
        let length = Int(loadBE(bytes, position + 8, as: Int32.self))
        // 14 bytes is the smallest legacy message (crc, magic, attributes, key and value lengths).
        guard length >= 14 else {
            error = .corruptMessage("entry at byte \(position) declares length \(length)")
            return nil
        }
        let total = length + RecordBatchHeader.logOverhead
        guard total <= remaining else {
            trailingBytes = remaining
            return nil
        }
        let range = position..<(position + total)
        var header: RecordBatchHeader
        if total >= RecordBatchHeader.size {
            header = RecordBatchHeader(parsing: UnsafeRawBufferPointer(rebasing: bytes[range]))
        } else {
            header = RecordBatchHeader(
                baseOffset: loadBE(bytes, position, as: Int64.self), batchLength: Int32(length),
                magic: Int8(bitPattern: bytes[position + 16]))
        }
        position += total
        return Entry(header: header, range: range)
    }

    /// All complete batches in `bytes`, plus the number of trailing bytes of an incomplete last batch.
    /// Throws when a declared length is impossible.
    public static func batches(in bytes: [UInt8]) throws -> (entries: [Entry], trailingBytes: Int) {
        try bytes.withUnsafeBytes { raw in
            var it = RecordBatchIterator(raw)
            var entries: [Entry] = []
            while let e = it.next() { entries.append(e) }
            if let error = it.error { throw error }
            return (entries, it.trailingBytes)
        }
    }
}
