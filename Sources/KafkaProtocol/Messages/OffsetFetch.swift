/// OffsetFetch (key 9), versions 0–9, flexible from 6. v0–7 ask for one group (`groupId`, `topics`);
/// v8+ batch several groups in `groups`. A nil topic list means "all committed partitions" (v2+).
public struct OffsetFetchRequest: KafkaRequest, Equatable {
    public typealias Response = OffsetFetchResponse
    public static let apiKey = APIKey.offsetFetch
    public static let versions: ClosedRange<Int16> = 0...9
    public static let firstFlexibleVersion: Int16? = 6

    /// v0–7.
    public struct OffsetFetchRequestTopic: KafkaMessage, Equatable {
        public var name: String = ""
        public var partitionIndexes: [Int32] = []

        public init(name: String = "", partitionIndexes: [Int32] = []) {
            self.name = name
            self.partitionIndexes = partitionIndexes
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 6
            name = try r.readString(compact: flexible)
            partitionIndexes = try r.readInt32Array(compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 6
            w.writeString(name, compact: flexible)
            w.writeInt32Array(partitionIndexes, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// v8+.
    public struct OffsetFetchRequestTopics: KafkaMessage, Equatable {
        public var name: String = ""
        public var partitionIndexes: [Int32] = []

        public init(name: String = "", partitionIndexes: [Int32] = []) {
            self.name = name
            self.partitionIndexes = partitionIndexes
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            name = try r.readString(compact: true)
            partitionIndexes = try r.readInt32Array(compact: true)
            try r.readTaggedFields()
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeString(name, compact: true)
            w.writeInt32Array(partitionIndexes, compact: true)
            w.writeEmptyTaggedFields()
        }
    }

    /// v8+.
    public struct OffsetFetchRequestGroup: KafkaMessage, Equatable {
        public var groupId: String = ""
        /// v9+.
        public var memberId: String? = nil
        /// v9+.
        public var memberEpoch: Int32 = -1
        /// nil asks for every committed partition of the group.
        public var topics: [OffsetFetchRequestTopics]? = []

        public init(
            groupId: String = "", memberId: String? = nil, memberEpoch: Int32 = -1,
            topics: [OffsetFetchRequestTopics]? = []
        ) {
            self.groupId = groupId
            self.memberId = memberId
            self.memberEpoch = memberEpoch
            self.topics = topics
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            groupId = try r.readString(compact: true)
            if version >= 9 {
                memberId = try r.readNullableString(compact: true)
                memberEpoch = try r.readInt32()
            }
            topics = try r.readNullableStructArray(version: version, compact: true)
            try r.readTaggedFields()
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeString(groupId, compact: true)
            if version >= 9 {
                w.writeNullableString(memberId, compact: true)
                w.writeInt32(memberEpoch)
            }
            w.writeNullableStructArray(topics, version: version, compact: true)
            w.writeEmptyTaggedFields()
        }
    }

    /// v0–7.
    public var groupId: String = ""
    /// v0–7; nullable from v2 (nil = all partitions). Written as an empty array when nil at v0–1.
    public var topics: [OffsetFetchRequestTopic]? = []
    /// v8+.
    public var groups: [OffsetFetchRequestGroup] = []
    /// v7+.
    public var requireStable: Bool = false

    public init(
        groupId: String = "", topics: [OffsetFetchRequestTopic]? = [], groups: [OffsetFetchRequestGroup] = [],
        requireStable: Bool = false
    ) {
        self.groupId = groupId
        self.topics = topics
        self.groups = groups
        self.requireStable = requireStable
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 6
        if version <= 7 {
            groupId = try r.readString(compact: flexible)
            if version >= 2 {
                topics = try r.readNullableStructArray(version: version, compact: flexible)
            } else {
                topics = try r.readStructArray(version: version, compact: flexible)
            }
        }
        if version >= 8 { groups = try r.readStructArray(version: version, compact: true) }
        if version >= 7 { requireStable = try r.readBool() }
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 6
        if version <= 7 {
            w.writeString(groupId, compact: flexible)
            if version >= 2 {
                w.writeNullableStructArray(topics, version: version, compact: flexible)
            } else {
                w.writeStructArray(topics ?? [], version: version, compact: flexible)
            }
        }
        if version >= 8 { w.writeStructArray(groups, version: version, compact: true) }
        if version >= 7 { w.writeBool(requireStable) }
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct OffsetFetchResponse: KafkaMessage, Equatable {
    /// v0–7.
    public struct OffsetFetchResponsePartition: KafkaMessage, Equatable {
        public var partitionIndex: Int32 = 0
        public var committedOffset: Int64 = 0
        /// v5–7.
        public var committedLeaderEpoch: Int32 = -1
        public var metadata: String? = nil
        public var errorCode: Int16 = 0

        public init(
            partitionIndex: Int32 = 0, committedOffset: Int64 = 0, committedLeaderEpoch: Int32 = -1,
            metadata: String? = nil, errorCode: Int16 = 0
        ) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedLeaderEpoch = committedLeaderEpoch
            self.metadata = metadata
            self.errorCode = errorCode
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 6
            partitionIndex = try r.readInt32()
            committedOffset = try r.readInt64()
            if version >= 5 { committedLeaderEpoch = try r.readInt32() }
            metadata = try r.readNullableString(compact: flexible)
            errorCode = try r.readInt16()
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 6
            w.writeInt32(partitionIndex)
            w.writeInt64(committedOffset)
            if version >= 5 { w.writeInt32(committedLeaderEpoch) }
            w.writeNullableString(metadata, compact: flexible)
            w.writeInt16(errorCode)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// v0–7.
    public struct OffsetFetchResponseTopic: KafkaMessage, Equatable {
        public var name: String = ""
        public var partitions: [OffsetFetchResponsePartition] = []

        public init(name: String = "", partitions: [OffsetFetchResponsePartition] = []) {
            self.name = name
            self.partitions = partitions
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 6
            name = try r.readString(compact: flexible)
            partitions = try r.readStructArray(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 6
            w.writeString(name, compact: flexible)
            w.writeStructArray(partitions, version: version, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// v8+.
    public struct OffsetFetchResponsePartitions: KafkaMessage, Equatable {
        public var partitionIndex: Int32 = 0
        public var committedOffset: Int64 = 0
        public var committedLeaderEpoch: Int32 = -1
        public var metadata: String? = nil
        public var errorCode: Int16 = 0

        public init(
            partitionIndex: Int32 = 0, committedOffset: Int64 = 0, committedLeaderEpoch: Int32 = -1,
            metadata: String? = nil, errorCode: Int16 = 0
        ) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedLeaderEpoch = committedLeaderEpoch
            self.metadata = metadata
            self.errorCode = errorCode
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            partitionIndex = try r.readInt32()
            committedOffset = try r.readInt64()
            committedLeaderEpoch = try r.readInt32()
            metadata = try r.readNullableString(compact: true)
            errorCode = try r.readInt16()
            try r.readTaggedFields()
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeInt32(partitionIndex)
            w.writeInt64(committedOffset)
            w.writeInt32(committedLeaderEpoch)
            w.writeNullableString(metadata, compact: true)
            w.writeInt16(errorCode)
            w.writeEmptyTaggedFields()
        }
    }

    /// v8+.
    public struct OffsetFetchResponseTopics: KafkaMessage, Equatable {
        public var name: String = ""
        public var partitions: [OffsetFetchResponsePartitions] = []

        public init(name: String = "", partitions: [OffsetFetchResponsePartitions] = []) {
            self.name = name
            self.partitions = partitions
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            name = try r.readString(compact: true)
            partitions = try r.readStructArray(version: version, compact: true)
            try r.readTaggedFields()
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeString(name, compact: true)
            w.writeStructArray(partitions, version: version, compact: true)
            w.writeEmptyTaggedFields()
        }
    }

    /// v8+.
    public struct OffsetFetchResponseGroup: KafkaMessage, Equatable {
        public var groupId: String = ""
        public var topics: [OffsetFetchResponseTopics] = []
        public var errorCode: Int16 = 0

        public init(groupId: String = "", topics: [OffsetFetchResponseTopics] = [], errorCode: Int16 = 0) {
            self.groupId = groupId
            self.topics = topics
            self.errorCode = errorCode
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            groupId = try r.readString(compact: true)
            topics = try r.readStructArray(version: version, compact: true)
            errorCode = try r.readInt16()
            try r.readTaggedFields()
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeString(groupId, compact: true)
            w.writeStructArray(topics, version: version, compact: true)
            w.writeInt16(errorCode)
            w.writeEmptyTaggedFields()
        }
    }

    /// v3+.
    public var throttleTimeMs: Int32 = 0
    /// v0–7.
    public var topics: [OffsetFetchResponseTopic] = []
    /// v2–7: top-level error.
    public var errorCode: Int16 = 0
    /// v8+.
    public var groups: [OffsetFetchResponseGroup] = []

    public init(
        throttleTimeMs: Int32 = 0, topics: [OffsetFetchResponseTopic] = [], errorCode: Int16 = 0,
        groups: [OffsetFetchResponseGroup] = []
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
        self.errorCode = errorCode
        self.groups = groups
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 6
        if version >= 3 { throttleTimeMs = try r.readInt32() }
        if version <= 7 {
            topics = try r.readStructArray(version: version, compact: flexible)
            if version >= 2 { errorCode = try r.readInt16() }
        }
        if version >= 8 { groups = try r.readStructArray(version: version, compact: true) }
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 6
        if version >= 3 { w.writeInt32(throttleTimeMs) }
        if version <= 7 {
            w.writeStructArray(topics, version: version, compact: flexible)
            if version >= 2 { w.writeInt16(errorCode) }
        }
        if version >= 8 { w.writeStructArray(groups, version: version, compact: true) }
        if flexible { w.writeEmptyTaggedFields() }
    }
}
