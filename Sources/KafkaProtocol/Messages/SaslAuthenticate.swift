/// SaslAuthenticate (key 36), versions 0–2, flexible from 2. Carries one SASL token each way.
public struct SaslAuthenticateRequest: KafkaRequest, Equatable {
    public typealias Response = SaslAuthenticateResponse
    public static let apiKey = APIKey.saslAuthenticate
    public static let versions: ClosedRange<Int16> = 0...2
    public static let firstFlexibleVersion: Int16? = 2

    public var authBytes: [UInt8] = []

    public init(authBytes: [UInt8] = []) { self.authBytes = authBytes }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = Self.isFlexible(version)
        authBytes = try r.readBytes(compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = Self.isFlexible(version)
        w.writeBytes(authBytes, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct SaslAuthenticateResponse: KafkaMessage, Equatable {
    public var errorCode: Int16 = 0
    public var errorMessage: String? = nil
    public var authBytes: [UInt8] = []
    /// v1+: milliseconds until the client must re-authenticate; 0 means never.
    public var sessionLifetimeMs: Int64 = 0

    public init(errorCode: Int16 = 0, errorMessage: String? = nil, authBytes: [UInt8] = [], sessionLifetimeMs: Int64 = 0) {
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.authBytes = authBytes
        self.sessionLifetimeMs = sessionLifetimeMs
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = SaslAuthenticateRequest.isFlexible(version)
        errorCode = try r.readInt16()
        errorMessage = try r.readNullableString(compact: flexible)
        authBytes = try r.readBytes(compact: flexible)
        if version >= 1 { sessionLifetimeMs = try r.readInt64() }
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = SaslAuthenticateRequest.isFlexible(version)
        w.writeInt16(errorCode)
        w.writeNullableString(errorMessage, compact: flexible)
        w.writeBytes(authBytes, compact: flexible)
        if version >= 1 { w.writeInt64(sessionLifetimeMs) }
        if flexible { w.writeEmptyTaggedFields() }
    }
}
