/// SyncGroup (key 14), versions 0–5, flexible from 4. The leader sends every member's assignment; others send none.
public struct SyncGroupRequest: KafkaRequest, Equatable {
    public typealias Response = SyncGroupResponse
    public static let apiKey = APIKey.syncGroup
    public static let versions: ClosedRange<Int16> = 0...5
    public static let firstFlexibleVersion: Int16? = 4

    public struct SyncGroupRequestAssignment: KafkaMessage, Equatable {
        public var memberId: String = ""
        public var assignment: [UInt8] = []

        public init(memberId: String = "", assignment: [UInt8] = []) {
            self.memberId = memberId
            self.assignment = assignment
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 4
            memberId = try r.readString(compact: flexible)
            assignment = try r.readBytes(compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 4
            w.writeString(memberId, compact: flexible)
            w.writeBytes(assignment, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var groupId: String = ""
    public var generationId: Int32 = 0
    public var memberId: String = ""
    /// v3+.
    public var groupInstanceId: String? = nil
    /// v5+.
    public var protocolType: String? = nil
    /// v5+.
    public var protocolName: String? = nil
    public var assignments: [SyncGroupRequestAssignment] = []

    public init(
        groupId: String = "", generationId: Int32 = 0, memberId: String = "", groupInstanceId: String? = nil,
        protocolType: String? = nil, protocolName: String? = nil, assignments: [SyncGroupRequestAssignment] = []
    ) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.assignments = assignments
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 4
        groupId = try r.readString(compact: flexible)
        generationId = try r.readInt32()
        memberId = try r.readString(compact: flexible)
        if version >= 3 { groupInstanceId = try r.readNullableString(compact: flexible) }
        if version >= 5 {
            protocolType = try r.readNullableString(compact: flexible)
            protocolName = try r.readNullableString(compact: flexible)
        }
        assignments = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 4
        w.writeString(groupId, compact: flexible)
        w.writeInt32(generationId)
        w.writeString(memberId, compact: flexible)
        if version >= 3 { w.writeNullableString(groupInstanceId, compact: flexible) }
        if version >= 5 {
            w.writeNullableString(protocolType, compact: flexible)
            w.writeNullableString(protocolName, compact: flexible)
        }
        w.writeStructArray(assignments, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct SyncGroupResponse: KafkaMessage, Equatable {
    /// v1+.
    public var throttleTimeMs: Int32 = 0
    public var errorCode: Int16 = 0
    /// v5+.
    public var protocolType: String? = nil
    /// v5+.
    public var protocolName: String? = nil
    public var assignment: [UInt8] = []

    public init(
        throttleTimeMs: Int32 = 0, errorCode: Int16 = 0, protocolType: String? = nil, protocolName: String? = nil,
        assignment: [UInt8] = []
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.assignment = assignment
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 4
        if version >= 1 { throttleTimeMs = try r.readInt32() }
        errorCode = try r.readInt16()
        if version >= 5 {
            protocolType = try r.readNullableString(compact: flexible)
            protocolName = try r.readNullableString(compact: flexible)
        }
        assignment = try r.readBytes(compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 4
        if version >= 1 { w.writeInt32(throttleTimeMs) }
        w.writeInt16(errorCode)
        if version >= 5 {
            w.writeNullableString(protocolType, compact: flexible)
            w.writeNullableString(protocolName, compact: flexible)
        }
        w.writeBytes(assignment, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}
