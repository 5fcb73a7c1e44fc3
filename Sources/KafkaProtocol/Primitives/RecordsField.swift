/// The `records` field of a Fetch response partition.
///
/// `.external` is the zero-copy case: the writer emits the length prefix and then a splice point
/// (`ProtocolWriter.appendExternal`) where the broker's sender inserts `length` bytes from a segment file.
/// Decoding always yields `.bytes`. A null records field is never written (librdkafka, Sarama and kafka-go reject
/// it); an empty `.bytes` is written as size 0.
public enum RecordsField: Sendable, Equatable {
    case bytes([UInt8])
    case external(length: Int, id: Int)

    public static let empty = RecordsField.bytes([])

    /// Number of record bytes, whether held here or spliced in later.
    public var length: Int {
        switch self {
        case .bytes(let b): b.count
        case .external(let length, _): length
        }
    }
}

extension ProtocolWriter {
    /// Writes a records field (int32 or compact length, then the bytes or an external splice point).
    public mutating func writeRecords(_ records: RecordsField, compact: Bool) {
        switch records {
        case .bytes(let b):
            writeBytes(b, compact: compact)
        case .external(let length, let id):
            writeLength(length, compact: compact, wide: true)
            appendExternal(length: length, id: id)
        }
    }
}

extension ProtocolReader {
    /// Reads a records field; null reads as empty.
    public mutating func readRecords(compact: Bool) throws(ProtocolError) -> RecordsField {
        .bytes(try readNullableBytes(compact: compact) ?? [])
    }
}
