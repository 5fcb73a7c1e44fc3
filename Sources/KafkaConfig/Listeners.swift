/// Kafka's security protocols. Only PLAINTEXT is served today; the others parse so configs stay portable.
public enum SecurityProtocol: String, Sendable, CaseIterable {
    case plaintext = "PLAINTEXT"
    case ssl = "SSL"
    case saslPlaintext = "SASL_PLAINTEXT"
    case saslSSL = "SASL_SSL"
}

/// One `NAME://host:port` entry of `listeners` or `advertised.listeners`.
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    /// Upper-cased, as Kafka normalises listener names.
    public var listenerName: String
    /// Empty means "all interfaces" for a listener and "this machine's canonical hostname" when advertised; the
    /// broker resolves that. IPv6 addresses are stored without brackets.
    public var host: String
    /// 0 asks the OS for an ephemeral port (listeners only).
    public var port: Int
    public var securityProtocol: SecurityProtocol

    public init(listenerName: String, host: String, port: Int, securityProtocol: SecurityProtocol) {
        self.listenerName = listenerName
        self.host = host
        self.port = port
        self.securityProtocol = securityProtocol
    }

    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(listenerName)://\(h):\(port)"
    }

    /// Parses a comma-separated listener list against a security-protocol map (listener name → protocol).
    /// `key` names the configuration in error messages.
    public static func parseList(
        _ text: String, securityProtocolMap: [String: SecurityProtocol], key: String
    ) throws(ConfigError) -> [Endpoint] {
        var endpoints: [Endpoint] = []
        for piece in text.split(separator: ",") {
            let item = String(piece).trimmingBlanks()
            if item.isEmpty { continue }
            guard let (name, host, port) = splitEndpoint(item) else {
                throw ConfigError.invalidValue(
                    key: key, value: text, reason: "Unable to parse \(item) to a broker endpoint")
            }
            guard let proto = securityProtocolMap[name] else {
                throw ConfigError.invalidValue(
                    key: key, value: text,
                    reason: "No security protocol defined for listener \(name) in listener.security.protocol.map")
            }
            endpoints.append(Endpoint(listenerName: name, host: host, port: port, securityProtocol: proto))
        }
        var seen = Set<String>()
        for e in endpoints where !seen.insert(e.listenerName).inserted {
            throw ConfigError.invalidValue(
                key: key, value: text, reason: "Each listener must have a different name, \(e.listenerName) is repeated"
            )
        }
        return endpoints
    }

    /// `NAME://host:port`, `NAME://:port`, `NAME://[v6]:port`.
    private static func splitEndpoint(_ item: String) -> (String, String, Int)? {
        guard let sep = item.range(of: "://") else { return nil }
        let name = item[..<sep.lowerBound].uppercased()
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
        else { return nil }
        let rest = item[sep.upperBound...]
        guard let colon = rest.lastIndex(of: ":") else { return nil }
        var host = String(rest[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]"), host.count >= 2 {
            host = String(host.dropFirst().dropLast())
        }
        let hostOK = host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-%._:".contains($0)) }
        guard hostOK, let port = Int(rest[rest.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        return (name, host, port)
    }
}

/// Parses `listener.security.protocol.map` (`NAME:PROTOCOL,...`).
func parseSecurityProtocolMap(_ text: String, key: String) throws(ConfigError) -> [String: SecurityProtocol] {
    var map: [String: SecurityProtocol] = [:]
    for piece in text.split(separator: ",") {
        let item = String(piece).trimmingBlanks()
        if item.isEmpty { continue }
        let parts = item.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2,
            let proto = SecurityProtocol(rawValue: String(parts[1]).trimmingBlanks().uppercased())
        else {
            throw ConfigError.invalidValue(
                key: key, value: text,
                reason: "Map entry should be of form <listenerName>:<securityProtocol> with a protocol of "
                    + SecurityProtocol.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let name = String(parts[0]).trimmingBlanks().uppercased()
        if map[name] != nil {
            throw ConfigError.invalidValue(key: key, value: text, reason: "Duplicate listener name \(name)")
        }
        map[name] = proto
    }
    return map
}
