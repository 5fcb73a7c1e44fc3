import JSONText

/// Kafka's znode JSON is `JSONText.JSON`; this file adds what znode decoders need: the decoding error and typed
/// field access that names the missing or invalid key.
typealias ZkJSON = JSON

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

extension JSON {
    static func parse(_ bytes: [UInt8]) throws(ZNodeDecodingError) -> JSON {
        do {
            return try JSON(parsing: bytes)
        } catch {
            switch error {
            case .malformed(let what): throw .malformed(what)
            }
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
