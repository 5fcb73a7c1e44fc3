/// DescribeGroups (key 15), versions 0–5, flexible from 5.
public struct DescribeGroupsRequest: KafkaRequest, Equatable {
    public typealias Response = DescribeGroupsResponse
    public static let apiKey = APIKey.describeGroups
    public static let versions: ClosedRange<Int16> = 0...5
    public static let firstFlexibleVersion: Int16? = 5

    public var groups: [String] = []
    /// v3+.
    public var includeAuthorizedOperations: Bool = false

    public init(groups: [String] = [], includeAuthorizedOperations: Bool = false) {
        self.groups = groups
        self.includeAuthorizedOperations = includeAuthorizedOperations
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 5
        groups = try r.readStringArray(compact: flexible)
        if version >= 3 { includeAuthorizedOperations = try r.readBool() }
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 5
        w.writeStringArray(groups, compact: flexible)
        if version >= 3 { w.writeBool(includeAuthorizedOperations) }
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct DescribeGroupsResponse: KafkaMessage, Equatable {
    public struct DescribedGroupMember: KafkaMessage, Equatable {
        public var memberId: String = ""
        /// v4+.
        public var groupInstanceId: String? = nil
        public var clientId: String = ""
        public var clientHost: String = ""
        /// The member's metadata for the group's protocol (a ConsumerProtocolSubscription for consumers).
        public var memberMetadata: [UInt8] = []
        /// The member's current assignment (a ConsumerProtocolAssignment for consumers).
        public var memberAssignment: [UInt8] = []

        public init(
            memberId: String = "", groupInstanceId: String? = nil, clientId: String = "", clientHost: String = "",
            memberMetadata: [UInt8] = [], memberAssignment: [UInt8] = []
        ) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.clientId = clientId
            self.clientHost = clientHost
            self.memberMetadata = memberMetadata
            self.memberAssignment = memberAssignment
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 5
            memberId = try r.readString(compact: flexible)
            if version >= 4 { groupInstanceId = try r.readNullableString(compact: flexible) }
            clientId = try r.readString(compact: flexible)
            clientHost = try r.readString(compact: flexible)
            memberMetadata = try r.readBytes(compact: flexible)
            memberAssignment = try r.readBytes(compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 5
            w.writeString(memberId, compact: flexible)
            if version >= 4 { w.writeNullableString(groupInstanceId, compact: flexible) }
            w.writeString(clientId, compact: flexible)
            w.writeString(clientHost, compact: flexible)
            w.writeBytes(memberMetadata, compact: flexible)
            w.writeBytes(memberAssignment, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public struct DescribedGroup: KafkaMessage, Equatable {
        public var errorCode: Int16 = 0
        public var groupId: String = ""
        public var groupState: String = ""
        public var protocolType: String = ""
        /// The chosen protocol (assignor) name.
        public var protocolData: String = ""
        public var members: [DescribedGroupMember] = []
        /// v3+: bit field of ACL operations; Int32.min when not requested.
        public var authorizedOperations: Int32 = Int32.min

        public init(
            errorCode: Int16 = 0, groupId: String = "", groupState: String = "", protocolType: String = "",
            protocolData: String = "", members: [DescribedGroupMember] = [], authorizedOperations: Int32 = Int32.min
        ) {
            self.errorCode = errorCode
            self.groupId = groupId
            self.groupState = groupState
            self.protocolType = protocolType
            self.protocolData = protocolData
            self.members = members
            self.authorizedOperations = authorizedOperations
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 5
            errorCode = try r.readInt16()
            groupId = try r.readString(compact: flexible)
            groupState = try r.readString(compact: flexible)
            protocolType = try r.readString(compact: flexible)
            protocolData = try r.readString(compact: flexible)
            members = try r.readStructArray(version: version, compact: flexible)
            if version >= 3 { authorizedOperations = try r.readInt32() }
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 5
            w.writeInt16(errorCode)
            w.writeString(groupId, compact: flexible)
            w.writeString(groupState, compact: flexible)
            w.writeString(protocolType, compact: flexible)
            w.writeString(protocolData, compact: flexible)
            w.writeStructArray(members, version: version, compact: flexible)
            if version >= 3 { w.writeInt32(authorizedOperations) }
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// v1+.
    public var throttleTimeMs: Int32 = 0
    public var groups: [DescribedGroup] = []

    public init(throttleTimeMs: Int32 = 0, groups: [DescribedGroup] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.groups = groups
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 5
        if version >= 1 { throttleTimeMs = try r.readInt32() }
        groups = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 5
        if version >= 1 { w.writeInt32(throttleTimeMs) }
        w.writeStructArray(groups, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}
