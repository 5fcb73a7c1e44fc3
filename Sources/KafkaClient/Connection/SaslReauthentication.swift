import KafkaProtocol

/// KIP-368 on the client side, as Kafka's `SaslClientAuthenticator` and `KafkaChannel` do it: once the broker has
/// told the connection its session lifetime (SaslAuthenticate v1+ `session_lifetime_ms`), the first request written
/// after 85–95 % of that lifetime (the jitter keeps many connections from re-authenticating together) waits while
/// the connection re-authenticates in place: SaslHandshake v1, then SaslAuthenticate until the mechanism is done.
/// Requests written meanwhile wait too and go out in their order afterwards, so the broker never sees a request
/// between the handshake and the last token. Responses to requests already on the wire still arrive first: the
/// broker answers a connection's requests in order.
///
/// A value; the caller passes the monotonic time in nanoseconds and the jitter, so tests need no socket or clock.
struct SaslReauthentication<Request> {
    enum State {
        /// Re-authenticate at the first write at or after this time; nil once the broker gives no lifetime.
        case authenticated(reauthenticateAtNs: UInt64?)
        case awaitingHandshake(exchange: SaslClientExchange, queued: [Request])
        case exchanging(exchange: SaslClientExchange, queued: [Request])
        case failed(KafkaClientError)
    }

    /// What to do with a request being written.
    enum WriteAction {
        case write
        /// Held until the re-authentication is over.
        case hold
        /// Hold it and send SaslHandshake v1 for `mechanism` now.
        case beginReauthentication(mechanism: String)
        case fail(KafkaClientError)
    }

    /// What to do after an answer in the exchange.
    enum Step {
        /// Send this token in a SaslAuthenticate request.
        case sendToken([UInt8])
        /// Done: write the held requests, in order.
        case resume([Request])
        /// Fail the held requests and close the connection.
        case fail(KafkaClientError, [Request])
    }

    private let login: ClientSecurity.SaslLogin
    private let context: String
    private(set) var state: State

    /// Kafka's window: re-authenticate between 85 % and 95 % of the session lifetime.
    static var jitterRange: ClosedRange<Double> { 0.85...0.95 }

    /// After the first login, whose SaslAuthenticate answer gave `sessionLifetimeMs` at `nowNs`.
    init(
        login: ClientSecurity.SaslLogin, context: String, sessionLifetimeMs: Int64, nowNs: UInt64, jitter: Double
    ) {
        self.login = login
        self.context = context
        state = .authenticated(
            reauthenticateAtNs: Self.deadline(sessionLifetimeMs: sessionLifetimeMs, nowNs: nowNs, jitter: jitter))
    }

    private static func deadline(sessionLifetimeMs: Int64, nowNs: UInt64, jitter: Double) -> UInt64? {
        guard sessionLifetimeMs > 0 else { return nil }
        let fraction = min(max(jitter, jitterRange.lowerBound), jitterRange.upperBound)
        return nowNs + UInt64(Double(sessionLifetimeMs) * fraction * 1_000_000)
    }

    mutating func write(_ request: Request, nowNs: UInt64) -> WriteAction {
        switch state {
        case .authenticated(let at):
            guard let at, nowNs >= at else { return .write }
            do {
                let exchange = try SaslClientExchange(login, context: context)
                state = .awaitingHandshake(exchange: exchange, queued: [request])
                return .beginReauthentication(mechanism: exchange.mechanism)
            } catch {
                state = .failed(error)
                return .fail(error)
            }
        case .awaitingHandshake(let exchange, var queued):
            queued.append(request)
            state = .awaitingHandshake(exchange: exchange, queued: queued)
            return .hold
        case .exchanging(let exchange, var queued):
            queued.append(request)
            state = .exchanging(exchange: exchange, queued: queued)
            return .hold
        case .failed(let error):
            return .fail(error)
        }
    }

    /// The SaslHandshake answer: on success, the first token to send.
    mutating func handshakeAnswered(errorCode: Int16, mechanisms: [String]) -> Step {
        guard case .awaitingHandshake(var exchange, let queued) = state else {
            return fail(.kafka(code: .illegalSaslState, message: "unexpected SaslHandshake answer", context: context))
        }
        guard errorCode == ErrorCode.noError.rawValue else {
            let code = ErrorCode(rawValue: errorCode) ?? .unsupportedSaslMechanism
            return fail(
                .kafka(
                    code: code, message: "enabled: \(mechanisms.joined(separator: ", "))",
                    context: "SASL re-authentication (\(login.mechanism)) at \(context)"))
        }
        let token = exchange.firstToken()
        state = .exchanging(exchange: exchange, queued: queued)
        return .sendToken(token)
    }

    /// A SaslAuthenticate answer: the next token, or the end of the re-authentication with the new session's
    /// lifetime (a new deadline, drawn with a new `jitter`).
    mutating func authenticateAnswered(
        errorCode: Int16, errorMessage: String?, authBytes: [UInt8], sessionLifetimeMs: Int64, nowNs: UInt64,
        jitter: Double
    ) -> Step {
        guard case .exchanging(var exchange, let queued) = state else {
            return fail(
                .kafka(code: .illegalSaslState, message: "unexpected SaslAuthenticate answer", context: context))
        }
        guard errorCode == ErrorCode.noError.rawValue else {
            return fail(
                .kafka(
                    code: ErrorCode(rawValue: errorCode) ?? .saslAuthenticationFailed, message: errorMessage,
                    context: "SASL re-authentication (\(login.mechanism)) at \(context)"))
        }
        let next: [UInt8]?
        do {
            next = try exchange.next(serverToken: authBytes)
        } catch {
            return fail(error)
        }
        if let next {
            state = .exchanging(exchange: exchange, queued: queued)
            return .sendToken(next)
        }
        state = .authenticated(
            reauthenticateAtNs: Self.deadline(sessionLifetimeMs: sessionLifetimeMs, nowNs: nowNs, jitter: jitter))
        return .resume(queued)
    }

    /// The exchange could not complete (no answer, connection closed): everything held fails with `error`.
    mutating func fail(_ error: KafkaClientError) -> Step {
        let queued: [Request]
        switch state {
        case .awaitingHandshake(_, let q), .exchanging(_, let q): queued = q
        case .authenticated, .failed: queued = []
        }
        state = .failed(error)
        return .fail(error, queued)
    }
}
