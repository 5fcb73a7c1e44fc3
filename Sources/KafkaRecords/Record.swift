/// One record header: a non-null UTF-8 key and a nullable value.
public struct RecordHeader: Sendable, Equatable, Hashable {
    public var key: String
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}

/// One record of a v2 batch, with offset and timestamp relative to the batch.
///
/// ```
/// length varint | attributes int8 | timestampDelta varlong | offsetDelta varint
/// keyLength varint (-1 null) | key | valueLength varint (-1 null) | value
/// headerCount varint | (headerKeyLength varint | key | headerValueLength varint (-1 null) | value)*
/// ```
public struct Record: Sendable, Equatable, Hashable {
    public var offsetDelta: Int32
    public var timestampDelta: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [RecordHeader]

    public init(
        offsetDelta: Int32, timestampDelta: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = []
    ) {
        self.offsetDelta = offsetDelta
        self.timestampDelta = timestampDelta
        self.key = key
        self.value = value
        self.headers = headers
    }

    /// Size of the record body (everything after the length varint).
    public var bodySize: Int {
        Self.bodySize(
            offsetDelta: offsetDelta, timestampDelta: timestampDelta, key: key, value: value, headers: headers)
    }

    /// Full encoded size including the length prefix.
    public var encodedSize: Int {
        let body = bodySize
        return Varint.size(Int32(truncatingIfNeeded: body)) + body
    }

    static func bodySize(
        offsetDelta: Int32, timestampDelta: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader]
    ) -> Int {
        var size = 1 + Varint.size(timestampDelta) + Varint.size(offsetDelta)
        size += nullableSize(key?.count)
        size += nullableSize(value?.count)
        size += Varint.size(Int32(truncatingIfNeeded: headers.count))
        for h in headers {
            size += nullableSize(h.key.utf8.count)
            size += nullableSize(h.value?.count)
        }
        return size
    }

    @inline(__always) static func nullableSize(_ count: Int?) -> Int {
        guard let count else { return 1 }
        return Varint.size(Int32(truncatingIfNeeded: count)) + count
    }

    /// Appends the encoded record to `out`.
    public func encode(into out: inout [UInt8]) {
        Self.encode(
            offsetDelta: offsetDelta, timestampDelta: timestampDelta, key: key, value: value, headers: headers,
            into: &out)
    }

    static func encode(
        offsetDelta: Int32, timestampDelta: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader],
        into out: inout [UInt8]
    ) {
        let body = bodySize(
            offsetDelta: offsetDelta, timestampDelta: timestampDelta, key: key, value: value, headers: headers)
        out.appendVarint(Int32(truncatingIfNeeded: body))
        out.append(0)  // attributes
        out.appendVarlong(timestampDelta)
        out.appendVarint(offsetDelta)
        appendNullable(key, to: &out)
        appendNullable(value, to: &out)
        out.appendVarint(Int32(truncatingIfNeeded: headers.count))
        for h in headers {
            let k = Array(h.key.utf8)
            out.appendVarint(Int32(truncatingIfNeeded: k.count))
            out.append(contentsOf: k)
            appendNullable(h.value, to: &out)
        }
    }

    @inline(__always) static func appendNullable(_ bytes: [UInt8]?, to out: inout [UInt8]) {
        if let bytes {
            out.appendVarint(Int32(truncatingIfNeeded: bytes.count))
            out.append(contentsOf: bytes)
        } else {
            out.appendVarint(-1)
        }
    }

    /// Decodes one record from `cursor`, checking that its declared length matches its content.
    static func decode(_ c: inout ByteCursor) throws(RecordValidationError) -> Record {
        let view = try RecordView.read(&c)
        let bytes = c.bytes
        func slice(_ r: Range<Int>?) -> [UInt8]? {
            guard let r else { return nil }
            return Array(UnsafeRawBufferPointer(rebasing: bytes[r]))
        }
        var headers: [RecordHeader] = []
        if view.headerCount > 0 {
            headers.reserveCapacity(view.headerCount)
            var hc = ByteCursor(bytes, position: view.headersStart)
            for _ in 0..<view.headerCount {
                let keyLength = Int(try hc.readVarint())
                let keyBytes = try hc.readBytes(keyLength)
                let valueLength = Int(try hc.readVarint())
                let value: [UInt8]? = valueLength < 0 ? nil : try hc.readBytes(valueLength)
                headers.append(RecordHeader(key: String(decoding: keyBytes, as: UTF8.self), value: value))
            }
        }
        return Record(
            offsetDelta: view.offsetDelta, timestampDelta: view.timestampDelta, key: slice(view.key),
            value: slice(view.value), headers: headers)
    }
}

/// A record's fields located in a buffer without copying anything; used for allocation-free validation.
struct RecordView {
    var offsetDelta: Int32
    var timestampDelta: Int64
    /// Byte ranges in the underlying buffer; nil for a null key or value.
    var key: Range<Int>?
    var value: Range<Int>?
    var headerCount: Int
    var headersStart: Int

    /// Reads one record and checks its structure: declared length, non-negative header key lengths,
    /// and that the fields end exactly where the length says.
    @inline(__always)
    static func read(_ c: inout ByteCursor) throws(RecordValidationError) -> RecordView {
        let length = Int(try c.readVarint())
        guard length > 0, length <= c.remaining else {
            throw RecordValidationError.invalidRecord("invalid record length \(length)")
        }
        let end = c.position + length
        var body = ByteCursor(UnsafeRawBufferPointer(rebasing: c.bytes[0..<end]), position: c.position)
        _ = try body.readUInt8()  // record attributes: unused in v2
        let timestampDelta = try body.readVarlong()
        let offsetDelta = try body.readVarint()
        let key = try readNullable(&body)
        let value = try readNullable(&body)
        let headerCount = Int(try body.readVarint())
        guard headerCount >= 0 else { throw RecordValidationError.invalidRecord("negative header count") }
        let headersStart = body.position
        for _ in 0..<headerCount {
            let keyLength = Int(try body.readVarint())
            guard keyLength >= 0 else { throw RecordValidationError.invalidRecord("negative header key length") }
            try body.skip(keyLength)
            let valueLength = Int(try body.readVarint())
            if valueLength >= 0 { try body.skip(valueLength) }
        }
        guard body.position == end else {
            throw RecordValidationError.invalidRecord("record length \(length) does not match its content")
        }
        c.position = end
        return RecordView(
            offsetDelta: offsetDelta, timestampDelta: timestampDelta, key: key, value: value,
            headerCount: headerCount, headersStart: headersStart)
    }

    @inline(__always)
    static func readNullable(_ c: inout ByteCursor) throws(RecordValidationError) -> Range<Int>? {
        let length = Int(try c.readVarint())
        if length < 0 { return nil }
        let start = c.position
        try c.skip(length)
        return start..<(start + length)
    }
}
