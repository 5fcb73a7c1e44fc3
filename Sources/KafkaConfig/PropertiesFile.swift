import Foundation

/// Reads Java `.properties` text the way `java.util.Properties.load` does.
///
/// - `#` and `!` start a comment when they are the first non-blank character of a line.
/// - `key=value`, `key: value` and `key value` are all accepted; the key ends at the first unescaped `=`, `:` or
///   blank, and at most one `=`/`:` separator is skipped.
/// - A line ending in an odd number of backslashes continues on the next line, whose leading blanks are dropped.
/// - Escapes: `\t`, `\n`, `\r`, `\f`, `\uXXXX` (UTF-16, surrogate pairs combine), and `\x` meaning `x` otherwise.
/// - Unlike Java, unescaped trailing blanks of a value are trimmed (Kafka trims every value it parses anyway).
///
/// Duplicate keys are all returned, in file order; readers take the last one (`dictionary`).
public struct PropertiesFile: Sendable, Equatable {
    /// One `key = value` entry and the 1-based line where it starts.
    public struct Property: Sendable, Equatable {
        public var key: String
        public var value: String
        public var line: Int

        public init(key: String, value: String, line: Int) {
            self.key = key
            self.value = value
            self.line = line
        }
    }

    /// Entries in file order, duplicates included.
    public var entries: [Property]

    public init(entries: [Property]) {
        self.entries = entries
    }

    /// Parses properties text.
    public init(parsing text: String) throws(ConfigError) {
        self.entries = try PropertiesFile.parse(text)
    }

    /// Reads and parses a file. UTF-8 is expected; text that is not valid UTF-8 is read as ISO-8859-1, Java's
    /// encoding for properties streams.
    public init(contentsOfFile path: String) throws(ConfigError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigError.unreadableFile(path: path, reason: error.localizedDescription)
        }
        let text = String(data: data, encoding: .utf8) ?? String(data: data, encoding: .isoLatin1) ?? ""
        self.entries = try PropertiesFile.parse(text)
    }

    /// Ordered `(key, value)` pairs.
    public var pairs: [(key: String, value: String)] {
        entries.map { ($0.key, $0.value) }
    }

    /// Keys to values; a later duplicate wins, as in `java.util.Properties`.
    public var dictionary: [String: String] {
        var result: [String: String] = [:]
        for entry in entries { result[entry.key] = entry.value }
        return result
    }

    // MARK: - Parsing

    private static func isBlank(_ s: Unicode.Scalar) -> Bool {
        s == " " || s == "\t" || s == "\u{0C}"
    }

    /// A logical line: natural lines joined across continuations, continuation backslash removed.
    private struct LogicalLine {
        var scalars: [Unicode.Scalar]
        var line: Int
    }

    static func parse(_ text: String) throws(ConfigError) -> [Property] {
        var result: [Property] = []
        for logical in logicalLines(Array(text.unicodeScalars)) {
            result.append(try property(from: logical))
        }
        return result
    }

    private static func logicalLines(_ scalars: [Unicode.Scalar]) -> [LogicalLine] {
        var lines: [LogicalLine] = []
        var current: [Unicode.Scalar] = []
        var currentStart = 0
        var continuing = false
        var lineNumber = 0
        var index = 0
        let count = scalars.count

        while index < count || continuing {
            // One natural line: [start, end), then skip its terminator (\n, \r or \r\n).
            lineNumber += 1
            var start = index
            var end = index
            while end < count, scalars[end] != "\n", scalars[end] != "\r" { end += 1 }
            index = end
            if index < count {
                if scalars[index] == "\r", index + 1 < count, scalars[index + 1] == "\n" {
                    index += 2
                } else {
                    index += 1
                }
            }
            while start < end, isBlank(scalars[start]) { start += 1 }

            if !continuing {
                // Blank lines and comments; a comment never continues, whatever it ends with.
                if start == end || scalars[start] == "#" || scalars[start] == "!" {
                    if index >= count { break }
                    continue
                }
                currentStart = lineNumber
                current.removeAll(keepingCapacity: true)
            }

            var trailingBackslashes = 0
            var probe = end
            while probe > start, scalars[probe - 1] == "\\" {
                trailingBackslashes += 1
                probe -= 1
            }
            let continues = trailingBackslashes % 2 == 1
            current.append(contentsOf: scalars[start..<(continues ? end - 1 : end)])

            if continues && index < count {
                continuing = true
                continue
            }
            continuing = false
            lines.append(LogicalLine(scalars: current, line: currentStart))
            if index >= count { break }
        }
        return lines
    }

    private static func property(from logical: LogicalLine) throws(ConfigError) -> Property {
        let s = logical.scalars
        var keyEnd = 0
        var escaped = false
        while keyEnd < s.count {
            let c = s[keyEnd]
            if escaped {
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "=" || c == ":" || isBlank(c) {
                break
            }
            keyEnd += 1
        }
        var valueStart = keyEnd
        while valueStart < s.count, isBlank(s[valueStart]) { valueStart += 1 }
        if valueStart < s.count, s[valueStart] == "=" || s[valueStart] == ":" {
            valueStart += 1
            while valueStart < s.count, isBlank(s[valueStart]) { valueStart += 1 }
        }
        let key = try unescape(s[0..<keyEnd], line: logical.line, trimTrailing: false)
        let value = try unescape(s[valueStart..<s.count], line: logical.line, trimTrailing: true)
        return Property(key: key, value: value, line: logical.line)
    }

    private static func unescape(
        _ s: ArraySlice<Unicode.Scalar>, line: Int, trimTrailing: Bool
    ) throws(ConfigError) -> String {
        var units: [UInt16] = []
        units.reserveCapacity(s.count)
        // Length of `units` up to the last character that must survive trimming (non-blank or escaped).
        var keepLength = 0
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            i += 1
            guard c == "\\" else {
                UTF16.encode(c) { units.append($0) }
                if !isBlank(c) { keepLength = units.count }
                continue
            }
            guard i < s.endIndex else {
                // A lone trailing backslash (end of input after a continuation) is dropped, as Java does.
                break
            }
            let e = s[i]
            i += 1
            switch e {
            case "t": units.append(0x09)
            case "n": units.append(0x0A)
            case "r": units.append(0x0D)
            case "f": units.append(0x0C)
            case "u":
                var code: UInt16 = 0
                for _ in 0..<4 {
                    guard i < s.endIndex, let digit = hexValue(s[i]) else {
                        throw ConfigError.malformedProperties(line: line, reason: "Malformed \\uxxxx encoding.")
                    }
                    code = code &* 16 &+ digit
                    i += 1
                }
                units.append(code)
            default:
                UTF16.encode(e) { units.append($0) }
            }
            keepLength = units.count
        }
        if trimTrailing { units.removeSubrange(keepLength..<units.count) }
        // Unpaired surrogates from bad \u escapes become U+FFFD instead of failing.
        return String(decoding: units, as: UTF16.self)
    }

    private static func hexValue(_ c: Unicode.Scalar) -> UInt16? {
        switch c.value {
        case 0x30...0x39: return UInt16(c.value - 0x30)
        case 0x41...0x46: return UInt16(c.value - 0x41 + 10)
        case 0x61...0x66: return UInt16(c.value - 0x61 + 10)
        default: return nil
        }
    }
}
