import KafkaProtocol

/// SaslHandshake reaching the router: on a SASL listener the connection's authentication gate answers the
/// handshake itself, so this is a PLAINTEXT/SSL listener or an already authenticated connection. Kafka's
/// `KafkaApis.handleSaslHandshakeRequest` answers ILLEGAL_SASL_STATE there.
struct SaslHandshakeHandler: APIHandler {
    typealias Request = SaslHandshakeRequest
    let versions: ClosedRange<Int16> = 0...1

    func handle(_ request: SaslHandshakeRequest, context: RequestContext) async -> SaslHandshakeResponse? {
        SaslHandshakeResponse(errorCode: ErrorCode.illegalSaslState.rawValue, mechanisms: [])
    }
}
