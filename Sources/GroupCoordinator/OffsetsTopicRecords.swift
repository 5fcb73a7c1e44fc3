import KafkaProtocol

// `__consumer_offsets` record keys and values in Kafka's own layouts (non-flexible protocol encoding: int16
// string lengths, int32 bytes lengths, int32 array counts). Keys: v0/v1 = offset commit, v2 = group metadata.
// We write offset commit key v1 + value v3 and group metadata key v2 + value v3, as Kafka ≥ 2.3 does.

/// Key of an offset commit record (versions 0 and 1 share one layout).
public struct OffsetCommitKey: Sendable, Equatable, Hashable {
    public var group: String
    public var topic: String
    public var partition: Int32

    public init(group: String, topic: String, partition: Int32) {
        self.group = group
        self.topic = topic
        self.partition = partition
    }

    public func encoded() -> [UInt8] {
        var w = ProtocolWriter(capacity: 8 + group.utf8.count + topic.utf8.count)
        w.writeInt16(1)
        w.writeString(group)
        w.writeString(topic)
        w.writeInt32(partition)
        return w.bytes
    }
}

/// Value of an offset commit record.
public struct OffsetCommitValue: Sendable, Equatable {
    public var offset: Int64
    /// v3+; -1 when unknown.
    public var leaderEpoch: Int32
    public var metadata: String
    public var commitTimestamp: Int64
    /// v1 only; -1 when absent.
    public var expireTimestamp: Int64

    public init(
        offset: Int64, leaderEpoch: Int32 = -1, metadata: String = "", commitTimestamp: Int64,
        expireTimestamp: Int64 = -1
    ) {
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
        self.commitTimestamp = commitTimestamp
        self.expireTimestamp = expireTimestamp
    }

    /// Value v3 (offset, leaderEpoch, metadata, commitTimestamp), or v1 (offset, metadata, commitTimestamp,
    /// expireTimestamp) when the commit carried an explicit retention time, as Kafka writes them.
    public func encoded() -> [UInt8] {
        var w = ProtocolWriter(capacity: 30 + metadata.utf8.count)
        if expireTimestamp >= 0 {
            w.writeInt16(1)
            w.writeInt64(offset)
            w.writeString(metadata)
            w.writeInt64(commitTimestamp)
            w.writeInt64(expireTimestamp)
            return w.bytes
        }
        w.writeInt16(3)
        w.writeInt64(offset)
        w.writeInt32(leaderEpoch)
        w.writeString(metadata)
        w.writeInt64(commitTimestamp)
        return w.bytes
    }

    /// The value versions `init(decoding:)` reads.
    public static let supportedVersions: ClosedRange<Int16> = 0...3

    /// Reads versions 0–3. Other versions (flexible 4+) throw `invalidField`; loaders skip such records.
    public init(decoding bytes: [UInt8]) throws(ProtocolError) {
        var r = ProtocolReader(bytes)
        let version = try r.readInt16()
        guard Self.supportedVersions.contains(version) else {
            throw ProtocolError.invalidField("unsupported record value version \(version)")
        }
        offset = try r.readInt64()
        leaderEpoch = version >= 3 ? try r.readInt32() : -1
        metadata = try r.readString()
        commitTimestamp = try r.readInt64()
        expireTimestamp = version == 1 ? try r.readInt64() : -1
    }
}

/// One member inside a group metadata value.
public struct GroupMetadataMemberRecord: Sendable, Equatable {
    public var memberId: String
    public var groupInstanceId: String?
    public var clientId: String
    public var clientHost: String
    public var rebalanceTimeoutMs: Int32
    public var sessionTimeoutMs: Int32
    /// The member's metadata for the selected protocol.
    public var subscription: [UInt8]
    public var assignment: [UInt8]

    public init(
        memberId: String, groupInstanceId: String?, clientId: String, clientHost: String, rebalanceTimeoutMs: Int32,
        sessionTimeoutMs: Int32, subscription: [UInt8], assignment: [UInt8]
    ) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.clientId = clientId
        self.clientHost = clientHost
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.sessionTimeoutMs = sessionTimeoutMs
        self.subscription = subscription
        self.assignment = assignment
    }
}

/// Value of a group metadata record (key v2).
public struct GroupMetadataValue: Sendable, Equatable {
    public var protocolType: String
    public var generation: Int32
    public var protocolName: String?
    public var leader: String?
    /// v2+; -1 when unknown.
    public var currentStateTimestamp: Int64
    public var members: [GroupMetadataMemberRecord]

    public init(
        protocolType: String, generation: Int32, protocolName: String?, leader: String?, currentStateTimestamp: Int64,
        members: [GroupMetadataMemberRecord]
    ) {
        self.protocolType = protocolType
        self.generation = generation
        self.protocolName = protocolName
        self.leader = leader
        self.currentStateTimestamp = currentStateTimestamp
        self.members = members
    }

    /// The group metadata key (v2): just the group id.
    public static func key(group: String) -> [UInt8] {
        var w = ProtocolWriter(capacity: 4 + group.utf8.count)
        w.writeInt16(2)
        w.writeString(group)
        return w.bytes
    }

    /// Value v3.
    public func encoded() -> [UInt8] {
        var w = ProtocolWriter(capacity: 64 + members.count * 96)
        w.writeInt16(3)
        w.writeString(protocolType)
        w.writeInt32(generation)
        w.writeNullableString(protocolName)
        w.writeNullableString(leader)
        w.writeInt64(currentStateTimestamp)
        w.writeArray(members) { w, m in
            w.writeString(m.memberId)
            w.writeNullableString(m.groupInstanceId)
            w.writeString(m.clientId)
            w.writeString(m.clientHost)
            w.writeInt32(m.rebalanceTimeoutMs)
            w.writeInt32(m.sessionTimeoutMs)
            w.writeBytes(m.subscription)
            w.writeBytes(m.assignment)
        }
        return w.bytes
    }

    /// The value versions `init(decoding:)` reads.
    public static let supportedVersions: ClosedRange<Int16> = 0...3

    /// Reads versions 0–3 (v0 has no rebalance timeout — the session timeout stands in, as in Kafka's loader —,
    /// v2 adds the state timestamp, v3 instance ids).
    public init(decoding bytes: [UInt8]) throws(ProtocolError) {
        var r = ProtocolReader(bytes)
        let version = try r.readInt16()
        guard Self.supportedVersions.contains(version) else {
            throw ProtocolError.invalidField("unsupported record value version \(version)")
        }
        protocolType = try r.readString()
        generation = try r.readInt32()
        protocolName = try r.readNullableString()
        leader = try r.readNullableString()
        currentStateTimestamp = version >= 2 ? try r.readInt64() : -1
        members = try r.readArray { (r: inout ProtocolReader) throws(ProtocolError) in
            let memberId = try r.readString()
            let instanceId = version >= 3 ? try r.readNullableString() : nil
            let clientId = try r.readString()
            let clientHost = try r.readString()
            let rebalanceTimeout = version >= 1 ? try r.readInt32() : nil
            let sessionTimeout = try r.readInt32()
            let subscription = try r.readBytes()
            let assignment = try r.readBytes()
            return GroupMetadataMemberRecord(
                memberId: memberId, groupInstanceId: instanceId, clientId: clientId, clientHost: clientHost,
                rebalanceTimeoutMs: rebalanceTimeout ?? sessionTimeout,
                sessionTimeoutMs: sessionTimeout, subscription: subscription, assignment: assignment)
        }
    }
}

/// A decoded `__consumer_offsets` record: what the loader replays.
public enum OffsetsTopicRecord: Sendable, Equatable {
    /// A commit, or its removal when `value` is nil (tombstone).
    case offset(OffsetCommitKey, OffsetCommitValue?)
    /// A group's metadata, or the group's removal when `value` is nil.
    case group(String, GroupMetadataValue?)
    /// A key version we do not know (Kafka's readers skip these too).
    case unknown(keyVersion: Int16)

    /// The schema version every key and value starts with (int16), e.g. for tools that print it.
    public static func schemaVersion(of bytes: [UInt8]) throws(ProtocolError) -> Int16 {
        var r = ProtocolReader(bytes)
        return try r.readInt16()
    }

    /// Decodes one record's key and value. Throws on malformed bytes; the loader logs and skips those.
    public init(key: [UInt8], value: [UInt8]?) throws(ProtocolError) {
        var r = ProtocolReader(key)
        let version = try r.readInt16()
        switch version {
        case 0, 1:
            let k = OffsetCommitKey(group: try r.readString(), topic: try r.readString(), partition: try r.readInt32())
            self = .offset(
                k, try value.map { (v: [UInt8]) throws(ProtocolError) in try OffsetCommitValue(decoding: v) })
        case 2:
            let group = try r.readString()
            self = .group(
                group, try value.map { (v: [UInt8]) throws(ProtocolError) in try GroupMetadataValue(decoding: v) })
        default:
            self = .unknown(keyVersion: version)
        }
    }
}
