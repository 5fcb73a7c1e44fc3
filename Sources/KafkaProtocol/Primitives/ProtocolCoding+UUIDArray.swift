/// Arrays of UUIDs: KIP-858's log directory ids in the KRaft metadata records (`PartitionRecord.directories`,
/// `RegisterBrokerRecord.logDirs`), which Kafka's JSON types as `[]uuid`.

extension ProtocolReader {
    public mutating func readUUIDArray(compact: Bool) throws(ProtocolError) -> [UUIDValue] {
        try readNullableUUIDArray(compact: compact) ?? []
    }

    public mutating func readNullableUUIDArray(compact: Bool) throws(ProtocolError) -> [UUIDValue]? {
        guard let n = try readArrayCount(compact: compact) else { return nil }
        try need(n &* 16)
        var out = [UUIDValue]()
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try readUUID()) }
        return out
    }
}

extension ProtocolWriter {
    public mutating func writeUUIDArray(_ items: [UUIDValue], compact: Bool) {
        writeArrayCount(items.count, compact: compact)
        for v in items { writeUUID(v) }
    }

    public mutating func writeNullableUUIDArray(_ items: [UUIDValue]?, compact: Bool) {
        guard let items else { return writeArrayCount(nil, compact: compact) }
        writeUUIDArray(items, compact: compact)
    }
}
