/// A 16-byte UUID as carried on the wire (topic ids). All zeros means "no id".
public struct UUIDValue: Sendable, Hashable, CustomStringConvertible {
    public var bytes: [UInt8]

    public static let zero = UUIDValue(bytes: [UInt8](repeating: 0, count: 16))

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16)
        self.bytes = bytes
    }

    /// A random version-4 UUID.
    public static func random() -> UUIDValue {
        var g = SystemRandomNumberGenerator()
        var b = (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) }
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        return UUIDValue(bytes: b)
    }

    /// A random topic id Kafka accepts: not zero, and not printing with a leading '-' in base64url.
    public static func randomTopicId() -> UUIDValue {
        while true {
            let id = random()
            if !id.isZero && !id.base64URL.hasPrefix("-") { return id }
        }
    }

    public var isZero: Bool { bytes.allSatisfy { $0 == 0 } }

    /// Kafka prints topic ids and cluster ids as URL-safe base64 without padding (22 characters).
    public var base64URL: String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var out = [UInt8]()
        var i = 0
        while i + 3 <= 16 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [
                alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)],
            ]
            i += 3
        }
        let n = UInt32(bytes[15]) << 16
        out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)]]
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses Kafka's 22-character URL-safe base64 form.
    public init?(base64URL s: String) {
        let chars = Array(s.utf8)
        guard chars.count == 22 else { return nil }
        func value(_ c: UInt8) -> UInt32? {
            switch c {
            case 65...90: return UInt32(c - 65)
            case 97...122: return UInt32(c - 97 + 26)
            case 48...57: return UInt32(c - 48 + 52)
            case 45: return 62
            case 95: return 63
            default: return nil
            }
        }
        var out = [UInt8]()
        var acc: UInt32 = 0
        var bits = 0
        for c in chars {
            guard let v = value(c) else { return nil }
            acc = acc << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        guard out.count == 16 else { return nil }
        self.bytes = out
    }

    public var description: String { base64URL }
}
