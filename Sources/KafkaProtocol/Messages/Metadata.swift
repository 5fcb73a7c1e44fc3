/// Metadata (key 3), versions 0–12, flexible from 9.
///
/// `topics` is decoded as sent: in v0 an empty array means "all topics"; from v1 null means all and empty means
/// none. The broker interprets it. Writing nil at v0 writes an empty array.
public struct MetadataRequest: KafkaRequest, Equatable {
    public typealias Response = MetadataResponse
    public static let apiKey = APIKey.metadata
    public static let versions: ClosedRange<Int16> = 0...12
    public static let firstFlexibleVersion: Int16? = 9

    public struct MetadataRequestTopic: KafkaMessage, Equatable {
        /// v10+.
        public var topicId: UUIDValue = .zero
        /// Nullable from v10 (lookup by id); written as "" when nil before v10.
        public var name: String? = ""

        public init(topicId: UUIDValue = .zero, name: String? = "") {
            self.topicId = topicId
            self.name = name
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = MetadataRequest.isFlexible(version)
            if version >= 10 {
                topicId = try r.readUUID()
                name = try r.readNullableString(compact: flexible)
            } else {
                name = try r.readString(compact: flexible)
            }
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = MetadataRequest.isFlexible(version)
            if version >= 10 {
                w.writeUUID(topicId)
                w.writeNullableString(name, compact: flexible)
            } else {
                w.writeString(name ?? "", compact: flexible)
            }
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// Nullable from v1 (null = all topics).
    public var topics: [MetadataRequestTopic]? = []
    /// v4+.
    public var allowAutoTopicCreation: Bool = true
    /// v8–10.
    public var includeClusterAuthorizedOperations: Bool = false
    /// v8+.
    public var includeTopicAuthorizedOperations: Bool = false

    public init(
        topics: [MetadataRequestTopic]? = [], allowAutoTopicCreation: Bool = true,
        includeClusterAuthorizedOperations: Bool = false, includeTopicAuthorizedOperations: Bool = false
    ) {
        self.topics = topics
        self.allowAutoTopicCreation = allowAutoTopicCreation
        self.includeClusterAuthorizedOperations = includeClusterAuthorizedOperations
        self.includeTopicAuthorizedOperations = includeTopicAuthorizedOperations
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = Self.isFlexible(version)
        topics = try r.readNullableStructArray(version: version, compact: flexible)
        if version == 0 && topics == nil { topics = [] }
        if version >= 4 { allowAutoTopicCreation = try r.readBool() }
        if version >= 8 && version <= 10 { includeClusterAuthorizedOperations = try r.readBool() }
        if version >= 8 { includeTopicAuthorizedOperations = try r.readBool() }
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = Self.isFlexible(version)
        w.writeNullableStructArray(version == 0 ? (topics ?? []) : topics, version: version, compact: flexible)
        if version >= 4 { w.writeBool(allowAutoTopicCreation) }
        if version >= 8 && version <= 10 { w.writeBool(includeClusterAuthorizedOperations) }
        if version >= 8 { w.writeBool(includeTopicAuthorizedOperations) }
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct MetadataResponse: KafkaMessage, Equatable {
    public struct MetadataResponseBroker: KafkaMessage, Equatable {
        public var nodeId: Int32 = 0
        public var host: String = ""
        public var port: Int32 = 0
        /// v1+.
        public var rack: String? = nil

        public init(nodeId: Int32 = 0, host: String = "", port: Int32 = 0, rack: String? = nil) {
            self.nodeId = nodeId
            self.host = host
            self.port = port
            self.rack = rack
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = MetadataRequest.isFlexible(version)
            nodeId = try r.readInt32()
            host = try r.readString(compact: flexible)
            port = try r.readInt32()
            if version >= 1 { rack = try r.readNullableString(compact: flexible) }
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = MetadataRequest.isFlexible(version)
            w.writeInt32(nodeId)
            w.writeString(host, compact: flexible)
            w.writeInt32(port)
            if version >= 1 { w.writeNullableString(rack, compact: flexible) }
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public struct MetadataResponsePartition: KafkaMessage, Equatable {
        public var errorCode: Int16 = 0
        public var partitionIndex: Int32 = 0
        public var leaderId: Int32 = 0
        /// v7+.
        public var leaderEpoch: Int32 = -1
        public var replicaNodes: [Int32] = []
        public var isrNodes: [Int32] = []
        /// v5+.
        public var offlineReplicas: [Int32] = []

        public init(
            errorCode: Int16 = 0, partitionIndex: Int32 = 0, leaderId: Int32 = 0, leaderEpoch: Int32 = -1,
            replicaNodes: [Int32] = [], isrNodes: [Int32] = [], offlineReplicas: [Int32] = []
        ) {
            self.errorCode = errorCode
            self.partitionIndex = partitionIndex
            self.leaderId = leaderId
            self.leaderEpoch = leaderEpoch
            self.replicaNodes = replicaNodes
            self.isrNodes = isrNodes
            self.offlineReplicas = offlineReplicas
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = MetadataRequest.isFlexible(version)
            errorCode = try r.readInt16()
            partitionIndex = try r.readInt32()
            leaderId = try r.readInt32()
            if version >= 7 { leaderEpoch = try r.readInt32() }
            replicaNodes = try r.readInt32Array(compact: flexible)
            isrNodes = try r.readInt32Array(compact: flexible)
            if version >= 5 { offlineReplicas = try r.readInt32Array(compact: flexible) }
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = MetadataRequest.isFlexible(version)
            w.writeInt16(errorCode)
            w.writeInt32(partitionIndex)
            w.writeInt32(leaderId)
            if version >= 7 { w.writeInt32(leaderEpoch) }
            w.writeInt32Array(replicaNodes, compact: flexible)
            w.writeInt32Array(isrNodes, compact: flexible)
            if version >= 5 { w.writeInt32Array(offlineReplicas, compact: flexible) }
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public struct MetadataResponseTopic: KafkaMessage, Equatable {
        public var errorCode: Int16 = 0
        /// Nullable from v12 (topic looked up by id and not found); written as "" when nil before v12.
        public var name: String? = ""
        /// v10+.
        public var topicId: UUIDValue = .zero
        /// v1+.
        public var isInternal: Bool = false
        public var partitions: [MetadataResponsePartition] = []
        /// v8+.
        public var topicAuthorizedOperations: Int32 = Int32.min

        public init(
            errorCode: Int16 = 0, name: String? = "", topicId: UUIDValue = .zero, isInternal: Bool = false,
            partitions: [MetadataResponsePartition] = [], topicAuthorizedOperations: Int32 = Int32.min
        ) {
            self.errorCode = errorCode
            self.name = name
            self.topicId = topicId
            self.isInternal = isInternal
            self.partitions = partitions
            self.topicAuthorizedOperations = topicAuthorizedOperations
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = MetadataRequest.isFlexible(version)
            errorCode = try r.readInt16()
            if version >= 12 {
                name = try r.readNullableString(compact: flexible)
            } else {
                name = try r.readString(compact: flexible)
            }
            if version >= 10 { topicId = try r.readUUID() }
            if version >= 1 { isInternal = try r.readBool() }
            partitions = try r.readStructArray(version: version, compact: flexible)
            if version >= 8 { topicAuthorizedOperations = try r.readInt32() }
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = MetadataRequest.isFlexible(version)
            w.writeInt16(errorCode)
            if version >= 12 {
                w.writeNullableString(name, compact: flexible)
            } else {
                w.writeString(name ?? "", compact: flexible)
            }
            if version >= 10 { w.writeUUID(topicId) }
            if version >= 1 { w.writeBool(isInternal) }
            w.writeStructArray(partitions, version: version, compact: flexible)
            if version >= 8 { w.writeInt32(topicAuthorizedOperations) }
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// v3+.
    public var throttleTimeMs: Int32 = 0
    public var brokers: [MetadataResponseBroker] = []
    /// v2+.
    public var clusterId: String? = nil
    /// v1+. Must name a listed broker for admin clients to work.
    public var controllerId: Int32 = -1
    public var topics: [MetadataResponseTopic] = []
    /// v8–10.
    public var clusterAuthorizedOperations: Int32 = Int32.min

    public init(
        throttleTimeMs: Int32 = 0, brokers: [MetadataResponseBroker] = [], clusterId: String? = nil,
        controllerId: Int32 = -1, topics: [MetadataResponseTopic] = [], clusterAuthorizedOperations: Int32 = Int32.min
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.brokers = brokers
        self.clusterId = clusterId
        self.controllerId = controllerId
        self.topics = topics
        self.clusterAuthorizedOperations = clusterAuthorizedOperations
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = MetadataRequest.isFlexible(version)
        if version >= 3 { throttleTimeMs = try r.readInt32() }
        brokers = try r.readStructArray(version: version, compact: flexible)
        if version >= 2 { clusterId = try r.readNullableString(compact: flexible) }
        if version >= 1 { controllerId = try r.readInt32() }
        topics = try r.readStructArray(version: version, compact: flexible)
        if version >= 8 && version <= 10 { clusterAuthorizedOperations = try r.readInt32() }
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = MetadataRequest.isFlexible(version)
        if version >= 3 { w.writeInt32(throttleTimeMs) }
        w.writeStructArray(brokers, version: version, compact: flexible)
        if version >= 2 { w.writeNullableString(clusterId, compact: flexible) }
        if version >= 1 { w.writeInt32(controllerId) }
        w.writeStructArray(topics, version: version, compact: flexible)
        if version >= 8 && version <= 10 { w.writeInt32(clusterAuthorizedOperations) }
        if flexible { w.writeEmptyTaggedFields() }
    }
}
