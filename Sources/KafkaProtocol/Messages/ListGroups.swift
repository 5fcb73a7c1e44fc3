/// ListGroups (key 16), versions 0–5, flexible from 3. v4 adds a state filter, v5 a group-type filter.
public struct ListGroupsRequest: KafkaRequest, Equatable {
    public typealias Response = ListGroupsResponse
    public static let apiKey = APIKey.listGroups
    public static let versions: ClosedRange<Int16> = 0...5
    public static let firstFlexibleVersion: Int16? = 3

    /// v4+: empty means every state.
    public var statesFilter: [String] = []
    /// v5+: empty means every type.
    public var typesFilter: [String] = []

    public init(statesFilter: [String] = [], typesFilter: [String] = []) {
        self.statesFilter = statesFilter
        self.typesFilter = typesFilter
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 3
        if version >= 4 { statesFilter = try r.readStringArray(compact: flexible) }
        if version >= 5 { typesFilter = try r.readStringArray(compact: flexible) }
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 3
        if version >= 4 { w.writeStringArray(statesFilter, compact: flexible) }
        if version >= 5 { w.writeStringArray(typesFilter, compact: flexible) }
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct ListGroupsResponse: KafkaMessage, Equatable {
    public struct ListedGroup: KafkaMessage, Equatable {
        public var groupId: String = ""
        public var protocolType: String = ""
        /// v4+.
        public var groupState: String = ""
        /// v5+.
        public var groupType: String = ""

        public init(groupId: String = "", protocolType: String = "", groupState: String = "", groupType: String = "") {
            self.groupId = groupId
            self.protocolType = protocolType
            self.groupState = groupState
            self.groupType = groupType
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 3
            groupId = try r.readString(compact: flexible)
            protocolType = try r.readString(compact: flexible)
            if version >= 4 { groupState = try r.readString(compact: flexible) }
            if version >= 5 { groupType = try r.readString(compact: flexible) }
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 3
            w.writeString(groupId, compact: flexible)
            w.writeString(protocolType, compact: flexible)
            if version >= 4 { w.writeString(groupState, compact: flexible) }
            if version >= 5 { w.writeString(groupType, compact: flexible) }
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// v1+.
    public var throttleTimeMs: Int32 = 0
    public var errorCode: Int16 = 0
    public var groups: [ListedGroup] = []

    public init(throttleTimeMs: Int32 = 0, errorCode: Int16 = 0, groups: [ListedGroup] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.groups = groups
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 3
        if version >= 1 { throttleTimeMs = try r.readInt32() }
        errorCode = try r.readInt16()
        groups = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 3
        if version >= 1 { w.writeInt32(throttleTimeMs) }
        w.writeInt16(errorCode)
        w.writeStructArray(groups, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}
