import Foundation
import Testing

@testable import Authentication

/// A credential store backed by dictionaries.
struct FixedStore: CredentialStore {
    var plain: [String: String] = [:]
    var scram: [String: [ScramMechanism: ScramCredential]] = [:]
    func plainPassword(user: String) -> String? { plain[user] }
    func scramCredential(user: String, mechanism: ScramMechanism) -> ScramCredential? { scram[user]?[mechanism] }
}

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

@Suite("SCRAM (RFC 5802 / RFC 7677)")
struct ScramTests {
    // RFC 7677 §3.
    static let clientNonce = "rOprNGfwEbeRWgbNEkqO"
    static let serverNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    static let salt = Array(Data(base64Encoded: "W22ZaJ0SNY7soEsUEjb6gQ==")!)
    static let serverFirst =
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    static let clientFinal =
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    static let serverFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

    static var store: FixedStore {
        FixedStore(scram: [
            "user": [.sha256: ScramCredential(mechanism: .sha256, password: "pencil", salt: salt, iterations: 4096)]
        ])
    }

    @Test("the server answers RFC 7677's exchange byte for byte")
    func serverMatchesRFC7677() {
        var server = ScramServer(mechanism: .sha256, store: Self.store, serverNonce: Self.serverNonce)
        #expect(server.evaluate(bytes("n,,n=user,r=\(Self.clientNonce)")) == .challenge(bytes(Self.serverFirst)))
        #expect(server.evaluate(bytes(Self.clientFinal)) == .complete(username: "user", final: bytes(Self.serverFinal)))
    }

    @Test("the client produces RFC 7677's proof and verifies the server signature")
    func clientMatchesRFC7677() throws {
        var client = ScramClient(
            mechanism: .sha256, username: "user", password: "pencil", clientNonce: Self.clientNonce)
        #expect(client.clientFirst() == bytes("n,,n=user,r=\(Self.clientNonce)"))
        #expect(try client.clientFinal(serverFirst: bytes(Self.serverFirst)) == bytes(Self.clientFinal))
        try client.verify(serverFinal: bytes(Self.serverFinal))
        #expect(throws: ScramClient.Failure.invalidServerSignature) {
            try client.verify(serverFinal: bytes("v=AAAA"))
        }
    }

    @Test("SCRAM-SHA-512 client and server agree, and a wrong password fails", arguments: ScramMechanism.allCases)
    func roundTrip(mechanism: ScramMechanism) throws {
        let credential = ScramCredential(
            mechanism: mechanism, password: "alice-secret", salt: ScramCredential.randomSalt(), iterations: 4096)
        let store = FixedStore(scram: ["alice": [mechanism: credential]])
        for (password, succeeds) in [("alice-secret", true), ("wrong", false)] {
            var server = ScramServer(mechanism: mechanism, store: store)
            var client = ScramClient(mechanism: mechanism, username: "alice", password: password)
            guard case .challenge(let first) = server.evaluate(client.clientFirst()) else {
                Issue.record("no server-first")
                return
            }
            let result = server.evaluate(try client.clientFinal(serverFirst: first))
            if succeeds {
                guard case .complete("alice", let final) = result else {
                    Issue.record("expected success, got \(result)")
                    return
                }
                try client.verify(serverFinal: final)
            } else {
                #expect(result == .failed(invalidCredentials(mechanism.mechanismName)))
            }
        }
    }

    @Test("a client-final nonce other than the combined nonce is refused")
    func nonceMismatch() {
        var server = ScramServer(mechanism: .sha256, store: Self.store, serverNonce: Self.serverNonce)
        _ = server.evaluate(bytes("n,,n=user,r=\(Self.clientNonce)"))
        let tampered = Self.clientFinal.replacingOccurrences(of: "$k0,p=", with: "$k1,p=")
        #expect(server.evaluate(bytes(tampered)) == .failed("Invalid client nonce in the final client message."))
    }

    @Test("an unknown user, a different authzid and stored iterations below 4096 all fail")
    func refusals() {
        var unknown = ScramServer(mechanism: .sha256, store: Self.store)
        #expect(unknown.evaluate(bytes("n,,n=bob,r=abc")) == .failed(invalidCredentials("SCRAM-SHA-256")))
        var authz = ScramServer(mechanism: .sha256, store: Self.store)
        guard case .failed = authz.evaluate(bytes("n,a=admin,n=user,r=abc")) else {
            Issue.record("authzid accepted")
            return
        }
        let weak = FixedStore(scram: [
            "user": [.sha256: ScramCredential(mechanism: .sha256, password: "p", salt: [1, 2], iterations: 1024)]
        ])
        var low = ScramServer(mechanism: .sha256, store: weak)
        #expect(low.evaluate(bytes("n,,n=user,r=abc")) == .failed(invalidCredentials("SCRAM-SHA-256")))
        var garbage = ScramServer(mechanism: .sha256, store: Self.store)
        #expect(garbage.evaluate(bytes("p=tls-unique,,n=user,r=abc")) == .failed("Invalid SCRAM client first message"))
    }

    @Test("Kafka's credential string round-trips and parses a hand-written one")
    func credentialString() {
        let credential = ScramCredential(mechanism: .sha512, password: "x", salt: bytes("salty"), iterations: 8192)
        #expect(ScramCredential(kafkaString: credential.kafkaString) == credential)
        #expect(credential.kafkaString.hasPrefix("salt=c2FsdHk=,stored_key="))
        #expect(credential.kafkaString.hasSuffix(",iterations=8192"))
        #expect(ScramCredential(kafkaString: "salt=abc,iterations=4096") == nil)
    }

    @Test("saslname escapes =2C and =3D, and rejects other '='")
    func saslNames() {
        #expect(scramUnescape("a=2Cb=3Dc") == "a,b=c")
        #expect(scramUnescape("a=41") == nil)
        #expect(scramEscape("a,b=c") == "a=2Cb=3Dc")
    }
}

@Suite("SASL/PLAIN (RFC 4616)")
struct PlainTests {
    let store = FixedStore(plain: ["alice": "alice-secret"])

    @Test("the right password authenticates, with or without an equal authzid")
    func accepts() {
        var a = PlainServer(store: store)
        #expect(a.evaluate(Array("\0alice\0alice-secret".utf8)) == .complete(username: "alice", final: []))
        var b = PlainServer(store: store)
        #expect(b.evaluate(Array("alice\0alice\0alice-secret".utf8)) == .complete(username: "alice", final: []))
    }

    @Test("a wrong password, an unknown user, another authzid or a malformed message fail")
    func refuses() {
        for message in ["\0alice\0wrong", "\0bob\0alice-secret", "admin\0alice\0alice-secret", "alice-secret", "\0\0x"]
        {
            var server = PlainServer(store: store)
            guard case .failed = server.evaluate(Array(message.utf8)) else {
                Issue.record("accepted \(message.debugDescription)")
                continue
            }
        }
    }
}
