import KafkaProtocol

// The durable rebalance history: one `__consumer_offsets` record per finished rebalance, keyed by group and
// generation, under a key version of our own. Kafka's readers skip key versions they do not know: the classic
// `GroupMetadataManager` (≥ 3.x) logs "Unknown message key with version … Ignoring it", the KIP-848 coordinator's
// loader skips an `UnknownRecordTypeException`, and Burrow's `processConsumerOffsetsMessage` warns and drops it.
// 20052 ("NT") is far above the record types Kafka allocates from 0 upwards (KIP-848, KIP-932, KIP-1071 use the
// low twenties at most). The log is compacted on the key: a newer entry for the same (group, generation) wins and a
// tombstone removes it, which keeps the history bounded on disk.

/// Key of a rebalance history record: int16 version 20052, group (int16 string), generation (int32).
public struct RebalanceHistoryKey: Sendable, Equatable, Hashable {
    /// The key version of a rebalance history record.
    public static let version: Int16 = 20052

    public var group: String
    public var generation: Int32

    public init(group: String, generation: Int32) {
        self.group = group
        self.generation = generation
    }

    public func encoded() -> [UInt8] {
        var w = ProtocolWriter(capacity: 8 + group.utf8.count)
        w.writeInt16(Self.version)
        w.writeString(group)
        w.writeInt32(generation)
        return w.bytes
    }

    /// Decodes a key whose version is `version` (nil for any other key).
    public init?(decoding bytes: [UInt8]) throws(ProtocolError) {
        var r = ProtocolReader(bytes)
        guard try r.readInt16() == Self.version else { return nil }
        group = try r.readString()
        generation = try r.readInt32()
    }
}

/// Value of a rebalance history record (value version 0): a `RebalanceEntry`. Triggers travel as their metric
/// label text so an entry with a trigger this version does not know still loads (shown as metadata_changed).
public enum RebalanceHistoryValue {
    public static let version: Int16 = 0

    public static func encode(_ e: RebalanceEntry) -> [UInt8] {
        var w = ProtocolWriter(capacity: 96 + e.causes.count * 96 + e.moved.count * 24)
        w.writeInt16(version)
        w.writeInt32(e.generation)
        w.writeInt64(e.startedAt)
        w.writeInt64(e.joinCompletedAt ?? -1)
        w.writeInt64(e.completedAt)
        w.writeInt32(Int32(clamping: e.members))
        w.writeArray(e.causes) { w, c in
            w.writeString(c.trigger.rawValue)
            w.writeString(c.memberId)
            w.writeString(c.clientId)
            w.writeString(c.clientHost)
            w.writeNullableString(c.clientReason)
        }
        w.writeArray(e.removedOnRebalanceTimeout) { w, id in w.writeString(id) }
        w.writeArray(e.moved) { w, tp in
            w.writeString(tp.topic)
            w.writeInt32(tp.partition)
        }
        w.writeInt32(Int32(clamping: e.movedCount))
        return w.bytes
    }

    /// Reads value version 0; newer versions throw and the loader skips the record.
    public static func decode(_ bytes: [UInt8]) throws(ProtocolError) -> RebalanceEntry {
        var r = ProtocolReader(bytes)
        let v = try r.readInt16()
        guard v == version else { throw ProtocolError.invalidField("unsupported rebalance history version \(v)") }
        let generation = try r.readInt32()
        let startedAt = try r.readInt64()
        let joinCompletedAt = try r.readInt64()
        let completedAt = try r.readInt64()
        let members = try r.readInt32()
        let causes = try r.readArray { (r: inout ProtocolReader) throws(ProtocolError) in
            let trigger = try r.readString()
            return RebalanceCause(
                trigger: RebalanceTrigger(rawValue: trigger) ?? .metadataChanged, memberId: try r.readString(),
                clientId: try r.readString(), clientHost: try r.readString(), clientReason: try r.readNullableString())
        }
        let removed = try r.readArray { (r: inout ProtocolReader) throws(ProtocolError) in try r.readString() }
        let moved = try r.readArray { (r: inout ProtocolReader) throws(ProtocolError) in
            TopicPartitionKey(topic: try r.readString(), partition: try r.readInt32())
        }
        let movedCount = try r.readInt32()
        return RebalanceEntry(
            generation: generation, causes: causes, removedOnRebalanceTimeout: removed, startedAt: startedAt,
            joinCompletedAt: joinCompletedAt >= 0 ? joinCompletedAt : nil, completedAt: completedAt,
            members: Int(members), moved: moved, movedCount: Int(movedCount))
    }
}
