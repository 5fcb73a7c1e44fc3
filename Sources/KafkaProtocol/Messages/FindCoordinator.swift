/// FindCoordinator (key 10), versions 0–6, flexible from 3. v0–3 look up one `key`; v4+ batch `coordinatorKeys`.
/// `keyType` is 0 for a group, 1 for a transactional id, 2 for a share group.
public struct FindCoordinatorRequest: KafkaRequest, Equatable {
    public typealias Response = FindCoordinatorResponse
    public static let apiKey = APIKey.findCoordinator
    public static let versions: ClosedRange<Int16> = 0...6
    public static let firstFlexibleVersion: Int16? = 3

    /// v0–3: the key to look up.
    public var key: String = ""
    /// v1+.
    public var keyType: Int8 = 0
    /// v4+: the keys to look up.
    public var coordinatorKeys: [String] = []

    public init(key: String = "", keyType: Int8 = 0, coordinatorKeys: [String] = []) {
        self.key = key
        self.keyType = keyType
        self.coordinatorKeys = coordinatorKeys
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 3
        if version <= 3 { key = try r.readString(compact: flexible) }
        if version >= 1 { keyType = try r.readInt8() }
        if version >= 4 { coordinatorKeys = try r.readStringArray(compact: flexible) }
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 3
        if version <= 3 { w.writeString(key, compact: flexible) }
        if version >= 1 { w.writeInt8(keyType) }
        if version >= 4 { w.writeStringArray(coordinatorKeys, compact: flexible) }
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct FindCoordinatorResponse: KafkaMessage, Equatable {
    /// v4+: one answer per requested key.
    public struct Coordinator: KafkaMessage, Equatable {
        public var key: String = ""
        public var nodeId: Int32 = 0
        public var host: String = ""
        public var port: Int32 = 0
        public var errorCode: Int16 = 0
        public var errorMessage: String? = nil

        public init(
            key: String = "", nodeId: Int32 = 0, host: String = "", port: Int32 = 0, errorCode: Int16 = 0,
            errorMessage: String? = nil
        ) {
            self.key = key
            self.nodeId = nodeId
            self.host = host
            self.port = port
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            key = try r.readString(compact: true)
            nodeId = try r.readInt32()
            host = try r.readString(compact: true)
            port = try r.readInt32()
            errorCode = try r.readInt16()
            errorMessage = try r.readNullableString(compact: true)
            try r.readTaggedFields()
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeString(key, compact: true)
            w.writeInt32(nodeId)
            w.writeString(host, compact: true)
            w.writeInt32(port)
            w.writeInt16(errorCode)
            w.writeNullableString(errorMessage, compact: true)
            w.writeEmptyTaggedFields()
        }
    }

    /// v1+.
    public var throttleTimeMs: Int32 = 0
    /// v0–3.
    public var errorCode: Int16 = 0
    /// v1–3.
    public var errorMessage: String? = nil
    /// v0–3.
    public var nodeId: Int32 = 0
    /// v0–3.
    public var host: String = ""
    /// v0–3.
    public var port: Int32 = 0
    /// v4+.
    public var coordinators: [Coordinator] = []

    public init(
        throttleTimeMs: Int32 = 0, errorCode: Int16 = 0, errorMessage: String? = nil, nodeId: Int32 = 0,
        host: String = "", port: Int32 = 0, coordinators: [Coordinator] = []
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.nodeId = nodeId
        self.host = host
        self.port = port
        self.coordinators = coordinators
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 3
        if version >= 1 { throttleTimeMs = try r.readInt32() }
        if version <= 3 {
            errorCode = try r.readInt16()
            if version >= 1 { errorMessage = try r.readNullableString(compact: flexible) }
            nodeId = try r.readInt32()
            host = try r.readString(compact: flexible)
            port = try r.readInt32()
        }
        if version >= 4 { coordinators = try r.readStructArray(version: version, compact: true) }
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 3
        if version >= 1 { w.writeInt32(throttleTimeMs) }
        if version <= 3 {
            w.writeInt16(errorCode)
            if version >= 1 { w.writeNullableString(errorMessage, compact: flexible) }
            w.writeInt32(nodeId)
            w.writeString(host, compact: flexible)
            w.writeInt32(port)
        }
        if version >= 4 { w.writeStructArray(coordinators, version: version, compact: true) }
        if flexible { w.writeEmptyTaggedFields() }
    }
}
