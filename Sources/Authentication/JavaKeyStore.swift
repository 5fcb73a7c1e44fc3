import Crypto

/// A Java KeyStore file (`ssl.keystore.type=JKS`, `ssl.truststore.type=JKS`), parsed as Sun's
/// `sun.security.provider.JavaKeyStore.engineLoad` writes it:
///
///     magic 0xFEEDFEED, version (1 or 2), entry count        (big-endian Int32s)
///     per entry: tag (1 = PrivateKeyEntry, 2 = TrustedCertEntry), alias (Java modified UTF-8), date (Int64 ms)
///       tag 1: protected key (Int32 length + EncryptedPrivateKeyInfo DER), chain length, certificates
///       tag 2: one certificate
///       a certificate: type (version 2 only, "X.509") + Int32 length + DER
///     SHA-1(password as UTF-16BE || "Mighty Aphrodite" || every byte above)
///
/// Private keys stay protected until `privateKey(_:password:)` undoes Sun's `KeyProtector` scheme
/// (OID 1.3.6.1.4.1.42.2.17.1.1). Pure bytes in, bytes out: no files, no clock.
public struct JavaKeyStore: Sendable, Equatable {
    public struct PrivateKeyEntry: Sendable, Equatable {
        public var alias: String
        /// The `EncryptedPrivateKeyInfo` DER, still protected with the key password.
        public var protectedKey: [UInt8]
        /// The certificate chain, leaf first, each in DER.
        public var certificateChain: [[UInt8]]
    }

    public struct TrustedCertificateEntry: Sendable, Equatable {
        public var alias: String
        /// The certificate in DER.
        public var certificate: [UInt8]
    }

    public var privateKeys: [PrivateKeyEntry] = []
    public var trustedCertificates: [TrustedCertificateEntry] = []

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notAJavaKeyStore
        case jceks
        case unsupportedVersion(Int32)
        case truncated
        case unknownEntryTag(Int32)
        case unsupportedCertificateType(String)
        /// The integrity digest does not match: Java's "Keystore was tampered with, or password was incorrect".
        case integrityCheckFailed
        case unsupportedKeyProtection
        /// The key's own check digest does not match: Java's "Cannot recover key".
        case wrongKeyPassword

        public var description: String {
            switch self {
            case .notAJavaKeyStore: "not a JKS key store (no 0xFEEDFEED magic)"
            case .jceks:
                "JCEKS key stores are not supported; convert with keytool -importkeystore -deststoretype PKCS12"
            case .unsupportedVersion(let v): "unsupported JKS version \(v)"
            case .truncated: "the JKS key store is truncated or malformed"
            case .unknownEntryTag(let t): "unknown JKS entry tag \(t)"
            case .unsupportedCertificateType(let t): "unsupported certificate type \(t) in the JKS key store"
            case .integrityCheckFailed: "Keystore was tampered with, or password was incorrect"
            case .unsupportedKeyProtection: "the private key is not protected with Sun's JKS key protection"
            case .wrongKeyPassword: "Cannot recover key: wrong ssl.key.password"
            }
        }
    }

    static let magic: [UInt8] = [0xFE, 0xED, 0xFE, 0xED]
    static let jceksMagic: [UInt8] = [0xCE, 0xCE, 0xCE, 0xCE]

    /// True when the bytes start like a JKS (or JCEKS) file; PKCS12 and PEM never do.
    public static func looksLikeJKS(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: magic) || bytes.starts(with: jceksMagic)
    }

    /// Parses a JKS file. With a password the integrity digest is checked, as `KeyStore.load` does; without one
    /// (a trust store loaded without `ssl.truststore.password`) it is not.
    public init(bytes: [UInt8], password: String?) throws(Failure) {
        if bytes.starts(with: Self.jceksMagic) { throw .jceks }
        guard bytes.starts(with: Self.magic) else { throw .notAJavaKeyStore }
        var reader = ByteReader(bytes[...])
        _ = try reader.int32()
        let version = try reader.int32()
        guard version == 1 || version == 2 else { throw .unsupportedVersion(version) }
        let count = try reader.int32()
        guard count >= 0 else { throw .truncated }
        for _ in 0..<count {
            let tag = try reader.int32()
            let alias = try reader.utf()
            _ = try reader.int64()  // creation date
            switch tag {
            case 1:
                let key = try reader.lengthPrefixed()
                let chainLength = try reader.int32()
                guard chainLength >= 0 else { throw .truncated }
                var chain: [[UInt8]] = []
                for _ in 0..<chainLength { chain.append(try reader.certificate(version: version)) }
                privateKeys.append(PrivateKeyEntry(alias: alias, protectedKey: key, certificateChain: chain))
            case 2:
                let certificate = try reader.certificate(version: version)
                trustedCertificates.append(TrustedCertificateEntry(alias: alias, certificate: certificate))
            default:
                throw .unknownEntryTag(tag)
            }
        }
        let signed = bytes[..<reader.rest.startIndex]
        let digest = try reader.take(Insecure.SHA1.byteCount)
        guard let password else { return }
        var hasher = Insecure.SHA1()
        hasher.update(data: Self.passwordBytes(password))
        hasher.update(data: Array("Mighty Aphrodite".utf8))
        hasher.update(data: signed)
        guard constantTimeEquals(Array(hasher.finalize()), Array(digest)) else { throw .integrityCheckFailed }
    }

    /// The certificates a trust store built from this file trusts: every TrustedCertEntry and, as the JDK's
    /// `TrustStoreUtil` does, the leaf of every PrivateKeyEntry.
    public var trustAnchors: [[UInt8]] {
        trustedCertificates.map(\.certificate) + privateKeys.compactMap(\.certificateChain.first)
    }

    /// The PKCS#8 `PrivateKeyInfo` DER of a key entry, recovered with Sun's `KeyProtector` scheme: the key is
    /// XORed with a SHA-1 keystream (`d1 = SHA1(pw || salt)`, `dn = SHA1(pw || dn-1)`) and followed by
    /// `SHA1(pw || plain key)` as a check. The password is UTF-16BE, as Java's `char[]` is hashed.
    public static func privateKey(_ entry: PrivateKeyEntry, password: String) throws(Failure) -> [UInt8] {
        let encrypted = try encryptedData(entry.protectedKey)
        let digestLength = Insecure.SHA1.byteCount
        guard encrypted.count >= 2 * digestLength else { throw .truncated }
        let salt = Array(encrypted.prefix(digestLength))
        let body = Array(encrypted.dropFirst(digestLength).dropLast(digestLength))
        let check = Array(encrypted.suffix(digestLength))
        let pw = passwordBytes(password)
        var plain = [UInt8](repeating: 0, count: body.count)
        var digest = salt
        var offset = 0
        while offset < body.count {
            var hasher = Insecure.SHA1()
            hasher.update(data: pw)
            hasher.update(data: digest)
            digest = Array(hasher.finalize())
            for i in 0..<min(digestLength, body.count - offset) {
                plain[offset + i] = body[offset + i] ^ digest[i]
            }
            offset += digestLength
        }
        var hasher = Insecure.SHA1()
        hasher.update(data: pw)
        hasher.update(data: plain)
        guard constantTimeEquals(Array(hasher.finalize()), check) else { throw .wrongKeyPassword }
        return plain
    }

    /// Java hashes a `char[]` password as its UTF-16 code units, high byte first.
    static func passwordBytes(_ password: String) -> [UInt8] {
        password.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    /// `EncryptedPrivateKeyInfo ::= SEQUENCE { AlgorithmIdentifier { OID 1.3.6.1.4.1.42.2.17.1.1, NULL },
    /// OCTET STRING }`: the octet string, if the algorithm is Sun's.
    static func encryptedData(_ der: [UInt8]) throws(Failure) -> ArraySlice<UInt8> {
        let sunKeyProtector: [UInt8] = [0x2B, 0x06, 0x01, 0x04, 0x01, 0x2A, 0x02, 0x11, 0x01, 0x01]
        do {
            var outer = DERReader(der[...])
            var info = DERReader(try outer.read(tag: 0x30))
            var algorithm = DERReader(try info.read(tag: 0x30))
            guard Array(try algorithm.read(tag: 0x06)) == sunKeyProtector else {
                throw Failure.unsupportedKeyProtection
            }
            return try info.read(tag: 0x04)
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .truncated
        }
    }
}

/// Big-endian reads over a JKS file; every read past the end throws instead of trapping.
private struct ByteReader {
    var rest: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { rest = bytes }

    mutating func take(_ count: Int) throws(JavaKeyStore.Failure) -> ArraySlice<UInt8> {
        guard count >= 0, rest.count >= count else { throw .truncated }
        let out = rest.prefix(count)
        rest = rest.dropFirst(count)
        return out
    }

    mutating func int32() throws(JavaKeyStore.Failure) -> Int32 {
        Int32(bitPattern: try take(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }

    mutating func int64() throws(JavaKeyStore.Failure) -> Int64 {
        Int64(bitPattern: try take(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    /// `DataInput.readUTF`: an unsigned 16-bit length, then modified UTF-8 (plain UTF-8 for ordinary aliases).
    mutating func utf() throws(JavaKeyStore.Failure) -> String {
        let length = try take(2).reduce(0) { $0 << 8 | Int($1) }
        return String(decoding: try take(length), as: UTF8.self)
    }

    mutating func lengthPrefixed() throws(JavaKeyStore.Failure) -> [UInt8] {
        Array(try take(Int(try int32())))
    }

    mutating func certificate(version: Int32) throws(JavaKeyStore.Failure) -> [UInt8] {
        if version == 2 {
            let type = try utf()
            guard type == "X.509" else { throw .unsupportedCertificateType(type) }
        }
        return try lengthPrefixed()
    }
}

/// A minimal DER reader: definite lengths only, which is all DER allows.
struct DERReader {
    struct Malformed: Error {}

    var rest: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { rest = bytes }

    var isEmpty: Bool { rest.isEmpty }

    /// The next element's tag and content.
    mutating func next() throws(Malformed) -> (tag: UInt8, content: ArraySlice<UInt8>) {
        guard rest.count >= 2 else { throw Malformed() }
        let tag = rest[rest.startIndex]
        var index = rest.startIndex + 1
        var length = Int(rest[index])
        index += 1
        if length & 0x80 != 0 {
            let octets = length & 0x7F
            guard octets >= 1, octets <= 4, rest.endIndex - index >= octets else { throw Malformed() }
            length = rest[index..<index + octets].reduce(0) { $0 << 8 | Int($1) }
            index += octets
        }
        guard rest.endIndex - index >= length else { throw Malformed() }
        let content = rest[index..<index + length]
        rest = rest[(index + length)...]
        return (tag, content)
    }

    /// The next element's content, which must carry `tag`.
    mutating func read(tag: UInt8) throws(Malformed) -> ArraySlice<UInt8> {
        let element = try next()
        guard element.tag == tag else { throw Malformed() }
        return element.content
    }
}
