/// JoinGroup (key 11), versions 0–9, flexible from 6.
public struct JoinGroupRequest: KafkaRequest, Equatable {
    public typealias Response = JoinGroupResponse
    public static let apiKey = APIKey.joinGroup
    public static let versions: ClosedRange<Int16> = 0...9
    public static let firstFlexibleVersion: Int16? = 6

    /// One protocol (assignor) the member supports, with its opaque subscription metadata.
    public struct JoinGroupRequestProtocol: KafkaMessage, Equatable {
        public var name: String = ""
        public var metadata: [UInt8] = []

        public init(name: String = "", metadata: [UInt8] = []) {
            self.name = name
            self.metadata = metadata
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 6
            name = try r.readString(compact: flexible)
            metadata = try r.readBytes(compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 6
            w.writeString(name, compact: flexible)
            w.writeBytes(metadata, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var groupId: String = ""
    public var sessionTimeoutMs: Int32 = 0
    /// v1+. v0 uses the session timeout as the rebalance timeout.
    public var rebalanceTimeoutMs: Int32 = -1
    public var memberId: String = ""
    /// v5+.
    public var groupInstanceId: String? = nil
    public var protocolType: String = ""
    public var protocols: [JoinGroupRequestProtocol] = []
    /// v8+.
    public var reason: String? = nil

    public init(
        groupId: String = "", sessionTimeoutMs: Int32 = 0, rebalanceTimeoutMs: Int32 = -1, memberId: String = "",
        groupInstanceId: String? = nil, protocolType: String = "", protocols: [JoinGroupRequestProtocol] = [],
        reason: String? = nil
    ) {
        self.groupId = groupId
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.protocolType = protocolType
        self.protocols = protocols
        self.reason = reason
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 6
        groupId = try r.readString(compact: flexible)
        sessionTimeoutMs = try r.readInt32()
        if version >= 1 { rebalanceTimeoutMs = try r.readInt32() }
        memberId = try r.readString(compact: flexible)
        if version >= 5 { groupInstanceId = try r.readNullableString(compact: flexible) }
        protocolType = try r.readString(compact: flexible)
        protocols = try r.readStructArray(version: version, compact: flexible)
        if version >= 8 { reason = try r.readNullableString(compact: flexible) }
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 6
        w.writeString(groupId, compact: flexible)
        w.writeInt32(sessionTimeoutMs)
        if version >= 1 { w.writeInt32(rebalanceTimeoutMs) }
        w.writeString(memberId, compact: flexible)
        if version >= 5 { w.writeNullableString(groupInstanceId, compact: flexible) }
        w.writeString(protocolType, compact: flexible)
        w.writeStructArray(protocols, version: version, compact: flexible)
        if version >= 8 { w.writeNullableString(reason, compact: flexible) }
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct JoinGroupResponse: KafkaMessage, Equatable {
    /// A group member as the leader sees it: its id and its metadata for the chosen protocol.
    public struct JoinGroupResponseMember: KafkaMessage, Equatable {
        public var memberId: String = ""
        /// v5+.
        public var groupInstanceId: String? = nil
        public var metadata: [UInt8] = []

        public init(memberId: String = "", groupInstanceId: String? = nil, metadata: [UInt8] = []) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.metadata = metadata
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 6
            memberId = try r.readString(compact: flexible)
            if version >= 5 { groupInstanceId = try r.readNullableString(compact: flexible) }
            metadata = try r.readBytes(compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 6
            w.writeString(memberId, compact: flexible)
            if version >= 5 { w.writeNullableString(groupInstanceId, compact: flexible) }
            w.writeBytes(metadata, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// v2+.
    public var throttleTimeMs: Int32 = 0
    public var errorCode: Int16 = 0
    public var generationId: Int32 = -1
    /// v7+.
    public var protocolType: String? = nil
    /// Nullable from v7; written as "" when nil at older versions.
    public var protocolName: String? = ""
    public var leader: String = ""
    /// v9+.
    public var skipAssignment: Bool = false
    public var memberId: String = ""
    public var members: [JoinGroupResponseMember] = []

    public init(
        throttleTimeMs: Int32 = 0, errorCode: Int16 = 0, generationId: Int32 = -1, protocolType: String? = nil,
        protocolName: String? = "", leader: String = "", skipAssignment: Bool = false, memberId: String = "",
        members: [JoinGroupResponseMember] = []
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.generationId = generationId
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.leader = leader
        self.skipAssignment = skipAssignment
        self.memberId = memberId
        self.members = members
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 6
        if version >= 2 { throttleTimeMs = try r.readInt32() }
        errorCode = try r.readInt16()
        generationId = try r.readInt32()
        if version >= 7 {
            protocolType = try r.readNullableString(compact: flexible)
            protocolName = try r.readNullableString(compact: flexible)
        } else {
            protocolName = try r.readString(compact: flexible)
        }
        leader = try r.readString(compact: flexible)
        if version >= 9 { skipAssignment = try r.readBool() }
        memberId = try r.readString(compact: flexible)
        members = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 6
        if version >= 2 { w.writeInt32(throttleTimeMs) }
        w.writeInt16(errorCode)
        w.writeInt32(generationId)
        if version >= 7 {
            w.writeNullableString(protocolType, compact: flexible)
            w.writeNullableString(protocolName, compact: flexible)
        } else {
            w.writeString(protocolName ?? "", compact: flexible)
        }
        w.writeString(leader, compact: flexible)
        if version >= 9 { w.writeBool(skipAssignment) }
        w.writeString(memberId, compact: flexible)
        w.writeStructArray(members, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}
