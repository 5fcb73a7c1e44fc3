/// Heartbeat (key 12), versions 0–4, flexible from 4.
public struct HeartbeatRequest: KafkaRequest, Equatable {
    public typealias Response = HeartbeatResponse
    public static let apiKey = APIKey.heartbeat
    public static let versions: ClosedRange<Int16> = 0...4
    public static let firstFlexibleVersion: Int16? = 4

    public var groupId: String = ""
    public var generationId: Int32 = 0
    public var memberId: String = ""
    /// v3+.
    public var groupInstanceId: String? = nil

    public init(groupId: String = "", generationId: Int32 = 0, memberId: String = "", groupInstanceId: String? = nil) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 4
        groupId = try r.readString(compact: flexible)
        generationId = try r.readInt32()
        memberId = try r.readString(compact: flexible)
        if version >= 3 { groupInstanceId = try r.readNullableString(compact: flexible) }
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 4
        w.writeString(groupId, compact: flexible)
        w.writeInt32(generationId)
        w.writeString(memberId, compact: flexible)
        if version >= 3 { w.writeNullableString(groupInstanceId, compact: flexible) }
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct HeartbeatResponse: KafkaMessage, Equatable {
    /// v1+.
    public var throttleTimeMs: Int32 = 0
    public var errorCode: Int16 = 0

    public init(throttleTimeMs: Int32 = 0, errorCode: Int16 = 0) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        if version >= 1 { throttleTimeMs = try r.readInt32() }
        errorCode = try r.readInt16()
        if version >= 4 { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        if version >= 1 { w.writeInt32(throttleTimeMs) }
        w.writeInt16(errorCode)
        if version >= 4 { w.writeEmptyTaggedFields() }
    }
}
