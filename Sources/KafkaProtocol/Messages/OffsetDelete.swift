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
            partitions = try r.readStructs(version: version, compact: false)
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeString(name)
            w.writeStructs(partitions, version: version, compact: false)
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
        topics = try r.readStructs(version: version, compact: false)
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        w.writeString(groupId)
        w.writeStructs(topics, version: version, compact: false)
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
            partitions = try r.readStructs(version: version, compact: false)
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeString(name)
            w.writeStructs(partitions, version: version, compact: false)
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
        topics = try r.readStructs(version: version, compact: false)
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        w.writeInt16(errorCode)
        w.writeInt32(throttleTimeMs)
        w.writeStructs(topics, version: version, compact: false)
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
