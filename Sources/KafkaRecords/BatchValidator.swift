/// What the topic's `compression.type` asks for on a leader append.
public enum TargetCompression: Sendable, Equatable {
    /// `producer`: keep whatever codec the producer used.
    case producer
    /// `uncompressed`.
    case uncompressed
    /// `gzip`, `snappy`, `lz4` or `zstd`.
    case codec(CompressionCodec)

    /// Parses Kafka's `compression.type` config value.
    public init?(configValue: String) {
        switch configValue.lowercased() {
        case "producer": self = .producer
        case "uncompressed", "none": self = .uncompressed
        case "gzip": self = .codec(.gzip)
        case "snappy": self = .codec(.snappy)
        case "lz4": self = .codec(.lz4)
        case "zstd": self = .codec(.zstd)
        default: return nil
        }
    }

    func resolve(source: CompressionCodec) -> CompressionCodec {
        switch self {
        case .producer: source
        case .uncompressed: .none
        case .codec(let c): c
        }
    }
}

/// A client batch that passed validation, with what was learned while walking its records.
public struct ValidatedBatch: Sendable {
    /// The exact bytes of the batch (trailing bytes after it in the request are dropped, as Kafka trims them).
    public var bytes: [UInt8]
    public var header: RecordBatchHeader
    public var codec: CompressionCodec
    public var recordCount: Int
    /// The largest record timestamp (CreateTime view), -1 if every record has no timestamp.
    public var maxTimestamp: Int64
    /// Offset delta of the first record carrying `maxTimestamp` (for the time index).
    public var offsetDeltaOfMaxTimestamp: Int32
    /// Position (0-based) of that record in the batch; equals the delta when offsets are sequential.
    public var indexOfMaxTimestamp: Int
    /// Whether record offset deltas are exactly 0..n-1.
    public var offsetsAreSequential: Bool
    /// For compressed batches, the decompressed records (so a rebuild does not decompress again).
    public var decompressedRecords: [UInt8]?
}

/// The batch to append after `prepareForAppend`, with the facts the log and the produce response need.
public struct PreparedBatch: Sendable {
    /// The batch bytes to write; baseOffset is still 0 and partitionLeaderEpoch as sent. Storage assigns both
    /// (they are outside the CRC).
    public var bytes: [UInt8]
    public var header: RecordBatchHeader
    public var recordCount: Int
    /// maxTimestamp as written in the batch (now, for LogAppendTime).
    public var maxTimestamp: Int64
    public var offsetDeltaOfMaxTimestamp: Int32
    /// The produce response's log_append_time: `now` for LogAppendTime, -1 otherwise.
    public var logAppendTime: Int64
    /// True when the batch was re-encoded (codec change or non-sequential inner offsets).
    public var wasRebuilt: Bool
    /// True when the returned bytes are the input bytes unchanged.
    public var isUnchanged: Bool
}

/// Validates client (leader) appends as Kafka's `UnifiedLog.analyzeAndValidateRecords` and `LogValidator` do,
/// and prepares the batch to append.
///
/// Pure and `Sendable`; call it off the event loop for compressed batches (decompression is CPU work).
public struct BatchValidator: Sendable {
    public struct Config: Sendable, Equatable {
        /// Topic `max.message.bytes` (broker `message.max.bytes`, default 1048588).
        public var maxMessageBytes: Int
        /// Topic `cleanup.policy` contains `compact`: every record needs a key.
        public var isCompacted: Bool
        /// `message.timestamp.before.max.ms` (or the 2.x `difference.max.ms`).
        public var timestampBeforeMaxMs: Int64
        /// `message.timestamp.after.max.ms` (or the 2.x `difference.max.ms`).
        public var timestampAfterMaxMs: Int64
        /// Cap on the decompressed size of one batch.
        public var maxDecompressedBytes: Int
        /// False for Produce requests below v7, where zstd is refused.
        public var allowZstd: Bool
        /// True for the group coordinator's own appends: its transactional offset commits carry the producer id and
        /// epoch but no sequence (Kafka's `RecordBatch.NO_SEQUENCE`, appended with `AppendOrigin.COORDINATOR`).
        public var allowUnsequencedProducerBatches: Bool

        public init(
            maxMessageBytes: Int = 1_048_588, isCompacted: Bool = false, timestampBeforeMaxMs: Int64 = .max,
            timestampAfterMaxMs: Int64 = .max,
            maxDecompressedBytes: Int = CompressionCodec.defaultMaxDecompressedSize, allowZstd: Bool = true,
            allowUnsequencedProducerBatches: Bool = false
        ) {
            self.maxMessageBytes = maxMessageBytes
            self.isCompacted = isCompacted
            self.timestampBeforeMaxMs = timestampBeforeMaxMs
            self.timestampAfterMaxMs = timestampAfterMaxMs
            self.maxDecompressedBytes = maxDecompressedBytes
            self.allowZstd = allowZstd
            self.allowUnsequencedProducerBatches = allowUnsequencedProducerBatches
        }
    }

    public var config: Config

    public init(config: Config = Config()) {
        self.config = config
    }

    /// Number of complete entries (batches or legacy messages) in a produce payload; partial trailing bytes are
    /// not counted. Throws on an impossible length.
    public static func batchCount(_ bytes: UnsafeRawBufferPointer) throws -> Int {
        var it = RecordBatchIterator(bytes)
        var n = 0
        while it.next() != nil { n += 1 }
        if let error = it.error { throw error }
        return n
    }

    public func validate(_ bytes: [UInt8], timestampType: TimestampType = .createTime, now: Int64) throws
        -> ValidatedBatch
    {
        try bytes.withUnsafeBytes { try validate($0, timestampType: timestampType, now: now, owner: bytes) }
    }

    /// Validates one partition's produce payload, which must hold exactly one magic-2 batch.
    ///
    /// Order follows Kafka: batch count, framing, baseOffset, size, CRC, then batch flags and every record.
    /// Uncompressed records are walked in place without allocating; compressed ones are decompressed once.
    public func validate(_ bytes: UnsafeRawBufferPointer, timestampType: TimestampType = .createTime, now: Int64)
        throws -> ValidatedBatch
    {
        try validate(bytes, timestampType: timestampType, now: now, owner: nil)
    }

    /// `owner`: the array `bytes` points into; when the payload is exactly the batch (the normal case) the result
    /// shares it instead of copying.
    private func validate(
        _ bytes: UnsafeRawBufferPointer, timestampType: TimestampType, now: Int64, owner: [UInt8]?
    ) throws -> ValidatedBatch {
        let count = try Self.batchCount(bytes)
        guard count == 1 else { throw RecordValidationError.invalidBatchCount(count) }
        guard bytes.count > 16, bytes[16] == 2 else {
            throw RecordValidationError.invalidRecord("produce batches must have magic 2")
        }
        let header = try RecordBatch.checkedHeader(bytes)
        let batch = UnsafeRawBufferPointer(rebasing: bytes[0..<header.totalSize])
        guard header.baseOffset == 0 else {
            throw RecordValidationError.invalidRecord(
                "baseOffset of a client batch must be 0, not \(header.baseOffset)")
        }
        guard header.totalSize <= config.maxMessageBytes else {
            throw RecordValidationError.messageTooLarge(size: header.totalSize, limit: config.maxMessageBytes)
        }
        try RecordBatch.verifyCRC(batch, header: header)

        let codec = try CompressionCodec(attributes: header.attributes)
        if codec == .zstd && !config.allowZstd {
            throw RecordValidationError.unsupportedCompressionType(codec.rawValue)
        }
        guard header.recordsCount > 0, Int64(header.lastOffsetDelta) + 1 == Int64(header.recordsCount) else {
            throw RecordValidationError.invalidRecord(
                "lastOffsetDelta \(header.lastOffsetDelta) and recordsCount \(header.recordsCount) disagree")
        }
        guard !header.isControl else {
            throw RecordValidationError.invalidRecord("clients may not send control batches")
        }
        guard !header.isLogAppendTime else {
            throw RecordValidationError.invalidRecord("clients may not send LogAppendTime batches")
        }
        if header.hasProducerId && header.baseSequence < 0 && !config.allowUnsequencedProducerBatches {
            throw RecordValidationError.invalidRecord("idempotent batch with baseSequence \(header.baseSequence)")
        }
        if header.isTransactional && !header.hasProducerId {
            throw RecordValidationError.invalidRecord("transactional batch without a producerId")
        }

        let body = UnsafeRawBufferPointer(rebasing: batch[RecordBatchHeader.size...])
        var decompressed: [UInt8]? = nil
        let summary: RecordsSummary
        if codec == .none {
            summary = try walk(body, header: header, timestampType: timestampType, now: now)
            guard summary.sequential else {
                throw RecordValidationError.invalidRecord("record offset deltas must be 0..\(header.recordsCount - 1)")
            }
        } else {
            let plain = try codec.decompress(body, maxOutputSize: config.maxDecompressedBytes)
            summary = try plain.withUnsafeBytes { try walk($0, header: header, timestampType: timestampType, now: now) }
            decompressed = plain
        }
        let exact = owner.map { $0.count == header.totalSize } ?? false
        return ValidatedBatch(
            bytes: exact ? owner! : Array(batch), header: header, codec: codec, recordCount: Int(header.recordsCount),
            maxTimestamp: summary.maxTimestamp, offsetDeltaOfMaxTimestamp: summary.offsetDeltaOfMax,
            indexOfMaxTimestamp: summary.indexOfMax,
            offsetsAreSequential: summary.sequential, decompressedRecords: decompressed)
    }

    struct RecordsSummary {
        var maxTimestamp: Int64 = -1
        var offsetDeltaOfMax: Int32 = 0
        var indexOfMax = 0
        var sequential = true
    }

    /// Walks `recordsCount` records that must fill `records` exactly; checks keys and timestamps.
    func walk(_ records: UnsafeRawBufferPointer, header: RecordBatchHeader, timestampType: TimestampType, now: Int64)
        throws -> RecordsSummary
    {
        var cursor = ByteCursor(records)
        var summary = RecordsSummary()
        let n = Int(header.recordsCount)
        let checkTimestamps = timestampType == .createTime
        let lower = now.subtractingReportingOverflow(config.timestampBeforeMaxMs)
        let upper = now.addingReportingOverflow(config.timestampAfterMaxMs)
        let minAllowed = lower.overflow ? Int64.min : lower.partialValue
        let maxAllowed = upper.overflow ? Int64.max : upper.partialValue
        var first = true
        for i in 0..<n {
            guard !cursor.isAtEnd else {
                throw RecordValidationError.invalidRecord("batch declares \(n) records but holds \(i)")
            }
            let r = try RecordView.read(&cursor)
            if r.offsetDelta != Int32(truncatingIfNeeded: i) { summary.sequential = false }
            if config.isCompacted && r.key == nil {
                throw RecordValidationError.invalidRecord("compacted topic requires a non-null key")
            }
            let ts = header.baseTimestamp &+ r.timestampDelta
            if checkTimestamps && ts != -1 && (ts < minAllowed || ts > maxAllowed) {
                throw RecordValidationError.invalidTimestamp(timestamp: ts, now: now)
            }
            if first || ts > summary.maxTimestamp {
                summary.maxTimestamp = ts
                summary.offsetDeltaOfMax = r.offsetDelta
                summary.indexOfMax = i
                first = false
            }
        }
        guard cursor.isAtEnd else {
            throw RecordValidationError.invalidRecord("bytes left over after \(n) records")
        }
        return summary
    }

    /// Validates `bytes` and returns the batch to append under the topic's compression and timestamp type.
    public func prepareForAppend(
        _ bytes: [UInt8], topicCompression: TargetCompression, timestampType: TimestampType, now: Int64
    ) throws -> PreparedBatch {
        let validated = try validate(bytes, timestampType: timestampType, now: now)
        return try prepareForAppend(
            validated, topicCompression: topicCompression, timestampType: timestampType, now: now)
    }

    /// The leader-append rewrite of a validated batch.
    ///
    /// - Same codec and sequential offsets: the in-place path. The bytes are returned untouched unless
    ///   maxTimestamp or the timestamp-type bit must change (LogAppendTime, or a CreateTime maxTimestamp that
    ///   disagrees with the records), in which case those fields are set and the CRC recomputed.
    /// - Otherwise the batch is rebuilt with the target codec and offset deltas 0..n-1, keeping producerId,
    ///   epoch, baseSequence, the transactional flag, partitionLeaderEpoch and record timestamps, then its size is
    ///   checked again.
    public func prepareForAppend(
        _ batch: ValidatedBatch, topicCompression: TargetCompression, timestampType: TimestampType, now: Int64
    ) throws -> PreparedBatch {
        let target = batch.header.isControl ? .none : topicCompression.resolve(source: batch.codec)
        let logAppendTime: Int64 = timestampType == .logAppendTime ? now : -1
        let maxTimestamp = timestampType == .logAppendTime ? now : batch.maxTimestamp
        let offsetOfMax = timestampType == .logAppendTime ? 0 : batch.offsetDeltaOfMaxTimestamp

        if target == batch.codec && batch.offsetsAreSequential {
            var bytes = batch.bytes
            var header = batch.header
            let wantLogAppend = timestampType == .logAppendTime
            guard header.isLogAppendTime != wantLogAppend || header.maxTimestamp != maxTimestamp else {
                return PreparedBatch(
                    bytes: bytes, header: header, recordCount: batch.recordCount, maxTimestamp: maxTimestamp,
                    offsetDeltaOfMaxTimestamp: offsetOfMax, logAppendTime: logAppendTime, wasRebuilt: false,
                    isUnchanged: true)
            }
            header.attributes = wantLogAppend ? header.attributes | 0x08 : header.attributes & ~0x08
            header.maxTimestamp = maxTimestamp
            bytes.storeBE(header.attributes, at: 21)
            bytes.storeBE(header.maxTimestamp, at: 35)
            RecordBatch.updateCRC(&bytes)
            header.crc = bytes.withUnsafeBytes { loadBE($0, 17, as: UInt32.self) }
            return PreparedBatch(
                bytes: bytes, header: header, recordCount: batch.recordCount, maxTimestamp: maxTimestamp,
                offsetDeltaOfMaxTimestamp: offsetOfMax, logAppendTime: logAppendTime, wasRebuilt: false,
                isUnchanged: false)
        }

        var builder = RecordBatchBuilder(header: batch.header)
        builder.codec = target
        builder.timestampType = timestampType
        builder.logAppendTime = now
        func rebuildRecords(_ plain: UnsafeRawBufferPointer) throws {
            if batch.offsetsAreSequential {
                // Record bytes stay valid as they are: only the codec changes.
                builder.appendEncoded(
                    plain, count: batch.recordCount, lastOffsetDelta: Int32(batch.recordCount - 1),
                    maxTimestamp: batch.maxTimestamp)
            } else {
                let records = try RecordBatch.decodeRecords(plain, count: batch.recordCount)
                for (i, var r) in records.enumerated() {
                    r.offsetDelta = Int32(i)
                    builder.append(r)
                }
            }
        }
        if let plain = batch.decompressedRecords {
            try plain.withUnsafeBytes { try rebuildRecords($0) }
        } else {
            try batch.bytes.withUnsafeBytes {
                try rebuildRecords(UnsafeRawBufferPointer(rebasing: $0[RecordBatchHeader.size...]))
            }
        }
        let bytes = try builder.build()
        guard bytes.count <= config.maxMessageBytes else {
            throw RecordValidationError.messageTooLarge(size: bytes.count, limit: config.maxMessageBytes)
        }
        let header = bytes.withUnsafeBytes { RecordBatchHeader(parsing: $0) }
        let newOffsetOfMax: Int32 = timestampType == .logAppendTime ? 0 : Int32(batch.indexOfMaxTimestamp)
        return PreparedBatch(
            bytes: bytes, header: header, recordCount: batch.recordCount, maxTimestamp: header.maxTimestamp,
            offsetDeltaOfMaxTimestamp: newOffsetOfMax, logAppendTime: logAppendTime, wasRebuilt: true,
            isUnchanged: false)
    }
}
