import CCompression

/// The compression codecs of Kafka's batch attributes (bits 0–2), each in the exact framing Kafka clients use.
///
/// - gzip: a gzip stream (concatenated members are accepted on read).
/// - snappy: xerial `SnappyOutputStream` framing on write; xerial framing or a raw snappy block on read.
/// - lz4: the LZ4 frame format with independent 64 KiB blocks, as `KafkaLZ4BlockOutputStream` and librdkafka write.
/// - zstd: a standard zstd frame (content size optional on read).
///
/// All functions are pure and thread-safe; they allocate their own library contexts.
public enum CompressionCodec: Int, Sendable, CaseIterable, CustomStringConvertible {
    case none = 0
    case gzip = 1
    case snappy = 2
    case lz4 = 3
    case zstd = 4

    /// Default cap on decompressed output (a guard against decompression bombs).
    public static let defaultMaxDecompressedSize = 64 << 20

    /// The codec for the low three attribute bits; throws `unsupportedCompressionType` for 5–7.
    public init(attributes: Int16) throws {
        let id = Int(attributes & 0x07)
        guard let codec = CompressionCodec(rawValue: id) else {
            throw RecordValidationError.unsupportedCompressionType(id)
        }
        self = codec
    }

    /// Kafka's `compression.type` name (`none` is spelled "none" in batches, "uncompressed" in topic configs).
    public var description: String {
        switch self {
        case .none: "none"
        case .gzip: "gzip"
        case .snappy: "snappy"
        case .lz4: "lz4"
        case .zstd: "zstd"
        }
    }

    public func compress(_ input: [UInt8]) throws -> [UInt8] {
        try input.withUnsafeBytes { try compress($0) }
    }

    /// A gzip member at zlib's fastest level, for bodies compressed once per request on a hot path (the metrics
    /// page: repetitive text shrinks about as well at level 1, in a third of the time of the default level 6).
    public static func fastGzip(_ input: [UInt8]) throws -> [UInt8] {
        try input.withUnsafeBytes { try Gzip.compress($0, level: 1) }
    }

    public func compress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        switch self {
        case .none: Array(input)
        case .gzip: try Gzip.compress(input)
        case .snappy: try XerialSnappy.compress(input)
        case .lz4: try KafkaLZ4.compress(input)
        case .zstd: try Zstd.compress(input)
        }
    }

    public func decompress(_ input: [UInt8], maxOutputSize: Int = defaultMaxDecompressedSize) throws -> [UInt8] {
        try input.withUnsafeBytes { try decompress($0, maxOutputSize: maxOutputSize) }
    }

    /// Decompresses `input`; throws `decompressionLimitExceeded` rather than produce more than `maxOutputSize` bytes,
    /// and `corruptMessage` for malformed or truncated input.
    public func decompress(_ input: UnsafeRawBufferPointer, maxOutputSize: Int = defaultMaxDecompressedSize) throws
        -> [UInt8]
    {
        switch self {
        case .none:
            guard input.count <= maxOutputSize else {
                throw RecordValidationError.decompressionLimitExceeded(limit: maxOutputSize)
            }
            return Array(input)
        case .gzip: return try Gzip.decompress(input, limit: maxOutputSize)
        case .snappy: return try XerialSnappy.decompress(input, limit: maxOutputSize)
        case .lz4: return try KafkaLZ4.decompress(input, limit: maxOutputSize)
        case .zstd: return try Zstd.decompress(input, limit: maxOutputSize)
        }
    }
}

/// A growable, uninitialized output buffer with a hard size cap, shared by the decompressors.
/// Growth never zero-fills, so reserving room for a large block costs only address space.
struct CappedOutput: ~Copyable {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int
    var count = 0
    let limit: Int

    init(initialCapacity: Int, limit: Int) {
        let limit = min(max(limit, 0), Int.max / 2)
        self.limit = limit
        capacity = max(64, min(initialCapacity, limit + 1))
        base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { base.deallocate() }

    /// Makes room for at least `extra` more bytes, never growing beyond `limit + 1` (the +1 lets callers detect
    /// overflow). Returns the usable free space.
    @discardableResult
    mutating func reserve(_ extra: Int) -> Int {
        let wanted = min(count + max(extra, 1), limit + 1)
        if wanted > capacity {
            let grown = min(max(wanted, capacity * 2), limit + 1)
            let fresh = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 16)
            fresh.copyMemory(from: base, byteCount: count)
            base.deallocate()
            base = fresh
            capacity = grown
        }
        return capacity - count
    }

    var free: Int { capacity - count }

    /// The whole allocated buffer (bytes at `count...` are uninitialized scratch space).
    func withBuffer<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeMutableRawBufferPointer(start: base, count: capacity))
    }

    func checkLimit() throws {
        if count > limit { throw RecordValidationError.decompressionLimitExceeded(limit: limit) }
    }

    consuming func finish() -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: base, count: count))
    }
}

/// A non-nil pointer for a possibly empty buffer (C APIs dislike NULL even with length 0).
nonisolated(unsafe) private let emptyByte = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
func basePointer(_ b: UnsafeRawBufferPointer) -> UnsafeRawPointer { b.baseAddress ?? UnsafeRawPointer(emptyByte) }

// MARK: gzip

enum Gzip {
    static func compress(_ input: UnsafeRawBufferPointer, level: Int32 = Z_DEFAULT_COMPRESSION) throws -> [UInt8] {
        var strm = z_stream()
        guard nt_deflate_init_gzip(&strm, level) == Z_OK else {
            throw RecordValidationError.compressionFailed("deflateInit2")
        }
        defer { deflateEnd(&strm) }
        let bound = Int(deflateBound(&strm, uLong(input.count))) + 32
        var out = [UInt8](repeating: 0, count: bound)
        let produced = try out.withUnsafeMutableBytes { dst -> Int in
            strm.next_in = UnsafeMutablePointer(mutating: basePointer(input).assumingMemoryBound(to: Bytef.self))
            strm.avail_in = uInt(input.count)
            strm.next_out = dst.baseAddress!.assumingMemoryBound(to: Bytef.self)
            strm.avail_out = uInt(dst.count)
            guard deflate(&strm, Z_FINISH) == Z_STREAM_END else {
                throw RecordValidationError.compressionFailed("deflate")
            }
            return dst.count - Int(strm.avail_out)
        }
        out.removeSubrange(produced...)
        return out
    }

    static func decompress(_ input: UnsafeRawBufferPointer, limit: Int) throws -> [UInt8] {
        var strm = z_stream()
        guard nt_inflate_init_auto(&strm) == Z_OK else { throw RecordValidationError.corruptMessage("inflateInit2") }
        defer { inflateEnd(&strm) }
        var out = CappedOutput(initialCapacity: input.count * 4, limit: limit)
        strm.next_in = UnsafeMutablePointer(mutating: basePointer(input).assumingMemoryBound(to: Bytef.self))
        strm.avail_in = uInt(input.count)
        while true {
            out.reserve(max(out.capacity, 4096))
            let outCount = out.count
            let (status, written) = out.withBuffer { dst -> (Int32, Int) in
                let free = dst.count - outCount
                strm.next_out = dst.baseAddress!.advanced(by: outCount).assumingMemoryBound(to: Bytef.self)
                strm.avail_out = uInt(free)
                let s = inflate(&strm, Z_NO_FLUSH)
                return (s, free - Int(strm.avail_out))
            }
            out.count += written
            try out.checkLimit()
            switch status {
            case Z_STREAM_END:
                // Another gzip member may follow (GZIPInputStream reads concatenated members too).
                if strm.avail_in == 0 { return out.finish() }
                guard inflateReset(&strm) == Z_OK else { throw RecordValidationError.corruptMessage("gzip reset") }
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                // No progress possible: either the output is full (loop grows it) or the input ended early.
                if strm.avail_in == 0 { throw RecordValidationError.corruptMessage("truncated gzip stream") }
                if out.count >= limit { throw RecordValidationError.decompressionLimitExceeded(limit: limit) }
            default:
                throw RecordValidationError.corruptMessage("invalid gzip stream (zlib \(status))")
            }
        }
    }
}

// MARK: snappy (xerial framing)

enum XerialSnappy {
    /// `0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00`
    static let magic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]
    static let headerSize = 16
    static let blockSize = 32 * 1024

    static func compress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        var out = magic
        out.appendBE(Int32(1))  // version
        out.appendBE(Int32(1))  // minimum compatible version
        var start = 0
        let base = basePointer(input)
        var scratch = [UInt8](repeating: 0, count: snappy_max_compressed_length(blockSize))
        while start < input.count {
            let n = min(blockSize, input.count - start)
            var compressedLength = scratch.count
            let status = scratch.withUnsafeMutableBytes { dst in
                snappy_compress(
                    base.advanced(by: start).assumingMemoryBound(to: CChar.self), n,
                    dst.baseAddress!.assumingMemoryBound(to: CChar.self), &compressedLength)
            }
            guard status == SNAPPY_OK else { throw RecordValidationError.compressionFailed("snappy_compress") }
            out.appendBE(Int32(compressedLength))
            out.append(contentsOf: scratch[0..<compressedLength])
            start += n
        }
        return out
    }

    static func hasXerialHeader(_ input: UnsafeRawBufferPointer) -> Bool {
        guard input.count >= headerSize else { return false }
        for i in 0..<magic.count where input[i] != magic[i] { return false }
        return true
    }

    static func decompress(_ input: UnsafeRawBufferPointer, limit: Int) throws -> [UInt8] {
        guard hasXerialHeader(input) else {
            // xerial's SnappyInputStream falls back to one raw snappy block when the header is missing.
            var out = CappedOutput(initialCapacity: 0, limit: limit)
            try decodeBlock(input, into: &out)
            return out.finish()
        }
        var out = CappedOutput(initialCapacity: input.count * 3, limit: limit)
        var cursor = ByteCursor(input, position: headerSize)
        while !cursor.isAtEnd {
            guard cursor.remaining >= 4 else { throw RecordValidationError.corruptMessage("truncated snappy chunk") }
            let length = Int(try cursor.readBE(Int32.self))
            guard length >= 0, length <= cursor.remaining else {
                throw RecordValidationError.corruptMessage("truncated snappy chunk")
            }
            let chunk = UnsafeRawBufferPointer(rebasing: input[cursor.position..<(cursor.position + length)])
            try decodeBlock(chunk, into: &out)
            cursor.position += length
        }
        return out.finish()
    }

    /// Appends one raw snappy block to `out`.
    static func decodeBlock(_ block: UnsafeRawBufferPointer, into out: inout CappedOutput) throws {
        let src = basePointer(block).assumingMemoryBound(to: CChar.self)
        var size = 0
        guard snappy_uncompressed_length(src, block.count, &size) == SNAPPY_OK else {
            throw RecordValidationError.corruptMessage("invalid snappy block")
        }
        guard size <= out.limit - out.count else {
            throw RecordValidationError.decompressionLimitExceeded(limit: out.limit)
        }
        out.reserve(size)
        let at = out.count
        var produced = size
        let status = out.withBuffer { dst in
            snappy_uncompress(
                src, block.count, dst.baseAddress!.advanced(by: at).assumingMemoryBound(to: CChar.self), &produced)
        }
        guard status == SNAPPY_OK, produced == size else {
            throw RecordValidationError.corruptMessage("invalid snappy block")
        }
        out.count += size
    }
}

// MARK: zstd

enum Zstd {
    /// Kafka's default zstd level.
    static let level: Int32 = 3

    static func compress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var out = [UInt8](repeating: 0, count: bound)
        let result = out.withUnsafeMutableBytes { dst in
            ZSTD_compress(dst.baseAddress, dst.count, basePointer(input), input.count, level)
        }
        guard ZSTD_isError(result) == 0 else { throw RecordValidationError.compressionFailed("ZSTD_compress") }
        out.removeSubrange(result...)
        return out
    }

    static func decompress(_ input: UnsafeRawBufferPointer, limit: Int) throws -> [UInt8] {
        guard let ctx = ZSTD_createDCtx() else { throw RecordValidationError.corruptMessage("ZSTD_createDCtx") }
        defer { ZSTD_freeDCtx(ctx) }
        var out = CappedOutput(initialCapacity: input.count * 4, limit: limit)
        var inBuf = ZSTD_inBuffer(src: basePointer(input), size: input.count, pos: 0)
        while true {
            out.reserve(max(out.capacity, 4096))
            let outCount = out.count
            let free = out.free
            let (result, written) = out.withBuffer { dst -> (Int, Int) in
                var outBuf = ZSTD_outBuffer(
                    dst: dst.baseAddress!.advanced(by: outCount), size: dst.count - outCount, pos: 0)
                let r = ZSTD_decompressStream(ctx, &outBuf, &inBuf)
                return (r, outBuf.pos)
            }
            guard ZSTD_isError(result) == 0 else { throw RecordValidationError.corruptMessage("invalid zstd frame") }
            out.count += written
            try out.checkLimit()
            if inBuf.pos == inBuf.size {
                // 0 means the last frame is complete and flushed; another frame may follow only with more input.
                if result == 0 { return out.finish() }
                // Output not full means the decoder flushed all it could: the input ended inside a frame.
                if written < free { throw RecordValidationError.corruptMessage("truncated zstd frame") }
            }
        }
    }
}
