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
            partitions = try r.readStructs(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 4
            w.writeString(topic, compact: flexible)
            w.writeStructs(partitions, version: version, compact: flexible)
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
        topics = try r.readStructs(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 4
        if version >= 3 { w.writeInt32(replicaId) }
        w.writeStructs(topics, version: version, compact: flexible)
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
            partitions = try r.readStructs(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 4
            w.writeString(topic, compact: flexible)
            w.writeStructs(partitions, version: version, compact: flexible)
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
        topics = try r.readStructs(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 4
        if version >= 2 { w.writeInt32(throttleTimeMs) }
        w.writeStructs(topics, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}

// MARK: - File-local array helpers (kept fileprivate so they cannot collide with shared primitives)

fileprivate extension ProtocolReader {
    mutating func readStructs<T: KafkaMessage>(version: Int16, compact: Bool) throws(ProtocolError) -> [T] {
        try readArray(compact: compact) { (r: inout ProtocolReader) throws(ProtocolError) in
            try T(reading: &r, version: version)
        }
    }

    mutating func readNullableStructs<T: KafkaMessage>(version: Int16, compact: Bool) throws(ProtocolError) -> [T]? {
        try readNullableArray(compact: compact) { (r: inout ProtocolReader) throws(ProtocolError) in
            try T(reading: &r, version: version)
        }
    }

    mutating func readInt32s(compact: Bool) throws(ProtocolError) -> [Int32] {
        try readArray(compact: compact) { (r: inout ProtocolReader) throws(ProtocolError) in try r.readInt32() }
    }

    mutating func readStrings(compact: Bool) throws(ProtocolError) -> [String] {
        try readArray(compact: compact) { (r: inout ProtocolReader) throws(ProtocolError) in
            try r.readString(compact: compact)
        }
    }
}

fileprivate extension ProtocolWriter {
    mutating func writeStructs<T: KafkaMessage>(_ items: [T], version: Int16, compact: Bool) {
        writeArray(items, compact: compact) { w, item in item.write(to: &w, version: version) }
    }

    mutating func writeNullableStructs<T: KafkaMessage>(_ items: [T]?, version: Int16, compact: Bool) {
        writeNullableArray(items, compact: compact) { w, item in item.write(to: &w, version: version) }
    }

    mutating func writeInt32s(_ items: [Int32], compact: Bool) {
        writeArray(items, compact: compact) { w, v in w.writeInt32(v) }
    }

    mutating func writeStrings(_ items: [String], compact: Bool) {
        writeArray(items, compact: compact) { w, s in w.writeString(s, compact: compact) }
    }
}
