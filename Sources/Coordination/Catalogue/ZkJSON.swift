/// A JSON value whose objects keep their key order, so encoders can reproduce the bytes Kafka writes
/// (Jackson, compact, no spaces) and decoders accept any key order.
///
/// Only what Kafka's znodes need: integers stay exact `Int64`s; fractions and exponents become `Double`.
enum ZkJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([ZkJSON])
    case object([Member])

    struct Member: Sendable, Equatable {
        var key: String
        var value: ZkJSON
        init(_ key: String, _ value: ZkJSON) {
            self.key = key
            self.value = value
        }
    }

    /// Builds an object from ordered pairs.
    static func obj(_ pairs: KeyValuePairs<String, ZkJSON>) -> ZkJSON {
        .object(pairs.map { Member($0.key, $0.value) })
    }

    static func int<T: BinaryInteger>(_ v: T) -> ZkJSON { .integer(Int64(v)) }

    static func intArray<T: BinaryInteger>(_ values: [T]) -> ZkJSON { .array(values.map { .integer(Int64($0)) }) }
}

// MARK: - Encoding

extension ZkJSON {
    /// Compact UTF-8 encoding in the style of Jackson's default writer.
    var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        write(to: &out)
        return out
    }

    func write(to out: inout [UInt8]) {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let b): out += Array((b ? "true" : "false").utf8)
        case .integer(let v): out += Array(String(v).utf8)
        case .double(let v): out += Array((v.isFinite ? String(v) : "null").utf8)
        case .string(let s): Self.writeString(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, m) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(m.key, to: &out)
                out.append(UInt8(ascii: ":"))
                m.value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0..<0x20:
                out += Array("\\u00".utf8)
                out += [hexDigits[Int(b >> 4)], hexDigits[Int(b & 0xF)]]
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

// MARK: - Decoding

/// Why a znode's bytes could not be turned into a value.
public enum ZNodeDecodingError: Error, Sendable, Equatable {
    /// The bytes are not valid JSON (or not valid UTF-8 / decimal text); the string says where.
    case malformed(String)
    /// A required key is absent (or null where a value is required).
    case missingField(String)
    /// A key holds a value of the wrong JSON type or out of range.
    case invalidField(String)
    /// The `version` field holds a version this decoder does not know.
    case unsupportedVersion(Int64)
}

extension ZkJSON {
    /// Nesting limit: Kafka's znodes are at most three levels deep; this bounds recursion on hostile input.
    static let maxDepth = 32

    static func parse(_ bytes: [UInt8]) throws(ZNodeDecodingError) -> ZkJSON {
        var parser = Parser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw .malformed("trailing bytes at offset \(parser.index)") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        func fail(_ what: String) -> ZNodeDecodingError { .malformed("\(what) at offset \(index)") }

        mutating func expect(_ literal: String, value: ZkJSON) throws(ZNodeDecodingError) -> ZkJSON {
            for b in literal.utf8 {
                guard index < bytes.count, bytes[index] == b else { throw fail("invalid literal") }
                index += 1
            }
            return value
        }

        mutating func parseValue(depth: Int) throws(ZNodeDecodingError) -> ZkJSON {
            guard depth <= ZkJSON.maxDepth else { throw fail("nesting too deep") }
            guard index < bytes.count else { throw fail("unexpected end") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth)
            case UInt8(ascii: "["): return try parseArray(depth: depth)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): return try expect("true", value: .bool(true))
            case UInt8(ascii: "f"): return try expect("false", value: .bool(false))
            case UInt8(ascii: "n"): return try expect("null", value: .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default: throw fail("unexpected byte")
            }
        }

        mutating func parseObject(depth: Int) throws(ZNodeDecodingError) -> ZkJSON {
            index += 1
            var members: [Member] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected key") }
                let key = try parseString()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                index += 1
                skipWhitespace()
                let value = try parseValue(depth: depth + 1)
                members.append(Member(key, value))
                skipWhitespace()
                guard index < bytes.count else { throw fail("unterminated object") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
                index += 1
                return .object(members)
            }
        }

        mutating func parseArray(depth: Int) throws(ZNodeDecodingError) -> ZkJSON {
            index += 1
            var items: [ZkJSON] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            while true {
                skipWhitespace()
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw fail("unterminated array") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
                index += 1
                return .array(items)
            }
        }

        mutating func parseHex4() throws(ZNodeDecodingError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw fail("short \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[index]
                let d: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
                default: throw fail("bad hex digit")
                }
                v = v << 4 | d
                index += 1
            }
            return v
        }

        mutating func parseString() throws(ZNodeDecodingError) -> String {
            index += 1  // opening quote
            var out: [UInt8] = []
            while true {
                guard index < bytes.count else { throw fail("unterminated string") }
                let b = bytes[index]
                index += 1
                switch b {
                case UInt8(ascii: "\""):
                    guard let s = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8 in string") }
                    return s
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { throw fail("unterminated escape") }
                    let e = bytes[index]
                    index += 1
                    switch e {
                    case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
                    case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
                    case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try parseHex4()
                        if (0xD800..<0xDC00).contains(scalar) {
                            guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"),
                                bytes[index + 1] == UInt8(ascii: "u")
                            else { throw fail("lone high surrogate") }
                            index += 2
                            let low = try parseHex4()
                            guard (0xDC00..<0xE000).contains(low) else { throw fail("bad low surrogate") }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let u = Unicode.Scalar(scalar) else { throw fail("invalid code point") }
                        out += Array(String(Character(u)).utf8)
                    default: throw fail("unknown escape")
                    }
                case 0..<0x20: throw fail("control character in string")
                default: out.append(b)
                }
            }
        }

        mutating func parseNumber() throws(ZNodeDecodingError) -> ZkJSON {
            let start = index
            var isInteger = true
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            var digits = 0
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                index += 1
                digits += 1
            }
            guard digits > 0 else { throw fail("bad number") }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                isInteger = false
                index += 1
                var frac = 0
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                    index += 1
                    frac += 1
                }
                guard frac > 0 else { throw fail("bad fraction") }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                isInteger = false
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                    index += 1
                }
                var exp = 0
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                    index += 1
                    exp += 1
                }
                guard exp > 0 else { throw fail("bad exponent") }
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if isInteger, let v = Int64(text) { return .integer(v) }
            guard let d = Double(text) else { throw fail("bad number") }
            return .double(d)
        }
    }
}

// MARK: - Typed access for decoders

extension ZkJSON {
    /// The members of an object, or a decoding error naming `context`.
    func members(_ context: String) throws(ZNodeDecodingError) -> [Member] {
        guard case .object(let m) = self else { throw .invalidField("\(context) is not an object") }
        return m
    }

    subscript(key: String) -> ZkJSON? {
        guard case .object(let members) = self else { return nil }
        // Last occurrence wins, as in Jackson's tree model.
        return members.last(where: { $0.key == key })?.value
    }

    /// A required field; JSON null counts as missing.
    func field(_ key: String) throws(ZNodeDecodingError) -> ZkJSON {
        guard let v = self[key], v != .null else { throw .missingField(key) }
        return v
    }

    func int64(_ key: String) throws(ZNodeDecodingError) -> Int64 {
        guard case .integer(let v) = try field(key) else { throw .invalidField(key) }
        return v
    }

    func int32(_ key: String) throws(ZNodeDecodingError) -> Int32 {
        guard let v = Int32(exactly: try int64(key)) else { throw .invalidField(key) }
        return v
    }

    func string(_ key: String) throws(ZNodeDecodingError) -> String {
        guard case .string(let s) = try field(key) else { throw .invalidField(key) }
        return s
    }

    /// Kafka writes some longs as strings (`timestamp`, `block_start`); accept either form.
    func int64OrString(_ key: String) throws(ZNodeDecodingError) -> Int64 {
        switch try field(key) {
        case .integer(let v): return v
        case .string(let s):
            guard let v = Int64(s) else { throw .invalidField(key) }
            return v
        default: throw .invalidField(key)
        }
    }

    func int32Array(_ context: String) throws(ZNodeDecodingError) -> [Int32] {
        guard case .array(let items) = self else { throw .invalidField(context) }
        var out: [Int32] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard case .integer(let v) = item, let i = Int32(exactly: v) else { throw .invalidField(context) }
            out.append(i)
        }
        return out
    }

    /// `version`, which Kafka writes as a number everywhere except `/cluster/id` (a string).
    func version() throws(ZNodeDecodingError) -> Int64 { try int64OrString("version") }
}
