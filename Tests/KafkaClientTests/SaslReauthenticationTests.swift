import KafkaProtocol
import Testing

@testable import KafkaClient

@Suite("SASL re-authentication (KIP-368, client side)")
struct SaslReauthenticationTests {
    typealias Machine = SaslReauthentication<Int>
    static let ms: UInt64 = 1_000_000
    static let plain = ClientSecurity.SaslLogin(mechanism: "PLAIN", username: "broker", password: "broker-secret")

    static func machine(
        _ login: ClientSecurity.SaslLogin = plain, lifetimeMs: Int64 = 1000, jitter: Double = 0.85
    ) -> Machine {
        Machine(login: login, context: "b1:9093", sessionLifetimeMs: lifetimeMs, nowNs: 0, jitter: jitter)
    }

    static func isWrite(_ a: Machine.WriteAction) -> Bool {
        if case .write = a { return true }
        return false
    }

    static func isHold(_ a: Machine.WriteAction) -> Bool {
        if case .hold = a { return true }
        return false
    }

    static func isFail(_ a: Machine.WriteAction) -> Bool {
        if case .fail = a { return true }
        return false
    }

    @Test("requests go straight out until 85 % of the session lifetime, then the next one starts a handshake")
    func deadlineStartsReauthentication() {
        var m = Self.machine(jitter: 0.85)
        #expect(Self.isWrite(m.write(1, nowNs: 849 * Self.ms)))
        guard case .beginReauthentication(let mechanism) = m.write(2, nowNs: 850 * Self.ms) else {
            Issue.record("expected a re-authentication")
            return
        }
        #expect(mechanism == "PLAIN")
    }

    @Test("the jitter is held inside Kafka's 85–95 % window")
    func jitterIsClamped() {
        var early = Self.machine(jitter: 0.1)
        #expect(Self.isWrite(early.write(1, nowNs: 849 * Self.ms)))
        var late = Self.machine(jitter: 3)
        #expect(Self.isWrite(late.write(1, nowNs: 949 * Self.ms)))
        guard case .beginReauthentication = late.write(2, nowNs: 950 * Self.ms) else {
            Issue.record("expected a re-authentication at 95 %")
            return
        }
    }

    @Test("requests written during the exchange are held and resume in order with a new deadline")
    func heldRequestsResumeInOrder() {
        var m = Self.machine()
        _ = m.write(1, nowNs: 900 * Self.ms)
        #expect(Self.isHold(m.write(2, nowNs: 901 * Self.ms)))
        guard case .sendToken(let token) = m.handshakeAnswered(errorCode: 0, mechanisms: ["PLAIN"]) else {
            Issue.record("expected the PLAIN token")
            return
        }
        #expect(token == Array("\0broker\0broker-secret".utf8))
        #expect(Self.isHold(m.write(3, nowNs: 902 * Self.ms)))
        guard
            case .resume(let held) = m.authenticateAnswered(
                errorCode: 0, errorMessage: nil, authBytes: [], sessionLifetimeMs: 2000, nowNs: 1000 * Self.ms,
                jitter: 0.9)
        else {
            Issue.record("expected the held requests back")
            return
        }
        #expect(held == [1, 2, 3])
        // The next deadline is 90 % of the new 2 s lifetime after the answer.
        #expect(Self.isWrite(m.write(4, nowNs: 2799 * Self.ms)))
        guard case .beginReauthentication = m.write(5, nowNs: 2800 * Self.ms) else {
            Issue.record("expected the next re-authentication")
            return
        }
    }

    @Test("a broker without session lifetimes is never re-authenticated with")
    func noLifetimeNoReauthentication() {
        var m = Self.machine(lifetimeMs: 0)
        #expect(Self.isWrite(m.write(1, nowNs: UInt64(Int64.max))))
    }

    @Test("a refused re-authentication fails the held requests and every later one")
    func refusedReauthenticationFails() {
        var m = Self.machine()
        _ = m.write(1, nowNs: 900 * Self.ms)
        _ = m.write(2, nowNs: 900 * Self.ms)
        _ = m.handshakeAnswered(errorCode: 0, mechanisms: ["PLAIN"])
        let step = m.authenticateAnswered(
            errorCode: ErrorCode.saslAuthenticationFailed.rawValue, errorMessage: "Authentication failed",
            authBytes: [], sessionLifetimeMs: 0, nowNs: 950 * Self.ms, jitter: 0.9)
        guard case .fail(.kafka(let code, let message, _), let held) = step else {
            Issue.record("expected a failure, got \(step)")
            return
        }
        #expect(code == .saslAuthenticationFailed)
        #expect(message == "Authentication failed")
        #expect(held == [1, 2])
        #expect(Self.isFail(m.write(3, nowNs: 951 * Self.ms)))
    }

    @Test("a handshake refusing the mechanism fails the re-authentication")
    func handshakeRefused() {
        var m = Self.machine()
        _ = m.write(1, nowNs: 900 * Self.ms)
        let step = m.handshakeAnswered(
            errorCode: ErrorCode.unsupportedSaslMechanism.rawValue, mechanisms: ["SCRAM-SHA-512"])
        guard case .fail(.kafka(let code, _, _), let held) = step else {
            Issue.record("expected a failure, got \(step)")
            return
        }
        #expect(code == .unsupportedSaslMechanism)
        #expect(held == [1])
    }

    @Test("a SCRAM re-authentication starts with a client-first message and rejects a foreign server nonce")
    func scramReauthentication() {
        let login = ClientSecurity.SaslLogin(mechanism: "scram-sha-512", username: "broker", password: "s")
        var m = Self.machine(login)
        guard case .beginReauthentication(let mechanism) = m.write(1, nowNs: 900 * Self.ms) else {
            Issue.record("expected a re-authentication")
            return
        }
        #expect(mechanism == "SCRAM-SHA-512")
        guard case .sendToken(let first) = m.handshakeAnswered(errorCode: 0, mechanisms: ["SCRAM-SHA-512"]) else {
            Issue.record("expected the client-first message")
            return
        }
        #expect(String(decoding: first, as: UTF8.self).hasPrefix("n,,n=broker,r="))
        let serverFirst = Array("r=someone-else,s=c2FsdA==,i=4096".utf8)
        let step = m.authenticateAnswered(
            errorCode: 0, errorMessage: nil, authBytes: serverFirst, sessionLifetimeMs: 0, nowNs: 901 * Self.ms,
            jitter: 0.9)
        guard case .fail(.kafka(let code, _, _), let held) = step else {
            Issue.record("expected a failure, got \(step)")
            return
        }
        #expect(code == .saslAuthenticationFailed)
        #expect(held == [1])
    }
}
