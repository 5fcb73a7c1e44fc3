/// The type of a configuration, numbered as DescribeConfigs v3+ reports it (`ConfigType` in the response).
public enum ConfigType: Int8, Sendable, CaseIterable, CustomStringConvertible {
    case unknown = 0
    case boolean = 1
    case string = 2
    case int = 3
    case short = 4
    case long = 5
    case double = 6
    case list = 7
    case `class` = 8
    case password = 9

    /// Kafka's upper-case name, used in error messages ("Not a number of type INT").
    public var description: String {
        switch self {
        case .unknown: return "UNKNOWN"
        case .boolean: return "BOOLEAN"
        case .string: return "STRING"
        case .int: return "INT"
        case .short: return "SHORT"
        case .long: return "LONG"
        case .double: return "DOUBLE"
        case .list: return "LIST"
        case .class: return "CLASS"
        case .password: return "PASSWORD"
        }
    }
}

/// A parsed configuration value.
public enum ConfigValue: Sendable, Equatable, CustomStringConvertible {
    case boolean(Bool)
    case string(String)
    case int(Int32)
    case short(Int16)
    case long(Int64)
    case double(Double)
    case list([String])
    case password(String)
    case className(String)

    /// The canonical text Kafka shows for this value (`ConfigDef.convertToString`); passwords are not revealed.
    public var description: String {
        switch self {
        case .boolean(let b): return b ? "true" : "false"
        case .string(let s), .className(let s): return s
        case .int(let n): return String(n)
        case .short(let n): return String(n)
        case .long(let n): return String(n)
        case .double(let d): return ConfigValue.format(d)
        case .list(let items): return items.joined(separator: ",")
        case .password: return "[hidden]"
        }
    }

    /// Any integer type, widened.
    public var integer: Int64? {
        switch self {
        case .int(let n): return Int64(n)
        case .short(let n): return Int64(n)
        case .long(let n): return n
        default: return nil
        }
    }

    var number: Double? {
        if case .double(let d) = self { return d }
        return integer.map(Double.init)
    }

    static func format(_ d: Double) -> String {
        if d.isFinite, d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) + ".0" }
        return String(d)
    }
}

/// When a broker configuration may change without a restart (Kafka's "Update Mode").
public enum UpdateMode: Sendable, Equatable, CustomStringConvertible {
    /// Only at startup, from server.properties, the environment or `--override`.
    case readOnly
    /// Through `/config/brokers/<id>` only.
    case perBroker
    /// Through `/config/brokers/<id>` or the cluster default `/config/brokers/<default>`.
    case clusterWide

    public var description: String {
        switch self {
        case .readOnly: return "read-only"
        case .perBroker: return "per-broker"
        case .clusterWide: return "cluster-wide"
        }
    }
}

/// Rules a parsed value must satisfy, with Kafka's error wording.
public enum ConfigValidator: Sendable, Equatable {
    case none
    /// Numeric lower bound (inclusive).
    case atLeast(Double)
    /// Numeric range (inclusive).
    case between(Double, Double)
    /// A string from a fixed, case-sensitive set.
    case oneOf([String])
    /// Every list element from a fixed set.
    case listOf([String])
    /// Replica throttle lists: `*` or `partition:broker` pairs.
    case throttledReplicas

    /// Kafka's "Valid Values" column: `[1,...]`, `[0,...,1]`, `[compact, delete]`, or empty when anything goes.
    public var validValuesDescription: String {
        switch self {
        case .none: return ""
        case .atLeast(let min): return "[\(ConfigValidator.bound(min)),...]"
        case .between(let min, let max): return "[\(ConfigValidator.bound(min)),...,\(ConfigValidator.bound(max))]"
        case .oneOf(let allowed), .listOf(let allowed): return "[" + allowed.joined(separator: ", ") + "]"
        case .throttledReplicas: return "[partitionId]:[brokerId],[partitionId]:[brokerId],..."
        }
    }

    /// Returns the reason the value is not acceptable, or nil.
    func violation(_ value: ConfigValue) -> (shown: String?, reason: String)? {
        switch self {
        case .none:
            return nil
        case .atLeast(let min):
            guard let n = value.number else { return nil }
            return n < min ? (nil, "Value must be at least \(ConfigValidator.bound(min))") : nil
        case .between(let min, let max):
            guard let n = value.number else { return nil }
            if n < min { return (nil, "Value must be at least \(ConfigValidator.bound(min))") }
            if n > max { return (nil, "Value must be no more than \(ConfigValidator.bound(max))") }
            return nil
        case .oneOf(let allowed):
            guard case .string(let s) = value else { return nil }
            return allowed.contains(s) ? nil : (nil, "String must be one of: \(allowed.joined(separator: ", "))")
        case .listOf(let allowed):
            guard case .list(let items) = value else { return nil }
            for item in items where !allowed.contains(item) {
                return (item, "String must be one of: \(allowed.joined(separator: ", "))")
            }
            return nil
        case .throttledReplicas:
            guard case .list(let items) = value else { return nil }
            if items.count == 1, items[0] == "*" { return nil }
            for item in items {
                let parts = item.split(separator: ":", omittingEmptySubsequences: false)
                let ok =
                    parts.count == 2
                    && parts.allSatisfy { p in !p.isEmpty && p.allSatisfy { $0.isASCII && $0.isNumber } }
                if !ok {
                    return (
                        nil,
                        "Must be the wildcard \"*\" or a list of the form [PartitionId]:[BrokerId],[PartitionId]:[BrokerId],..."
                    )
                }
            }
            return nil
        }
    }

    private static func bound(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e18 ? String(Int64(d)) : String(d)
    }
}

/// One configuration key: its name, type, default, validation, documentation and update mode.
public struct ConfigKeyDefinition: Sendable {
    public let name: String
    public let type: ConfigType
    /// nil when Kafka's default is null (the key is unset unless configured).
    public let defaultValue: ConfigValue?
    public let validator: ConfigValidator
    public let documentation: String
    /// For broker keys; topic keys are always `.clusterWide`-like (changeable through AlterConfigs).
    public let updateMode: UpdateMode

    public init(
        name: String, type: ConfigType, defaultValue: ConfigValue?, validator: ConfigValidator = .none,
        updateMode: UpdateMode = .readOnly, documentation: String
    ) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.validator = validator
        self.documentation = documentation
        self.updateMode = updateMode
    }

    /// Passwords are never shown (DescribeConfigs `IsSensitive`).
    public var isSensitive: Bool { type == .password }

    /// Parses and validates a raw string the way Kafka's `ConfigDef` does: surrounding blanks are trimmed,
    /// numbers are decimal, booleans are `true`/`false` in any case, lists are comma separated.
    public func parse(_ raw: String) throws(ConfigError) -> ConfigValue {
        let trimmed = raw.trimmingBlanks()
        let value: ConfigValue
        switch type {
        case .boolean:
            switch trimmed.lowercased() {
            case "true": value = .boolean(true)
            case "false": value = .boolean(false)
            default: throw invalid(raw, "Expected value to be either true or false")
            }
        case .string, .unknown:
            value = .string(trimmed)
        case .class:
            value = .className(trimmed)
        case .password:
            value = .password(trimmed)
        case .int:
            guard let n = Int32(javaInteger: trimmed) else { throw invalid(raw, "Not a number of type INT") }
            value = .int(n)
        case .short:
            guard let n = Int16(javaInteger: trimmed) else { throw invalid(raw, "Not a number of type SHORT") }
            value = .short(n)
        case .long:
            guard let n = Int64(javaInteger: trimmed) else { throw invalid(raw, "Not a number of type LONG") }
            value = .long(n)
        case .double:
            guard !trimmed.isEmpty, let d = Double(trimmed) else { throw invalid(raw, "Not a number of type DOUBLE") }
            value = .double(d)
        case .list:
            value = .list(
                trimmed.isEmpty
                    ? []
                    : trimmed.split(separator: ",", omittingEmptySubsequences: false).map {
                        String($0).trimmingBlanks()
                    })
        }
        if let problem = validator.violation(value) {
            throw ConfigError.invalidValue(key: name, value: problem.shown ?? trimmed, reason: problem.reason)
        }
        return value
    }

    /// Checks a typed value (for example a default) against the validator.
    func check(_ value: ConfigValue) throws(ConfigError) {
        if let problem = validator.violation(value) {
            throw ConfigError.invalidValue(key: name, value: problem.shown ?? value.description, reason: problem.reason)
        }
    }

    private func invalid(_ raw: String, _ reason: String) -> ConfigError {
        .invalidValue(key: name, value: raw.trimmingBlanks(), reason: reason)
    }
}

extension String {
    /// Trims Java's `String.trim()` set: every code point up to U+0020.
    func trimmingBlanks() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0.value > 0x20 }),
            let last = scalars.lastIndex(where: { $0.value > 0x20 })
        else { return "" }
        return String(scalars[first...last])
    }
}

extension FixedWidthInteger {
    /// Decimal with an optional sign, as `Integer.parseInt` accepts; nothing else (no blanks, no `_`).
    init?(javaInteger text: String) {
        guard !text.isEmpty, text.utf8.count <= 40 else { return nil }
        self.init(text, radix: 10)
    }
}
