import Foundation

/// A user's stored SCRAM credential, as Kafka keeps it in `/config/users/<user>` under the mechanism's name:
/// `salt=<b64>,stored_key=<b64>,server_key=<b64>,iterations=<n>` (`ScramCredentialUtils.credentialToString`).
/// The password itself is never stored.
public struct ScramCredential: Sendable, Hashable {
    public var salt: [UInt8]
    public var storedKey: [UInt8]
    public var serverKey: [UInt8]
    public var iterations: Int

    public init(salt: [UInt8], storedKey: [UInt8], serverKey: [UInt8], iterations: Int) {
        self.salt = salt
        self.storedKey = storedKey
        self.serverKey = serverKey
        self.iterations = iterations
    }

    /// Derives the credential from a password (`ScramFormatter.generateCredential`).
    public init(mechanism: ScramMechanism, password: String, salt: [UInt8], iterations: Int) {
        let salted = mechanism.saltedPassword(password, salt: salt, iterations: iterations)
        self.init(mechanism: mechanism, saltedPassword: salted, salt: salt, iterations: iterations)
    }

    /// Derives the credential from a salted password, as AlterUserScramCredentials carries it (the client ran
    /// PBKDF2, so the broker never sees the password).
    public init(mechanism: ScramMechanism, saltedPassword: [UInt8], salt: [UInt8], iterations: Int) {
        let clientKey = mechanism.hmac(key: saltedPassword, Array("Client Key".utf8))
        self.salt = salt
        self.storedKey = mechanism.hash(clientKey)
        self.serverKey = mechanism.hmac(key: saltedPassword, Array("Server Key".utf8))
        self.iterations = iterations
    }

    /// Kafka's string form.
    public var kafkaString: String {
        "salt=\(Data(salt).base64EncodedString()),stored_key=\(Data(storedKey).base64EncodedString())"
            + ",server_key=\(Data(serverKey).base64EncodedString()),iterations=\(iterations)"
    }

    /// Parses Kafka's string form; nil when a field is missing or not base64 / a number.
    public init?(kafkaString: String) {
        var fields: [String: String] = [:]
        for part in kafkaString.split(separator: ",") {
            guard let eq = part.firstIndex(of: "=") else { return nil }
            fields[String(part[..<eq])] = String(part[part.index(after: eq)...])
        }
        guard let salt = fields["salt"].flatMap({ Data(base64Encoded: $0) }),
            let stored = fields["stored_key"].flatMap({ Data(base64Encoded: $0) }),
            let server = fields["server_key"].flatMap({ Data(base64Encoded: $0) }),
            let iterations = fields["iterations"].flatMap({ Int($0) })
        else { return nil }
        self.init(salt: Array(salt), storedKey: Array(stored), serverKey: Array(server), iterations: iterations)
    }

    /// A random salt. Kafka's is the UTF-8 of a random base-36 number (`ScramFormatter.secureRandomBytes`); any
    /// bytes work, so this takes 20 random alphanumerics of the same shape.
    public static func randomSalt() -> [UInt8] {
        Array(randomPrintable(count: 20).utf8)
    }
}

/// Random letters and digits: SCRAM nonces and salts (no ',' so they never need escaping).
func randomPrintable(count: Int) -> String {
    let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    var rng = SystemRandomNumberGenerator()
    return String((0..<count).map { _ in alphabet[Int(rng.next(upperBound: UInt32(alphabet.count)))] })
}
