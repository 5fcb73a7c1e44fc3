/// DeleteTopics (key 20), versions 0–6, flexible from 4. Names in `topicNames` up to v5; `topics` (name or id) in v6.
public struct DeleteTopicsRequest: KafkaRequest, Equatable {
    public typealias Response = DeleteTopicsResponse
    public static let apiKey = APIKey.deleteTopics
    public static let versions: ClosedRange<Int16> = 0...6
    public static let firstFlexibleVersion: Int16? = 4

    /// v6+ (always flexible).
    public struct DeleteTopicState: KafkaMessage, Equatable {
        public var name: String? = nil
        public var topicId: UUIDValue = .zero

        public init(name: String? = nil, topicId: UUIDValue = .zero) {
            self.name = name
            self.topicId = topicId
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            name = try r.readNullableString(compact: true)
            topicId = try r.readUUID()
            try r.readTaggedFields()
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeNullableString(name, compact: true)
            w.writeUUID(topicId)
            w.writeEmptyTaggedFields()
        }
    }

    /// v6+.
    public var topics: [DeleteTopicState] = []
    /// v0–5.
    public var topicNames: [String] = []
    public var timeoutMs: Int32 = 0

    public init(topics: [DeleteTopicState] = [], topicNames: [String] = [], timeoutMs: Int32 = 0) {
        self.topics = topics
        self.topicNames = topicNames
        self.timeoutMs = timeoutMs
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = Self.isFlexible(version)
        if version >= 6 { topics = try r.readStructArray(version: version, compact: flexible) }
        if version <= 5 { topicNames = try r.readStringArray(compact: flexible) }
        timeoutMs = try r.readInt32()
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = Self.isFlexible(version)
        if version >= 6 { w.writeStructArray(topics, version: version, compact: flexible) }
        if version <= 5 { w.writeStringArray(topicNames, compact: flexible) }
        w.writeInt32(timeoutMs)
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct DeleteTopicsResponse: KafkaMessage, Equatable {
    public struct DeletableTopicResult: KafkaMessage, Equatable {
        /// Nullable from v6; written as "" when nil before.
        public var name: String? = ""
        /// v6+.
        public var topicId: UUIDValue = .zero
        public var errorCode: Int16 = 0
        /// v5+.
        public var errorMessage: String? = nil

        public init(name: String? = "", topicId: UUIDValue = .zero, errorCode: Int16 = 0, errorMessage: String? = nil) {
            self.name = name
            self.topicId = topicId
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = DeleteTopicsRequest.isFlexible(version)
            if version >= 6 {
                name = try r.readNullableString(compact: flexible)
                topicId = try r.readUUID()
            } else {
                name = try r.readString(compact: flexible)
            }
            errorCode = try r.readInt16()
            if version >= 5 { errorMessage = try r.readNullableString(compact: flexible) }
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = DeleteTopicsRequest.isFlexible(version)
            if version >= 6 {
                w.writeNullableString(name, compact: flexible)
                w.writeUUID(topicId)
            } else {
                w.writeString(name ?? "", compact: flexible)
            }
            w.writeInt16(errorCode)
            if version >= 5 { w.writeNullableString(errorMessage, compact: flexible) }
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// v1+.
    public var throttleTimeMs: Int32 = 0
    public var responses: [DeletableTopicResult] = []

    public init(throttleTimeMs: Int32 = 0, responses: [DeletableTopicResult] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.responses = responses
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = DeleteTopicsRequest.isFlexible(version)
        if version >= 1 { throttleTimeMs = try r.readInt32() }
        responses = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = DeleteTopicsRequest.isFlexible(version)
        if version >= 1 { w.writeInt32(throttleTimeMs) }
        w.writeStructArray(responses, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}
