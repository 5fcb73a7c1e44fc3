/// OffsetDelete (key 47), version 0 only, never flexible.
public struct OffsetDeleteRequest: KafkaRequest, Equatable {
    public typealias Response = OffsetDeleteResponse
    public static let apiKey = APIKey.offsetDelete
    public static let versions: ClosedRange<Int16> = 0...0
    public static let firstFlexibleVersion: Int16? = nil

    public struct OffsetDeleteRequestPartition: KafkaMessage, Equatable {
        public var partitionIndex: Int32 = 0

        public init(partitionIndex: Int32 = 0) {
            self.partitionIndex = partitionIndex
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            partitionIndex = try r.readInt32()
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeInt32(partitionIndex)
        }
    }

    public struct OffsetDeleteRequestTopic: KafkaMessage, Equatable {
        public var name: String = ""
        public var partitions: [OffsetDeleteRequestPartition] = []

        public init(name: String = "", partitions: [OffsetDeleteRequestPartition] = []) {
            self.name = name
            self.partitions = partitions
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            name = try r.readString()
            partitions = try r.readStructArray(version: version, compact: false)
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeString(name)
            w.writeStructArray(partitions, version: version, compact: false)
        }
    }

    public var groupId: String = ""
    public var topics: [OffsetDeleteRequestTopic] = []

    public init(groupId: String = "", topics: [OffsetDeleteRequestTopic] = []) {
        self.groupId = groupId
        self.topics = topics
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        groupId = try r.readString()
        topics = try r.readStructArray(version: version, compact: false)
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        w.writeString(groupId)
        w.writeStructArray(topics, version: version, compact: false)
    }
}

public struct OffsetDeleteResponse: KafkaMessage, Equatable {
    public struct OffsetDeleteResponsePartition: KafkaMessage, Equatable {
        public var partitionIndex: Int32 = 0
        public var errorCode: Int16 = 0

        public init(partitionIndex: Int32 = 0, errorCode: Int16 = 0) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            partitionIndex = try r.readInt32()
            errorCode = try r.readInt16()
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeInt32(partitionIndex)
            w.writeInt16(errorCode)
        }
    }

    public struct OffsetDeleteResponseTopic: KafkaMessage, Equatable {
        public var name: String = ""
        public var partitions: [OffsetDeleteResponsePartition] = []

        public init(name: String = "", partitions: [OffsetDeleteResponsePartition] = []) {
            self.name = name
            self.partitions = partitions
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            name = try r.readString()
            partitions = try r.readStructArray(version: version, compact: false)
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeString(name)
            w.writeStructArray(partitions, version: version, compact: false)
        }
    }

    public var errorCode: Int16 = 0
    public var throttleTimeMs: Int32 = 0
    public var topics: [OffsetDeleteResponseTopic] = []

    public init(errorCode: Int16 = 0, throttleTimeMs: Int32 = 0, topics: [OffsetDeleteResponseTopic] = []) {
        self.errorCode = errorCode
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        errorCode = try r.readInt16()
        throttleTimeMs = try r.readInt32()
        topics = try r.readStructArray(version: version, compact: false)
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        w.writeInt16(errorCode)
        w.writeInt32(throttleTimeMs)
        w.writeStructArray(topics, version: version, compact: false)
    }
}
