import KafkaProtocol

// `__transaction_state` records in Kafka's layouts (`TransactionLogKey` v0, `TransactionLogValue` v0–1). The key
// is not flexible; value v0 uses classic encoding, v1 compact encoding with tagged fields. We write value v0 for the
// v0-era flow, as Kafka 3.x does, v1 for transaction version 2 (KIP-890 part 2), and read both.

/// The record key: the transactional id.
public enum TransactionLogKey {
    public static func encoded(transactionalId: String) -> [UInt8] {
        var w = ProtocolWriter(capacity: 4 + transactionalId.utf8.count)
        w.writeInt16(0)
        w.writeString(transactionalId)
        return w.bytes
    }

    /// The transactional id of a key; nil for a key version this coordinator does not write (skipped on load).
    public static func decode(_ bytes: [UInt8]) throws(ProtocolError) -> String? {
        var r = ProtocolReader(bytes)
        let version = try r.readInt16()
        guard version == 0 else { return nil }
        return try r.readString()
    }
}

/// The record value: a transaction's persisted metadata. A null value (tombstone) removes the id.
public struct TransactionLogValue: Sendable, Equatable {
    public var producerId: Int64
    public var producerEpoch: Int16
    public var transactionTimeoutMs: Int32
    public var state: TransactionState
    public var partitions: [TxnTopicPartition]
    public var lastUpdateTimestampMs: Int64
    public var startTimestampMs: Int64
    /// v1 tagged fields (KIP-890); -1 when absent.
    public var previousProducerId: Int64 = -1
    public var nextProducerId: Int64 = -1
    public var clientTransactionVersion: Int16 = 0

    public init(
        producerId: Int64, producerEpoch: Int16, transactionTimeoutMs: Int32, state: TransactionState,
        partitions: [TxnTopicPartition], lastUpdateTimestampMs: Int64, startTimestampMs: Int64
    ) {
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.transactionTimeoutMs = transactionTimeoutMs
        self.state = state
        self.partitions = partitions
        self.lastUpdateTimestampMs = lastUpdateTimestampMs
        self.startTimestampMs = startTimestampMs
    }

    /// Partitions grouped by topic, topics and partitions sorted, as the value stores them.
    private var grouped: [(topic: String, partitions: [Int32])] {
        var byTopic: [String: [Int32]] = [:]
        for tp in partitions { byTopic[tp.topic, default: []].append(tp.partition) }
        return byTopic.keys.sorted().map { ($0, byTopic[$0]!.sorted()) }
    }

    /// Value v0, or v1 once the id runs the KIP-890 part 2 flow (transaction version 2) or carries a next producer
    /// id: only v1 keeps those across a coordinator move, as Kafka 4.0 writes it. Kafka writes a null partition list
    /// for Empty (the Complete states carry an empty one).
    public func encoded() -> [UInt8] {
        let flexible = clientTransactionVersion >= 2 || nextProducerId >= 0
        var w = ProtocolWriter(capacity: 64 + partitions.count * 24)
        w.writeInt16(flexible ? 1 : 0)
        w.writeInt64(producerId)
        w.writeInt16(producerEpoch)
        w.writeInt32(transactionTimeoutMs)
        w.writeInt8(state.rawValue)
        let topics = grouped
        w.writeNullableArray(state == .empty ? nil : topics, compact: flexible) { w, entry in
            w.writeString(entry.topic, compact: flexible)
            w.writeArray(entry.partitions, compact: flexible) { w, p in w.writeInt32(p) }
            if flexible { w.writeEmptyTaggedFields() }
        }
        w.writeInt64(lastUpdateTimestampMs)
        w.writeInt64(startTimestampMs)
        if flexible {
            var tags: [(tag: UInt32, payload: [UInt8])] = []
            if previousProducerId >= 0 {
                var t = ProtocolWriter(capacity: 8)
                t.writeInt64(previousProducerId)
                tags.append((0, t.bytes))
            }
            if nextProducerId >= 0 {
                var t = ProtocolWriter(capacity: 8)
                t.writeInt64(nextProducerId)
                tags.append((1, t.bytes))
            }
            if clientTransactionVersion != 0 {
                var t = ProtocolWriter(capacity: 2)
                t.writeInt16(clientTransactionVersion)
                tags.append((2, t.bytes))
            }
            w.writeTaggedFields(tags)
        }
        return w.bytes
    }

    /// Reads value v0 or v1.
    public init(decoding bytes: [UInt8]) throws(ProtocolError) {
        var r = ProtocolReader(bytes)
        let version = try r.readInt16()
        guard version == 0 || version == 1 else {
            throw ProtocolError.invalidField("unsupported transaction log value version \(version)")
        }
        let flexible = version >= 1
        producerId = try r.readInt64()
        producerEpoch = try r.readInt16()
        transactionTimeoutMs = try r.readInt32()
        let status = try r.readInt8()
        guard let decoded = TransactionState(rawValue: status) else {
            throw ProtocolError.invalidField("unknown transaction status \(status)")
        }
        state = decoded
        let topics =
            try r.readNullableArray(compact: flexible) {
                (r: inout ProtocolReader) throws(ProtocolError) -> (String, [Int32]) in
                let topic = try r.readString(compact: flexible)
                let ids = try r.readArray(compact: flexible) { (r: inout ProtocolReader) throws(ProtocolError) in
                    try r.readInt32()
                }
                if flexible { try r.readTaggedFields() }
                return (topic, ids)
            } ?? []
        partitions = topics.flatMap { t in t.1.map { TxnTopicPartition(topic: t.0, partition: $0) } }
        lastUpdateTimestampMs = try r.readInt64()
        startTimestampMs = try r.readInt64()
        if flexible {
            var previous: Int64 = -1
            var next: Int64 = -1
            var clientVersion: Int16 = 0
            try r.readTaggedFields { (tag: UInt32, sub: inout ProtocolReader) throws(ProtocolError) -> Bool in
                switch tag {
                case 0: previous = try sub.readInt64()
                case 1: next = try sub.readInt64()
                case 2: clientVersion = try sub.readInt16()
                default: return false
                }
                return true
            }
            previousProducerId = previous
            nextProducerId = next
            clientTransactionVersion = clientVersion
        }
    }
}
