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
            partitions = try r.readInt32s(compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 2
            w.writeString(topic, compact: flexible)
            w.writeInt32s(partitions, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var topics: [DescribableLogDirTopic]? = nil

    public init(topics: [DescribableLogDirTopic]? = nil) {
        self.topics = topics
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 2
        topics = try r.readNullableStructs(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 2
        w.writeNullableStructs(topics, version: version, compact: flexible)
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
            partitions = try r.readStructs(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 2
            w.writeString(name, compact: flexible)
            w.writeStructs(partitions, version: version, compact: flexible)
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
            topics = try r.readStructs(version: version, compact: flexible)
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
            w.writeStructs(topics, version: version, compact: flexible)
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
        results = try r.readStructs(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 2
        w.writeInt32(throttleTimeMs)
        if version >= 3 { w.writeInt16(errorCode) }
        w.writeStructs(results, version: version, compact: flexible)
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
