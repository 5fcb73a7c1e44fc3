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
            isr = try r.readInt32s(compact: flexible)
            partitionEpoch = try r.readInt32()
            replicas = try r.readInt32s(compact: flexible)
            if version >= 3 {
                addingReplicas = try r.readInt32s(compact: flexible)
                removingReplicas = try r.readInt32s(compact: flexible)
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
            w.writeInt32s(isr, compact: flexible)
            w.writeInt32(partitionEpoch)
            w.writeInt32s(replicas, compact: flexible)
            if version >= 3 {
                w.writeInt32s(addingReplicas, compact: flexible)
                w.writeInt32s(removingReplicas, compact: flexible)
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
            partitionStates = try r.readStructs(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 4
            w.writeString(topicName, compact: flexible)
            if version >= 5 { w.writeUUID(topicId) }
            w.writeStructs(partitionStates, version: version, compact: flexible)
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
        if version <= 1 { ungroupedPartitionStates = try r.readStructs(version: version, compact: flexible) }
        if version >= 2 { topicStates = try r.readStructs(version: version, compact: flexible) }
        liveLeaders = try r.readStructs(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 4
        w.writeInt32(controllerId)
        if version >= 7 { w.writeBool(isKRaftController) }
        w.writeInt32(controllerEpoch)
        if version >= 2 { w.writeInt64(brokerEpoch) }
        if version >= 5 { w.writeInt8(type) }
        if version <= 1 { w.writeStructs(ungroupedPartitionStates, version: version, compact: flexible) }
        if version >= 2 { w.writeStructs(topicStates, version: version, compact: flexible) }
        w.writeStructs(liveLeaders, version: version, compact: flexible)
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
            partitionErrors = try r.readStructs(version: version, compact: true)
            try r.readTaggedFields()
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeUUID(topicId)
            w.writeStructs(partitionErrors, version: version, compact: true)
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
        if version <= 4 { partitionErrors = try r.readStructs(version: version, compact: flexible) }
        if version >= 5 { topics = try r.readStructs(version: version, compact: true) }
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 4
        w.writeInt16(errorCode)
        if version <= 4 { w.writeStructs(partitionErrors, version: version, compact: flexible) }
        if version >= 5 { w.writeStructs(topics, version: version, compact: true) }
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
