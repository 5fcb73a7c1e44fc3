/// A bounds-checked forward reader over raw bytes. Every read throws instead of trapping on short input.
@usableFromInline
struct ByteCursor {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var position: Int

    @inlinable init(_ bytes: UnsafeRawBufferPointer, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    @inlinable var remaining: Int { bytes.count - position }
    @inlinable var isAtEnd: Bool { position >= bytes.count }

    @inlinable static func truncated() -> RecordValidationError { .invalidRecord("truncated record data") }

    @inlinable mutating func readUInt8() throws(RecordValidationError) -> UInt8 {
        guard position < bytes.count else { throw Self.truncated() }
        defer { position += 1 }
        return bytes[position]
    }

    @inlinable mutating func readBE<T: FixedWidthInteger>(_: T.Type) throws(RecordValidationError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw Self.truncated() }
        defer { position += size }
        return loadBE(bytes, position, as: T.self)
    }

    @inlinable mutating func readLE<T: FixedWidthInteger>(_: T.Type) throws(RecordValidationError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw Self.truncated() }
        defer { position += size }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
    }

    @inlinable mutating func skip(_ count: Int) throws(RecordValidationError) {
        guard count >= 0, remaining >= count else { throw Self.truncated() }
        position += count
    }

    @inlinable mutating func readBytes(_ count: Int) throws(RecordValidationError) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw Self.truncated() }
        defer { position += count }
        return Array(UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)]))
    }

    /// An unsigned LEB128 of at most `maxBytes` bytes (5 for int32 varints, 10 for int64 varlongs).
    @inlinable mutating func readRawVarint(maxBytes: Int) throws(RecordValidationError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        for _ in 0..<maxBytes {
            guard position < bytes.count else { throw Self.truncated() }
            let b = bytes[position]
            position += 1
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
        throw RecordValidationError.invalidRecord("varint longer than \(maxBytes) bytes")
    }

    /// A zigzag-encoded int32 varint, as Kafka's `ByteUtils.readVarint`.
    @inlinable mutating func readVarint() throws(RecordValidationError) -> Int32 {
        let raw = UInt32(truncatingIfNeeded: try readRawVarint(maxBytes: 5))
        return Int32(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// A zigzag-encoded int64 varlong, as Kafka's `ByteUtils.readVarlong`.
    @inlinable mutating func readVarlong() throws(RecordValidationError) -> Int64 {
        let raw = try readRawVarint(maxBytes: 10)
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }
}

/// Zigzag varint encoding and sizing.
public enum Varint {
    @inlinable public static func zigzag(_ v: Int32) -> UInt32 { UInt32(bitPattern: (v << 1) ^ (v >> 31)) }
    @inlinable public static func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }

    @inlinable public static func size(unsigned v: UInt64) -> Int {
        var v = v
        var n = 1
        while v >= 0x80 {
            v >>= 7
            n += 1
        }
        return n
    }

    /// Encoded size of a zigzag int32 varint.
    @inlinable public static func size(_ v: Int32) -> Int { size(unsigned: UInt64(zigzag(v))) }
    /// Encoded size of a zigzag int64 varlong.
    @inlinable public static func size(_ v: Int64) -> Int { size(unsigned: zigzag(v)) }

    /// Decodes a zigzag int32 varint at the start of `bytes`; returns the value and the bytes consumed.
    public static func decodeInt32(_ bytes: [UInt8]) throws -> (value: Int32, length: Int) {
        try bytes.withUnsafeBytes { raw in
            var c = ByteCursor(raw)
            let v = try c.readVarint()
            return (value: v, length: c.position)
        }
    }

    /// Decodes a zigzag int64 varlong at the start of `bytes`; returns the value and the bytes consumed.
    public static func decodeInt64(_ bytes: [UInt8]) throws -> (value: Int64, length: Int) {
        try bytes.withUnsafeBytes { raw in
            var c = ByteCursor(raw)
            let v = try c.readVarlong()
            return (value: v, length: c.position)
        }
    }
}

extension Array where Element == UInt8 {
    @inlinable mutating func appendBE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    @inlinable mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    @inlinable mutating func appendUnsignedVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        append(UInt8(v))
    }

    @inlinable mutating func appendVarint(_ value: Int32) { appendUnsignedVarint(UInt64(Varint.zigzag(value))) }
    @inlinable mutating func appendVarlong(_ value: Int64) { appendUnsignedVarint(Varint.zigzag(value)) }

    /// Overwrites a big-endian integer at `offset` (which must be in bounds; only used on buffers we built).
    @inlinable mutating func storeBE<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeMutableBytes { KafkaRecords.storeBE($0, offset, value) }
    }
}
