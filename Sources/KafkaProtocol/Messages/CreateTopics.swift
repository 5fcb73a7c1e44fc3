/// CreateTopics (key 19), versions 0–7, flexible from 5. -1 partitions / replication factor mean broker defaults (v4+).
public struct CreateTopicsRequest: KafkaRequest, Equatable {
    public typealias Response = CreateTopicsResponse
    public static let apiKey = APIKey.createTopics
    public static let versions: ClosedRange<Int16> = 0...7
    public static let firstFlexibleVersion: Int16? = 5

    public struct CreatableReplicaAssignment: KafkaMessage, Equatable {
        public var partitionIndex: Int32 = 0
        public var brokerIds: [Int32] = []

        public init(partitionIndex: Int32 = 0, brokerIds: [Int32] = []) {
            self.partitionIndex = partitionIndex
            self.brokerIds = brokerIds
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = CreateTopicsRequest.isFlexible(version)
            partitionIndex = try r.readInt32()
            brokerIds = try r.readInt32Array(compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = CreateTopicsRequest.isFlexible(version)
            w.writeInt32(partitionIndex)
            w.writeInt32Array(brokerIds, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public struct CreatableTopicConfig: KafkaMessage, Equatable {
        public var name: String = ""
        public var value: String? = nil

        public init(name: String = "", value: String? = nil) {
            self.name = name
            self.value = value
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = CreateTopicsRequest.isFlexible(version)
            name = try r.readString(compact: flexible)
            value = try r.readNullableString(compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = CreateTopicsRequest.isFlexible(version)
            w.writeString(name, compact: flexible)
            w.writeNullableString(value, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public struct CreatableTopic: KafkaMessage, Equatable {
        public var name: String = ""
        public var numPartitions: Int32 = 0
        public var replicationFactor: Int16 = 0
        public var assignments: [CreatableReplicaAssignment] = []
        public var configs: [CreatableTopicConfig] = []

        public init(
            name: String = "", numPartitions: Int32 = 0, replicationFactor: Int16 = 0,
            assignments: [CreatableReplicaAssignment] = [], configs: [CreatableTopicConfig] = []
        ) {
            self.name = name
            self.numPartitions = numPartitions
            self.replicationFactor = replicationFactor
            self.assignments = assignments
            self.configs = configs
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = CreateTopicsRequest.isFlexible(version)
            name = try r.readString(compact: flexible)
            numPartitions = try r.readInt32()
            replicationFactor = try r.readInt16()
            assignments = try r.readStructArray(version: version, compact: flexible)
            configs = try r.readStructArray(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = CreateTopicsRequest.isFlexible(version)
            w.writeString(name, compact: flexible)
            w.writeInt32(numPartitions)
            w.writeInt16(replicationFactor)
            w.writeStructArray(assignments, version: version, compact: flexible)
            w.writeStructArray(configs, version: version, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var topics: [CreatableTopic] = []
    public var timeoutMs: Int32 = 60000
    /// v1+.
    public var validateOnly: Bool = false

    public init(topics: [CreatableTopic] = [], timeoutMs: Int32 = 60000, validateOnly: Bool = false) {
        self.topics = topics
        self.timeoutMs = timeoutMs
        self.validateOnly = validateOnly
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = Self.isFlexible(version)
        topics = try r.readStructArray(version: version, compact: flexible)
        timeoutMs = try r.readInt32()
        if version >= 1 { validateOnly = try r.readBool() }
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = Self.isFlexible(version)
        w.writeStructArray(topics, version: version, compact: flexible)
        w.writeInt32(timeoutMs)
        if version >= 1 { w.writeBool(validateOnly) }
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct CreateTopicsResponse: KafkaMessage, Equatable {
    public struct CreatableTopicConfigs: KafkaMessage, Equatable {
        public var name: String = ""
        public var value: String? = nil
        public var readOnly: Bool = false
        public var configSource: Int8 = -1
        public var isSensitive: Bool = false

        public init(
            name: String = "", value: String? = nil, readOnly: Bool = false, configSource: Int8 = -1,
            isSensitive: Bool = false
        ) {
            self.name = name
            self.value = value
            self.readOnly = readOnly
            self.configSource = configSource
            self.isSensitive = isSensitive
        }

        // Only present from v5, which is flexible.
        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            name = try r.readString(compact: true)
            value = try r.readNullableString(compact: true)
            readOnly = try r.readBool()
            configSource = try r.readInt8()
            isSensitive = try r.readBool()
            try r.readTaggedFields()
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeString(name, compact: true)
            w.writeNullableString(value, compact: true)
            w.writeBool(readOnly)
            w.writeInt8(configSource)
            w.writeBool(isSensitive)
            w.writeEmptyTaggedFields()
        }
    }

    public struct CreatableTopicResult: KafkaMessage, Equatable {
        public var name: String = ""
        /// v7+.
        public var topicId: UUIDValue = .zero
        public var errorCode: Int16 = 0
        /// v1+.
        public var errorMessage: String? = nil
        /// v5+, tag 0.
        public var topicConfigErrorCode: Int16 = 0
        /// v5+.
        public var numPartitions: Int32 = -1
        /// v5+.
        public var replicationFactor: Int16 = -1
        /// v5+.
        public var configs: [CreatableTopicConfigs]? = []

        public init(
            name: String = "", topicId: UUIDValue = .zero, errorCode: Int16 = 0, errorMessage: String? = nil,
            topicConfigErrorCode: Int16 = 0, numPartitions: Int32 = -1, replicationFactor: Int16 = -1,
            configs: [CreatableTopicConfigs]? = []
        ) {
            self.name = name
            self.topicId = topicId
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.topicConfigErrorCode = topicConfigErrorCode
            self.numPartitions = numPartitions
            self.replicationFactor = replicationFactor
            self.configs = configs
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = CreateTopicsRequest.isFlexible(version)
            name = try r.readString(compact: flexible)
            if version >= 7 { topicId = try r.readUUID() }
            errorCode = try r.readInt16()
            if version >= 1 { errorMessage = try r.readNullableString(compact: flexible) }
            if version >= 5 {
                numPartitions = try r.readInt32()
                replicationFactor = try r.readInt16()
                configs = try r.readNullableStructArray(version: version, compact: flexible)
            }
            if flexible {
                var tags = try r.beginTaggedFields()
                while let field = try r.nextTaggedField(&tags) {
                    var sub = field.reader
                    if field.tag == 0 { topicConfigErrorCode = try sub.readInt16() }
                }
            }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = CreateTopicsRequest.isFlexible(version)
            w.writeString(name, compact: flexible)
            if version >= 7 { w.writeUUID(topicId) }
            w.writeInt16(errorCode)
            if version >= 1 { w.writeNullableString(errorMessage, compact: flexible) }
            if version >= 5 {
                w.writeInt32(numPartitions)
                w.writeInt16(replicationFactor)
                w.writeNullableStructArray(configs, version: version, compact: flexible)
            }
            if flexible {
                var tags = TaggedFields()
                if topicConfigErrorCode != 0 { tags.add(0) { $0.writeInt16(topicConfigErrorCode) } }
                w.writeTaggedFields(tags)
            }
        }
    }

    /// v2+.
    public var throttleTimeMs: Int32 = 0
    public var topics: [CreatableTopicResult] = []

    public init(throttleTimeMs: Int32 = 0, topics: [CreatableTopicResult] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = CreateTopicsRequest.isFlexible(version)
        if version >= 2 { throttleTimeMs = try r.readInt32() }
        topics = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = CreateTopicsRequest.isFlexible(version)
        if version >= 2 { w.writeInt32(throttleTimeMs) }
        w.writeStructArray(topics, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}
