/// ListOffsets (key 2), versions 0–9, flexible from 6.
///
/// v0 answers with `oldStyleOffsets` (up to `maxNumOffsets` offsets); v1+ with one `timestamp` + `offset`.
/// Special timestamps: -1 latest, -2 earliest, -3 max timestamp (v7+).
public struct ListOffsetsRequest: KafkaRequest, Equatable {
    public typealias Response = ListOffsetsResponse
    public static let apiKey = APIKey.listOffsets
    public static let versions: ClosedRange<Int16> = 0...9
    public static let firstFlexibleVersion: Int16? = 6

    public struct ListOffsetsPartition: KafkaMessage, Equatable {
        public var partitionIndex: Int32 = 0
        /// v4+.
        public var currentLeaderEpoch: Int32 = -1
        public var timestamp: Int64 = 0
        /// v0 only.
        public var maxNumOffsets: Int32 = 1

        public init(partitionIndex: Int32 = 0, currentLeaderEpoch: Int32 = -1, timestamp: Int64 = 0, maxNumOffsets: Int32 = 1)
        {
            self.partitionIndex = partitionIndex
            self.currentLeaderEpoch = currentLeaderEpoch
            self.timestamp = timestamp
            self.maxNumOffsets = maxNumOffsets
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            partitionIndex = try r.readInt32()
            if version >= 4 { currentLeaderEpoch = try r.readInt32() }
            timestamp = try r.readInt64()
            if version == 0 { maxNumOffsets = try r.readInt32() }
            if ListOffsetsRequest.isFlexible(version) { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeInt32(partitionIndex)
            if version >= 4 { w.writeInt32(currentLeaderEpoch) }
            w.writeInt64(timestamp)
            if version == 0 { w.writeInt32(maxNumOffsets) }
            if ListOffsetsRequest.isFlexible(version) { w.writeEmptyTaggedFields() }
        }
    }

    public struct ListOffsetsTopic: KafkaMessage, Equatable {
        public var name: String = ""
        public var partitions: [ListOffsetsPartition] = []

        public init(name: String = "", partitions: [ListOffsetsPartition] = []) {
            self.name = name
            self.partitions = partitions
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = ListOffsetsRequest.isFlexible(version)
            name = try r.readString(compact: flexible)
            partitions = try r.readStructArray(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = ListOffsetsRequest.isFlexible(version)
            w.writeString(name, compact: flexible)
            w.writeStructArray(partitions, version: version, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var replicaId: Int32 = 0
    /// v2+: 0 read_uncommitted, 1 read_committed.
    public var isolationLevel: Int8 = 0
    public var topics: [ListOffsetsTopic] = []

    public init(replicaId: Int32 = 0, isolationLevel: Int8 = 0, topics: [ListOffsetsTopic] = []) {
        self.replicaId = replicaId
        self.isolationLevel = isolationLevel
        self.topics = topics
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = Self.isFlexible(version)
        replicaId = try r.readInt32()
        if version >= 2 { isolationLevel = try r.readInt8() }
        topics = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = Self.isFlexible(version)
        w.writeInt32(replicaId)
        if version >= 2 { w.writeInt8(isolationLevel) }
        w.writeStructArray(topics, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct ListOffsetsResponse: KafkaMessage, Equatable {
    public struct ListOffsetsPartitionResponse: KafkaMessage, Equatable {
        public var partitionIndex: Int32 = 0
        public var errorCode: Int16 = 0
        /// v0 only.
        public var oldStyleOffsets: [Int64] = []
        /// v1+.
        public var timestamp: Int64 = -1
        /// v1+.
        public var offset: Int64 = -1
        /// v4+.
        public var leaderEpoch: Int32 = -1

        public init(
            partitionIndex: Int32 = 0, errorCode: Int16 = 0, oldStyleOffsets: [Int64] = [], timestamp: Int64 = -1,
            offset: Int64 = -1, leaderEpoch: Int32 = -1
        ) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.oldStyleOffsets = oldStyleOffsets
            self.timestamp = timestamp
            self.offset = offset
            self.leaderEpoch = leaderEpoch
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = ListOffsetsRequest.isFlexible(version)
            partitionIndex = try r.readInt32()
            errorCode = try r.readInt16()
            if version == 0 { oldStyleOffsets = try r.readInt64Array(compact: flexible) }
            if version >= 1 {
                timestamp = try r.readInt64()
                offset = try r.readInt64()
            }
            if version >= 4 { leaderEpoch = try r.readInt32() }
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = ListOffsetsRequest.isFlexible(version)
            w.writeInt32(partitionIndex)
            w.writeInt16(errorCode)
            if version == 0 { w.writeInt64Array(oldStyleOffsets, compact: flexible) }
            if version >= 1 {
                w.writeInt64(timestamp)
                w.writeInt64(offset)
            }
            if version >= 4 { w.writeInt32(leaderEpoch) }
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public struct ListOffsetsTopicResponse: KafkaMessage, Equatable {
        public var name: String = ""
        public var partitions: [ListOffsetsPartitionResponse] = []

        public init(name: String = "", partitions: [ListOffsetsPartitionResponse] = []) {
            self.name = name
            self.partitions = partitions
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = ListOffsetsRequest.isFlexible(version)
            name = try r.readString(compact: flexible)
            partitions = try r.readStructArray(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = ListOffsetsRequest.isFlexible(version)
            w.writeString(name, compact: flexible)
            w.writeStructArray(partitions, version: version, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// v2+.
    public var throttleTimeMs: Int32 = 0
    public var topics: [ListOffsetsTopicResponse] = []

    public init(throttleTimeMs: Int32 = 0, topics: [ListOffsetsTopicResponse] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = ListOffsetsRequest.isFlexible(version)
        if version >= 2 { throttleTimeMs = try r.readInt32() }
        topics = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = ListOffsetsRequest.isFlexible(version)
        if version >= 2 { w.writeInt32(throttleTimeMs) }
        w.writeStructArray(topics, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}
