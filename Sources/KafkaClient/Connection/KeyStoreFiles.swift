import Authentication
import Foundation
import NIOSSL

/// Kafka's key and trust store files (`ssl.keystore.location`, `ssl.truststore.location` with their `.type` and
/// `.password`): PEM, PKCS12 or JKS. The one loader for the broker's listeners, its inter-broker connections and
/// the tools' `--command-config`. The content is sniffed, not the type or the file name (keytool has written PKCS12
/// by default since JDK 9 whatever the suffix, and a JDK's JKS `KeyStore` opens PKCS12 files too), so `ssl.*.type`
/// may be left at Kafka's JKS default. JKS files and PKCS12 trust stores go through Authentication's readers.
public enum KeyStoreFiles {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public enum Kind: String { case pem = "PEM", pkcs12 = "PKCS12", jks = "JKS" }

    public static func kind(of bytes: [UInt8]) -> Kind {
        if JavaKeyStore.looksLikeJKS(bytes) { return .jks }
        if String(decoding: bytes.prefix(4096), as: UTF8.self).contains("-----BEGIN") { return .pem }
        return .pkcs12
    }

    private static func read(_ path: String, key: String) throws -> ([UInt8], Kind) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "cannot read \(key) \(path)")
        }
        let bytes = Array(data)
        return (bytes, kind(of: bytes))
    }

    /// The CA certificates of a trust store file.
    public static func trustRoots(path: String, password: String?) throws -> [NIOSSLCertificate] {
        let (bytes, kind) = try read(path, key: "ssl.truststore.location")
        switch kind {
        case .pem:
            return try NIOSSLCertificate.fromPEMBytes(bytes)
        case .jks:
            let store: JavaKeyStore
            do {
                store = try JavaKeyStore(bytes: bytes, password: password)
            } catch {
                throw Failure(description: "ssl.truststore.location \(path): \(error)")
            }
            return try store.trustAnchors.map { try NIOSSLCertificate(bytes: $0, format: .der) }
        case .pkcs12:
            do {
                return try PKCS12TrustStore(bytes: bytes, password: password ?? "").certificates.map {
                    try NIOSSLCertificate(bytes: $0, format: .der)
                }
            } catch let failure as PKCS12TrustStore.Failure {
                throw Failure(description: "ssl.truststore.location \(path): \(failure)")
            }
        }
    }

    /// The client certificate chain and key of a key store file; the key password is `ssl.key.password`, else the
    /// store password, as Kafka's `SslFactory` defaults it.
    public static func keyMaterial(
        path: String, storePassword: String?, keyPassword: String?
    ) throws -> ([NIOSSLCertificate], NIOSSLPrivateKey) {
        let (bytes, kind) = try read(path, key: "ssl.keystore.location")
        switch kind {
        case .pem:
            let chain = try NIOSSLCertificate.fromPEMBytes(bytes)
            guard let password = keyPassword ?? storePassword else {
                return (chain, try NIOSSLPrivateKey(bytes: bytes, format: .pem))
            }
            let key = try NIOSSLPrivateKey(bytes: bytes, format: .pem) { (setter: ([UInt8]) -> Void) in
                setter(Array(password.utf8))
            }
            return (chain, key)
        case .pkcs12:
            let bundle = try NIOSSLPKCS12Bundle(buffer: bytes, passphrase: Array((storePassword ?? "").utf8))
            return (bundle.certificateChain, bundle.privateKey)
        case .jks:
            // Kafka's key manager serves the only PrivateKeyEntry a store holds: take the first.
            let pkcs8: [UInt8]
            let entry: JavaKeyStore.PrivateKeyEntry
            do {
                let store = try JavaKeyStore(bytes: bytes, password: storePassword)
                guard let first = store.privateKeys.first else {
                    throw Failure(description: "ssl.keystore.location \(path) holds no private key entry")
                }
                guard let password = keyPassword ?? storePassword else {
                    throw Failure(
                        description: "ssl.keystore.location \(path) is a JKS key store: set ssl.keystore.password")
                }
                entry = first
                pkcs8 = try JavaKeyStore.privateKey(entry, password: password)
            } catch let failure as Failure {
                throw failure
            } catch {
                throw Failure(description: "ssl.keystore.location \(path): \(error)")
            }
            let chain = try entry.certificateChain.map { try NIOSSLCertificate(bytes: $0, format: .der) }
            // BoringSSL's PEM reader takes PKCS#8 `PRIVATE KEY` blocks of any key type.
            let base64 = Data(pkcs8).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
            let pem = "-----BEGIN PRIVATE KEY-----\n\(base64)\n-----END PRIVATE KEY-----\n"
            return (chain, try NIOSSLPrivateKey(bytes: Array(pem.utf8), format: .pem))
        }
    }
}
