import Authentication
import NIOSSL

extension ClientSecurity {
    /// Reads Kafka's client security properties (`--command-config`, `--producer.config`, …): `security.protocol`,
    /// `sasl.mechanism`, `sasl.jaas.config` (its `username`/`password` options), `ssl.truststore.location` (PEM,
    /// PKCS12 or JKS, with `ssl.truststore.password`) or `ssl.truststore.certificates` (PEM),
    /// `ssl.keystore.location` (PEM, PKCS12 or JKS, with `ssl.keystore.password`, `ssl.key.password`) or
    /// `ssl.keystore.certificate.chain` + `ssl.keystore.key`, `ssl.endpoint.identification.algorithm`.
    /// Returns nil for PLAINTEXT.
    public init?(properties: [String: String]) throws(KafkaClientError) {
        let name = (properties["security.protocol"] ?? "PLAINTEXT").uppercased()
        guard let proto = SecurityProtocol(rawValue: name) else {
            throw .invalidArgument("invalid security.protocol \(name)")
        }
        if proto == .plaintext { return nil }
        var login: SaslLogin? = nil
        if proto == .saslPlaintext || proto == .saslSSL {
            let mechanism = (properties["sasl.mechanism"] ?? "GSSAPI").uppercased()
            guard mechanism == "PLAIN" || ScramMechanism(mechanismName: mechanism) != nil else {
                throw .invalidArgument("unsupported sasl.mechanism \(mechanism) (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)")
            }
            guard let jaasText = properties["sasl.jaas.config"] else {
                throw .invalidArgument("sasl.jaas.config is required with security.protocol \(name)")
            }
            let entries: [JaasEntry]
            do {
                entries = try Jaas.parseEntries(jaasText)
            } catch {
                throw .invalidArgument("invalid sasl.jaas.config: \(error)")
            }
            guard let user = entries.first?.options["username"], let password = entries.first?.options["password"]
            else { throw .invalidArgument("sasl.jaas.config needs username and password options") }
            login = SaslLogin(mechanism: mechanism, username: user, password: password)
        }
        var tls: TLSConfiguration? = nil
        if proto == .ssl || proto == .saslSSL {
            var config = TLSConfiguration.makeClientConfiguration()
            do {
                if let pem = properties["ssl.truststore.certificates"] {
                    config.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)))
                } else if let path = properties["ssl.truststore.location"] {
                    config.trustRoots = .certificates(
                        try KeyStoreFiles.trustRoots(
                            path: path, password: properties["ssl.truststore.password"]))
                }
                if let chain = properties["ssl.keystore.certificate.chain"], let key = properties["ssl.keystore.key"] {
                    config.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(chain.utf8)).map {
                        .certificate($0)
                    }
                    config.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem))
                } else if let path = properties["ssl.keystore.location"] {
                    let (chain, key) = try KeyStoreFiles.keyMaterial(
                        path: path, storePassword: properties["ssl.keystore.password"],
                        keyPassword: properties["ssl.key.password"])
                    config.certificateChain = chain.map { .certificate($0) }
                    config.privateKey = .privateKey(key)
                }
            } catch {
                throw .invalidArgument("cannot load TLS stores: \(error)")
            }
            tls = config
        }
        let algorithm = properties["ssl.endpoint.identification.algorithm"] ?? "https"
        self.init(securityProtocol: proto, tls: tls, sasl: login, verifyHostname: !algorithm.isEmpty)
    }
}
