/// ApiVersions (key 18), versions 0–4, flexible from 3. The response header is always v0.
public struct ApiVersionsRequest: KafkaRequest, Equatable {
    public typealias Response = ApiVersionsResponse
    public static let apiKey = APIKey.apiVersions
    public static let versions: ClosedRange<Int16> = 0...4
    public static let firstFlexibleVersion: Int16? = 3

    public var clientSoftwareName: String = ""
    public var clientSoftwareVersion: String = ""

    public init(clientSoftwareName: String = "", clientSoftwareVersion: String = "") {
        self.clientSoftwareName = clientSoftwareName
        self.clientSoftwareVersion = clientSoftwareVersion
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        if version >= 3 {
            clientSoftwareName = try r.readString(compact: true)
            clientSoftwareVersion = try r.readString(compact: true)
            try r.readTaggedFields()
        }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        if version >= 3 {
            w.writeString(clientSoftwareName, compact: true)
            w.writeString(clientSoftwareVersion, compact: true)
            w.writeEmptyTaggedFields()
        }
    }
}

public struct ApiVersionsResponse: KafkaMessage, Equatable {
    public struct ApiVersion: Sendable, Equatable {
        public var apiKey: Int16
        public var minVersion: Int16
        public var maxVersion: Int16
        public init(apiKey: Int16, minVersion: Int16, maxVersion: Int16) {
            self.apiKey = apiKey
            self.minVersion = minVersion
            self.maxVersion = maxVersion
        }
    }

    public var errorCode: Int16 = 0
    public var apiKeys: [ApiVersion] = []
    public var throttleTimeMs: Int32 = 0

    public init(errorCode: Int16 = 0, apiKeys: [ApiVersion] = [], throttleTimeMs: Int32 = 0) {
        self.errorCode = errorCode
        self.apiKeys = apiKeys
        self.throttleTimeMs = throttleTimeMs
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 3
        errorCode = try r.readInt16()
        apiKeys = try r.readArray(compact: flexible) { (r: inout ProtocolReader) throws(ProtocolError) in
            let v = ApiVersion(apiKey: try r.readInt16(), minVersion: try r.readInt16(), maxVersion: try r.readInt16())
            if flexible { try r.readTaggedFields() }
            return v
        }
        if version >= 1 { throttleTimeMs = try r.readInt32() }
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 3
        w.writeInt16(errorCode)
        w.writeArray(apiKeys, compact: flexible) { w, k in
            w.writeInt16(k.apiKey)
            w.writeInt16(k.minVersion)
            w.writeInt16(k.maxVersion)
            if flexible { w.writeEmptyTaggedFields() }
        }
        if version >= 1 { w.writeInt32(throttleTimeMs) }
        if flexible { w.writeEmptyTaggedFields() }
    }
}
