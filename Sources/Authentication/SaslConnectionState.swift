/// The SASL side of one connection on a SASL listener, as Kafka's `SaslServerAuthenticator`: which requests are
/// accepted in which state, the handshake, the token exchange and KIP-368 re-authentication. A value driven by the
/// connection's request loop; time is passed in (milliseconds), so tests need no sockets or sleeps.
///
/// Before authentication only ApiVersions and SaslHandshake are accepted. After a v1 handshake the tokens travel
/// in SaslAuthenticate requests; after a v0 handshake (old Sarama, kafka-python) the next frames are raw tokens
/// with no request header. Anything else closes the connection.
public struct SaslConnectionState: Sendable {
    /// How the client frames its tokens, decided by the handshake version.
    public enum Framing: Sendable, Equatable {
        /// Handshake v0: each token is a bare length-prefixed frame, and so is each answer.
        case raw
        /// Handshake v1: tokens travel in SaslAuthenticate requests.
        case authenticateRequests
    }

    /// An authenticated session.
    public struct Session: Sendable, Equatable {
        /// Kafka's principal string, `User:<name>`.
        public var principal: String
        public var mechanism: String
        /// When the session ends (`connections.max.reauth.ms` after authentication); nil = never.
        public var expiresAtMs: Int64?
    }

    enum State: Sendable {
        case awaitingHandshake(previous: Session?)
        case authenticating(mechanism: any SaslServerMechanism, framing: Framing, previous: Session?)
        case authenticated(Session)
        case failed
    }

    /// What the connection does with the next frame.
    public enum Decision: Sendable, Equatable {
        /// A normal request: hand it to the router.
        case route
        /// A SaslHandshake request: call `handshake`.
        case handshake
        /// A SaslAuthenticate request carrying the next token: call `token`.
        case authenticate
        /// The frame is itself the next token (after handshake v0): call `token`.
        case rawToken
        /// Close the connection; the reason is for the log.
        case close(String)
    }

    public enum HandshakeResult: Sendable, Equatable {
        case accepted(Framing)
        /// UNSUPPORTED_SASL_MECHANISM with the enabled list; the client may try another.
        case unsupportedMechanism(enabled: [String])
        /// ILLEGAL_SASL_STATE, then close.
        case illegalState(String)
    }

    public enum TokenResult: Sendable, Equatable {
        case challenge([UInt8])
        /// Send `final`, then serve requests as `session.principal`. `sessionLifetimeMs` is 0 without re-auth.
        case authenticated(final: [UInt8], session: Session, sessionLifetimeMs: Int64)
        /// SASL_AUTHENTICATION_FAILED (or a closed connection after a raw token), after the failure delay.
        case failed(String)
    }

    public let enabledMechanisms: [String]
    /// `connections.max.reauth.ms`; 0 = sessions never expire.
    public let maxReauthMs: Int64
    private let makeMechanism: @Sendable (String) -> (any SaslServerMechanism)?
    private(set) var state: State = .awaitingHandshake(previous: nil)

    /// `makeMechanism` returns a fresh server for an enabled mechanism name (upper-case), nil for others.
    public init(
        enabledMechanisms: [String], maxReauthMs: Int64,
        makeMechanism: @escaping @Sendable (String) -> (any SaslServerMechanism)?
    ) {
        self.enabledMechanisms = enabledMechanisms
        self.maxReauthMs = maxReauthMs
        self.makeMechanism = makeMechanism
    }

    /// The session, once authenticated (also while a re-authentication is in progress).
    public var session: Session? {
        switch state {
        case .authenticated(let s): s
        case .awaitingHandshake(let previous), .authenticating(_, _, let previous): previous
        case .failed: nil
        }
    }

    public var isAuthenticated: Bool {
        if case .authenticated = state { return true }
        return false
    }

    /// Classifies the next frame by its API key (nil if the frame is too short to have one).
    public mutating func classify(apiKey: Int16?, nowMs: Int64) -> Decision {
        switch state {
        case .failed:
            return .close("authentication failed")
        case .authenticating(_, .raw, _):
            return .rawToken
        case .authenticating(_, .authenticateRequests, _):
            guard apiKey == Self.saslAuthenticate else {
                state = .failed
                return .close(
                    "Unexpected Kafka request of type \(Self.name(apiKey)) during SASL authentication")
            }
            return .authenticate
        case .awaitingHandshake(let previous):
            switch apiKey {
            case Self.apiVersions? where previous == nil:
                return .route
            case Self.saslHandshake?:
                return .handshake
            default:
                state = .failed
                return .close("Unexpected Kafka request of type \(Self.name(apiKey)) during SASL handshake")
            }
        case .authenticated(let session):
            if apiKey == Self.saslHandshake, maxReauthMs > 0 {
                state = .awaitingHandshake(previous: session)
                return .handshake
            }
            if let expiry = session.expiresAtMs, nowMs >= expiry {
                state = .failed
                return .close("session expired (connections.max.reauth.ms) without re-authentication")
            }
            return .route
        }
    }

    /// Handles SaslHandshake's mechanism. Version 0 switches the connection to raw tokens.
    public mutating func handshake(mechanism: String, version: Int16) -> HandshakeResult {
        guard case .awaitingHandshake(let previous) = state else {
            state = .failed
            return .illegalState("Unexpected SaslHandshake request")
        }
        let name = mechanism.uppercased()
        guard enabledMechanisms.contains(name), let server = makeMechanism(name) else {
            // Kafka answers and lets the client try another mechanism; the state stays.
            return .unsupportedMechanism(enabled: enabledMechanisms)
        }
        if let previous, previous.mechanism != name {
            state = .failed
            return .illegalState(
                "SASL mechanism \(name) differs from the connection's original mechanism \(previous.mechanism)")
        }
        let framing: Framing = version == 0 ? .raw : .authenticateRequests
        if previous != nil, framing == .raw {
            state = .failed
            return .illegalState("Re-authentication requires SaslHandshake v1")
        }
        state = .authenticating(mechanism: server, framing: framing, previous: previous)
        return .accepted(framing)
    }

    /// Feeds the client's next token to the mechanism.
    public mutating func token(_ bytes: [UInt8], nowMs: Int64) -> TokenResult {
        guard case .authenticating(var server, let framing, let previous) = state else {
            state = .failed
            return .failed("Unexpected SASL token")
        }
        switch server.evaluate(bytes) {
        case .challenge(let challenge):
            state = .authenticating(mechanism: server, framing: framing, previous: previous)
            return .challenge(challenge)
        case .failed(let message):
            state = .failed
            return .failed(message)
        case .complete(let username, let final):
            let principal = "User:\(username)"
            if let previous, previous.principal != principal {
                state = .failed
                return .failed(
                    "Cannot change principals during re-authentication from \(previous.principal): \(principal)")
            }
            let expiry = maxReauthMs > 0 ? nowMs + maxReauthMs : nil
            let session = Session(principal: principal, mechanism: server.mechanismName, expiresAtMs: expiry)
            state = .authenticated(session)
            return .authenticated(final: final, session: session, sessionLifetimeMs: maxReauthMs > 0 ? maxReauthMs : 0)
        }
    }

    static let apiVersions: Int16 = 18
    static let saslHandshake: Int16 = 17
    static let saslAuthenticate: Int16 = 36

    private static func name(_ apiKey: Int16?) -> String {
        switch apiKey {
        case nil: "(none)"
        case apiVersions?: "API_VERSIONS"
        case saslHandshake?: "SASL_HANDSHAKE"
        case saslAuthenticate?: "SASL_AUTHENTICATE"
        case let key?: "api key \(key)"
        }
    }
}
