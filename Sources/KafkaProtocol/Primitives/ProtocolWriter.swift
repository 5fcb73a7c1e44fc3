/// Writes Kafka protocol primitives into a growing byte array.
///
/// Zero-copy: a field whose bytes live elsewhere (a Fetch response's records, which the broker sends straight
/// from segment files) is written with `appendExternal`, which reserves nothing in `bytes` but records a splice
/// point; the sender interleaves `bytes` and the external chunks in order. `totalLength` counts both.
public struct ProtocolWriter: Sendable {
    public struct External: Sendable, Equatable {
        /// Index in `bytes` at which the external chunk is spliced in.
        public var position: Int
        public var length: Int
        /// Caller-defined handle for the chunk (for example an index into a list of file regions).
        public var id: Int
    }

    public var bytes: [UInt8]
    public private(set) var externals: [External] = []
    private var externalLength = 0

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Bytes written plus the lengths of all external chunks.
    public var totalLength: Int { bytes.count + externalLength }

    @inline(__always)
    public mutating func writeInteger<T: FixedWidthInteger>(_ value: T) {
        var v = value.bigEndian
        withUnsafeBytes(of: &v) { bytes.append(contentsOf: $0) }
    }

    public mutating func writeInt8(_ v: Int8) { bytes.append(UInt8(bitPattern: v)) }
    public mutating func writeInt16(_ v: Int16) { writeInteger(v) }
    public mutating func writeInt32(_ v: Int32) { writeInteger(v) }
    public mutating func writeInt64(_ v: Int64) { writeInteger(v) }
    public mutating func writeUInt16(_ v: UInt16) { writeInteger(v) }
    public mutating func writeUInt32(_ v: UInt32) { writeInteger(v) }
    public mutating func writeBool(_ v: Bool) { bytes.append(v ? 1 : 0) }
    public mutating func writeFloat64(_ v: Double) { writeInteger(v.bitPattern) }
    public mutating func writeUUID(_ v: UUIDValue) { bytes.append(contentsOf: v.bytes) }
    public mutating func writeRawBytes<S: Sequence>(_ b: S) where S.Element == UInt8 { bytes.append(contentsOf: b) }

    public mutating func writeUnsignedVarint(_ value: UInt32) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    public mutating func writeVarint(_ value: Int32) {
        writeUnsignedVarint(UInt32(bitPattern: (value << 1) ^ (value >> 31)))
    }

    public mutating func writeVarlong(_ value: Int64) {
        var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// Length prefix: int16/int32 classic or uvarint N+1 compact; nil writes null.
    @inline(__always)
    mutating func writeLength(_ n: Int?, compact: Bool, wide: Bool) {
        if compact {
            writeUnsignedVarint(UInt32(n.map { $0 + 1 } ?? 0))
        } else if wide {
            writeInt32(Int32(n ?? -1))
        } else {
            writeInt16(Int16(n ?? -1))
        }
    }

    public mutating func writeNullableString(_ s: String?, compact: Bool = false) {
        guard let s else { return writeLength(nil, compact: compact, wide: false) }
        let utf8 = s.utf8
        writeLength(utf8.count, compact: compact, wide: false)
        bytes.append(contentsOf: utf8)
    }

    public mutating func writeString(_ s: String, compact: Bool = false) { writeNullableString(s, compact: compact) }

    public mutating func writeNullableBytes(_ b: [UInt8]?, compact: Bool = false) {
        guard let b else { return writeLength(nil, compact: compact, wide: true) }
        writeLength(b.count, compact: compact, wide: true)
        bytes.append(contentsOf: b)
    }

    public mutating func writeBytes(_ b: [UInt8], compact: Bool = false) { writeNullableBytes(b, compact: compact) }

    public mutating func writeArrayCount(_ n: Int?, compact: Bool = false) {
        writeLength(n, compact: compact, wide: true)
    }

    public mutating func writeArray<T>(
        _ items: [T], compact: Bool = false, _ element: (inout ProtocolWriter, T) -> Void
    ) {
        writeArrayCount(items.count, compact: compact)
        for item in items { element(&self, item) }
    }

    public mutating func writeNullableArray<T>(
        _ items: [T]?, compact: Bool = false, _ element: (inout ProtocolWriter, T) -> Void
    ) {
        guard let items else { return writeArrayCount(nil, compact: compact) }
        writeArray(items, compact: compact, element)
    }

    /// An empty tagged-field section (a single 0 byte). Never emit a tagged field holding its default value:
    /// librdkafka 2.0.2 mis-skips them.
    public mutating func writeEmptyTaggedFields() { bytes.append(0) }

    /// A tagged-field section with the given (tag, payload) pairs, which must be in ascending tag order.
    public mutating func writeTaggedFields(_ fields: [(tag: UInt32, payload: [UInt8])]) {
        writeUnsignedVarint(UInt32(fields.count))
        for f in fields {
            writeUnsignedVarint(f.tag)
            writeUnsignedVarint(UInt32(f.payload.count))
            bytes.append(contentsOf: f.payload)
        }
    }

    /// Records a chunk of `length` bytes that the sender splices in at the current position.
    public mutating func appendExternal(length: Int, id: Int) {
        externals.append(External(position: bytes.count, length: length, id: id))
        externalLength += length
    }

    /// Overwrites a big-endian int32 at `position` (for size prefixes written after the fact).
    public mutating func patchInt32(_ v: Int32, at position: Int) {
        let be = UInt32(bitPattern: v).bigEndian
        withUnsafeBytes(of: be) { raw in
            for i in 0..<4 { bytes[position + i] = raw[i] }
        }
    }
}
