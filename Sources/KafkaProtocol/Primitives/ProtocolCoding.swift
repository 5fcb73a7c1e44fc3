/// Helpers shared by the message definitions: arrays of primitives and of nested structs, and tagged-field
/// sections that skip unknown tags on read and omit default-valued fields on write.

extension ProtocolReader {
    public mutating func readInt32Array(compact: Bool) throws(ProtocolError) -> [Int32] {
        try readNullableInt32Array(compact: compact) ?? []
    }

    public mutating func readNullableInt32Array(compact: Bool) throws(ProtocolError) -> [Int32]? {
        guard let n = try readArrayCount(compact: compact) else { return nil }
        try need(n &* 4)
        var out = [Int32]()
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try readInt32()) }
        return out
    }

    public mutating func readInt64Array(compact: Bool) throws(ProtocolError) -> [Int64] {
        guard let n = try readArrayCount(compact: compact) else { return [] }
        try need(n &* 8)
        var out = [Int64]()
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try readInt64()) }
        return out
    }

    public mutating func readStringArray(compact: Bool) throws(ProtocolError) -> [String] {
        try readNullableStringArray(compact: compact) ?? []
    }

    public mutating func readNullableStringArray(compact: Bool) throws(ProtocolError) -> [String]? {
        guard let n = try readArrayCount(compact: compact) else { return nil }
        var out = [String]()
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try readString(compact: compact)) }
        return out
    }

    /// Reads an array of nested structs, each decoded at `version`.
    public mutating func readStructArray<T: KafkaMessage>(
        _: T.Type = T.self, version: Int16, compact: Bool
    ) throws(ProtocolError) -> [T] {
        try readNullableStructArray(T.self, version: version, compact: compact) ?? []
    }

    public mutating func readNullableStructArray<T: KafkaMessage>(
        _: T.Type = T.self, version: Int16, compact: Bool
    ) throws(ProtocolError) -> [T]? {
        guard let n = try readArrayCount(compact: compact) else { return nil }
        var out = [T]()
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try T(reading: &self, version: version)) }
        return out
    }

    /// One field of a tagged-field section: its tag and a reader bounded to its payload.
    public struct TaggedField: Sendable {
        public var tag: UInt32
        public var reader: ProtocolReader
    }

    /// Position inside a tagged-field section being read with `nextTaggedField`.
    public struct TaggedFieldCursor: Sendable {
        var remaining: UInt32
    }

    /// Starts reading a tagged-field section. Loop with `nextTaggedField`, decode the tags you know from the
    /// field's reader and ignore the rest: the cursor always moves past the whole payload.
    public mutating func beginTaggedFields() throws(ProtocolError) -> TaggedFieldCursor {
        let count = try readUnsignedVarint()
        guard Int(count) <= remaining else { throw .invalidLength(Int(count)) }
        return TaggedFieldCursor(remaining: count)
    }

    public mutating func nextTaggedField(_ cursor: inout TaggedFieldCursor) throws(ProtocolError) -> TaggedField? {
        guard cursor.remaining > 0 else { return nil }
        cursor.remaining -= 1
        let tag = try readUnsignedVarint()
        let size = Int(try readUnsignedVarint())
        try need(size)
        let sub = ProtocolReader(bytes, position: position, end: position + size)
        try skip(size)
        return TaggedField(tag: tag, reader: sub)
    }
}

extension ProtocolWriter {
    public mutating func writeInt32Array(_ items: [Int32], compact: Bool) {
        writeArrayCount(items.count, compact: compact)
        for v in items { writeInt32(v) }
    }

    public mutating func writeNullableInt32Array(_ items: [Int32]?, compact: Bool) {
        guard let items else { return writeArrayCount(nil, compact: compact) }
        writeInt32Array(items, compact: compact)
    }

    public mutating func writeInt64Array(_ items: [Int64], compact: Bool) {
        writeArrayCount(items.count, compact: compact)
        for v in items { writeInt64(v) }
    }

    public mutating func writeStringArray(_ items: [String], compact: Bool) {
        writeArrayCount(items.count, compact: compact)
        for s in items { writeString(s, compact: compact) }
    }

    public mutating func writeNullableStringArray(_ items: [String]?, compact: Bool) {
        guard let items else { return writeArrayCount(nil, compact: compact) }
        writeStringArray(items, compact: compact)
    }

    /// Writes an array of nested structs, each encoded at `version`.
    public mutating func writeStructArray<T: KafkaMessage>(_ items: [T], version: Int16, compact: Bool) {
        writeArrayCount(items.count, compact: compact)
        for item in items { item.write(to: &self, version: version) }
    }

    public mutating func writeNullableStructArray<T: KafkaMessage>(_ items: [T]?, version: Int16, compact: Bool) {
        guard let items else { return writeArrayCount(nil, compact: compact) }
        writeStructArray(items, version: version, compact: compact)
    }

    /// Writes a tagged-field section; an empty one is the single byte 0.
    public mutating func writeTaggedFields(_ fields: TaggedFields) {
        writeUnsignedVarint(UInt32(fields.fields.count))
        for f in fields.fields {
            writeUnsignedVarint(f.tag)
            writeUnsignedVarint(UInt32(f.payload.count))
            bytes.append(contentsOf: f.payload)
        }
    }
}

/// Collects the tagged fields of one struct before writing. Callers add only fields that differ from their
/// default (librdkafka 2.0.2 mis-skips default-valued tagged fields), in ascending tag order. Nothing is
/// allocated when no field is added, which is the common case.
public struct TaggedFields: Sendable {
    public private(set) var fields: [(tag: UInt32, payload: [UInt8])] = []

    public init() {}

    public mutating func add(_ tag: UInt32, _ body: (inout ProtocolWriter) -> Void) {
        var w = ProtocolWriter(capacity: 16)
        body(&w)
        fields.append((tag, w.bytes))
    }
}

extension KafkaMessage {
    /// Decodes a value from the start of a buffer; bytes after the value are not examined.
    public init(decoding bytes: [UInt8], version: Int16) throws(ProtocolError) {
        var reader = ProtocolReader(bytes)
        try self.init(reading: &reader, version: version)
    }

    /// Encodes the value on its own (no size prefix, no header). External chunks are not representable here.
    public func encoded(version: Int16) -> [UInt8] {
        var writer = ProtocolWriter()
        write(to: &writer, version: version)
        return writer.bytes
    }
}
