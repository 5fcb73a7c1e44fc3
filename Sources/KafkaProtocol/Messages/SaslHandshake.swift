/// SaslHandshake (key 17), versions 0–1, never flexible. After v0 the tokens travel as raw int32-framed blobs; after
/// v1 they travel inside SaslAuthenticate requests.
public struct SaslHandshakeRequest: KafkaRequest, Equatable {
    public typealias Response = SaslHandshakeResponse
    public static let apiKey = APIKey.saslHandshake
    public static let versions: ClosedRange<Int16> = 0...1
    public static let firstFlexibleVersion: Int16? = nil

    public var mechanism: String = ""

    public init(mechanism: String = "") { self.mechanism = mechanism }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        mechanism = try r.readString()
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        w.writeString(mechanism)
    }
}

public struct SaslHandshakeResponse: KafkaMessage, Equatable {
    public var errorCode: Int16 = 0
    /// The mechanisms the broker enables.
    public var mechanisms: [String] = []

    public init(errorCode: Int16 = 0, mechanisms: [String] = []) {
        self.errorCode = errorCode
        self.mechanisms = mechanisms
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        errorCode = try r.readInt16()
        mechanisms = try r.readStringArray(compact: false)
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        w.writeInt16(errorCode)
        w.writeStringArray(mechanisms, compact: false)
    }
}
