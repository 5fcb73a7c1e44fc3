import Foundation
import Testing

@testable import Authentication

/// Key stores made at test time with the JDK's `keytool` and OpenSSL, the tools Kafka users make them with.
final class KeyStoreFixtures: @unchecked Sendable {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "needletail-keystores-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func path(_ name: String) -> String { directory + "/" + name }

    func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path(name)))) }

    @discardableResult
    func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError(description: "\(tool) \(arguments.joined(separator: " ")) failed")
        }
        return String(decoding: data, as: UTF8.self)
    }

    struct FixtureError: Error, CustomStringConvertible { var description: String }

    /// A JKS key store holding one key pair, and the certificate exported in DER.
    func jks(keyAlgorithm: String, name: String) throws {
        try run(
            "keytool",
            [
                "-genkeypair", "-alias", "broker", "-keyalg", keyAlgorithm, "-dname", "CN=\(name)", "-validity", "30",
                "-keystore", "\(name).jks", "-storetype", "JKS", "-storepass", "store-secret",
                "-keypass", "key-secret",
            ])
        try run(
            "keytool",
            [
                "-exportcert", "-alias", "broker", "-keystore", "\(name).jks", "-storepass", "store-secret",
                "-file", "\(name).der",
            ])
    }

    /// The PKCS#8 key of a JKS entry as OpenSSL reads it after keytool converts the store to PKCS12.
    func opensslPKCS8(_ name: String) throws -> [UInt8] {
        try run(
            "keytool",
            [
                "-importkeystore", "-srckeystore", "\(name).jks", "-srcstorepass", "store-secret",
                "-srckeypass", "key-secret", "-srcalias", "broker", "-destkeystore", "\(name).p12",
                "-deststoretype", "PKCS12", "-deststorepass", "p12-secret", "-destkeypass", "p12-secret",
            ])
        let pem = try run(
            "openssl", ["pkcs12", "-in", "\(name).p12", "-passin", "pass:p12-secret", "-nocerts", "-nodes"])
        let body = pem.components(separatedBy: "-----BEGIN PRIVATE KEY-----")[1]
            .components(separatedBy: "-----END PRIVATE KEY-----")[0]
            .filter { !$0.isWhitespace }
        return Array(Data(base64Encoded: body)!)
    }
}

private var keytoolInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/keytool") }

@Suite("JKS and PKCS12 key stores", .enabled(if: keytoolInstalled))
struct KeyStoreTests {
    @Test("an RSA key entry of a keytool JKS store decrypts to the PKCS#8 key OpenSSL reads")
    func rsaKeyEntryDecrypts() throws {
        let fixtures = try KeyStoreFixtures()
        try fixtures.jks(keyAlgorithm: "RSA", name: "rsa")
        let store = try JavaKeyStore(bytes: try fixtures.bytes("rsa.jks"), password: "store-secret")
        #expect(store.trustedCertificates.isEmpty)
        let entry = try #require(store.privateKeys.first)
        #expect(store.privateKeys.count == 1)
        #expect(entry.alias == "broker")
        #expect(entry.certificateChain == [try fixtures.bytes("rsa.der")])
        #expect(try JavaKeyStore.privateKey(entry, password: "key-secret") == (try fixtures.opensslPKCS8("rsa")))
    }

    @Test("an EC key entry decrypts too")
    func ecKeyEntryDecrypts() throws {
        let fixtures = try KeyStoreFixtures()
        try fixtures.jks(keyAlgorithm: "EC", name: "ec")
        let store = try JavaKeyStore(bytes: try fixtures.bytes("ec.jks"), password: "store-secret")
        let entry = try #require(store.privateKeys.first)
        #expect(try JavaKeyStore.privateKey(entry, password: "key-secret") == (try fixtures.opensslPKCS8("ec")))
    }

    @Test("a wrong store password fails the integrity check, a wrong key password fails key recovery")
    func wrongPasswordsAreRefused() throws {
        let fixtures = try KeyStoreFixtures()
        try fixtures.jks(keyAlgorithm: "RSA", name: "rsa")
        let bytes = try fixtures.bytes("rsa.jks")
        #expect(throws: JavaKeyStore.Failure.integrityCheckFailed) {
            try JavaKeyStore(bytes: bytes, password: "wrong")
        }
        let store = try JavaKeyStore(bytes: bytes, password: nil)
        #expect(throws: JavaKeyStore.Failure.wrongKeyPassword) {
            try JavaKeyStore.privateKey(store.privateKeys[0], password: "store-secret")
        }
    }

    @Test("a keytool trust store's certificate entries are its trust anchors")
    func trustedCertificateEntries() throws {
        let fixtures = try KeyStoreFixtures()
        try fixtures.jks(keyAlgorithm: "RSA", name: "ca")
        try fixtures.run(
            "keytool",
            [
                "-importcert", "-noprompt", "-alias", "ca", "-file", "ca.der", "-keystore", "trust.jks",
                "-storetype", "JKS", "-storepass", "trust-secret",
            ])
        let store = try JavaKeyStore(bytes: try fixtures.bytes("trust.jks"), password: "trust-secret")
        #expect(store.trustedCertificates.map(\.alias) == ["ca"])
        #expect(store.trustAnchors == [try fixtures.bytes("ca.der")])
    }

    @Test("every truncated prefix of a JKS store throws instead of crashing")
    func truncatedStoresThrow() throws {
        let fixtures = try KeyStoreFixtures()
        try fixtures.jks(keyAlgorithm: "EC", name: "ec")
        let bytes = try fixtures.bytes("ec.jks")
        for length in 0..<bytes.count {
            #expect(throws: JavaKeyStore.Failure.self) {
                try JavaKeyStore(bytes: Array(bytes.prefix(length)), password: "store-secret")
            }
        }
    }

    @Test("PKCS12 trust stores from keytool and from OpenSSL yield their certificates")
    func pkcs12TrustStores() throws {
        let fixtures = try KeyStoreFixtures()
        try fixtures.jks(keyAlgorithm: "RSA", name: "ca")
        try fixtures.run(
            "keytool",
            [
                "-importcert", "-noprompt", "-alias", "ca", "-file", "ca.der", "-keystore", "trust.p12",
                "-storetype", "PKCS12", "-storepass", "trust-secret",
            ])
        let der = try fixtures.bytes("ca.der")
        let keytoolStore = try PKCS12TrustStore(bytes: try fixtures.bytes("trust.p12"), password: "trust-secret")
        #expect(keytoolStore.certificates == [der])
        #expect(throws: PKCS12TrustStore.Failure.wrongPassword) {
            try PKCS12TrustStore(bytes: try fixtures.bytes("trust.p12"), password: "wrong")
        }

        try fixtures.run("openssl", ["x509", "-inform", "DER", "-in", "ca.der", "-out", "ca.pem"])
        try fixtures.run(
            "openssl", ["pkcs12", "-export", "-nokeys", "-in", "ca.pem", "-out", "openssl.p12", "-passout", "pass:pw"])
        #expect(try PKCS12TrustStore(bytes: try fixtures.bytes("openssl.p12"), password: "pw").certificates == [der])
    }
}
