import KafkaProtocol

/// SaslAuthenticate reaching the router: outside a SASL exchange (see `SaslHandshakeHandler`), so
/// ILLEGAL_SASL_STATE as in Kafka's `KafkaApis.handleSaslAuthenticateRequest`.
struct SaslAuthenticateHandler: APIHandler {
    typealias Request = SaslAuthenticateRequest
    let versions: ClosedRange<Int16> = 0...2

    func handle(_ request: SaslAuthenticateRequest, context: RequestContext) async -> SaslAuthenticateResponse? {
        SaslAuthenticateResponse(
            errorCode: ErrorCode.illegalSaslState.rawValue,
            errorMessage: "SaslAuthenticate request received after successful authentication", authBytes: [],
            sessionLifetimeMs: 0)
    }
}
