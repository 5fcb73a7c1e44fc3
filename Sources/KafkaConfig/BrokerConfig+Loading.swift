import Foundation

/// Where a static broker property came from.
public enum PropertyOrigin: Sendable, Equatable, CustomStringConvertible {
    case file(path: String, line: Int)
    case environment(variable: String)
    case override

    public var description: String {
        switch self {
        case .file(let path, let line): return "\(path):\(line)"
        case .environment(let variable): return "environment variable \(variable)"
        case .override: return "--override"
        }
    }
}

/// A non-fatal problem found while loading, returned to the caller to log.
public struct ConfigWarning: Sendable, Equatable, CustomStringConvertible {
    public var key: String
    public var origin: PropertyOrigin
    public var message: String

    public var description: String { "\(message) (from \(origin))" }
}

/// Maps the Confluent images' `KAFKA_*` environment variables to broker properties.
///
/// `KAFKA_` is stripped, the rest lower-cased, then `___` becomes `-`, `__` becomes `_` and `_` becomes `.`:
/// `KAFKA_ZOOKEEPER_CONNECT` → `zookeeper.connect`, `KAFKA_LISTENER_NAME_X__Y` → `listener.name.x_y`.
/// Variables the images use for the JVM and logging (`KAFKA_HEAP_OPTS`, `KAFKA_OPTS`, `KAFKA_JMX_*`,
/// `KAFKA_LOG4J_*`, …) are not configuration and are skipped. Bitnami-style `KAFKA_CFG_*` variables are read the
/// same way after their `KAFKA_CFG_` prefix.
public enum KafkaEnvironment {
    /// Variables that are never configuration.
    public static let excludedVariables: Set<String> = [
        "KAFKA_VERSION", "KAFKA_HEAP_OPTS", "KAFKA_OPTS", "KAFKA_LOG4J_OPTS", "KAFKA_JVM_PERFORMANCE_OPTS",
        "KAFKA_GC_LOG_OPTS", "KAFKA_LOG4J_ROOT_LOGLEVEL", "KAFKA_LOG4J_LOGGERS", "KAFKA_TOOLS_LOG4J_LOGLEVEL",
        "KAFKA_DEBUG", "KAFKA_DEBUG_SUSPEND_FLAG", "KAFKA_JAVA_DEBUG_PORT", "KAFKA_HOME", "KAFKA_LOG_DIR_PATH",
        "KAFKA_CLUSTER_ID", "KAFKA_ZOOKEEPER_CLIENT_CNXN_SOCKET",
    ]
    /// Prefixes of variable families that are never configuration.
    public static let excludedPrefixes = ["KAFKA_JMX_", "KAFKA_LOG4J_", "KAFKA_GC_", "KAFKA_JVM_"]

    /// The property name for one variable, or nil when it is not a configuration variable.
    public static func propertyName(forVariable variable: String) -> String? {
        guard variable.hasPrefix("KAFKA_"), variable.count > "KAFKA_".count else { return nil }
        if excludedVariables.contains(variable) || ConfluentSecrets.handles(variable) { return nil }
        if excludedPrefixes.contains(where: { variable.hasPrefix($0) }) { return nil }
        let prefix = variable.hasPrefix("KAFKA_CFG_") ? "KAFKA_CFG_" : "KAFKA_"
        guard variable.count > prefix.count else { return nil }
        let raw = variable.dropFirst(prefix.count).lowercased()
        // Same order as the images' template: "_" → ".", then "..." → "-", then ".." → "_".
        return raw.replacingOccurrences(of: "_", with: ".")
            .replacingOccurrences(of: "...", with: "-")
            .replacingOccurrences(of: "..", with: "_")
    }

    /// `(property, value, variable)` for every configuration variable, sorted by variable name.
    public static func properties(from environment: [String: String]) -> [(
        key: String, value: String, variable: String
    )] {
        environment.keys.sorted().compactMap { variable in
            guard let key = propertyName(forVariable: variable), let value = environment[variable] else { return nil }
            return (key, value, variable)
        }
    }
}

extension BrokerConfig {
    /// The result of `load`: the configuration, non-fatal warnings, and where each static key came from.
    public struct Loaded: Sendable {
        public var config: BrokerConfig
        public var warnings: [ConfigWarning]
        public var origins: [String: PropertyOrigin]
    }

    /// Splits `--override key=value` arguments (the values after `--override`).
    public static func parseOverrides(_ arguments: [String]) throws(ConfigError) -> [(key: String, value: String)] {
        try arguments.map { argument throws(ConfigError) in
            guard let eq = argument.firstIndex(of: "=") else { throw ConfigError.malformedOverride(argument) }
            let key = String(argument[..<eq]).trimmingBlanks()
            if key.isEmpty { throw ConfigError.malformedOverride(argument) }
            return (key, String(argument[argument.index(after: eq)...]))
        }
    }

    /// Loads the static configuration: the properties file (if any), then `KAFKA_*` variables, then `--override`
    /// pairs; a later source wins. Unknown keys become warnings; invalid values and a missing
    /// `zookeeper.connect` throw.
    public static func load(
        propertiesFile path: String?, environment: [String: String] = [:], overrides: [String] = []
    ) throws(ConfigError) -> Loaded {
        let file = try path.map { p throws(ConfigError) in (p, try PropertiesFile(contentsOfFile: p)) }
        return try load(
            file: file, environment: environment, overrides: try parseOverrides(overrides))
    }

    /// `load` with an already-parsed file, for tests and embedders.
    public static func load(
        file: (path: String, properties: PropertiesFile)?, environment: [String: String],
        overrides: [(key: String, value: String)]
    ) throws(ConfigError) -> Loaded {
        var merged: [String: String] = [:]
        var origins: [String: PropertyOrigin] = [:]
        if let (path, properties) = file {
            for entry in properties.entries {
                merged[entry.key] = entry.value
                origins[entry.key] = .file(path: path, line: entry.line)
            }
        }
        for (key, value, variable) in KafkaEnvironment.properties(from: environment) {
            merged[key] = value
            origins[key] = .environment(variable: variable)
        }
        for (key, value, variable) in try ConfluentSecrets.properties(from: environment) {
            merged[key] = value
            origins[key] = .environment(variable: variable)
        }
        for (key, value) in overrides {
            merged[key] = value
            origins[key] = .override
        }
        let adapted = ContainerConventions.adapt(&merged, origins: &origins, environment: environment)
        let config = try BrokerConfig(properties: merged)
        let warnings =
            config.unknownKeys.map { key in
                ConfigWarning(
                    key: key, origin: origins[key] ?? .override,
                    message: "The configuration '\(key)' was supplied but isn't a known config.")
            } + adapted
        return Loaded(config: config, warnings: warnings, origins: origins)
    }
}
