import Authentication
import Foundation
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

    /// The broker's certificate chain and private key, from inline PEM, a PEM file or a PKCS12 file.
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
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(description: "cannot read ssl.keystore.location \(path)")
        }
        let bytes = Array(data)
        // Sniff the content, not the name: keytool has written PKCS12 by default since JDK 9, whatever the suffix.
        if JavaKeyStore.looksLikeJKS(bytes) {
            return try jksKeyMaterial(bytes, path: path, s)
        }
        if isPEM(bytes) {
            let chain = try NIOSSLCertificate.fromPEMBytes(bytes)
            return (chain, try privateKey(pem: bytes, password: s.keyPassword ?? s.keystorePassword))
        }
        let bundle = try NIOSSLPKCS12Bundle(buffer: bytes, passphrase: Array((s.keystorePassword ?? "").utf8))
        return (bundle.certificateChain, bundle.privateKey)
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
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(description: "cannot read ssl.truststore.location \(path)")
        }
        let bytes = Array(data)
        if JavaKeyStore.looksLikeJKS(bytes) {
            let store = try openJKS(bytes, path: path, password: s.truststorePassword)
            return try store.trustAnchors.map { try NIOSSLCertificate(bytes: $0, format: .der) }
        }
        if isPEM(bytes) {
            return try NIOSSLCertificate.fromPEMBytes(bytes)
        }
        do {
            return try PKCS12TrustStore(bytes: bytes, password: s.truststorePassword ?? "").certificates.map {
                try NIOSSLCertificate(bytes: $0, format: .der)
            }
        } catch let failure as PKCS12TrustStore.Failure {
            throw LoadError(description: "ssl.truststore.location \(path): \(failure)")
        }
    }

    /// A JKS key store's first PrivateKeyEntry (Kafka's key manager serves the only one a broker store holds);
    /// the key password is `ssl.key.password`, else the store password, as Kafka's `SslFactory` defaults it.
    private static func jksKeyMaterial(
        _ bytes: [UInt8], path: String, _ s: ListenerSecurity
    ) throws -> ([NIOSSLCertificate], NIOSSLPrivateKey) {
        let store = try openJKS(bytes, path: path, password: s.keystorePassword)
        guard let entry = store.privateKeys.first else {
            throw LoadError(description: "ssl.keystore.location \(path) holds no private key entry")
        }
        guard let password = s.keyPassword ?? s.keystorePassword else {
            throw LoadError(description: "ssl.keystore.location \(path) is a JKS key store: set ssl.keystore.password")
        }
        let pkcs8: [UInt8]
        do {
            pkcs8 = try JavaKeyStore.privateKey(entry, password: password)
        } catch {
            throw LoadError(description: "ssl.keystore.location \(path): \(error)")
        }
        let chain = try entry.certificateChain.map { try NIOSSLCertificate(bytes: $0, format: .der) }
        // BoringSSL's PEM reader takes PKCS#8 `PRIVATE KEY` blocks of any key type.
        let pem = "-----BEGIN PRIVATE KEY-----\n" + base64(pkcs8) + "\n-----END PRIVATE KEY-----\n"
        return (chain, try NIOSSLPrivateKey(bytes: Array(normalizedPEM(pem).utf8), format: .pem))
    }

    private static func openJKS(_ bytes: [UInt8], path: String, password: String?) throws -> JavaKeyStore {
        do {
            return try JavaKeyStore(bytes: bytes, password: password)
        } catch {
            throw LoadError(description: "\(path): \(error)")
        }
    }

    private static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    private static func isPEM(_ bytes: [UInt8]) -> Bool {
        String(decoding: bytes.prefix(4096), as: UTF8.self).contains("-----BEGIN")
    }
}

/// The principal of a TLS client: the certificate's subject as an RFC 2253 DN (Java's `X500Principal.getName()`),
/// passed through `ssl.principal.mapping.rules`. No certificate means `User:ANONYMOUS`, as in Kafka.
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
