/// DescribeLogDirs (key 35), versions 0–4, flexible from 2. A nil topic list asks for every partition.
public struct DescribeLogDirsRequest: KafkaRequest, Equatable {
    public typealias Response = DescribeLogDirsResponse
    public static let apiKey = APIKey.describeLogDirs
    public static let versions: ClosedRange<Int16> = 0...4
    public static let firstFlexibleVersion: Int16? = 2

    public struct DescribableLogDirTopic: KafkaMessage, Equatable {
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

    public var topics: [DescribableLogDirTopic]? = nil

    public init(topics: [DescribableLogDirTopic]? = nil) {
        self.topics = topics
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 2
        topics = try r.readNullableStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 2
        w.writeNullableStructArray(topics, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct DescribeLogDirsResponse: KafkaMessage, Equatable {
    public struct DescribeLogDirsPartition: KafkaMessage, Equatable {
        public var partitionIndex: Int32 = 0
        public var partitionSize: Int64 = 0
        public var offsetLag: Int64 = 0
        public var isFutureKey: Bool = false

        public init(partitionIndex: Int32 = 0, partitionSize: Int64 = 0, offsetLag: Int64 = 0, isFutureKey: Bool = false) {
            self.partitionIndex = partitionIndex
            self.partitionSize = partitionSize
            self.offsetLag = offsetLag
            self.isFutureKey = isFutureKey
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            partitionIndex = try r.readInt32()
            partitionSize = try r.readInt64()
            offsetLag = try r.readInt64()
            isFutureKey = try r.readBool()
            if version >= 2 { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeInt32(partitionIndex)
            w.writeInt64(partitionSize)
            w.writeInt64(offsetLag)
            w.writeBool(isFutureKey)
            if version >= 2 { w.writeEmptyTaggedFields() }
        }
    }

    public struct DescribeLogDirsTopic: KafkaMessage, Equatable {
        public var name: String = ""
        public var partitions: [DescribeLogDirsPartition] = []

        public init(name: String = "", partitions: [DescribeLogDirsPartition] = []) {
            self.name = name
            self.partitions = partitions
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 2
            name = try r.readString(compact: flexible)
            partitions = try r.readStructArray(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 2
            w.writeString(name, compact: flexible)
            w.writeStructArray(partitions, version: version, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public struct DescribeLogDirsResult: KafkaMessage, Equatable {
        public var errorCode: Int16 = 0
        public var logDir: String = ""
        public var topics: [DescribeLogDirsTopic] = []
        /// v4+.
        public var totalBytes: Int64 = -1
        /// v4+.
        public var usableBytes: Int64 = -1

        public init(
            errorCode: Int16 = 0, logDir: String = "", topics: [DescribeLogDirsTopic] = [], totalBytes: Int64 = -1,
            usableBytes: Int64 = -1
        ) {
            self.errorCode = errorCode
            self.logDir = logDir
            self.topics = topics
            self.totalBytes = totalBytes
            self.usableBytes = usableBytes
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 2
            errorCode = try r.readInt16()
            logDir = try r.readString(compact: flexible)
            topics = try r.readStructArray(version: version, compact: flexible)
            if version >= 4 {
                totalBytes = try r.readInt64()
                usableBytes = try r.readInt64()
            }
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 2
            w.writeInt16(errorCode)
            w.writeString(logDir, compact: flexible)
            w.writeStructArray(topics, version: version, compact: flexible)
            if version >= 4 {
                w.writeInt64(totalBytes)
                w.writeInt64(usableBytes)
            }
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var throttleTimeMs: Int32 = 0
    /// v3+.
    public var errorCode: Int16 = 0
    public var results: [DescribeLogDirsResult] = []

    public init(throttleTimeMs: Int32 = 0, errorCode: Int16 = 0, results: [DescribeLogDirsResult] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.results = results
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 2
        throttleTimeMs = try r.readInt32()
        if version >= 3 { errorCode = try r.readInt16() }
        results = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 2
        w.writeInt32(throttleTimeMs)
        if version >= 3 { w.writeInt16(errorCode) }
        w.writeStructArray(results, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}
