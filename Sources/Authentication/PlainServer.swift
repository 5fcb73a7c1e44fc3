import Crypto

/// SASL PLAIN (RFC 4616) as Kafka's `PlainSaslServer`: one message `[authzid] NUL authcid NUL passwd`,
/// checked against the JAAS `user_<name>` passwords.
public struct PlainServer: SaslServerMechanism {
    public let mechanismName = "PLAIN"
    private let store: any CredentialStore
    private var done = false

    public init(store: any CredentialStore) {
        self.store = store
    }

    public mutating func evaluate(_ token: [UInt8]) -> SaslStep {
        guard !done else { return .failed("Authentication failed: PLAIN exchange already complete") }
        done = true
        let parts = token.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            return .failed("Invalid SASL/PLAIN response: expected 3 tokens, got \(parts.count)")
        }
        let authzid = String(decoding: parts[0], as: UTF8.self)
        let username = String(decoding: parts[1], as: UTF8.self)
        let password = Array(parts[2])
        guard !username.isEmpty else { return .failed("Authentication failed: username not specified") }
        guard !password.isEmpty else { return .failed("Authentication failed: password not specified") }
        guard authzid.isEmpty || authzid == username else {
            return .failed(
                "Authentication failed: Client requested an authorization id that is different from username")
        }
        // Comparing digests keeps the time independent of where the passwords differ and of their lengths.
        let expected = store.plainPassword(user: username)
        let given = Array(SHA256.hash(data: password))
        let wanted = Array(SHA256.hash(data: Array((expected ?? "\u{0}unknown").utf8)))
        guard constantTimeEquals(given, wanted), expected != nil else {
            return .failed("Authentication failed: Invalid username or password")
        }
        return .complete(username: username, final: [])
    }
}
