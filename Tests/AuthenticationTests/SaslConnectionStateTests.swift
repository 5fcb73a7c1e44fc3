import Testing

@testable import Authentication

@Suite("SASL connection state (pre-authentication gate, handshake v0/v1, KIP-368)")
struct SaslConnectionStateTests {
    static let produce: Int16 = 0
    static let metadata: Int16 = 3
    static let handshake: Int16 = 17
    static let apiVersions: Int16 = 18
    static let authenticate: Int16 = 36

    static func makeState(reauthMs: Int64 = 0) -> SaslConnectionState {
        let store = FixedStore(plain: ["alice": "secret", "bob": "bob-secret"])
        return SaslConnectionState(
            enabledMechanisms: ["PLAIN", "SCRAM-SHA-256"], maxReauthMs: reauthMs,
            makeMechanism: { name in
                if name == "PLAIN" { return PlainServer(store: store) }
                if name == "SCRAM-SHA-256" { return ScramServer(mechanism: .sha256, store: store) }
                return nil
            })
    }

    static func plain(_ user: String, _ password: String) -> [UInt8] { Array("\0\(user)\0\(password)".utf8) }

    @Test("before authentication only ApiVersions and SaslHandshake pass; anything else closes")
    func preAuthentication() {
        var state = Self.makeState()
        #expect(state.classify(apiKey: Self.apiVersions, nowMs: 0) == .route)
        #expect(state.classify(apiKey: Self.handshake, nowMs: 0) == .handshake)
        var other = Self.makeState()
        guard case .close = other.classify(apiKey: Self.metadata, nowMs: 0) else {
            Issue.record("Metadata accepted before authentication")
            return
        }
        #expect(other.classify(apiKey: Self.apiVersions, nowMs: 0) == .close("authentication failed"))
        var early = Self.makeState()
        guard case .close = early.classify(apiKey: Self.authenticate, nowMs: 0) else {
            Issue.record("SaslAuthenticate accepted before the handshake")
            return
        }
    }

    @Test("handshake v1 then SaslAuthenticate authenticates as User:<name>")
    func handshakeV1() {
        var state = Self.makeState()
        #expect(state.handshake(mechanism: "plain", version: 1) == .accepted(.authenticateRequests))
        var during = Self.makeStateAfterHandshake()
        guard case .close = during.classify(apiKey: Self.produce, nowMs: 0) else {
            Issue.record("Produce accepted during the exchange")
            return
        }
        #expect(state.classify(apiKey: Self.authenticate, nowMs: 0) == .authenticate)
        guard case .authenticated(_, let session, 0) = state.token(Self.plain("alice", "secret"), nowMs: 0) else {
            Issue.record("not authenticated")
            return
        }
        #expect(session.principal == "User:alice")
        #expect(state.classify(apiKey: Self.produce, nowMs: 0) == .route)
        #expect(state.isAuthenticated)
    }

    static func makeStateAfterHandshake() -> SaslConnectionState {
        var s = makeState()
        _ = s.handshake(mechanism: "PLAIN", version: 1)
        return s
    }

    @Test("handshake v0 switches the connection to raw tokens")
    func handshakeV0() {
        var state = Self.makeState()
        #expect(state.handshake(mechanism: "PLAIN", version: 0) == .accepted(.raw))
        #expect(state.classify(apiKey: 0x0000, nowMs: 0) == .rawToken)
        guard case .authenticated = state.token(Self.plain("alice", "secret"), nowMs: 0) else {
            Issue.record("raw PLAIN token refused")
            return
        }
    }

    @Test("an unsupported mechanism answers the enabled list and lets the client try again")
    func unsupportedMechanism() {
        var state = Self.makeState()
        #expect(
            state.handshake(mechanism: "GSSAPI", version: 1)
                == .unsupportedMechanism(enabled: ["PLAIN", "SCRAM-SHA-256"]))
        #expect(state.classify(apiKey: Self.handshake, nowMs: 0) == .handshake)
        #expect(state.handshake(mechanism: "PLAIN", version: 1) == .accepted(.authenticateRequests))
    }

    @Test("a wrong password fails and the connection is closed afterwards")
    func wrongPassword() {
        var state = Self.makeStateAfterHandshake()
        #expect(
            state.token(Self.plain("alice", "nope"), nowMs: 0)
                == .failed("Authentication failed: Invalid username or password"))
        #expect(state.classify(apiKey: Self.apiVersions, nowMs: 0) == .close("authentication failed"))
    }

    @Test("with connections.max.reauth.ms a session expires unless the client re-authenticates as itself")
    func reauthentication() {
        var state = Self.makeState(reauthMs: 1000)
        _ = state.handshake(mechanism: "PLAIN", version: 1)
        guard case .authenticated(_, _, 1000) = state.token(Self.plain("alice", "secret"), nowMs: 5000) else {
            Issue.record("no session lifetime")
            return
        }
        #expect(state.classify(apiKey: Self.produce, nowMs: 5999) == .route)
        // Re-authentication before expiry keeps the connection.
        #expect(state.classify(apiKey: Self.handshake, nowMs: 5500) == .handshake)
        #expect(state.handshake(mechanism: "PLAIN", version: 1) == .accepted(.authenticateRequests))
        #expect(state.classify(apiKey: Self.authenticate, nowMs: 5500) == .authenticate)
        guard case .authenticated(_, let session, _) = state.token(Self.plain("alice", "secret"), nowMs: 5500) else {
            Issue.record("re-authentication failed")
            return
        }
        #expect(session.expiresAtMs == 6500)
        #expect(state.classify(apiKey: Self.produce, nowMs: 6400) == .route)
        guard case .close = state.classify(apiKey: Self.produce, nowMs: 6500) else {
            Issue.record("expired session still served")
            return
        }
        // Another principal cannot take over the connection.
        var other = Self.makeState(reauthMs: 1000)
        _ = other.handshake(mechanism: "PLAIN", version: 1)
        _ = other.token(Self.plain("alice", "secret"), nowMs: 0)
        _ = other.classify(apiKey: Self.handshake, nowMs: 10)
        _ = other.handshake(mechanism: "PLAIN", version: 1)
        guard case .failed = other.token(Self.plain("bob", "bob-secret"), nowMs: 10) else {
            Issue.record("principal changed during re-authentication")
            return
        }
    }
}
