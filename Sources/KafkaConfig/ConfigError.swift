/// Everything that can go wrong while reading or validating configuration.
///
/// Every `description` is a single line in Kafka's wording, so the broker can print it as-is
/// and admin APIs can return it as an error message.
public enum ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A value that does not parse or is out of range: `Invalid value abc for configuration num.partitions: Not a
    /// number of type INT`.
    case invalidValue(key: String, value: String, reason: String)
    /// A required key with no default was not given.
    case missingRequired(key: String)
    /// A topic-level configuration name that Kafka does not define.
    case unknownTopicConfig(name: String)
    /// A broker configuration that cannot be changed while the broker runs (AlterConfigs on a broker resource).
    case notDynamicallyUpdatable(keys: [String])
    /// A rule that spans several keys, e.g. `min.compaction.lag.ms` > `max.compaction.lag.ms`.
    case conflict(String)
    /// A `.properties` text that cannot be read, with its 1-based line number.
    case malformedProperties(line: Int, reason: String)
    /// A file that could not be opened or decoded.
    case unreadableFile(path: String, reason: String)
    /// A command-line `--override` argument without `key=value` shape.
    case malformedOverride(String)

    public var description: String {
        switch self {
        case .invalidValue(let key, let value, let reason):
            let shown = ConfigError.oneLine(value)
            return reason.isEmpty
                ? "Invalid value \(shown) for configuration \(key)"
                : "Invalid value \(shown) for configuration \(key): \(ConfigError.oneLine(reason))"
        case .missingRequired(let key):
            return "Missing required configuration \"\(key)\" which has no default value."
        case .unknownTopicConfig(let name):
            return "Unknown topic config name: \(ConfigError.oneLine(name))"
        case .notDynamicallyUpdatable(let keys):
            return "Cannot update these configs dynamically: \(keys.sorted().joined(separator: ", "))"
        case .conflict(let message):
            return ConfigError.oneLine(message)
        case .malformedProperties(let line, let reason):
            return "Malformed properties at line \(line): \(ConfigError.oneLine(reason))"
        case .unreadableFile(let path, let reason):
            return "Cannot read configuration file \(path): \(ConfigError.oneLine(reason))"
        case .malformedOverride(let argument):
            return "Invalid override \(ConfigError.oneLine(argument)): expected key=value"
        }
    }

    /// Values may carry newlines through `\n` escapes; keep the message on one line.
    static func oneLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.properties.isWhitespace && $0 != " " && $0 != "\t" })
        else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}": out += " "
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
