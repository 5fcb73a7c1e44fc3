import Authentication
import KafkaProtocol
import NIOCore

/// What the connection does after a SASL frame.
struct SaslFrameOutcome: Sendable {
    /// Bytes to send (a response, or a raw token after handshake v0).
    var response: OutboundResponse?
    /// The connection is now authenticated as this session.
    var authenticated: SaslConnectionState.Session?
    /// Close the connection after this many milliseconds (`connection.failed.authentication.delay.ms`).
    var closeAfterMs: Int?
    var reason: String?
}

/// Decodes and answers SaslHandshake / SaslAuthenticate requests and raw v0 tokens on a SASL listener, driving
/// the connection's `SaslConnectionState`. Runs on the connection's task.
enum SaslExchange {
    static func handle(
        frame: ByteBuffer, decision: SaslConnectionState.Decision, state: inout SaslConnectionState,
        failureDelayMs: Int, nowMs: Int64
    ) -> SaslFrameOutcome {
        let bytes = Array(frame.readableBytesView)
        switch decision {
        case .rawToken:
            switch state.token(bytes, nowMs: nowMs) {
            case .challenge(let challenge):
                return SaslFrameOutcome(response: raw(challenge))
            case .authenticated(let final, let session, _):
                return SaslFrameOutcome(response: raw(final), authenticated: session)
            case .failed(let message):
                // Handshake v0 has no error channel: Kafka closes the connection.
                return SaslFrameOutcome(closeAfterMs: failureDelayMs, reason: message)
            }
        case .handshake:
            return handshake(bytes, state: &state)
        case .authenticate:
            return authenticate(bytes, state: &state, failureDelayMs: failureDelayMs, nowMs: nowMs)
        case .route, .close:
            return SaslFrameOutcome(closeAfterMs: 0, reason: "unexpected SASL decision")
        }
    }

    private static func raw(_ token: [UInt8]) -> OutboundResponse {
        var writer = ProtocolWriter(capacity: token.count)
        writer.writeRawBytes(token)
        return OutboundResponse(writer: writer, files: [])
    }

    private static func decode<R: KafkaRequest>(_ type: R.Type, _ bytes: [UInt8]) -> (RequestHeader, R)? {
        var peek = ProtocolReader(bytes)
        guard let (_, version, _) = try? RequestHeader.peek(&peek), R.versions.contains(version) else {
            return nil
        }
        var reader = ProtocolReader(bytes)
        guard let header = try? RequestHeader(reading: &reader, headerVersion: R.isFlexible(version) ? 2 : 1),
            let request = try? R(reading: &reader, version: version)
        else { return nil }
        return (header, request)
    }

    private static func respond<R: KafkaRequest>(_ type: R.Type, header: RequestHeader, _ response: R.Response)
        -> OutboundResponse
    {
        var writer = ProtocolWriter(capacity: 256)
        ResponseHeader(correlationId: header.correlationId)
            .write(to: &writer, headerVersion: R.responseHeaderVersion(header.apiVersion))
        response.write(to: &writer, version: header.apiVersion)
        return OutboundResponse(writer: writer, files: [])
    }

    private static func handshake(_ bytes: [UInt8], state: inout SaslConnectionState) -> SaslFrameOutcome {
        guard let (header, request) = decode(SaslHandshakeRequest.self, bytes) else {
            return SaslFrameOutcome(closeAfterMs: 0, reason: "malformed SaslHandshake request")
        }
        switch state.handshake(mechanism: request.mechanism, version: header.apiVersion) {
        case .accepted:
            let response = SaslHandshakeResponse(
                errorCode: ErrorCode.noError.rawValue, mechanisms: state.enabledMechanisms)
            return SaslFrameOutcome(response: respond(SaslHandshakeRequest.self, header: header, response))
        case .unsupportedMechanism(let enabled):
            let response = SaslHandshakeResponse(
                errorCode: ErrorCode.unsupportedSaslMechanism.rawValue, mechanisms: enabled)
            return SaslFrameOutcome(response: respond(SaslHandshakeRequest.self, header: header, response))
        case .illegalState(let message):
            let response = SaslHandshakeResponse(
                errorCode: ErrorCode.illegalSaslState.rawValue, mechanisms: state.enabledMechanisms)
            return SaslFrameOutcome(
                response: respond(SaslHandshakeRequest.self, header: header, response), closeAfterMs: 0,
                reason: message)
        }
    }

    private static func authenticate(
        _ bytes: [UInt8], state: inout SaslConnectionState, failureDelayMs: Int, nowMs: Int64
    ) -> SaslFrameOutcome {
        guard let (header, request) = decode(SaslAuthenticateRequest.self, bytes) else {
            return SaslFrameOutcome(closeAfterMs: 0, reason: "malformed SaslAuthenticate request")
        }
        switch state.token(request.authBytes, nowMs: nowMs) {
        case .challenge(let challenge):
            let response = SaslAuthenticateResponse(
                errorCode: ErrorCode.noError.rawValue, errorMessage: nil, authBytes: challenge, sessionLifetimeMs: 0)
            return SaslFrameOutcome(response: respond(SaslAuthenticateRequest.self, header: header, response))
        case .authenticated(let final, let session, let lifetime):
            let response = SaslAuthenticateResponse(
                errorCode: ErrorCode.noError.rawValue, errorMessage: nil, authBytes: final,
                sessionLifetimeMs: lifetime)
            return SaslFrameOutcome(
                response: respond(SaslAuthenticateRequest.self, header: header, response), authenticated: session)
        case .failed(let message):
            let response = SaslAuthenticateResponse(
                errorCode: ErrorCode.saslAuthenticationFailed.rawValue, errorMessage: message, authBytes: [],
                sessionLifetimeMs: 0)
            return SaslFrameOutcome(
                response: respond(SaslAuthenticateRequest.self, header: header, response),
                closeAfterMs: failureDelayMs, reason: message)
        }
    }
}
