/// DeleteRecords (key 21), versions 0–2, flexible from 2. An offset of -1 means "up to the high watermark".
public struct DeleteRecordsRequest: KafkaRequest, Equatable {
    public typealias Response = DeleteRecordsResponse
    public static let apiKey = APIKey.deleteRecords
    public static let versions: ClosedRange<Int16> = 0...2
    public static let firstFlexibleVersion: Int16? = 2

    public struct DeleteRecordsPartition: KafkaMessage, Equatable {
        public var partitionIndex: Int32 = 0
        public var offset: Int64 = 0

        public init(partitionIndex: Int32 = 0, offset: Int64 = 0) {
            self.partitionIndex = partitionIndex
            self.offset = offset
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            partitionIndex = try r.readInt32()
            offset = try r.readInt64()
            if DeleteRecordsRequest.isFlexible(version) { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeInt32(partitionIndex)
            w.writeInt64(offset)
            if DeleteRecordsRequest.isFlexible(version) { w.writeEmptyTaggedFields() }
        }
    }

    public struct DeleteRecordsTopic: KafkaMessage, Equatable {
        public var name: String = ""
        public var partitions: [DeleteRecordsPartition] = []

        public init(name: String = "", partitions: [DeleteRecordsPartition] = []) {
            self.name = name
            self.partitions = partitions
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = DeleteRecordsRequest.isFlexible(version)
            name = try r.readString(compact: flexible)
            partitions = try r.readStructArray(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = DeleteRecordsRequest.isFlexible(version)
            w.writeString(name, compact: flexible)
            w.writeStructArray(partitions, version: version, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var topics: [DeleteRecordsTopic] = []
    public var timeoutMs: Int32 = 0

    public init(topics: [DeleteRecordsTopic] = [], timeoutMs: Int32 = 0) {
        self.topics = topics
        self.timeoutMs = timeoutMs
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = Self.isFlexible(version)
        topics = try r.readStructArray(version: version, compact: flexible)
        timeoutMs = try r.readInt32()
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = Self.isFlexible(version)
        w.writeStructArray(topics, version: version, compact: flexible)
        w.writeInt32(timeoutMs)
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct DeleteRecordsResponse: KafkaMessage, Equatable {
    public struct DeleteRecordsPartitionResult: KafkaMessage, Equatable {
        public var partitionIndex: Int32 = 0
        public var lowWatermark: Int64 = 0
        public var errorCode: Int16 = 0

        public init(partitionIndex: Int32 = 0, lowWatermark: Int64 = 0, errorCode: Int16 = 0) {
            self.partitionIndex = partitionIndex
            self.lowWatermark = lowWatermark
            self.errorCode = errorCode
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            partitionIndex = try r.readInt32()
            lowWatermark = try r.readInt64()
            errorCode = try r.readInt16()
            if DeleteRecordsRequest.isFlexible(version) { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeInt32(partitionIndex)
            w.writeInt64(lowWatermark)
            w.writeInt16(errorCode)
            if DeleteRecordsRequest.isFlexible(version) { w.writeEmptyTaggedFields() }
        }
    }

    public struct DeleteRecordsTopicResult: KafkaMessage, Equatable {
        public var name: String = ""
        public var partitions: [DeleteRecordsPartitionResult] = []

        public init(name: String = "", partitions: [DeleteRecordsPartitionResult] = []) {
            self.name = name
            self.partitions = partitions
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = DeleteRecordsRequest.isFlexible(version)
            name = try r.readString(compact: flexible)
            partitions = try r.readStructArray(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = DeleteRecordsRequest.isFlexible(version)
            w.writeString(name, compact: flexible)
            w.writeStructArray(partitions, version: version, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var throttleTimeMs: Int32 = 0
    public var topics: [DeleteRecordsTopicResult] = []

    public init(throttleTimeMs: Int32 = 0, topics: [DeleteRecordsTopicResult] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = DeleteRecordsRequest.isFlexible(version)
        throttleTimeMs = try r.readInt32()
        topics = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = DeleteRecordsRequest.isFlexible(version)
        w.writeInt32(throttleTimeMs)
        w.writeStructArray(topics, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}
