/// One JAAS login-module entry: `org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="x";`.
public struct JaasEntry: Sendable, Equatable {
    public var loginModule: String
    public var flag: String
    public var options: [String: String]

    public init(loginModule: String, flag: String, options: [String: String]) {
        self.loginModule = loginModule
        self.flag = flag
        self.options = options
    }

    /// PLAIN's users: every `user_<name>="<password>"` option (`PlainServerCallbackHandler`).
    public var plainUsers: [String: String] {
        var users: [String: String] = [:]
        for (key, value) in options where key.hasPrefix("user_") { users[String(key.dropFirst(5))] = value }
        return users
    }
}

/// JAAS configuration as Kafka reads it: the inline `sasl.jaas.config` value (entries only) and the file named by
/// `-Djava.security.auth.login.config` (named sections `KafkaServer { … };`).
public enum Jaas {
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Parses `Module flag key=value …;` entries (the form of `sasl.jaas.config`).
    public static func parseEntries(_ text: String) throws(ParseError) -> [JaasEntry] {
        var scanner = JaasScanner(text)
        var entries: [JaasEntry] = []
        while true {
            guard let entry = try scanner.entry() else { break }
            entries.append(entry)
        }
        guard !entries.isEmpty else { throw ParseError(message: "JAAS config entry not terminated by semi-colon") }
        return entries
    }

    /// Parses a JAAS file into its sections, keyed by name (`KafkaServer`, `sasl_ssl.KafkaServer`, `Client`, …).
    public static func parseFile(_ text: String) throws(ParseError) -> [String: [JaasEntry]] {
        var scanner = JaasScanner(text)
        var sections: [String: [JaasEntry]] = [:]
        while let name = scanner.word() {
            guard scanner.consume("{") else { throw ParseError(message: "expected '{' after \(name)") }
            var entries: [JaasEntry] = []
            while !scanner.consume("}") {
                guard let entry = try scanner.entry() else {
                    throw ParseError(message: "section \(name) is not closed with '}'")
                }
                entries.append(entry)
            }
            _ = scanner.consume(";")
            sections[name] = entries
        }
        scanner.skipBlanks()
        guard scanner.atEnd else { throw ParseError(message: "unexpected text in JAAS file") }
        return sections
    }
}

private struct JaasScanner {
    let chars: [Character]
    var i = 0

    init(_ text: String) { chars = Array(text) }

    var atEnd: Bool { i >= chars.count }

    mutating func skipBlanks() {
        while i < chars.count {
            if chars[i].isWhitespace {
                i += 1
            } else if chars[i] == "/", i + 1 < chars.count, chars[i + 1] == "/" {
                while i < chars.count, chars[i] != "\n" { i += 1 }
            } else if chars[i] == "/", i + 1 < chars.count, chars[i + 1] == "*" {
                i += 2
                while i + 1 < chars.count, !(chars[i] == "*" && chars[i + 1] == "/") { i += 1 }
                i += 2
            } else {
                return
            }
        }
    }

    mutating func consume(_ c: Character) -> Bool {
        skipBlanks()
        guard i < chars.count, chars[i] == c else { return false }
        i += 1
        return true
    }

    /// A bare word: letters, digits and `._-$`.
    mutating func word() -> String? {
        skipBlanks()
        let start = i
        while i < chars.count, chars[i].isLetter || chars[i].isNumber || "._-$".contains(chars[i]) { i += 1 }
        return i > start ? String(chars[start..<i]) : nil
    }

    mutating func value() throws(Jaas.ParseError) -> String {
        skipBlanks()
        guard i < chars.count else { throw Jaas.ParseError(message: "missing option value") }
        if chars[i] == "\"" {
            i += 1
            var out = ""
            while i < chars.count, chars[i] != "\"" {
                if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                out.append(chars[i])
                i += 1
            }
            guard i < chars.count else { throw Jaas.ParseError(message: "unterminated quoted value") }
            i += 1
            return out
        }
        let start = i
        while i < chars.count, !chars[i].isWhitespace, chars[i] != ";" { i += 1 }
        return String(chars[start..<i])
    }

    /// `Module flag (key=value)* ;`, or nil at the end of input or before '}'.
    mutating func entry() throws(Jaas.ParseError) -> JaasEntry? {
        skipBlanks()
        guard i < chars.count, chars[i] != "}" else { return nil }
        guard let module = word() else { throw Jaas.ParseError(message: "expected a login module class name") }
        guard let flag = word(), ["required", "requisite", "sufficient", "optional"].contains(flag.lowercased())
        else {
            throw Jaas.ParseError(message: "Invalid JAAS config: login module control flag not specified")
        }
        var options: [String: String] = [:]
        while !consume(";") {
            guard let key = word() else {
                throw Jaas.ParseError(message: "JAAS config entry not terminated by semi-colon")
            }
            guard consume("=") else { throw Jaas.ParseError(message: "expected '=' after \(key)") }
            options[key] = try value()
        }
        return JaasEntry(loginModule: module, flag: flag.lowercased(), options: options)
    }
}
