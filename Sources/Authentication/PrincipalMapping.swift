/// `ssl.principal.mapping.rules` (KIP-371, Kafka's `SslPrincipalMapper`): a list of
/// `RULE:pattern/replacement/[LU]` tried in order against the certificate's distinguished name, and `DEFAULT`
/// (the DN itself). The first rule whose pattern matches the whole DN gives the name.
public struct PrincipalMappingRules: Sendable {
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    enum Rule: Sendable {
        case defaultRule
        case rule(pattern: String, replacement: String, caseChange: Character?)
    }

    let rules: [Rule]

    public static let `default` = PrincipalMappingRules(rules: [.defaultRule])

    init(rules: [Rule]) { self.rules = rules }

    public init(parsing text: String) throws(ParseError) {
        var rules: [Rule] = []
        let chars = Array(text)
        var i = 0
        func skipSeparators() {
            while i < chars.count, chars[i].isWhitespace || chars[i] == "," { i += 1 }
        }
        func readUntilSlash() throws(ParseError) -> String {
            var out = ""
            while i < chars.count, chars[i] != "/" {
                if chars[i] == "\\", i + 1 < chars.count {
                    out.append(chars[i])
                    i += 1
                }
                out.append(chars[i])
                i += 1
            }
            guard i < chars.count else { throw ParseError(message: "Invalid rule: \(text)") }
            i += 1
            return out
        }
        skipSeparators()
        while i < chars.count {
            let rest = String(chars[i...])
            if rest.hasPrefix("DEFAULT") {
                rules.append(.defaultRule)
                i += 7
            } else if rest.hasPrefix("RULE:") {
                i += 5
                let pattern = try readUntilSlash()
                let replacement = try readUntilSlash()
                var caseChange: Character? = nil
                if i < chars.count, chars[i] == "L" || chars[i] == "U" {
                    caseChange = chars[i]
                    i += 1
                }
                do {
                    _ = try Regex(pattern)
                } catch {
                    throw ParseError(message: "Invalid rule: \(pattern): \(error)")
                }
                rules.append(.rule(pattern: pattern, replacement: replacement, caseChange: caseChange))
            } else {
                throw ParseError(message: "Invalid rule: \(rest)")
            }
            while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 }
            guard i >= chars.count || chars[i] == "," || chars[i] == "\n" else {
                throw ParseError(message: "Invalid rule: \(text)")
            }
            skipSeparators()
        }
        self.rules = rules.isEmpty ? [.defaultRule] : rules
    }

    /// The principal name for a DN, or nil when no rule applies (Kafka then refuses the connection).
    public func name(for distinguishedName: String) -> String? {
        for rule in rules {
            switch rule {
            case .defaultRule:
                return distinguishedName
            case .rule(let pattern, let replacement, let caseChange):
                guard let regex = try? Regex(pattern), let match = try? regex.wholeMatch(in: distinguishedName)
                else { continue }
                var result = Self.expand(replacement, groups: match.output)
                if caseChange == "L" { result = result.lowercased() }
                if caseChange == "U" { result = result.uppercased() }
                return result
            }
        }
        return nil
    }

    /// Java's replacement syntax: `$n` is group n, `\x` is x.
    private static func expand(_ replacement: String, groups: AnyRegexOutput) -> String {
        var out = ""
        let chars = Array(replacement)
        var i = 0
        while i < chars.count {
            if chars[i] == "\\", i + 1 < chars.count {
                out.append(chars[i + 1])
                i += 2
            } else if chars[i] == "$", i + 1 < chars.count, let digit = chars[i + 1].wholeNumberValue {
                if digit < groups.count, let sub = groups[digit].substring { out += sub }
                i += 2
            } else {
                out.append(chars[i])
                i += 1
            }
        }
        return out
    }
}

/// RFC 2253 distinguished-name text as Java's `X500Principal.getName()` writes it: the most specific RDN first,
/// `,` between them, and `,+"\<>;` escaped with a backslash.
public func rfc2253Name(_ attributes: [(type: String, value: String)]) -> String {
    attributes.reversed().map { "\($0.type)=\(escapeRFC2253($0.value))" }.joined(separator: ",")
}

private func escapeRFC2253(_ value: String) -> String {
    var out = ""
    for (index, c) in value.enumerated() {
        if ",+\"\\<>;".contains(c) || (index == 0 && (c == "#" || c == " ")) {
            out.append("\\")
        }
        out.append(c)
    }
    if out.hasSuffix(" ") { out = String(out.dropLast()) + "\\ " }
    return out
}
