/// OffsetForLeaderEpoch (key 23), versions 0–4, flexible from 4. Consumers validate positions with it and
/// followers use it (replicaId ≥ 0) to find where to truncate.
public struct OffsetForLeaderEpochRequest: KafkaRequest, Equatable {
    public typealias Response = OffsetForLeaderEpochResponse
    public static let apiKey = APIKey.offsetForLeaderEpoch
    public static let versions: ClosedRange<Int16> = 0...4
    public static let firstFlexibleVersion: Int16? = 4

    public struct OffsetForLeaderPartition: KafkaMessage, Equatable {
        public var partition: Int32 = 0
        /// v2+: the epoch the sender believes current, for fencing; -1 skips the check.
        public var currentLeaderEpoch: Int32 = -1
        public var leaderEpoch: Int32 = 0

        public init(partition: Int32 = 0, currentLeaderEpoch: Int32 = -1, leaderEpoch: Int32 = 0) {
            self.partition = partition
            self.currentLeaderEpoch = currentLeaderEpoch
            self.leaderEpoch = leaderEpoch
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            partition = try r.readInt32()
            if version >= 2 { currentLeaderEpoch = try r.readInt32() }
            leaderEpoch = try r.readInt32()
            if version >= 4 { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeInt32(partition)
            if version >= 2 { w.writeInt32(currentLeaderEpoch) }
            w.writeInt32(leaderEpoch)
            if version >= 4 { w.writeEmptyTaggedFields() }
        }
    }

    public struct OffsetForLeaderTopic: KafkaMessage, Equatable {
        public var topic: String = ""
        public var partitions: [OffsetForLeaderPartition] = []

        public init(topic: String = "", partitions: [OffsetForLeaderPartition] = []) {
            self.topic = topic
            self.partitions = partitions
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 4
            topic = try r.readString(compact: flexible)
            partitions = try r.readStructArray(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 4
            w.writeString(topic, compact: flexible)
            w.writeStructArray(partitions, version: version, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// v3+: the follower's broker id, -1 for a consumer, -2 (default) for a debug/unknown sender.
    public var replicaId: Int32 = -2
    public var topics: [OffsetForLeaderTopic] = []

    public init(replicaId: Int32 = -2, topics: [OffsetForLeaderTopic] = []) {
        self.replicaId = replicaId
        self.topics = topics
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 4
        if version >= 3 { replicaId = try r.readInt32() }
        topics = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 4
        if version >= 3 { w.writeInt32(replicaId) }
        w.writeStructArray(topics, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct OffsetForLeaderEpochResponse: KafkaMessage, Equatable {
    public struct EpochEndOffset: KafkaMessage, Equatable {
        public var errorCode: Int16 = 0
        public var partition: Int32 = 0
        /// v1+.
        public var leaderEpoch: Int32 = -1
        public var endOffset: Int64 = -1

        public init(errorCode: Int16 = 0, partition: Int32 = 0, leaderEpoch: Int32 = -1, endOffset: Int64 = -1) {
            self.errorCode = errorCode
            self.partition = partition
            self.leaderEpoch = leaderEpoch
            self.endOffset = endOffset
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            errorCode = try r.readInt16()
            partition = try r.readInt32()
            if version >= 1 { leaderEpoch = try r.readInt32() }
            endOffset = try r.readInt64()
            if version >= 4 { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeInt16(errorCode)
            w.writeInt32(partition)
            if version >= 1 { w.writeInt32(leaderEpoch) }
            w.writeInt64(endOffset)
            if version >= 4 { w.writeEmptyTaggedFields() }
        }
    }

    public struct OffsetForLeaderTopicResult: KafkaMessage, Equatable {
        public var topic: String = ""
        public var partitions: [EpochEndOffset] = []

        public init(topic: String = "", partitions: [EpochEndOffset] = []) {
            self.topic = topic
            self.partitions = partitions
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 4
            topic = try r.readString(compact: flexible)
            partitions = try r.readStructArray(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 4
            w.writeString(topic, compact: flexible)
            w.writeStructArray(partitions, version: version, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// v2+.
    public var throttleTimeMs: Int32 = 0
    public var topics: [OffsetForLeaderTopicResult] = []

    public init(throttleTimeMs: Int32 = 0, topics: [OffsetForLeaderTopicResult] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 4
        if version >= 2 { throttleTimeMs = try r.readInt32() }
        topics = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 4
        if version >= 2 { w.writeInt32(throttleTimeMs) }
        w.writeStructArray(topics, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}
