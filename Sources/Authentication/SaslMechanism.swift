/// One step of a server-side SASL exchange.
public enum SaslStep: Sendable, Equatable {
    /// Send these bytes and wait for the client's next token.
    case challenge([UInt8])
    /// The client proved its identity; send `final` (possibly empty) and treat the connection as `username`.
    case complete(username: String, final: [UInt8])
    /// Authentication failed; the message goes back in SaslAuthenticate's error message.
    case failed(String)
}

/// The server side of one SASL mechanism for one exchange (Java's `SaslServer`): a value fed the client's tokens.
public protocol SaslServerMechanism: Sendable {
    var mechanismName: String { get }
    mutating func evaluate(_ token: [UInt8]) -> SaslStep
}

/// Where a SASL server looks up users. PLAIN compares passwords (from JAAS `user_<name>` options); SCRAM reads
/// stored credentials (from `/config/users`).
public protocol CredentialStore: Sendable {
    func plainPassword(user: String) -> String?
    func scramCredential(user: String, mechanism: ScramMechanism) -> ScramCredential?
}

/// Kafka's SASL error text for bad credentials, used for every mechanism so a failure says nothing about whether
/// the user exists.
func invalidCredentials(_ mechanism: String) -> String {
    "Authentication failed during authentication due to invalid credentials with SASL mechanism \(mechanism)"
}
