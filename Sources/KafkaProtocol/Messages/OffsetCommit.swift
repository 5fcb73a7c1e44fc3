/// OffsetCommit (key 8), versions 0–9, flexible from 8.
public struct OffsetCommitRequest: KafkaRequest, Equatable {
    public typealias Response = OffsetCommitResponse
    public static let apiKey = APIKey.offsetCommit
    public static let versions: ClosedRange<Int16> = 0...9
    public static let firstFlexibleVersion: Int16? = 8

    public struct OffsetCommitRequestPartition: KafkaMessage, Equatable {
        public var partitionIndex: Int32 = 0
        public var committedOffset: Int64 = 0
        /// v6+.
        public var committedLeaderEpoch: Int32 = -1
        /// v1 only.
        public var commitTimestamp: Int64 = -1
        public var committedMetadata: String? = nil

        public init(
            partitionIndex: Int32 = 0, committedOffset: Int64 = 0, committedLeaderEpoch: Int32 = -1,
            commitTimestamp: Int64 = -1, committedMetadata: String? = nil
        ) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedLeaderEpoch = committedLeaderEpoch
            self.commitTimestamp = commitTimestamp
            self.committedMetadata = committedMetadata
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 8
            partitionIndex = try r.readInt32()
            committedOffset = try r.readInt64()
            if version >= 6 { committedLeaderEpoch = try r.readInt32() }
            if version == 1 { commitTimestamp = try r.readInt64() }
            committedMetadata = try r.readNullableString(compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 8
            w.writeInt32(partitionIndex)
            w.writeInt64(committedOffset)
            if version >= 6 { w.writeInt32(committedLeaderEpoch) }
            if version == 1 { w.writeInt64(commitTimestamp) }
            w.writeNullableString(committedMetadata, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public struct OffsetCommitRequestTopic: KafkaMessage, Equatable {
        public var name: String = ""
        public var partitions: [OffsetCommitRequestPartition] = []

        public init(name: String = "", partitions: [OffsetCommitRequestPartition] = []) {
            self.name = name
            self.partitions = partitions
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 8
            name = try r.readString(compact: flexible)
            partitions = try r.readStructArray(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 8
            w.writeString(name, compact: flexible)
            w.writeStructArray(partitions, version: version, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var groupId: String = ""
    /// v1+: the generation (classic groups) or member epoch (consumer groups).
    public var generationIdOrMemberEpoch: Int32 = -1
    /// v1+.
    public var memberId: String = ""
    /// v7+.
    public var groupInstanceId: String? = nil
    /// v2–4.
    public var retentionTimeMs: Int64 = -1
    public var topics: [OffsetCommitRequestTopic] = []

    public init(
        groupId: String = "", generationIdOrMemberEpoch: Int32 = -1, memberId: String = "",
        groupInstanceId: String? = nil, retentionTimeMs: Int64 = -1, topics: [OffsetCommitRequestTopic] = []
    ) {
        self.groupId = groupId
        self.generationIdOrMemberEpoch = generationIdOrMemberEpoch
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.retentionTimeMs = retentionTimeMs
        self.topics = topics
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 8
        groupId = try r.readString(compact: flexible)
        if version >= 1 {
            generationIdOrMemberEpoch = try r.readInt32()
            memberId = try r.readString(compact: flexible)
        }
        if version >= 7 { groupInstanceId = try r.readNullableString(compact: flexible) }
        if (2...4).contains(version) { retentionTimeMs = try r.readInt64() }
        topics = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 8
        w.writeString(groupId, compact: flexible)
        if version >= 1 {
            w.writeInt32(generationIdOrMemberEpoch)
            w.writeString(memberId, compact: flexible)
        }
        if version >= 7 { w.writeNullableString(groupInstanceId, compact: flexible) }
        if (2...4).contains(version) { w.writeInt64(retentionTimeMs) }
        w.writeStructArray(topics, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct OffsetCommitResponse: KafkaMessage, Equatable {
    public struct OffsetCommitResponsePartition: KafkaMessage, Equatable {
        public var partitionIndex: Int32 = 0
        public var errorCode: Int16 = 0

        public init(partitionIndex: Int32 = 0, errorCode: Int16 = 0) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            partitionIndex = try r.readInt32()
            errorCode = try r.readInt16()
            if version >= 8 { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeInt32(partitionIndex)
            w.writeInt16(errorCode)
            if version >= 8 { w.writeEmptyTaggedFields() }
        }
    }

    public struct OffsetCommitResponseTopic: KafkaMessage, Equatable {
        public var name: String = ""
        public var partitions: [OffsetCommitResponsePartition] = []

        public init(name: String = "", partitions: [OffsetCommitResponsePartition] = []) {
            self.name = name
            self.partitions = partitions
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 8
            name = try r.readString(compact: flexible)
            partitions = try r.readStructArray(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 8
            w.writeString(name, compact: flexible)
            w.writeStructArray(partitions, version: version, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// v3+.
    public var throttleTimeMs: Int32 = 0
    public var topics: [OffsetCommitResponseTopic] = []

    public init(throttleTimeMs: Int32 = 0, topics: [OffsetCommitResponseTopic] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 8
        if version >= 3 { throttleTimeMs = try r.readInt32() }
        topics = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 8
        if version >= 3 { w.writeInt32(throttleTimeMs) }
        w.writeStructArray(topics, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}
