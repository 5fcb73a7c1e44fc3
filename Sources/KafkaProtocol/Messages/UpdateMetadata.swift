/// UpdateMetadata (key 6), versions 0–8, flexible from 6. Controller → broker: the cluster's live brokers and
/// partition states for the metadata cache. v0–4 list partition states flat; v5+ group them under `topicStates`.
/// `type` is the one known tagged field (tag 0, v8+), written only when not 0.
public struct UpdateMetadataRequest: KafkaRequest, Equatable {
    public typealias Response = UpdateMetadataResponse
    public static let apiKey = APIKey.updateMetadata
    public static let versions: ClosedRange<Int16> = 0...8
    public static let firstFlexibleVersion: Int16? = 6

    public struct UpdateMetadataPartitionState: KafkaMessage, Equatable {
        /// v0–4 only.
        public var topicName: String = ""
        public var partitionIndex: Int32 = 0
        public var controllerEpoch: Int32 = 0
        public var leader: Int32 = 0
        public var leaderEpoch: Int32 = 0
        public var isr: [Int32] = []
        public var zkVersion: Int32 = 0
        public var replicas: [Int32] = []
        /// v4+.
        public var offlineReplicas: [Int32] = []

        public init(
            topicName: String = "", partitionIndex: Int32 = 0, controllerEpoch: Int32 = 0, leader: Int32 = 0,
            leaderEpoch: Int32 = 0, isr: [Int32] = [], zkVersion: Int32 = 0, replicas: [Int32] = [],
            offlineReplicas: [Int32] = []
        ) {
            self.topicName = topicName
            self.partitionIndex = partitionIndex
            self.controllerEpoch = controllerEpoch
            self.leader = leader
            self.leaderEpoch = leaderEpoch
            self.isr = isr
            self.zkVersion = zkVersion
            self.replicas = replicas
            self.offlineReplicas = offlineReplicas
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 6
            if version <= 4 { topicName = try r.readString(compact: flexible) }
            partitionIndex = try r.readInt32()
            controllerEpoch = try r.readInt32()
            leader = try r.readInt32()
            leaderEpoch = try r.readInt32()
            isr = try r.readInt32Array(compact: flexible)
            zkVersion = try r.readInt32()
            replicas = try r.readInt32Array(compact: flexible)
            if version >= 4 { offlineReplicas = try r.readInt32Array(compact: flexible) }
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 6
            if version <= 4 { w.writeString(topicName, compact: flexible) }
            w.writeInt32(partitionIndex)
            w.writeInt32(controllerEpoch)
            w.writeInt32(leader)
            w.writeInt32(leaderEpoch)
            w.writeInt32Array(isr, compact: flexible)
            w.writeInt32(zkVersion)
            w.writeInt32Array(replicas, compact: flexible)
            if version >= 4 { w.writeInt32Array(offlineReplicas, compact: flexible) }
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// v5+.
    public struct UpdateMetadataTopicState: KafkaMessage, Equatable {
        public var topicName: String = ""
        /// v7+.
        public var topicId: UUIDValue = .zero
        public var partitionStates: [UpdateMetadataPartitionState] = []

        public init(
            topicName: String = "", topicId: UUIDValue = .zero, partitionStates: [UpdateMetadataPartitionState] = []
        ) {
            self.topicName = topicName
            self.topicId = topicId
            self.partitionStates = partitionStates
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 6
            topicName = try r.readString(compact: flexible)
            if version >= 7 { topicId = try r.readUUID() }
            partitionStates = try r.readStructArray(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 6
            w.writeString(topicName, compact: flexible)
            if version >= 7 { w.writeUUID(topicId) }
            w.writeStructArray(partitionStates, version: version, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// v1+.
    public struct UpdateMetadataEndpoint: KafkaMessage, Equatable {
        public var port: Int32 = 0
        public var host: String = ""
        /// v3+.
        public var listener: String = ""
        public var securityProtocol: Int16 = 0

        public init(port: Int32 = 0, host: String = "", listener: String = "", securityProtocol: Int16 = 0) {
            self.port = port
            self.host = host
            self.listener = listener
            self.securityProtocol = securityProtocol
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 6
            port = try r.readInt32()
            host = try r.readString(compact: flexible)
            if version >= 3 { listener = try r.readString(compact: flexible) }
            securityProtocol = try r.readInt16()
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 6
            w.writeInt32(port)
            w.writeString(host, compact: flexible)
            if version >= 3 { w.writeString(listener, compact: flexible) }
            w.writeInt16(securityProtocol)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public struct UpdateMetadataBroker: KafkaMessage, Equatable {
        public var id: Int32 = 0
        /// v0 only.
        public var v0Host: String = ""
        /// v0 only.
        public var v0Port: Int32 = 0
        /// v1+.
        public var endpoints: [UpdateMetadataEndpoint] = []
        /// v2+.
        public var rack: String? = nil

        public init(
            id: Int32 = 0, v0Host: String = "", v0Port: Int32 = 0, endpoints: [UpdateMetadataEndpoint] = [],
            rack: String? = nil
        ) {
            self.id = id
            self.v0Host = v0Host
            self.v0Port = v0Port
            self.endpoints = endpoints
            self.rack = rack
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 6
            id = try r.readInt32()
            if version == 0 {
                v0Host = try r.readString()
                v0Port = try r.readInt32()
            }
            if version >= 1 { endpoints = try r.readStructArray(version: version, compact: flexible) }
            if version >= 2 { rack = try r.readNullableString(compact: flexible) }
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 6
            w.writeInt32(id)
            if version == 0 {
                w.writeString(v0Host)
                w.writeInt32(v0Port)
            }
            if version >= 1 { w.writeStructArray(endpoints, version: version, compact: flexible) }
            if version >= 2 { w.writeNullableString(rack, compact: flexible) }
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var controllerId: Int32 = 0
    /// v8+.
    public var isKRaftController: Bool = false
    /// v8+, tagged (tag 0): 0 unknown, 1 incremental, 2 full.
    public var type: Int8 = 0
    public var controllerEpoch: Int32 = 0
    /// v5+.
    public var brokerEpoch: Int64 = -1
    /// v0–4.
    public var ungroupedPartitionStates: [UpdateMetadataPartitionState] = []
    /// v5+.
    public var topicStates: [UpdateMetadataTopicState] = []
    public var liveBrokers: [UpdateMetadataBroker] = []

    public init(
        controllerId: Int32 = 0, isKRaftController: Bool = false, type: Int8 = 0, controllerEpoch: Int32 = 0,
        brokerEpoch: Int64 = -1, ungroupedPartitionStates: [UpdateMetadataPartitionState] = [],
        topicStates: [UpdateMetadataTopicState] = [], liveBrokers: [UpdateMetadataBroker] = []
    ) {
        self.controllerId = controllerId
        self.isKRaftController = isKRaftController
        self.type = type
        self.controllerEpoch = controllerEpoch
        self.brokerEpoch = brokerEpoch
        self.ungroupedPartitionStates = ungroupedPartitionStates
        self.topicStates = topicStates
        self.liveBrokers = liveBrokers
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 6
        controllerId = try r.readInt32()
        if version >= 8 { isKRaftController = try r.readBool() }
        controllerEpoch = try r.readInt32()
        if version >= 5 { brokerEpoch = try r.readInt64() }
        if version <= 4 { ungroupedPartitionStates = try r.readStructArray(version: version, compact: flexible) }
        if version >= 5 { topicStates = try r.readStructArray(version: version, compact: flexible) }
        liveBrokers = try r.readStructArray(version: version, compact: flexible)
        if flexible {
            var decodedType: Int8 = 0
            try r.readTaggedFields { (tag: UInt32, sub: inout ProtocolReader) throws(ProtocolError) -> Bool in
                guard tag == 0, version >= 8 else { return false }
                decodedType = try sub.readInt8()
                return true
            }
            type = decodedType
        }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 6
        w.writeInt32(controllerId)
        if version >= 8 { w.writeBool(isKRaftController) }
        w.writeInt32(controllerEpoch)
        if version >= 5 { w.writeInt64(brokerEpoch) }
        if version <= 4 { w.writeStructArray(ungroupedPartitionStates, version: version, compact: flexible) }
        if version >= 5 { w.writeStructArray(topicStates, version: version, compact: flexible) }
        w.writeStructArray(liveBrokers, version: version, compact: flexible)
        if flexible {
            if version >= 8 && type != 0 {
                w.writeTaggedFields([(tag: 0, payload: [UInt8(bitPattern: type)])])
            } else {
                w.writeEmptyTaggedFields()
            }
        }
    }
}

public struct UpdateMetadataResponse: KafkaMessage, Equatable {
    public var errorCode: Int16 = 0

    public init(errorCode: Int16 = 0) {
        self.errorCode = errorCode
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        errorCode = try r.readInt16()
        if version >= 6 { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        w.writeInt16(errorCode)
        if version >= 6 { w.writeEmptyTaggedFields() }
    }
}
