import Crypto
import _CryptoExtras

/// The SCRAM mechanisms Kafka supports (`ScramMechanism.java`): the SASL name, the wire code of
/// AlterUserScramCredentials / DescribeUserScramCredentials, and the hash behind it.
public enum ScramMechanism: String, Sendable, CaseIterable, Hashable {
    case sha256 = "SCRAM-SHA-256"
    case sha512 = "SCRAM-SHA-512"

    /// Kafka refuses stored credentials and upsertions outside these bounds (`ScramMechanism.minIterations`,
    /// `ZkAdminManager`'s "Too few/Too many iterations").
    public static let minIterations = 4096
    public static let maxIterations = 16384

    /// The SASL mechanism name, as in `sasl.enabled.mechanisms` and the `/config/users` keys.
    public var mechanismName: String { rawValue }

    /// The int8 of KIP-554's messages: 1 = SHA-256, 2 = SHA-512.
    public var wireType: Int8 {
        switch self {
        case .sha256: 1
        case .sha512: 2
        }
    }

    public init?(wireType: Int8) {
        switch wireType {
        case 1: self = .sha256
        case 2: self = .sha512
        default: return nil
        }
    }

    public init?(mechanismName: String) {
        self.init(rawValue: mechanismName.uppercased())
    }

    /// RFC 5802 `H()`.
    func hash(_ data: [UInt8]) -> [UInt8] {
        switch self {
        case .sha256: Array(SHA256.hash(data: data))
        case .sha512: Array(SHA512.hash(data: data))
        }
    }

    /// RFC 5802 `HMAC()`.
    func hmac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        let k = SymmetricKey(data: key)
        switch self {
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: data, using: k))
        case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: data, using: k))
        }
    }

    /// RFC 5802 `Hi()`, which is PBKDF2 with this mechanism's HMAC. Kafka's iteration counts (4096–16384) are below
    /// swift-crypto's checked minimum, hence the unchecked entry point.
    func saltedPassword(_ password: String, salt: [UInt8], iterations: Int) -> [UInt8] {
        let outputBytes: Int
        let function: KDF.Insecure.PBKDF2.HashFunction
        switch self {
        case .sha256: (outputBytes, function) = (32, .sha256)
        case .sha512: (outputBytes, function) = (64, .sha512)
        }
        // Only fails for an output size the hash cannot produce, which the table above rules out.
        let key = try! KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: salt, using: function, outputByteCount: outputBytes,
            unsafeUncheckedRounds: iterations)
        return key.withUnsafeBytes { Array($0) }
    }
}

/// Compares two byte strings in time that depends only on their lengths (Kafka's `MessageDigest.isEqual`, the
/// CVE-2021-38153 fix).
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<a.count { diff |= a[i] ^ b[i] }
    return diff == 0
}

extension ScramMechanism {
    /// RFC 5802 `SaltedPassword`, as a client sends it in AlterUserScramCredentials.
    public func saltedPasswordForUpsertion(_ password: String, salt: [UInt8], iterations: Int) -> [UInt8] {
        saltedPassword(password, salt: salt, iterations: iterations)
    }
}
