import Crypto
import Foundation
import _CryptoExtras

/// The certificates of a PKCS#12 trust store (`ssl.truststore.type=PKCS12`), as `keytool -importcert` and
/// `openssl pkcs12 -export -nokeys` write them. swift-nio-ssl only opens PKCS#12 files that hold a private key,
/// so trust stores are read here (RFC 7292): the PFX's AuthenticatedSafe, its plain or PBES2-encrypted
/// (RFC 8018: PBKDF2 with HMAC-SHA1/256/512, AES-CBC) SafeContents, and their certificate bags. Every certificate
/// bag is trusted, as the JDK trusts the certificates of a trust store; key bags are skipped. The MAC is not
/// checked: a wrong password already fails to decrypt, and a file that decrypts but was tampered with only
/// yields certificates BoringSSL then parses and chain-checks.
public struct PKCS12TrustStore: Sendable, Equatable {
    /// The trusted certificates in DER, in file order.
    public var certificates: [[UInt8]] = []

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case malformed
        case unsupportedEncryption
        case wrongPassword
        case noCertificates

        public var description: String {
            switch self {
            case .malformed: "not a PKCS12 file, or a malformed one"
            case .unsupportedEncryption:
                "the PKCS12 certificates are encrypted with a legacy algorithm; re-create the trust store with a JDK 17+ keytool or OpenSSL 3"
            case .wrongPassword: "cannot decrypt the PKCS12 trust store: wrong ssl.truststore.password"
            case .noCertificates: "the PKCS12 trust store holds no certificate"
            }
        }
    }

    enum OID {
        static let data: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01]
        static let encryptedData: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x06]
        static let certBag: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x0C, 0x0A, 0x01, 0x03]
        static let x509Certificate: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x16, 0x01]
        static let pbes2: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x05, 0x0D]
        static let pbkdf2: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x05, 0x0C]
        static let hmacSHA1: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x07]
        static let hmacSHA256: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x09]
        static let hmacSHA512: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x0B]
        /// 2.16.840.1.101.3.4.1.{2, 22, 42}: AES-128/192/256-CBC.
        static let aesCBCPrefix: [UInt8] = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01]
    }

    /// Kafka's configurations use 10,000 or so; this only bounds a hostile file's cost.
    static let maximumIterations = 10_000_000

    public init(bytes: [UInt8], password: String) throws(Failure) {
        do {
            var file = DERReader(bytes[...])
            var pfx = DERReader(try file.read(tag: 0x30))
            _ = try pfx.read(tag: 0x02)  // version 3
            let authSafe = try Self.contentInfo(&pfx)
            guard authSafe.type == OID.data else { throw Failure.malformed }
            var safes = DERReader(try Self.octetString(authSafe.content))
            var sequence = DERReader(try safes.read(tag: 0x30))
            while !sequence.isEmpty {
                let info = try Self.contentInfo(&sequence)
                if info.type == OID.data {
                    try collect(safeContents: try Self.octetString(info.content))
                } else if info.type == OID.encryptedData {
                    let plain = try Self.decrypt(info.content, password: password)
                    // A wrong password can still leave valid padding; then the content is garbage.
                    do { try collect(safeContents: plain[...]) } catch { throw Failure.wrongPassword }
                }
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .malformed
        }
        guard !certificates.isEmpty else { throw .noCertificates }
    }

    /// `ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY }`.
    private static func contentInfo(_ reader: inout DERReader) throws -> (type: [UInt8], content: ArraySlice<UInt8>) {
        var info = DERReader(try reader.read(tag: 0x30))
        let type = Array(try info.read(tag: 0x06))
        return (type, try info.read(tag: 0xA0))
    }

    private static func octetString(_ bytes: ArraySlice<UInt8>) throws -> ArraySlice<UInt8> {
        var reader = DERReader(bytes)
        return try reader.read(tag: 0x04)
    }

    /// `SafeContents ::= SEQUENCE OF SafeBag { bagId, [0] EXPLICIT bagValue, attributes }`; certificate bags hold
    /// `CertBag { x509Certificate OID, [0] EXPLICIT OCTET STRING }`.
    private mutating func collect(safeContents: ArraySlice<UInt8>) throws {
        var outer = DERReader(safeContents)
        var bags = DERReader(try outer.read(tag: 0x30))
        while !bags.isEmpty {
            var bag = DERReader(try bags.read(tag: 0x30))
            let bagID = Array(try bag.read(tag: 0x06))
            let value = try bag.read(tag: 0xA0)
            guard bagID == OID.certBag else { continue }
            var certBagOuter = DERReader(value)
            var certBag = DERReader(try certBagOuter.read(tag: 0x30))
            guard Array(try certBag.read(tag: 0x06)) == OID.x509Certificate else { continue }
            certificates.append(Array(try Self.octetString(try certBag.read(tag: 0xA0))))
        }
    }

    /// `EncryptedData { version, EncryptedContentInfo { type, AlgorithmIdentifier, [0] IMPLICIT ciphertext } }`
    /// decrypted with PBES2. The PBES2 password is the UTF-8 bytes, as the JDK and OpenSSL feed it to PBKDF2.
    private static func decrypt(_ content: ArraySlice<UInt8>, password: String) throws -> [UInt8] {
        var outer = DERReader(content)
        var encryptedData = DERReader(try outer.read(tag: 0x30))
        _ = try encryptedData.read(tag: 0x02)
        var info = DERReader(try encryptedData.read(tag: 0x30))
        _ = try info.read(tag: 0x06)
        var algorithm = DERReader(try info.read(tag: 0x30))
        let ciphertext = try info.read(tag: 0x80)
        guard Array(try algorithm.read(tag: 0x06)) == OID.pbes2 else { throw Failure.unsupportedEncryption }
        var parameters = DERReader(try algorithm.read(tag: 0x30))

        var kdf = DERReader(try parameters.read(tag: 0x30))
        guard Array(try kdf.read(tag: 0x06)) == OID.pbkdf2 else { throw Failure.unsupportedEncryption }
        var pbkdf2 = DERReader(try kdf.read(tag: 0x30))
        let salt = try pbkdf2.read(tag: 0x04)
        let iterations = try integer(try pbkdf2.read(tag: 0x02))
        guard iterations >= 1, iterations <= maximumIterations else { throw Failure.malformed }
        var hash = KDF.Insecure.PBKDF2.HashFunction.insecureSHA1
        while !pbkdf2.isEmpty {
            let element = try pbkdf2.next()
            guard element.tag == 0x30 else { continue }  // keyLength: implied by the cipher
            var prf = DERReader(element.content)
            switch Array(try prf.read(tag: 0x06)) {
            case OID.hmacSHA1: hash = .insecureSHA1
            case OID.hmacSHA256: hash = .sha256
            case OID.hmacSHA512: hash = .sha512
            default: throw Failure.unsupportedEncryption
            }
        }

        var scheme = DERReader(try parameters.read(tag: 0x30))
        let cipher = Array(try scheme.read(tag: 0x06))
        guard cipher.count == OID.aesCBCPrefix.count + 1, cipher.starts(with: OID.aesCBCPrefix) else {
            throw Failure.unsupportedEncryption
        }
        let keyLength: Int
        switch cipher.last {
        case 2: keyLength = 16
        case 22: keyLength = 24
        case 42: keyLength = 32
        default: throw Failure.unsupportedEncryption
        }
        let iv = try AES._CBC.IV(ivBytes: try scheme.read(tag: 0x04))
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: salt, using: hash, outputByteCount: keyLength,
            unsafeUncheckedRounds: iterations)
        do {
            return Array(try AES._CBC.decrypt(ciphertext, using: key, iv: iv))
        } catch {
            throw Failure.wrongPassword
        }
    }

    private static func integer(_ bytes: ArraySlice<UInt8>) throws -> Int {
        guard !bytes.isEmpty, bytes.count <= 4 else { throw Failure.malformed }
        return bytes.reduce(0) { $0 << 8 | Int($1) }
    }
}
