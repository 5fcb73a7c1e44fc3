/// Reads Kafka protocol primitives (big-endian fixed width, strings, bytes, arrays, varints, tagged fields)
/// from a byte array. Every read checks bounds and throws `ProtocolError` instead of trapping.
public struct ProtocolReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var position: Int
    public let end: Int

    public init(_ bytes: [UInt8], position: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.position = position
        self.end = end ?? bytes.count
    }

    public var remaining: Int { end - position }
    public var isAtEnd: Bool { position >= end }

    @inline(__always)
    mutating func need(_ n: Int) throws(ProtocolError) {
        guard n >= 0 else { throw .invalidLength(n) }
        guard n <= end - position else { throw .truncated(needed: n, remaining: end - position) }
    }

    @inline(__always)
    public mutating func readInteger<T: FixedWidthInteger>(_: T.Type = T.self) throws(ProtocolError) -> T {
        let size = MemoryLayout<T>.size
        try need(size)
        var value: T = 0
        for i in 0..<size { value = (value << 8) | T(truncatingIfNeeded: bytes[position + i]) }
        position += size
        return value
    }

    public mutating func readInt8() throws(ProtocolError) -> Int8 { try readInteger() }
    public mutating func readInt16() throws(ProtocolError) -> Int16 { try readInteger() }
    public mutating func readInt32() throws(ProtocolError) -> Int32 { try readInteger() }
    public mutating func readInt64() throws(ProtocolError) -> Int64 { try readInteger() }
    public mutating func readUInt16() throws(ProtocolError) -> UInt16 { try readInteger() }
    public mutating func readUInt32() throws(ProtocolError) -> UInt32 { try readInteger() }
    public mutating func readBool() throws(ProtocolError) -> Bool { try readInt8() != 0 }

    public mutating func readFloat64() throws(ProtocolError) -> Double {
        Double(bitPattern: try readInteger(UInt64.self))
    }

    public mutating func readUUID() throws(ProtocolError) -> UUIDValue {
        try need(16)
        let value = UUIDValue(bytes: Array(bytes[position..<position + 16]))
        position += 16
        return value
    }

    /// Unsigned LEB128 varint as used by the flexible protocol versions (max 5 bytes).
    public mutating func readUnsignedVarint() throws(ProtocolError) -> UInt32 {
        var result: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            try need(1)
            let byte = bytes[position]
            position += 1
            if shift == 28 && byte & 0xF0 != 0 { throw .malformedVarint }
            result |= UInt32(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 28 { throw .malformedVarint }
        }
    }

    /// Zigzag-signed varint (record-level encoding).
    public mutating func readVarint() throws(ProtocolError) -> Int32 {
        let raw = try readUnsignedVarint()
        return Int32(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// Zigzag-signed varlong (record-level encoding, max 10 bytes).
    public mutating func readVarlong() throws(ProtocolError) -> Int64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            try need(1)
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
            if shift > 63 { throw .malformedVarint }
        }
        return Int64(bitPattern: (result >> 1) ^ (0 &- (result & 1)))
    }

    /// Reads a length: int16/int32 (classic) or uvarint N+1 (compact). Returns nil for null (-1 / 0).
    @inline(__always)
    mutating func readLength(compact: Bool, wide: Bool) throws(ProtocolError) -> Int? {
        let n: Int
        if compact {
            n = Int(try readUnsignedVarint()) - 1
        } else if wide {
            n = Int(try readInt32())
        } else {
            n = Int(try readInt16())
        }
        if n == -1 { return nil }
        guard n >= 0 else { throw .invalidLength(n) }
        return n
    }

    public mutating func readRawBytes(_ count: Int) throws(ProtocolError) -> [UInt8] {
        try need(count)
        let out = Array(bytes[position..<position + count])
        position += count
        return out
    }

    public mutating func skip(_ count: Int) throws(ProtocolError) {
        try need(count)
        position += count
    }

    public mutating func readNullableString(compact: Bool = false) throws(ProtocolError) -> String? {
        guard let n = try readLength(compact: compact, wide: false) else { return nil }
        try need(n)
        let slice = bytes[position..<position + n]
        position += n
        guard let s = String(validating: slice, as: UTF8.self) else { throw .invalidUTF8 }
        return s
    }

    public mutating func readString(compact: Bool = false) throws(ProtocolError) -> String {
        guard let s = try readNullableString(compact: compact) else { throw .invalidField("null string") }
        return s
    }

    public mutating func readNullableBytes(compact: Bool = false) throws(ProtocolError) -> [UInt8]? {
        guard let n = try readLength(compact: compact, wide: true) else { return nil }
        return try readRawBytes(n)
    }

    public mutating func readBytes(compact: Bool = false) throws(ProtocolError) -> [UInt8] {
        try readNullableBytes(compact: compact) ?? []
    }

    /// Reads an array count (int32 or compact uvarint N+1); nil means null. Guards against absurd counts:
    /// every element takes at least one byte, so a count above `remaining` is malformed.
    public mutating func readArrayCount(compact: Bool = false) throws(ProtocolError) -> Int? {
        guard let n = try readLength(compact: compact, wide: true) else { return nil }
        guard n <= remaining else { throw .invalidLength(n) }
        return n
    }

    public mutating func readNullableArray<T>(
        compact: Bool = false, _ element: (inout ProtocolReader) throws(ProtocolError) -> T
    ) throws(ProtocolError) -> [T]? {
        guard let n = try readArrayCount(compact: compact) else { return nil }
        var out = [T]()
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try element(&self)) }
        return out
    }

    public mutating func readArray<T>(
        compact: Bool = false, _ element: (inout ProtocolReader) throws(ProtocolError) -> T
    ) throws(ProtocolError) -> [T] {
        try readNullableArray(compact: compact, element) ?? []
    }

    /// Reads a tagged-field section. Known tags are handed to `handler` with a sub-reader over their payload;
    /// unknown tags (handler returns false) are skipped, as the protocol requires.
    public mutating func readTaggedFields(
        _ handler: (UInt32, inout ProtocolReader) throws(ProtocolError) -> Bool = { _, _ in false }
    ) throws(ProtocolError) {
        let count = try readUnsignedVarint()
        guard Int(count) <= remaining else { throw .invalidLength(Int(count)) }
        for _ in 0..<count {
            let tag = try readUnsignedVarint()
            let size = Int(try readUnsignedVarint())
            try need(size)
            var sub = ProtocolReader(bytes, position: position, end: position + size)
            _ = try handler(tag, &sub)
            position += size
        }
    }
}
