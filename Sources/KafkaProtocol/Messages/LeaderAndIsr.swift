/// LeaderAndIsr (key 4), versions 0–7, flexible from 4. Controller → broker: become leader or follower.
/// v0–1 list partition states flat (each naming its topic); v2+ group them under `topicStates`.
public struct LeaderAndIsrRequest: KafkaRequest, Equatable {
    public typealias Response = LeaderAndIsrResponse
    public static let apiKey = APIKey.leaderAndIsr
    public static let versions: ClosedRange<Int16> = 0...7
    public static let firstFlexibleVersion: Int16? = 4

    public struct LeaderAndIsrPartitionState: KafkaMessage, Equatable {
        /// v0–1 only (v2+ carry the name on the enclosing topic state).
        public var topicName: String = ""
        public var partitionIndex: Int32 = 0
        public var controllerEpoch: Int32 = 0
        public var leader: Int32 = 0
        public var leaderEpoch: Int32 = 0
        public var isr: [Int32] = []
        /// The ZooKeeper version of the partition state znode.
        public var partitionEpoch: Int32 = 0
        public var replicas: [Int32] = []
        /// v3+.
        public var addingReplicas: [Int32] = []
        /// v3+.
        public var removingReplicas: [Int32] = []
        /// v1+.
        public var isNew: Bool = false
        /// v6+: 0 recovered, 1 recovering.
        public var leaderRecoveryState: Int8 = 0

        public init(
            topicName: String = "", partitionIndex: Int32 = 0, controllerEpoch: Int32 = 0, leader: Int32 = 0,
            leaderEpoch: Int32 = 0, isr: [Int32] = [], partitionEpoch: Int32 = 0, replicas: [Int32] = [],
            addingReplicas: [Int32] = [], removingReplicas: [Int32] = [], isNew: Bool = false,
            leaderRecoveryState: Int8 = 0
        ) {
            self.topicName = topicName
            self.partitionIndex = partitionIndex
            self.controllerEpoch = controllerEpoch
            self.leader = leader
            self.leaderEpoch = leaderEpoch
            self.isr = isr
            self.partitionEpoch = partitionEpoch
            self.replicas = replicas
            self.addingReplicas = addingReplicas
            self.removingReplicas = removingReplicas
            self.isNew = isNew
            self.leaderRecoveryState = leaderRecoveryState
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 4
            if version <= 1 { topicName = try r.readString(compact: flexible) }
            partitionIndex = try r.readInt32()
            controllerEpoch = try r.readInt32()
            leader = try r.readInt32()
            leaderEpoch = try r.readInt32()
            isr = try r.readInt32Array(compact: flexible)
            partitionEpoch = try r.readInt32()
            replicas = try r.readInt32Array(compact: flexible)
            if version >= 3 {
                addingReplicas = try r.readInt32Array(compact: flexible)
                removingReplicas = try r.readInt32Array(compact: flexible)
            }
            if version >= 1 { isNew = try r.readBool() }
            if version >= 6 { leaderRecoveryState = try r.readInt8() }
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 4
            if version <= 1 { w.writeString(topicName, compact: flexible) }
            w.writeInt32(partitionIndex)
            w.writeInt32(controllerEpoch)
            w.writeInt32(leader)
            w.writeInt32(leaderEpoch)
            w.writeInt32Array(isr, compact: flexible)
            w.writeInt32(partitionEpoch)
            w.writeInt32Array(replicas, compact: flexible)
            if version >= 3 {
                w.writeInt32Array(addingReplicas, compact: flexible)
                w.writeInt32Array(removingReplicas, compact: flexible)
            }
            if version >= 1 { w.writeBool(isNew) }
            if version >= 6 { w.writeInt8(leaderRecoveryState) }
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// v2+.
    public struct LeaderAndIsrTopicState: KafkaMessage, Equatable {
        public var topicName: String = ""
        /// v5+.
        public var topicId: UUIDValue = .zero
        public var partitionStates: [LeaderAndIsrPartitionState] = []

        public init(topicName: String = "", topicId: UUIDValue = .zero, partitionStates: [LeaderAndIsrPartitionState] = []) {
            self.topicName = topicName
            self.topicId = topicId
            self.partitionStates = partitionStates
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 4
            topicName = try r.readString(compact: flexible)
            if version >= 5 { topicId = try r.readUUID() }
            partitionStates = try r.readStructArray(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 4
            w.writeString(topicName, compact: flexible)
            if version >= 5 { w.writeUUID(topicId) }
            w.writeStructArray(partitionStates, version: version, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public struct LeaderAndIsrLiveLeader: KafkaMessage, Equatable {
        public var brokerId: Int32 = 0
        public var hostName: String = ""
        public var port: Int32 = 0

        public init(brokerId: Int32 = 0, hostName: String = "", port: Int32 = 0) {
            self.brokerId = brokerId
            self.hostName = hostName
            self.port = port
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 4
            brokerId = try r.readInt32()
            hostName = try r.readString(compact: flexible)
            port = try r.readInt32()
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 4
            w.writeInt32(brokerId)
            w.writeString(hostName, compact: flexible)
            w.writeInt32(port)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var controllerId: Int32 = 0
    /// v7+.
    public var isKRaftController: Bool = false
    public var controllerEpoch: Int32 = 0
    /// v2+.
    public var brokerEpoch: Int64 = -1
    /// v5+: 0 incremental, 1 full, 2 reset.
    public var type: Int8 = 0
    /// v0–1.
    public var ungroupedPartitionStates: [LeaderAndIsrPartitionState] = []
    /// v2+.
    public var topicStates: [LeaderAndIsrTopicState] = []
    public var liveLeaders: [LeaderAndIsrLiveLeader] = []

    public init(
        controllerId: Int32 = 0, isKRaftController: Bool = false, controllerEpoch: Int32 = 0, brokerEpoch: Int64 = -1,
        type: Int8 = 0, ungroupedPartitionStates: [LeaderAndIsrPartitionState] = [],
        topicStates: [LeaderAndIsrTopicState] = [], liveLeaders: [LeaderAndIsrLiveLeader] = []
    ) {
        self.controllerId = controllerId
        self.isKRaftController = isKRaftController
        self.controllerEpoch = controllerEpoch
        self.brokerEpoch = brokerEpoch
        self.type = type
        self.ungroupedPartitionStates = ungroupedPartitionStates
        self.topicStates = topicStates
        self.liveLeaders = liveLeaders
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 4
        controllerId = try r.readInt32()
        if version >= 7 { isKRaftController = try r.readBool() }
        controllerEpoch = try r.readInt32()
        if version >= 2 { brokerEpoch = try r.readInt64() }
        if version >= 5 { type = try r.readInt8() }
        if version <= 1 { ungroupedPartitionStates = try r.readStructArray(version: version, compact: flexible) }
        if version >= 2 { topicStates = try r.readStructArray(version: version, compact: flexible) }
        liveLeaders = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 4
        w.writeInt32(controllerId)
        if version >= 7 { w.writeBool(isKRaftController) }
        w.writeInt32(controllerEpoch)
        if version >= 2 { w.writeInt64(brokerEpoch) }
        if version >= 5 { w.writeInt8(type) }
        if version <= 1 { w.writeStructArray(ungroupedPartitionStates, version: version, compact: flexible) }
        if version >= 2 { w.writeStructArray(topicStates, version: version, compact: flexible) }
        w.writeStructArray(liveLeaders, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct LeaderAndIsrResponse: KafkaMessage, Equatable {
    public struct LeaderAndIsrPartitionError: KafkaMessage, Equatable {
        /// v0–4.
        public var topicName: String = ""
        public var partitionIndex: Int32 = 0
        public var errorCode: Int16 = 0

        public init(topicName: String = "", partitionIndex: Int32 = 0, errorCode: Int16 = 0) {
            self.topicName = topicName
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 4
            if version <= 4 { topicName = try r.readString(compact: flexible) }
            partitionIndex = try r.readInt32()
            errorCode = try r.readInt16()
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 4
            if version <= 4 { w.writeString(topicName, compact: flexible) }
            w.writeInt32(partitionIndex)
            w.writeInt16(errorCode)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// v5+.
    public struct LeaderAndIsrTopicError: KafkaMessage, Equatable {
        public var topicId: UUIDValue = .zero
        public var partitionErrors: [LeaderAndIsrPartitionError] = []

        public init(topicId: UUIDValue = .zero, partitionErrors: [LeaderAndIsrPartitionError] = []) {
            self.topicId = topicId
            self.partitionErrors = partitionErrors
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            topicId = try r.readUUID()
            partitionErrors = try r.readStructArray(version: version, compact: true)
            try r.readTaggedFields()
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeUUID(topicId)
            w.writeStructArray(partitionErrors, version: version, compact: true)
            w.writeEmptyTaggedFields()
        }
    }

    public var errorCode: Int16 = 0
    /// v0–4.
    public var partitionErrors: [LeaderAndIsrPartitionError] = []
    /// v5+.
    public var topics: [LeaderAndIsrTopicError] = []

    public init(
        errorCode: Int16 = 0, partitionErrors: [LeaderAndIsrPartitionError] = [], topics: [LeaderAndIsrTopicError] = []
    ) {
        self.errorCode = errorCode
        self.partitionErrors = partitionErrors
        self.topics = topics
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 4
        errorCode = try r.readInt16()
        if version <= 4 { partitionErrors = try r.readStructArray(version: version, compact: flexible) }
        if version >= 5 { topics = try r.readStructArray(version: version, compact: true) }
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 4
        w.writeInt16(errorCode)
        if version <= 4 { w.writeStructArray(partitionErrors, version: version, compact: flexible) }
        if version >= 5 { w.writeStructArray(topics, version: version, compact: true) }
        if flexible { w.writeEmptyTaggedFields() }
    }
}
