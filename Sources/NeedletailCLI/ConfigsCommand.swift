import ArgumentParser
import Foundation
import KafkaClient

/// `needletail configs`: kafka-configs.sh for topics and brokers.
struct ConfigsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "configs",
        abstract: "Describe or change topic and broker configs (kafka-configs.sh).",
        discussion: """
            Examples:
              needletail configs --bootstrap-server localhost:9092 --entity-type topics --entity-name orders --alter --add-config retention.ms=3600000,cleanup.policy=[compact,delete]
              needletail configs --bootstrap-server localhost:9092 --entity-type topics --entity-name orders --describe
              needletail configs --bootstrap-server localhost:9092 --entity-type brokers --entity-name 1 --describe --all
              needletail configs --bootstrap-server localhost:9092 --entity-type topics --entity-name orders --alter --delete-config retention.ms
            """
    )

    @Option(name: .customLong("bootstrap-server"), help: "The broker(s) to connect to: HOST:PORT[,HOST:PORT…].")
    var bootstrapServer: String?

    @Option(
        help: "Deprecated: ZooKeeper HOST:PORT[/chroot], for SCRAM users and for brokers that are not running.")
    var zookeeper: String?

    @Option(name: .customLong("command-config"), help: "A properties file with client settings.")
    var commandConfig: String?

    @Option(name: .customLong("entity-type"), help: "topics, brokers, users or clients.") var entityType: String?
    @Option(name: .customLong("entity-name"), help: "The topic name, broker id, user or client id.")
    var entityName: String?
    @Flag(name: .customLong("entity-default"), help: "The cluster-wide broker default.") var entityDefault = false
    @Option(help: "Shorthand for --entity-type topics --entity-name T.") var topic: String?
    @Option(help: "Shorthand for --entity-type brokers --entity-name ID.") var broker: String?
    @Flag(name: .customLong("broker-defaults"), help: "Shorthand for --entity-type brokers --entity-default.")
    var brokerDefaults = false

    @Flag(help: "List the configs of the entity.") var describe = false
    @Flag(help: "With --describe: every config, not only the dynamic ones.") var all = false
    @Flag(help: "Change configs of the entity.") var alter = false

    @Option(name: .customLong("add-config"), help: "Configs to set: k1=v1,k2=[v1,v2,v2],k3=v3.")
    var addConfig: String?

    @Option(name: .customLong("delete-config"), help: "Configs to remove: k1,k2.")
    var deleteConfig: String?

    func validate() throws {
        guard (bootstrapServer == nil) != (zookeeper == nil) else {
            throw ValidationError("Exactly one of --bootstrap-server or --zookeeper must be specified")
        }
        guard describe != alter else {
            throw ValidationError("Command must include exactly one action: --describe, --alter")
        }
        if alter, addConfig == nil, deleteConfig == nil {
            throw ValidationError("At least one of --add-config or --delete-config must be specified with --alter")
        }
    }

    /// Splits `k1=v1,k2=[a,b]` at commas outside brackets; brackets are dropped from list values.
    static func parseAddConfig(_ text: String) throws -> [(String, String)] {
        var items: [String] = []
        var current = ""
        var depth = 0
        for c in text {
            if c == "[" { depth += 1 } else if c == "]" { depth = max(depth - 1, 0) }
            if c == ",", depth == 0 {
                items.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        items.append(current)
        return try items.filter { !$0.isEmpty }.map { item in
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw ToolError("Invalid entity config: all configs to be added must be in the format \"key=val\".")
            }
            var value = String(item[item.index(after: eq)...])
            if value.hasPrefix("["), value.hasSuffix("]") { value = String(value.dropFirst().dropLast()) }
            return (String(item[..<eq]).trimmingCharacters(in: .whitespaces), value)
        }
    }

    func run() async throws {
        try await Tool.run(errorPrefix: "Error while executing config command with args: ") {
            // Users carry SCRAM credentials and quotas, clients quotas only (as kafka-configs.sh).
            if entityType == "users" {
                if let zookeeper { return try await runUsersWithZooKeeper(zookeeper) }
                let scram = ((addConfig ?? "") + "," + (deleteConfig ?? "")).contains("SCRAM-SHA-")
                if describe {
                    try await runQuotas(entityType: "users")
                    return try await runUsers(bootstrap: bootstrapServer ?? "")
                }
                if scram { return try await runUsers(bootstrap: bootstrapServer ?? "") }
                return try await runQuotas(entityType: "users")
            }
            if let entityType, Self.quotaEntityTypes[entityType] != nil {
                try await runQuotas(entityType: entityType)
                return
            }
            if let zookeeper, entityType == "brokers" || broker != nil || brokerDefaults {
                return try await runBrokersWithZooKeeper(zookeeper)
            }
            guard let bootstrapServer else {
                throw ToolError(
                    "--zookeeper is only supported for --entity-type users and brokers; use --bootstrap-server")
            }
            var kind: ConfigResource.Kind
            var name = entityName
            var isDefault = entityDefault
            if let topic {
                kind = .topic
                name = topic
            } else if let broker {
                kind = .broker
                name = broker
            } else if brokerDefaults {
                kind = .broker
                isDefault = true
            } else {
                switch entityType {
                case "topics": kind = .topic
                case "brokers": kind = .broker
                case "broker-loggers": kind = .brokerLogger
                case let other?: throw ToolError("Unsupported entity type '\(other)': use topics or brokers")
                case nil: throw ToolError("--entity-type must be specified")
                }
            }
            if isDefault {
                guard kind == .broker else { throw ToolError("--entity-default applies to brokers only") }
                name = ""
            }
            let client = try Tool.client(
                bootstrap: bootstrapServer, properties: try Tool.propertiesFile(commandConfig),
                clientId: "needletail-configs")
            if describe {
                var names: [String]
                if let name {
                    names = [name]
                } else if kind == .topic {
                    names = try await client.listTopics(includeInternal: true)
                } else {
                    names = try await client.describeCluster().brokers.keys.sorted().map(String.init)
                }
                for n in names { try await describeEntity(client, ConfigResource(kind, n)) }
            } else {
                guard let name else { throw ToolError("An entity name must be specified with --alter") }
                var ops: [ConfigOperation] = []
                for (k, v) in try addConfig.map(Self.parseAddConfig) ?? [] { ops.append(.set(k, v)) }
                for k in (deleteConfig ?? "").split(separator: ",") {
                    ops.append(.delete(k.trimmingCharacters(in: .whitespaces)))
                }
                let resource = ConfigResource(kind, name)
                if kind == .topic {
                    // Kafka checks the topic exists first so a typo is not silently written.
                    _ = try await client.describeTopics([name])
                }
                try await client.incrementalAlterConfigs(resource, ops)
                switch kind {
                case .topic: Output.line("Completed updating config for topic \(name).")
                case .broker where name.isEmpty:
                    Output.line("Completed updating default config for brokers in the cluster.")
                case .broker: Output.line("Completed updating config for broker \(name).")
                case .brokerLogger: Output.line("Completed updating config for broker-logger \(name).")
                }
            }
            await client.close()
        }
    }

    private func describeEntity(_ client: KafkaClient, _ resource: ConfigResource) async throws {
        let entries = try await client.describeConfigs(resource, includeSynonyms: true)
        let desc: String
        let wanted: ConfigSource
        switch resource.kind {
        case .topic:
            desc = "topic \(resource.name)"
            wanted = .dynamicTopicConfig
        case .broker where resource.name.isEmpty:
            desc = "the default broker"
            wanted = .dynamicDefaultBrokerConfig
        case .broker:
            desc = "broker \(resource.name)"
            wanted = .dynamicBrokerConfig
        case .brokerLogger:
            desc = "broker-logger \(resource.name)"
            wanted = .dynamicBrokerLoggerConfig
        }
        let shown = all ? entries : entries.filter { $0.source == wanted }
        Output.line("\(all ? "All" : "Dynamic") configs for \(desc) are:")
        for e in shown.sorted(by: { $0.name < $1.name }) {
            let synonyms = e.synonyms.map { "\($0.source):\($0.name)=\($0.value ?? "null")" }.joined(separator: ", ")
            let value = e.isSensitive ? "null" : (e.value ?? "null")
            Output.line("  \(e.name)=\(value) sensitive=\(e.isSensitive) synonyms={\(synonyms)}")
        }
    }
}
