import Authentication
import Foundation
import NIOSSL

extension ClientSecurity {
    /// Reads Kafka's client security properties (`--command-config`, `--producer.config`, …): `security.protocol`,
    /// `sasl.mechanism`, `sasl.jaas.config` (its `username`/`password` options), `ssl.truststore.location` or
    /// `ssl.truststore.certificates` (PEM), `ssl.keystore.location` (PEM or PKCS12) or
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
                    config.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(path))
                }
                if let chain = properties["ssl.keystore.certificate.chain"], let key = properties["ssl.keystore.key"] {
                    config.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(chain.utf8)).map {
                        .certificate($0)
                    }
                    config.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem))
                } else if let path = properties["ssl.keystore.location"] {
                    let bytes = Array(FileManager.default.contents(atPath: path) ?? Data())
                    if String(decoding: bytes.prefix(4096), as: UTF8.self).contains("-----BEGIN") {
                        config.certificateChain = try NIOSSLCertificate.fromPEMBytes(bytes).map { .certificate($0) }
                        config.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: bytes, format: .pem))
                    } else {
                        let bundle = try NIOSSLPKCS12Bundle(
                            buffer: bytes, passphrase: Array((properties["ssl.keystore.password"] ?? "").utf8))
                        config.certificateChain = bundle.certificateChain.map { .certificate($0) }
                        config.privateKey = .privateKey(bundle.privateKey)
                    }
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
