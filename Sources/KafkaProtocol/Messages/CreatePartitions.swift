/// CreatePartitions (key 37), versions 0–3, flexible from 2. `count` is the new total partition count.
public struct CreatePartitionsRequest: KafkaRequest, Equatable {
    public typealias Response = CreatePartitionsResponse
    public static let apiKey = APIKey.createPartitions
    public static let versions: ClosedRange<Int16> = 0...3
    public static let firstFlexibleVersion: Int16? = 2

    public struct CreatePartitionsAssignment: KafkaMessage, Equatable {
        public var brokerIds: [Int32] = []

        public init(brokerIds: [Int32] = []) { self.brokerIds = brokerIds }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = CreatePartitionsRequest.isFlexible(version)
            brokerIds = try r.readInt32Array(compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = CreatePartitionsRequest.isFlexible(version)
            w.writeInt32Array(brokerIds, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public struct CreatePartitionsTopic: KafkaMessage, Equatable {
        public var name: String = ""
        public var count: Int32 = 0
        /// One entry per new partition, or null for automatic assignment.
        public var assignments: [CreatePartitionsAssignment]? = nil

        public init(name: String = "", count: Int32 = 0, assignments: [CreatePartitionsAssignment]? = nil) {
            self.name = name
            self.count = count
            self.assignments = assignments
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = CreatePartitionsRequest.isFlexible(version)
            name = try r.readString(compact: flexible)
            count = try r.readInt32()
            assignments = try r.readNullableStructArray(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = CreatePartitionsRequest.isFlexible(version)
            w.writeString(name, compact: flexible)
            w.writeInt32(count)
            w.writeNullableStructArray(assignments, version: version, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var topics: [CreatePartitionsTopic] = []
    public var timeoutMs: Int32 = 0
    public var validateOnly: Bool = false

    public init(topics: [CreatePartitionsTopic] = [], timeoutMs: Int32 = 0, validateOnly: Bool = false) {
        self.topics = topics
        self.timeoutMs = timeoutMs
        self.validateOnly = validateOnly
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = Self.isFlexible(version)
        topics = try r.readStructArray(version: version, compact: flexible)
        timeoutMs = try r.readInt32()
        validateOnly = try r.readBool()
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = Self.isFlexible(version)
        w.writeStructArray(topics, version: version, compact: flexible)
        w.writeInt32(timeoutMs)
        w.writeBool(validateOnly)
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct CreatePartitionsResponse: KafkaMessage, Equatable {
    public struct CreatePartitionsTopicResult: KafkaMessage, Equatable {
        public var name: String = ""
        public var errorCode: Int16 = 0
        public var errorMessage: String? = nil

        public init(name: String = "", errorCode: Int16 = 0, errorMessage: String? = nil) {
            self.name = name
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = CreatePartitionsRequest.isFlexible(version)
            name = try r.readString(compact: flexible)
            errorCode = try r.readInt16()
            errorMessage = try r.readNullableString(compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = CreatePartitionsRequest.isFlexible(version)
            w.writeString(name, compact: flexible)
            w.writeInt16(errorCode)
            w.writeNullableString(errorMessage, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var throttleTimeMs: Int32 = 0
    public var results: [CreatePartitionsTopicResult] = []

    public init(throttleTimeMs: Int32 = 0, results: [CreatePartitionsTopicResult] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = CreatePartitionsRequest.isFlexible(version)
        throttleTimeMs = try r.readInt32()
        results = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = CreatePartitionsRequest.isFlexible(version)
        w.writeInt32(throttleTimeMs)
        w.writeStructArray(results, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}
