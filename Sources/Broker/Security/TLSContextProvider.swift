import Authentication
import Foundation
import KafkaClient
import KafkaConfig
import Logging
import NIOSSL
import Synchronization

/// The TLS server context of one SSL / SASL_SSL listener, built from Kafka's `ssl.*` keys through swift-nio-ssl.
/// Key and trust store files are watched by modification time: a new connection after a file changed gets a
/// context built from the new files (certificate rotation without a restart, like Kafka's dynamic keystore
/// update); if the new files do not load, the old context stays and a warning is logged.
final class TLSContextProvider: Sendable {
    struct Loaded: Sendable {
        var context: NIOSSLContext
        /// The broker certificate's expiry (seconds since 1970).
        var notValidAfter: Int
        var stamps: [String: Date]
    }

    let settings: ListenerSecurity
    private let logger: Logger
    private let state: Mutex<Loaded>

    /// Builds the first context; a configuration mistake or an expired certificate is one clear line.
    init(settings: ListenerSecurity, logger: Logger) throws(BrokerStartupError) {
        self.settings = settings
        self.logger = logger
        let loaded: Loaded
        do {
            loaded = try Self.load(settings)
        } catch {
            throw BrokerStartupError("Invalid TLS configuration for listener \(settings.listenerName): \(error)")
        }
        let now = Int(Date().timeIntervalSince1970)
        guard loaded.notValidAfter > now else {
            let when = Date(timeIntervalSince1970: TimeInterval(loaded.notValidAfter))
            throw BrokerStartupError(
                "The certificate of listener \(settings.listenerName) expired at \(when); refusing to start")
        }
        state = Mutex(loaded)
    }

    /// The context for a new connection, rebuilt first if a store file changed.
    func context() -> NIOSSLContext {
        let current = state.withLock { $0 }
        let stamps = Self.stamps(settings)
        guard stamps != current.stamps else { return current.context }
        do {
            let fresh = try Self.load(settings)
            state.withLock { $0 = fresh }
            logger.info("Reloaded TLS key/trust stores of listener \(settings.listenerName)")
            return fresh.context
        } catch {
            // Remember the stamps so a broken file is reported once, not on every connection.
            state.withLock { $0.stamps = stamps }
            logger.warning("Keeping the previous TLS context of \(settings.listenerName): \(error)")
            return current.context
        }
    }

    /// Seconds since 1970 when the broker certificate expires (for `/metrics`).
    var certificateNotValidAfter: Int { state.withLock { $0.notValidAfter } }

    struct LoadError: Error, CustomStringConvertible {
        var description: String
    }

    private static func stamps(_ s: ListenerSecurity) -> [String: Date] {
        var out: [String: Date] = [:]
        for path in [s.keystoreLocation, s.truststoreLocation].compactMap({ $0 }) {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            out[path] = (attributes?[.modificationDate] as? Date) ?? .distantPast
        }
        return out
    }

    static func load(_ s: ListenerSecurity) throws -> Loaded {
        let stamps = stamps(s)
        let (chain, key) = try keyMaterial(s)
        guard let leaf = chain.first else { throw LoadError(description: "the key store holds no certificate") }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        try TLSProtocols.apply(s, to: &configuration)
        switch s.clientAuth {
        case .none: configuration.certificateVerification = .none
        case .requested: configuration.certificateVerification = .optionalVerification
        case .required: configuration.certificateVerification = .noHostnameVerification
        }
        if let roots = try trustedCertificates(s) {
            configuration.trustRoots = .certificates(roots)
            // Lets clients pick the right certificate when they hold several (as Java's SSLEngine does).
            configuration.sendCANameList = s.clientAuth != .none
        }
        let context = try NIOSSLContext(configuration: configuration)
        return Loaded(context: context, notValidAfter: Int(leaf.notValidAfter), stamps: stamps)
    }

    /// The broker's certificate chain and private key, from inline PEM or a PEM, PKCS12 or JKS file.
    static func keyMaterial(_ s: ListenerSecurity) throws -> ([NIOSSLCertificate], NIOSSLPrivateKey) {
        if let chainText = s.keystoreCertificateChain {
            guard let keyText = s.keystoreKey else {
                throw LoadError(description: "ssl.keystore.certificate.chain is set but ssl.keystore.key is not")
            }
            let chain = try NIOSSLCertificate.fromPEMBytes(Array(normalizedPEM(chainText).utf8))
            return (chain, try privateKey(pem: Array(normalizedPEM(keyText).utf8), password: s.keyPassword))
        }
        guard let path = s.keystoreLocation else {
            throw LoadError(
                description:
                    "no key store: set ssl.keystore.location, or ssl.keystore.type=PEM with ssl.keystore.certificate.chain and ssl.keystore.key"
            )
        }
        return try KeyStoreFiles.keyMaterial(
            path: path, storePassword: s.keystorePassword, keyPassword: s.keyPassword)
    }

    private static func privateKey(pem: [UInt8], password: String?) throws -> NIOSSLPrivateKey {
        guard let password else { return try NIOSSLPrivateKey(bytes: pem, format: .pem) }
        return try NIOSSLPrivateKey(bytes: pem, format: .pem) { (setter: ([UInt8]) -> Void) in
            setter(Array(password.utf8))
        }
    }

    /// The CA certificates clients' certificates must chain to (nil: none configured).
    static func trustedCertificates(_ s: ListenerSecurity) throws -> [NIOSSLCertificate]? {
        if let text = s.truststoreCertificates {
            return try NIOSSLCertificate.fromPEMBytes(Array(normalizedPEM(text).utf8))
        }
        guard let path = s.truststoreLocation else { return nil }
        return try KeyStoreFiles.trustRoots(path: path, password: s.truststorePassword)
    }
}

func tlsPrincipal(peer: NIOSSLCertificate?, rules: PrincipalMappingRules) -> String? {
    guard let peer else { return "User:ANONYMOUS" }
    let attributes = peer.subjectName.map { (type: rdnKeyword($0.type), value: $0.value) }
    let dn = rfc2253Name(attributes)
    return rules.name(for: dn).map { "User:\($0)" }
}

private func rdnKeyword(_ type: SSLCertificateNameType) -> String {
    switch type {
    case .commonName: "CN"
    case .organizationalUnit: "OU"
    case .organization: "O"
    case .city: "L"
    case .state: "ST"
    case .country: "C"
    case .emailAddress: "EMAILADDRESS"
    case .userId: "UID"
    default: "OID"
    }
}

/// PEM text as BoringSSL reads it. Inline PEM values in server.properties are usually written with `\`
/// continuations, which the properties format joins without newlines (Kafka's own PEM reader tolerates that):
/// each block's base64 body is re-wrapped at 64 columns between its BEGIN and END lines.
func normalizedPEM(_ text: String) -> String {
    var out = ""
    var rest = Substring(text)
    while let begin = rest.range(of: "-----BEGIN ") {
        guard let labelEnd = rest[begin.upperBound...].range(of: "-----") else { break }
        let label = rest[begin.upperBound..<labelEnd.lowerBound]
        let endMarker = "-----END \(label)-----"
        guard let end = rest[labelEnd.upperBound...].range(of: endMarker) else { break }
        let body = rest[labelEnd.upperBound..<end.lowerBound].filter { !$0.isWhitespace }
        out += "-----BEGIN \(label)-----\n"
        var index = body.startIndex
        while index < body.endIndex {
            let next = body.index(index, offsetBy: 64, limitedBy: body.endIndex) ?? body.endIndex
            out += body[index..<next] + "\n"
            index = next
        }
        out += endMarker + "\n"
        rest = rest[end.upperBound...]
    }
    return out.isEmpty ? text : out
}
