import Authentication
import KafkaProtocol
import NIOCore
import NIOSSL

/// How a client secures its connections: Kafka's `security.protocol` with the TLS and SASL settings it needs.
public struct ClientSecurity: Sendable {
    public enum SecurityProtocol: String, Sendable {
        case plaintext = "PLAINTEXT"
        case ssl = "SSL"
        case saslPlaintext = "SASL_PLAINTEXT"
        case saslSSL = "SASL_SSL"
    }

    /// A SASL login: PLAIN or SCRAM-SHA-256/512 with a username and password.
    public struct SaslLogin: Sendable {
        public var mechanism: String
        public var username: String
        public var password: String

        public init(mechanism: String, username: String, password: String) {
            self.mechanism = mechanism.uppercased()
            self.username = username
            self.password = password
        }
    }

    public var securityProtocol: SecurityProtocol
    /// The TLS client configuration (SSL and SASL_SSL).
    public var tls: TLSConfiguration?
    public var sasl: SaslLogin?
    /// Whether the broker's certificate must name the host (`ssl.endpoint.identification.algorithm=https`).
    public var verifyHostname: Bool

    public init(
        securityProtocol: SecurityProtocol, tls: TLSConfiguration? = nil, sasl: SaslLogin? = nil,
        verifyHostname: Bool = true
    ) {
        self.securityProtocol = securityProtocol
        self.tls = tls
        self.sasl = sasl
        self.verifyHostname = verifyHostname
    }

    var usesTLS: Bool { securityProtocol == .ssl || securityProtocol == .saslSSL }
    var usesSASL: Bool { securityProtocol == .saslPlaintext || securityProtocol == .saslSSL }
}

extension BrokerConnection {
    /// SaslHandshake v1 and the SaslAuthenticate exchange for `login`, right after ApiVersions. Returns the
    /// session lifetime the broker gave (KIP-368; 0 when its sessions do not expire).
    static func authenticate(
        _ login: ClientSecurity.SaslLogin, channel: Channel, clientId: String, timeout: TimeAmount,
        address: BrokerAddress
    ) async throws(KafkaClientError) -> Int64 {
        var exchange = try SaslClientExchange(login, context: "\(address)")
        let handshake = try await raw(
            channel: channel, SaslHandshakeRequest(mechanism: login.mechanism), version: 1, clientId: clientId,
            timeout: timeout, acks: true)!
        guard handshake.errorCode == ErrorCode.noError.rawValue else {
            throw .kafka(
                code: .unsupportedSaslMechanism,
                message: "enabled: \(handshake.mechanisms.joined(separator: ", "))",
                context: "SaslHandshake \(login.mechanism) at \(address)")
        }
        var token: [UInt8]? = exchange.firstToken()
        var lifetimeMs: Int64 = 0
        while let next = token {
            let response = try await raw(
                channel: channel, SaslAuthenticateRequest(authBytes: next), version: 1, clientId: clientId,
                timeout: timeout, acks: true)!
            guard response.errorCode == ErrorCode.noError.rawValue else {
                throw .kafka(
                    code: ErrorCode(rawValue: response.errorCode) ?? .saslAuthenticationFailed,
                    message: response.errorMessage, context: "SASL \(login.mechanism) at \(address)")
            }
            lifetimeMs = response.sessionLifetimeMs
            token = try exchange.next(serverToken: response.authBytes)
        }
        return lifetimeMs
    }
}
