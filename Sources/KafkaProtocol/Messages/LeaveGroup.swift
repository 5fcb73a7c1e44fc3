/// LeaveGroup (key 13), versions 0–5, flexible from 4. v0–2 name one `memberId`; v3+ batch `members`.
public struct LeaveGroupRequest: KafkaRequest, Equatable {
    public typealias Response = LeaveGroupResponse
    public static let apiKey = APIKey.leaveGroup
    public static let versions: ClosedRange<Int16> = 0...5
    public static let firstFlexibleVersion: Int16? = 4

    /// v3+.
    public struct MemberIdentity: KafkaMessage, Equatable {
        public var memberId: String = ""
        public var groupInstanceId: String? = nil
        /// v5+.
        public var reason: String? = nil

        public init(memberId: String = "", groupInstanceId: String? = nil, reason: String? = nil) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.reason = reason
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 4
            memberId = try r.readString(compact: flexible)
            groupInstanceId = try r.readNullableString(compact: flexible)
            if version >= 5 { reason = try r.readNullableString(compact: flexible) }
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 4
            w.writeString(memberId, compact: flexible)
            w.writeNullableString(groupInstanceId, compact: flexible)
            if version >= 5 { w.writeNullableString(reason, compact: flexible) }
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var groupId: String = ""
    /// v0–2.
    public var memberId: String = ""
    /// v3+.
    public var members: [MemberIdentity] = []

    public init(groupId: String = "", memberId: String = "", members: [MemberIdentity] = []) {
        self.groupId = groupId
        self.memberId = memberId
        self.members = members
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 4
        groupId = try r.readString(compact: flexible)
        if version <= 2 { memberId = try r.readString(compact: flexible) }
        if version >= 3 { members = try r.readStructArray(version: version, compact: flexible) }
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 4
        w.writeString(groupId, compact: flexible)
        if version <= 2 { w.writeString(memberId, compact: flexible) }
        if version >= 3 { w.writeStructArray(members, version: version, compact: flexible) }
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct LeaveGroupResponse: KafkaMessage, Equatable {
    /// v3+.
    public struct MemberResponse: KafkaMessage, Equatable {
        public var memberId: String = ""
        public var groupInstanceId: String? = nil
        public var errorCode: Int16 = 0

        public init(memberId: String = "", groupInstanceId: String? = nil, errorCode: Int16 = 0) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.errorCode = errorCode
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 4
            memberId = try r.readString(compact: flexible)
            groupInstanceId = try r.readNullableString(compact: flexible)
            errorCode = try r.readInt16()
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 4
            w.writeString(memberId, compact: flexible)
            w.writeNullableString(groupInstanceId, compact: flexible)
            w.writeInt16(errorCode)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// v1+.
    public var throttleTimeMs: Int32 = 0
    public var errorCode: Int16 = 0
    /// v3+.
    public var members: [MemberResponse] = []

    public init(throttleTimeMs: Int32 = 0, errorCode: Int16 = 0, members: [MemberResponse] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.members = members
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 4
        if version >= 1 { throttleTimeMs = try r.readInt32() }
        errorCode = try r.readInt16()
        if version >= 3 { members = try r.readStructArray(version: version, compact: flexible) }
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 4
        if version >= 1 { w.writeInt32(throttleTimeMs) }
        w.writeInt16(errorCode)
        if version >= 3 { w.writeStructArray(members, version: version, compact: flexible) }
        if flexible { w.writeEmptyTaggedFields() }
    }
}
