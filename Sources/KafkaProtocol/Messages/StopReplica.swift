/// StopReplica (key 5), versions 0–4, flexible from 2. Controller → broker: stop (and maybe delete) replicas.
/// v0 lists partitions flat, v1–2 group them by topic, v3+ carry a leader epoch and delete flag per partition.
public struct StopReplicaRequest: KafkaRequest, Equatable {
    public typealias Response = StopReplicaResponse
    public static let apiKey = APIKey.stopReplica
    public static let versions: ClosedRange<Int16> = 0...4
    public static let firstFlexibleVersion: Int16? = 2

    /// v0.
    public struct StopReplicaPartitionV0: KafkaMessage, Equatable {
        public var topicName: String = ""
        public var partitionIndex: Int32 = 0

        public init(topicName: String = "", partitionIndex: Int32 = 0) {
            self.topicName = topicName
            self.partitionIndex = partitionIndex
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            topicName = try r.readString()
            partitionIndex = try r.readInt32()
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeString(topicName)
            w.writeInt32(partitionIndex)
        }
    }

    /// v1–2.
    public struct StopReplicaTopicV1: KafkaMessage, Equatable {
        public var name: String = ""
        public var partitionIndexes: [Int32] = []

        public init(name: String = "", partitionIndexes: [Int32] = []) {
            self.name = name
            self.partitionIndexes = partitionIndexes
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 2
            name = try r.readString(compact: flexible)
            partitionIndexes = try r.readInt32Array(compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 2
            w.writeString(name, compact: flexible)
            w.writeInt32Array(partitionIndexes, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// v3+.
    public struct StopReplicaPartitionState: KafkaMessage, Equatable {
        public var partitionIndex: Int32 = 0
        public var leaderEpoch: Int32 = -1
        public var deletePartition: Bool = false

        public init(partitionIndex: Int32 = 0, leaderEpoch: Int32 = -1, deletePartition: Bool = false) {
            self.partitionIndex = partitionIndex
            self.leaderEpoch = leaderEpoch
            self.deletePartition = deletePartition
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            partitionIndex = try r.readInt32()
            leaderEpoch = try r.readInt32()
            deletePartition = try r.readBool()
            try r.readTaggedFields()
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeInt32(partitionIndex)
            w.writeInt32(leaderEpoch)
            w.writeBool(deletePartition)
            w.writeEmptyTaggedFields()
        }
    }

    /// v3+.
    public struct StopReplicaTopicState: KafkaMessage, Equatable {
        public var topicName: String = ""
        public var partitionStates: [StopReplicaPartitionState] = []

        public init(topicName: String = "", partitionStates: [StopReplicaPartitionState] = []) {
            self.topicName = topicName
            self.partitionStates = partitionStates
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            topicName = try r.readString(compact: true)
            partitionStates = try r.readStructArray(version: version, compact: true)
            try r.readTaggedFields()
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeString(topicName, compact: true)
            w.writeStructArray(partitionStates, version: version, compact: true)
            w.writeEmptyTaggedFields()
        }
    }

    public var controllerId: Int32 = 0
    /// v4+.
    public var isKRaftController: Bool = false
    public var controllerEpoch: Int32 = 0
    /// v1+.
    public var brokerEpoch: Int64 = -1
    /// v0–2.
    public var deletePartitions: Bool = false
    /// v0.
    public var ungroupedPartitions: [StopReplicaPartitionV0] = []
    /// v1–2.
    public var topics: [StopReplicaTopicV1] = []
    /// v3+.
    public var topicStates: [StopReplicaTopicState] = []

    public init(
        controllerId: Int32 = 0, isKRaftController: Bool = false, controllerEpoch: Int32 = 0, brokerEpoch: Int64 = -1,
        deletePartitions: Bool = false, ungroupedPartitions: [StopReplicaPartitionV0] = [],
        topics: [StopReplicaTopicV1] = [], topicStates: [StopReplicaTopicState] = []
    ) {
        self.controllerId = controllerId
        self.isKRaftController = isKRaftController
        self.controllerEpoch = controllerEpoch
        self.brokerEpoch = brokerEpoch
        self.deletePartitions = deletePartitions
        self.ungroupedPartitions = ungroupedPartitions
        self.topics = topics
        self.topicStates = topicStates
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 2
        controllerId = try r.readInt32()
        if version >= 4 { isKRaftController = try r.readBool() }
        controllerEpoch = try r.readInt32()
        if version >= 1 { brokerEpoch = try r.readInt64() }
        if version <= 2 { deletePartitions = try r.readBool() }
        if version == 0 { ungroupedPartitions = try r.readStructArray(version: version, compact: false) }
        if (1...2).contains(version) { topics = try r.readStructArray(version: version, compact: flexible) }
        if version >= 3 { topicStates = try r.readStructArray(version: version, compact: true) }
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 2
        w.writeInt32(controllerId)
        if version >= 4 { w.writeBool(isKRaftController) }
        w.writeInt32(controllerEpoch)
        if version >= 1 { w.writeInt64(brokerEpoch) }
        if version <= 2 { w.writeBool(deletePartitions) }
        if version == 0 { w.writeStructArray(ungroupedPartitions, version: version, compact: false) }
        if (1...2).contains(version) { w.writeStructArray(topics, version: version, compact: flexible) }
        if version >= 3 { w.writeStructArray(topicStates, version: version, compact: true) }
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct StopReplicaResponse: KafkaMessage, Equatable {
    public struct StopReplicaPartitionError: KafkaMessage, Equatable {
        public var topicName: String = ""
        public var partitionIndex: Int32 = 0
        public var errorCode: Int16 = 0

        public init(topicName: String = "", partitionIndex: Int32 = 0, errorCode: Int16 = 0) {
            self.topicName = topicName
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 2
            topicName = try r.readString(compact: flexible)
            partitionIndex = try r.readInt32()
            errorCode = try r.readInt16()
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 2
            w.writeString(topicName, compact: flexible)
            w.writeInt32(partitionIndex)
            w.writeInt16(errorCode)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var errorCode: Int16 = 0
    public var partitionErrors: [StopReplicaPartitionError] = []

    public init(errorCode: Int16 = 0, partitionErrors: [StopReplicaPartitionError] = []) {
        self.errorCode = errorCode
        self.partitionErrors = partitionErrors
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 2
        errorCode = try r.readInt16()
        partitionErrors = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 2
        w.writeInt16(errorCode)
        w.writeStructArray(partitionErrors, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}
