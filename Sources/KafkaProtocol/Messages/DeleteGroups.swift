/// DeleteGroups (key 42), versions 0–2, flexible from 2.
public struct DeleteGroupsRequest: KafkaRequest, Equatable {
    public typealias Response = DeleteGroupsResponse
    public static let apiKey = APIKey.deleteGroups
    public static let versions: ClosedRange<Int16> = 0...2
    public static let firstFlexibleVersion: Int16? = 2

    public var groupsNames: [String] = []

    public init(groupsNames: [String] = []) {
        self.groupsNames = groupsNames
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 2
        groupsNames = try r.readStringArray(compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 2
        w.writeStringArray(groupsNames, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct DeleteGroupsResponse: KafkaMessage, Equatable {
    public struct DeletableGroupResult: KafkaMessage, Equatable {
        public var groupId: String = ""
        public var errorCode: Int16 = 0

        public init(groupId: String = "", errorCode: Int16 = 0) {
            self.groupId = groupId
            self.errorCode = errorCode
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 2
            groupId = try r.readString(compact: flexible)
            errorCode = try r.readInt16()
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 2
            w.writeString(groupId, compact: flexible)
            w.writeInt16(errorCode)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var throttleTimeMs: Int32 = 0
    public var results: [DeletableGroupResult] = []

    public init(throttleTimeMs: Int32 = 0, results: [DeletableGroupResult] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 2
        throttleTimeMs = try r.readInt32()
        results = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 2
        w.writeInt32(throttleTimeMs)
        w.writeStructArray(results, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}
