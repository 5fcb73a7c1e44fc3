import ArgumentParser
import Foundation
import KafkaClient
import KafkaProtocol

/// `needletail topics`: kafka-topics.sh.
struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "Create, delete, describe, or change a topic (kafka-topics.sh).",
        discussion: """
            Exactly one of --create, --list, --describe, --alter, --delete. --topic accepts a regular expression
            for --list, --describe, --alter and --delete. --describe prints, like Kafka, every config whose
            source is not Kafka's default; --under-replicated-partitions, --unavailable-partitions,
            --under-min-isr-partitions and --at-min-isr-partitions print only the matching partitions.

            Examples:
              needletail topics --bootstrap-server localhost:9092 --create --topic orders --partitions 3 --config retention.ms=86400000
              needletail topics --bootstrap-server localhost:9092 --describe --topic orders
              needletail topics --bootstrap-server localhost:9092 --alter --topic orders --partitions 6
            """
    )

    @Option(name: .customLong("bootstrap-server"), help: "The broker(s) to connect to: HOST:PORT[,HOST:PORT…].")
    var bootstrapServer: String

    @Option(name: .customLong("command-config"), help: "A properties file with client settings.")
    var commandConfig: String?

    @Flag(help: "Create a new topic.") var create = false
    @Flag(help: "List all available topics.") var list = false
    @Flag(help: "List details for the given topics.") var describe = false
    @Flag(help: "Alter the number of partitions of a topic.") var alter = false
    @Flag(help: "Delete a topic.") var delete = false

    @Option(help: "The topic to create, alter, describe or delete (a regular expression except for --create).")
    var topic: String?

    @Option(help: "The number of partitions for the topic being created or altered.")
    var partitions: Int32?

    @Option(name: .customLong("replication-factor"), help: "The replication factor for each partition.")
    var replicationFactor: Int16?

    @Option(name: .customLong("config"), help: "A topic configuration override: key=value (repeatable).")
    var configs: [String] = []

    @Option(
        name: .customLong("replica-assignment"),
        help: "Manual replica placement: broker_id_for_part1_replica1:broker_id_for_part1_replica2,… .")
    var replicaAssignment: String?

    @Flag(name: .customLong("if-not-exists"), help: "With --create: do nothing if the topic already exists.")
    var ifNotExists = false

    @Flag(
        name: .customLong("if-exists"),
        help: "With --alter, --describe or --delete: do nothing if the topic does not exist.")
    var ifExists = false

    @Flag(name: .customLong("exclude-internal"), help: "Leave internal topics out of --list and --describe.")
    var excludeInternal = false

    @Flag(name: .customLong("topics-with-overrides"), help: "With --describe: only topics that override configs.")
    var topicsWithOverrides = false

    @Flag(name: .customLong("under-replicated-partitions"), help: "With --describe: only under-replicated partitions.")
    var underReplicated = false

    @Flag(
        name: .customLong("unavailable-partitions"),
        help: "With --describe: only partitions whose leader is missing or not a live broker.")
    var unavailable = false

    @Flag(
        name: .customLong("under-min-isr-partitions"),
        help: "With --describe: only partitions whose ISR is smaller than min.insync.replicas (or without a leader).")
    var underMinIsr = false

    @Flag(
        name: .customLong("at-min-isr-partitions"),
        help: "With --describe: only partitions whose ISR size equals min.insync.replicas.")
    var atMinIsr = false

    static let collisionWarning =
        "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both."

    func validate() throws {
        let actions = [create, list, describe, alter, delete].filter { $0 }.count
        guard actions == 1 else {
            throw ValidationError(
                "Command must include exactly one action: --list, --describe, --create, --alter or --delete")
        }
        if create || alter || delete, topic == nil { throw ValidationError("Missing required argument \"[topic]\"") }
        if alter, partitions == nil { throw ValidationError("--alter needs --partitions") }
    }

    func run() async throws {
        try await Tool.run(errorPrefix: "Error while executing topic command : ") {
            let client = try Tool.client(
                bootstrap: bootstrapServer, properties: try Tool.propertiesFile(commandConfig),
                clientId: "needletail-topics")
            defer { Task { await client.close() } }
            if create { try await runCreate(client) }
            if list { try await runList(client) }
            if describe { try await runDescribe(client) }
            if alter { try await runAlter(client) }
            if delete { try await runDelete(client) }
        }
    }

    static func parseAssignment(_ text: String) throws -> [Int32: [Int32]] {
        var out: [Int32: [Int32]] = [:]
        for (i, part) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let ids = part.split(separator: ":").map { Int32($0.trimmingCharacters(in: .whitespaces)) }
            guard !ids.isEmpty, ids.allSatisfy({ $0 != nil }) else {
                throw ToolError("Invalid replica assignment '\(text)'")
            }
            let list = ids.compactMap { $0 }
            guard Set(list).count == list.count else {
                throw ToolError("Partition replica lists may not contain duplicate entries: \(part)")
            }
            if let first = out[0], first.count != list.count {
                throw ToolError(
                    "Partition \(i) has different replication factor: \(list.map(String.init).joined(separator: ","))")
            }
            out[Int32(i)] = list
        }
        return out
    }

    private func runCreate(_ client: KafkaClient) async throws {
        guard let name = topic else { return }
        if name.contains(".") || name.contains("_") { Output.line(Self.collisionWarning) }
        var configMap: [String: String] = [:]
        for (k, v) in try Tool.keyValues(configs, what: "config") { configMap[k] = v }
        let assignment = try replicaAssignment.map(Self.parseAssignment) ?? [:]
        if !assignment.isEmpty, partitions != nil || replicationFactor != nil {
            throw ToolError("Option --replica-assignment can't be used with --partitions or --replication-factor")
        }
        let newTopic = NewTopic(
            name: name, numPartitions: partitions ?? -1, replicationFactor: replicationFactor ?? -1,
            configs: configMap, replicaAssignment: assignment)
        do {
            try await client.createTopics([newTopic])
            Output.line("Created topic \(name).")
        } catch let e as KafkaClientError where e.errorCode == .topicAlreadyExists {
            if ifNotExists { return }
            throw ToolError("Topic '\(name)' already exists.")
        }
    }

    private func matchingTopics(_ client: KafkaClient) async throws -> [String] {
        let all = try await client.listTopics(includeInternal: !excludeInternal)
        guard let pattern = topic else { return all }
        if all.contains(pattern) { return [pattern] }
        guard let regex = try? Regex(pattern) else { return [] }
        return all.filter { (try? regex.wholeMatch(in: $0)) != nil }
    }

    private func requireTopics(_ client: KafkaClient) async throws -> [String] {
        let names = try await matchingTopics(client)
        if names.isEmpty, let t = topic, !ifExists {
            throw ToolError("Topic '\(t)' does not exist as expected")
        }
        return names
    }

    private func runList(_ client: KafkaClient) async throws {
        for name in try await matchingTopics(client) { Output.line(name) }
    }

    /// Which partitions a `--describe` prints, as Kafka's TopicCommand decides (flags combine with OR; without
    /// any of them every partition is printed, after the topic line).
    struct PartitionFilter: Sendable {
        var underReplicated = false
        var unavailable = false
        var underMinIsr = false
        var atMinIsr = false

        var isEmpty: Bool { !(underReplicated || unavailable || underMinIsr || atMinIsr) }

        func includes(_ p: PartitionMetadata, minIsr: Int, liveBrokers: Set<Int32>) -> Bool {
            if isEmpty { return true }
            let hasLeader = p.leader >= 0
            if underReplicated, p.replicas.count - p.isr.count > 0 { return true }
            if unavailable, !hasLeader || !liveBrokers.contains(p.leader) { return true }
            if underMinIsr, !hasLeader || p.isr.count < minIsr { return true }
            if atMinIsr, p.isr.count == minIsr { return true }
            return false
        }
    }

    /// The topic line: Kafka prints every config whose source is not DEFAULT_CONFIG (topic overrides and broker
    /// settings that differ from Kafka's defaults, e.g. `segment.bytes` from `log.segment.bytes`).
    static func topicLine(_ t: TopicMetadata, configs: [ConfigEntry]) -> String {
        var line = "Topic: \(t.name)"
        if !t.topicId.isZero { line += "\tTopicId: \(t.topicId.base64URL)" }
        line += "\tPartitionCount: \(t.partitions.count)\tReplicationFactor: \(t.replicationFactor)"
        line += "\tConfigs: " + nonDefault(configs).map { "\($0.name)=\($0.value ?? "null")" }.joined(separator: ",")
        return line
    }

    static func nonDefault(_ configs: [ConfigEntry]) -> [ConfigEntry] {
        configs.filter { $0.source != .defaultConfig && !$0.isDefault }
    }

    static func partitionLine(topic: String, _ p: PartitionMetadata) -> String {
        "\tTopic: \(topic)\tPartition: \(p.partition)\tLeader: \(p.leader >= 0 ? String(p.leader) : "none")"
            + "\tReplicas: \(p.replicas.map(String.init).joined(separator: ","))"
            + "\tIsr: \(p.isr.map(String.init).joined(separator: ","))"
    }

    private func runDescribe(_ client: KafkaClient) async throws {
        let names = try await requireTopics(client)
        guard !names.isEmpty else { return }
        let filter = PartitionFilter(
            underReplicated: underReplicated, unavailable: unavailable, underMinIsr: underMinIsr, atMinIsr: atMinIsr)
        let liveBrokers = Set(try await client.describeCluster().brokers.keys)
        for t in try await client.describeTopics(names) {
            let configs =
                (try? await client.describeConfigs(ConfigResource(.topic, t.name), includeSynonyms: false)) ?? []
            if filter.isEmpty {
                if !topicsWithOverrides || !Self.nonDefault(configs).isEmpty {
                    Output.line(Self.topicLine(t, configs: configs))
                }
            }
            if topicsWithOverrides { continue }
            let minIsr = configs.first { $0.name == "min.insync.replicas" }?.value.flatMap { Int($0) } ?? 1
            for p in t.partitions where filter.includes(p, minIsr: minIsr, liveBrokers: liveBrokers) {
                Output.line(Self.partitionLine(topic: t.name, p))
            }
        }
    }

    private func runAlter(_ client: KafkaClient) async throws {
        let names = try await requireTopics(client)
        guard let count = partitions else { return }
        let assignment = try replicaAssignment.map(Self.parseAssignment)
        for name in names {
            let current = try await client.describeTopics([name]).first?.partitions.count ?? 0
            let newAssignments = assignment.map { a in a.keys.sorted().filter { $0 >= current }.compactMap { a[$0] } }
            try await client.createPartitions(topic: name, totalCount: count, assignments: newAssignments)
        }
    }

    private func runDelete(_ client: KafkaClient) async throws {
        let names = try await requireTopics(client)
        guard !names.isEmpty else { return }
        try await client.deleteTopics(names)
    }
}
