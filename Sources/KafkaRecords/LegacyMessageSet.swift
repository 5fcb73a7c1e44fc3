import CCompression

/// One message of a legacy message set (magic 0 or 1), with an absolute offset once decoded.
///
/// ```
/// offset i64 | messageSize i32 | crc u32 (CRC-32 of magic..end) | magic i8 | attributes i8
/// [timestamp i64, magic 1 only] | keyLength i32 (-1 null) | key | valueLength i32 (-1 null) | value
/// ```
/// Attributes: bits 0–2 codec, bit 3 LogAppendTime (magic 1).
public struct LegacyMessage: Sendable, Equatable, Hashable {
    public var offset: Int64
    public var magic: Int8
    public var attributes: Int8
    /// -1 for magic 0 (no timestamp).
    public var timestamp: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?

    public init(
        offset: Int64, magic: Int8 = 1, attributes: Int8 = 0, timestamp: Int64 = -1, key: [UInt8]?, value: [UInt8]?
    ) {
        self.offset = offset
        self.magic = magic
        self.attributes = attributes
        self.timestamp = timestamp
        self.key = key
        self.value = value
    }

    public var codecID: Int { Int(attributes & 0x07) }
    public var isLogAppendTime: Bool { attributes & 0x08 != 0 }
}

/// Legacy message sets: decoding (with compressed wrappers), encoding, up-conversion of a produce payload into one
/// v2 batch (Produce v0–v2), and down-conversion of v2 batches for Fetch v0–v3 clients.
public enum LegacyMessageSet {
    /// Smallest message: crc, magic, attributes, key and value lengths.
    static let minimumMessageSize = 14

    /// Decodes a message set, replacing each compressed wrapper by its inner messages with absolute offsets.
    ///
    /// Every message CRC (outer and inner) is checked (mismatch: `corruptMessage`). A partial trailing message is
    /// not an error; its size is returned as `trailingBytes`.
    public static func decode(
        _ bytes: [UInt8], maxDecompressedSize: Int = CompressionCodec.defaultMaxDecompressedSize
    ) throws -> (messages: [LegacyMessage], trailingBytes: Int) {
        try bytes.withUnsafeBytes { raw in
            var messages: [LegacyMessage] = []
            let trailing = try decode(raw, maxDecompressedSize: maxDecompressedSize, nested: false, into: &messages)
            return (messages, trailing)
        }
    }

    static func decode(
        _ raw: UnsafeRawBufferPointer, maxDecompressedSize: Int, nested: Bool, into messages: inout [LegacyMessage]
    ) throws -> Int {
        var cursor = ByteCursor(raw)
        while !cursor.isAtEnd {
            guard cursor.remaining >= RecordBatchHeader.logOverhead else { return cursor.remaining }
            let start = cursor.position
            let offset = try cursor.readBE(Int64.self)
            let size = Int(try cursor.readBE(Int32.self))
            guard size >= minimumMessageSize else {
                throw RecordValidationError.corruptMessage("message at byte \(start) declares size \(size)")
            }
            guard size <= cursor.remaining else {
                if nested { throw RecordValidationError.corruptMessage("truncated inner message") }
                return raw.count - start
            }
            let body = UnsafeRawBufferPointer(rebasing: raw[cursor.position..<(cursor.position + size)])
            cursor.position += size
            let message = try decodeMessage(body, offset: offset)
            guard message.codecID != 0 else {
                messages.append(message)
                continue
            }
            guard !nested else { throw RecordValidationError.invalidRecord("compressed message inside a wrapper") }
            guard let codec = CompressionCodec(rawValue: message.codecID), codec != .zstd else {
                throw RecordValidationError.unsupportedCompressionType(message.codecID)
            }
            guard let compressed = message.value else {
                throw RecordValidationError.invalidRecord("compressed wrapper message with a null value")
            }
            let plain = try codec.decompress(compressed, maxOutputSize: maxDecompressedSize)
            var inner: [LegacyMessage] = []
            _ = try plain.withUnsafeBytes {
                try decode($0, maxDecompressedSize: maxDecompressedSize, nested: true, into: &inner)
            }
            guard let lastInner = inner.last else {
                throw RecordValidationError.invalidRecord("compressed wrapper message with no inner messages")
            }
            // Magic 1 wrappers hold relative inner offsets and carry the absolute offset of the last inner message.
            let shift = message.magic > 0 ? message.offset &- lastInner.offset : 0
            for var m in inner {
                guard m.magic == message.magic else {
                    throw RecordValidationError.invalidRecord("inner message magic differs from its wrapper's")
                }
                m.offset = m.offset &+ shift
                if message.magic > 0 && message.isLogAppendTime {
                    m.timestamp = message.timestamp
                    m.attributes |= 0x08
                }
                messages.append(m)
            }
        }
        return 0
    }

    /// Decodes one message body (from the CRC on) after checking its CRC.
    static func decodeMessage(_ body: UnsafeRawBufferPointer, offset: Int64) throws -> LegacyMessage {
        var c = ByteCursor(body)
        let storedCRC = try c.readBE(UInt32.self)
        let covered = UnsafeRawBufferPointer(rebasing: body[4...])
        let actual = UInt32(crc32(0, basePointer(covered).assumingMemoryBound(to: Bytef.self), uInt(covered.count)))
        guard storedCRC == actual else {
            throw RecordValidationError.corruptMessage("message CRC mismatch at offset \(offset)")
        }
        let magic = Int8(bitPattern: try c.readUInt8())
        guard magic == 0 || magic == 1 else {
            throw RecordValidationError.invalidRecord("unsupported legacy magic \(magic)")
        }
        let attributes = Int8(bitPattern: try c.readUInt8())
        let timestamp = magic == 1 ? try c.readBE(Int64.self) : -1
        let key = try readBytes(&c)
        let value = try readBytes(&c)
        guard c.isAtEnd else { throw RecordValidationError.invalidRecord("message size does not match its content") }
        return LegacyMessage(
            offset: offset, magic: magic, attributes: attributes, timestamp: timestamp, key: key, value: value)
    }

    private static func readBytes(_ c: inout ByteCursor) throws -> [UInt8]? {
        let length = Int(try c.readBE(Int32.self))
        return length < 0 ? nil : try c.readBytes(length)
    }

    // MARK: encoding

    /// Appends one message as given (its attributes and timestamp are written verbatim).
    static func append(_ m: LegacyMessage, to out: inout [UInt8]) {
        let size = 4 + 1 + 1 + (m.magic > 0 ? 8 : 0) + 4 + (m.key?.count ?? 0) + 4 + (m.value?.count ?? 0)
        out.appendBE(m.offset)
        out.appendBE(Int32(size))
        let crcAt = out.count
        out.appendBE(UInt32(0))
        out.append(UInt8(bitPattern: m.magic))
        out.append(UInt8(bitPattern: m.attributes))
        if m.magic > 0 { out.appendBE(m.timestamp) }
        for field in [m.key, m.value] {
            if let field {
                out.appendBE(Int32(field.count))
                out.append(contentsOf: field)
            } else {
                out.appendBE(Int32(-1))
            }
        }
        let crc = out.withUnsafeBytes { raw -> UInt32 in
            let covered = UnsafeRawBufferPointer(rebasing: raw[(crcAt + 4)...])
            return UInt32(crc32(0, basePointer(covered).assumingMemoryBound(to: Bytef.self), uInt(covered.count)))
        }
        out.storeBE(crc, at: crcAt)
    }

    /// Encodes messages (offsets absolute) as a message set of `magic`. With a codec, all messages go into one
    /// compressed wrapper: magic 1 inner offsets become relative and the wrapper takes the last absolute offset.
    /// Magic 0 with lz4 is written uncompressed, since magic-0 readers expect the pre-KAFKA-3160 LZ4 checksum.
    public static func encode(_ messages: [LegacyMessage], magic: Int8, codec: CompressionCodec = .none) throws
        -> [UInt8]
    {
        precondition(magic == 0 || magic == 1, "legacy magic is 0 or 1")
        var out: [UInt8] = []
        let effective: CompressionCodec = (codec == .zstd || (magic == 0 && codec == .lz4)) ? .none : codec
        if effective == .none || messages.isEmpty {
            for var m in messages {
                m.magic = magic
                m.attributes &= magic == 0 ? 0 : 0x08
                if magic == 0 { m.timestamp = -1 }
                append(m, to: &out)
            }
            return out
        }
        var inner: [UInt8] = []
        let first = messages[0].offset
        var maxTimestamp: Int64 = -1
        for var m in messages {
            m.magic = magic
            m.attributes = 0
            if magic == 0 {
                m.timestamp = -1
            } else {
                m.offset = m.offset &- first
                maxTimestamp = max(maxTimestamp, m.timestamp)
            }
            append(m, to: &inner)
        }
        let logAppendTime = magic == 1 && messages.contains { $0.isLogAppendTime }
        let wrapper = LegacyMessage(
            offset: messages[messages.count - 1].offset, magic: magic,
            attributes: Int8(effective.rawValue) | (logAppendTime ? 0x08 : 0),
            timestamp: magic == 0 ? -1 : maxTimestamp, key: nil, value: try effective.compress(inner))
        append(wrapper, to: &out)
        return out
    }

    // MARK: conversion

    /// Up-converts a Produce v0–v2 message set into ONE v2 batch (baseOffset 0, no producer id), compressed with
    /// `codec`, or with the codec of the first compressed wrapper when `codec` is nil.
    ///
    /// Records get offset deltas 0..n-1 and keep their timestamps (-1 for magic 0). A partial trailing message is
    /// ignored as Kafka does; an empty set is `invalidRecord`.
    public static func upConvert(
        _ bytes: [UInt8], codec: CompressionCodec? = nil,
        maxDecompressedSize: Int = CompressionCodec.defaultMaxDecompressedSize
    ) throws -> [UInt8] {
        let (messages, _) = try decode(bytes, maxDecompressedSize: maxDecompressedSize)
        guard let first = messages.first else { throw RecordValidationError.invalidRecord("empty message set") }
        let sourceCodec = try bytes.withUnsafeBytes { try firstWrapperCodec($0) }
        var builder = RecordBatchBuilder(codec: codec ?? sourceCodec, baseTimestamp: first.timestamp)
        for (i, m) in messages.enumerated() {
            builder.append(
                offsetDelta: Int32(truncatingIfNeeded: i), timestampDelta: m.timestamp &- first.timestamp, key: m.key,
                value: m.value)
        }
        return try builder.build()
    }

    private static func firstWrapperCodec(_ raw: UnsafeRawBufferPointer) throws -> CompressionCodec {
        var it = RecordBatchIterator(raw)
        while let e = it.next() {
            let attributesAt = e.range.lowerBound + 17
            guard attributesAt < e.range.upperBound else { continue }
            let id = Int(raw[attributesAt] & 0x07)
            if id != 0 { return CompressionCodec(rawValue: id) ?? .none }
        }
        return .none
    }

    /// Down-converts a fetch payload of v2 batches (or legacy entries) to a magic 0 or 1 message set.
    ///
    /// Offsets stay absolute; records below `fromOffset`, headers and control batches are dropped; LogAppendTime
    /// batches give their maxTimestamp to every record. Each source batch becomes uncompressed messages, or one
    /// wrapper of `codec` when one is given. A partial trailing batch is left out.
    public static func downConvert(
        _ bytes: [UInt8], toMagic: Int8, fromOffset: Int64 = 0, codec: CompressionCodec = .none,
        maxDecompressedSize: Int = CompressionCodec.defaultMaxDecompressedSize
    ) throws -> [UInt8] {
        precondition(toMagic == 0 || toMagic == 1, "down-conversion targets magic 0 or 1")
        return try bytes.withUnsafeBytes { raw in
            var out: [UInt8] = []
            var it = RecordBatchIterator(raw)
            while let entry = it.next() {
                let slice = UnsafeRawBufferPointer(rebasing: raw[entry.range])
                var messages: [LegacyMessage] = []
                if entry.header.magic < 2 {
                    _ = try decode(slice, maxDecompressedSize: maxDecompressedSize, nested: false, into: &messages)
                    messages.removeAll { $0.offset < fromOffset }
                } else {
                    let batch = try RecordBatch(parsing: slice, maxDecompressedSize: maxDecompressedSize)
                    if batch.header.isControl { continue }
                    let appendTime = batch.header.isLogAppendTime
                    messages.reserveCapacity(batch.records.count)
                    for r in batch.records {
                        let offset = batch.offset(of: r)
                        guard offset >= fromOffset else { continue }
                        messages.append(
                            LegacyMessage(
                                offset: offset, magic: toMagic, attributes: appendTime && toMagic == 1 ? 0x08 : 0,
                                timestamp: toMagic == 0 ? -1 : batch.timestamp(of: r), key: r.key, value: r.value))
                    }
                }
                guard !messages.isEmpty else { continue }
                out.append(contentsOf: try encode(messages, magic: toMagic, codec: codec))
            }
            if let error = it.error { throw error }
            return out
        }
    }
}

extension LegacyMessageSet {
    /// The message format a Fetch response of `version` must carry: magic 0 for v0–v1, magic 1 for v2–v3, and
    /// nil for v4+ (v2 batches are sent as stored).
    public static func magic(forFetchVersion version: Int16) -> Int8? {
        switch version {
        case ..<2: 0
        case 2...3: 1
        default: nil
        }
    }
}
