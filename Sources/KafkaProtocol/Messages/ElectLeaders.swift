/// ElectLeaders (key 43), versions 0–2, flexible from 2. `electionType` 0 = preferred, 1 = unclean (v1+).
/// A nil `topicPartitions` means every partition.
public struct ElectLeadersRequest: KafkaRequest, Equatable {
    public typealias Response = ElectLeadersResponse
    public static let apiKey = APIKey.electLeaders
    public static let versions: ClosedRange<Int16> = 0...2
    public static let firstFlexibleVersion: Int16? = 2

    public struct TopicPartitions: KafkaMessage, Equatable {
        public var topic: String = ""
        public var partitions: [Int32] = []

        public init(topic: String = "", partitions: [Int32] = []) {
            self.topic = topic
            self.partitions = partitions
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 2
            topic = try r.readString(compact: flexible)
            partitions = try r.readInt32Array(compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 2
            w.writeString(topic, compact: flexible)
            w.writeInt32Array(partitions, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// v1+.
    public var electionType: Int8 = 0
    public var topicPartitions: [TopicPartitions]? = nil
    public var timeoutMs: Int32 = 60000

    public init(electionType: Int8 = 0, topicPartitions: [TopicPartitions]? = nil, timeoutMs: Int32 = 60000) {
        self.electionType = electionType
        self.topicPartitions = topicPartitions
        self.timeoutMs = timeoutMs
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 2
        if version >= 1 { electionType = try r.readInt8() }
        topicPartitions = try r.readNullableStructArray(version: version, compact: flexible)
        timeoutMs = try r.readInt32()
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 2
        if version >= 1 { w.writeInt8(electionType) }
        w.writeNullableStructArray(topicPartitions, version: version, compact: flexible)
        w.writeInt32(timeoutMs)
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct ElectLeadersResponse: KafkaMessage, Equatable {
    public struct PartitionResult: KafkaMessage, Equatable {
        public var partitionId: Int32 = 0
        public var errorCode: Int16 = 0
        public var errorMessage: String? = nil

        public init(partitionId: Int32 = 0, errorCode: Int16 = 0, errorMessage: String? = nil) {
            self.partitionId = partitionId
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 2
            partitionId = try r.readInt32()
            errorCode = try r.readInt16()
            errorMessage = try r.readNullableString(compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 2
            w.writeInt32(partitionId)
            w.writeInt16(errorCode)
            w.writeNullableString(errorMessage, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public struct ReplicaElectionResult: KafkaMessage, Equatable {
        public var topic: String = ""
        public var partitionResult: [PartitionResult] = []

        public init(topic: String = "", partitionResult: [PartitionResult] = []) {
            self.topic = topic
            self.partitionResult = partitionResult
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 2
            topic = try r.readString(compact: flexible)
            partitionResult = try r.readStructArray(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 2
            w.writeString(topic, compact: flexible)
            w.writeStructArray(partitionResult, version: version, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var throttleTimeMs: Int32 = 0
    /// v1+.
    public var errorCode: Int16 = 0
    public var replicaElectionResults: [ReplicaElectionResult] = []

    public init(throttleTimeMs: Int32 = 0, errorCode: Int16 = 0, replicaElectionResults: [ReplicaElectionResult] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.replicaElectionResults = replicaElectionResults
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 2
        throttleTimeMs = try r.readInt32()
        if version >= 1 { errorCode = try r.readInt16() }
        replicaElectionResults = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 2
        w.writeInt32(throttleTimeMs)
        if version >= 1 { w.writeInt16(errorCode) }
        w.writeStructArray(replicaElectionResults, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}
