import CZooKeeper

/// A ZooKeeper session's id and password: what a client needs to resume the session after its process died.
///
/// The broker keeps them in its log directory so that, after `kill -9`, the restarted process can resume its
/// previous session and close it, which deletes that session's ephemeral nodes (`/brokers/ids/<id>`,
/// `/controller`) at once instead of after the session timeout.
public struct ZooKeeperSessionCredentials: Sendable, Equatable {
    public var sessionId: Int64
    /// libzookeeper's 16-byte session password.
    public var password: [UInt8]

    public init(sessionId: Int64, password: [UInt8]) {
        self.sessionId = sessionId
        self.password = password
    }

    /// The text form kept on disk: `session.id=<hex>` and `session.password=<hex>` lines.
    public var fileContents: String {
        "session.id=\(String(UInt64(bitPattern: sessionId), radix: 16))\nsession.password=\(password.hex)\n"
    }

    /// Parses `fileContents`; nil when anything is missing or malformed.
    public init?(fileContents: String) {
        var id: Int64?
        var password: [UInt8]?
        for line in fileContents.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "session.id": id = UInt64(parts[1], radix: 16).map { Int64(bitPattern: $0) }
            case "session.password": password = [UInt8](hex: parts[1])
            default: continue
            }
        }
        guard let id, id != 0, let password, password.count == 16 else { return nil }
        self.init(sessionId: id, password: password)
    }

    /// The C client's `clientid_t`.
    var clientId: clientid_t {
        var c = clientid_t()
        c.client_id = sessionId
        withUnsafeMutableBytes(of: &c.passwd) { raw in
            for (i, byte) in password.prefix(raw.count).enumerated() { raw[i] = byte }
        }
        return c
    }

    init(_ c: clientid_t) {
        var copy = c
        let bytes = withUnsafeBytes(of: &copy.passwd) { Array($0) }
        self.init(sessionId: c.client_id, password: bytes)
    }
}

/// What became of a previous process's session when this process tried to close it.
public enum AbandonedSessionOutcome: Sendable, Equatable {
    /// It was still alive: resumed and closed, so its ephemeral nodes are gone now.
    case closed
    /// The server had already expired it; its ephemeral nodes are gone too.
    case expired
    /// ZooKeeper did not answer in time, or refused the resume for another reason (the nodes may still exist).
    case unknown(String)
}

extension [UInt8] {
    fileprivate var hex: String {
        map { b in
            let s = String(b, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
    }

    fileprivate init?(hex: String) {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let byte = UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
            i += 2
        }
        self = bytes
    }
}
