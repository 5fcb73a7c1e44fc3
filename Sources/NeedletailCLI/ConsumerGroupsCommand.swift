import ArgumentParser
import Foundation
import KafkaClient
import KafkaProtocol

/// `needletail consumer-groups`: kafka-consumer-groups.sh (list, describe, delete, reset and delete offsets).
struct ConsumerGroupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consumer-groups",
        abstract:
            "List, describe and delete consumer groups; reset or delete their offsets (kafka-consumer-groups.sh).",
        discussion: """
            Examples:
              needletail consumer-groups --bootstrap-server localhost:9092 --list
              needletail consumer-groups --bootstrap-server localhost:9092 --describe --group G [--members [--verbose] | --state | --offsets | --rebalances]
              needletail consumer-groups --bootstrap-server localhost:9092 --delete --group G
              needletail consumer-groups --bootstrap-server localhost:9092 --reset-offsets --group G --topic T --to-earliest --execute
              needletail consumer-groups --bootstrap-server localhost:9092 --delete-offsets --group G --topic T
            """
    )

    @Option(name: .customLong("bootstrap-server"), help: "The broker(s) to connect to: HOST:PORT[,HOST:PORT…].")
    var bootstrapServer: String
    @Option(name: .customLong("command-config"), help: "A properties file with client settings.")
    var commandConfig: String?

    @Flag(help: "List all consumer groups.") var list = false
    @Flag(help: "Describe the group(s).") var describe = false
    @Flag(help: "Delete the group(s).") var delete = false
    @Flag(name: .customLong("reset-offsets"), help: "Reset the group's committed offsets.") var resetOffsets = false
    @Flag(name: .customLong("delete-offsets"), help: "Delete the group's committed offsets of --topic.")
    var deleteOffsets = false

    @Option(help: "The consumer group (repeatable).") var group: [String] = []
    @Flag(name: .customLong("all-groups"), help: "Apply to every group.") var allGroups = false
    @Option(help: "TOPIC or TOPIC:P1,P2 (repeatable).") var topic: [String] = []
    @Flag(name: .customLong("all-topics"), help: "Reset every topic the group has offsets for.") var allTopics = false

    @Flag(help: "With --describe: the members.") var members = false
    @Flag(help: "With --describe --members: each member's assignment.") var verbose = false
    @Flag(help: "With --describe: the group state; with --list: each group's state.") var state = false
    @Flag(help: "With --describe: offsets and lag (the default).") var offsets = false
    @Flag(help: "With --describe: the group's rebalance history, oldest first, and a verdict on repeating causes.")
    var rebalances = false

    @Flag(name: .customLong("to-earliest")) var toEarliest = false
    @Flag(name: .customLong("to-latest")) var toLatest = false
    @Flag(name: .customLong("to-current")) var toCurrent = false
    @Option(name: .customLong("to-offset")) var toOffset: Int64?
    @Option(name: .customLong("shift-by"), parsing: .unconditional) var shiftBy: Int64?
    @Option(name: .customLong("to-datetime"), help: "YYYY-MM-DDTHH:mm:SS.sss[zone]") var toDatetime: String?
    @Option(name: .customLong("by-duration"), help: "PnDTnHnMnS") var byDuration: String?
    @Flag(name: .customLong("dry-run")) var dryRun = false
    @Flag var execute = false

    func validate() throws {
        let actions = [list, describe, delete, resetOffsets, deleteOffsets].filter { $0 }.count
        if actions != 1 {
            throw ValidationError(
                "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets"
            )
        }
        if (describe || delete || resetOffsets) && group.isEmpty && !allGroups {
            throw ValidationError(
                "Option [\(describe ? "describe" : delete ? "delete" : "reset-offsets")] takes one of these options: [all-groups, group]"
            )
        }
        if deleteOffsets && (group.count != 1 || topic.isEmpty) {
            throw ValidationError("Option [delete-offsets] takes the following options: [group, topic]")
        }
        if resetOffsets {
            let scenarios = [
                toEarliest, toLatest, toCurrent, toOffset != nil, shiftBy != nil, toDatetime != nil,
                byDuration != nil,
            ].filter { $0 }.count
            if scenarios != 1 {
                throw ValidationError(
                    "Option [reset-offsets] takes exactly one of: --to-earliest, --to-latest, --to-current, --to-offset, --shift-by, --to-datetime, --by-duration"
                )
            }
            if topic.isEmpty && !allTopics {
                throw ValidationError("Option [reset-offsets] takes one of these options: [all-topics, topic]")
            }
        }
    }

    func run() async throws {
        try await Tool.run {
            let client = try Tool.client(
                bootstrap: bootstrapServer, properties: try Tool.propertiesFile(commandConfig),
                clientId: "consumer-groups")
            defer { Task { await client.close() } }
            if list {
                try await runList(client)
            } else {
                let groups = allGroups ? try await client.listGroups().map(\.groupId).sorted() : group
                if describe {
                    try await runDescribe(client, groups)
                } else if delete {
                    try await runDelete(client, groups)
                } else if resetOffsets {
                    try await runReset(client, groups)
                } else {
                    try await runDeleteOffsets(client, group[0])
                }
            }
        }
    }

    // MARK: List

    private func runList(_ client: KafkaClient) async throws {
        let groups = try await client.listGroups().filter { $0.protocolType == "consumer" || $0.protocolType.isEmpty }
            .sorted { $0.groupId < $1.groupId }
        if state {
            var states: [String: String] = [:]
            for g in groups { states[g.groupId] = g.state }
            if groups.contains(where: { $0.state.isEmpty }) {
                for d in try await client.describeGroups(groups.map(\.groupId)) { states[d.groupId] = d.state }
            }
            let w = max(15, groups.map(\.groupId.count).max() ?? 0)
            Output.line("\n" + pad("GROUP", w) + " STATE")
            for g in groups { Output.line(pad(g.groupId, w) + " " + (states[g.groupId] ?? "")) }
        } else {
            for g in groups { Output.line(g.groupId) }
        }
    }

    // MARK: Describe

    private func runDescribe(_ client: KafkaClient, _ groups: [String]) async throws {
        let descriptions = try await client.describeGroups(groups)
        var missing = false
        for d in descriptions {
            if d.errorCode != 0 || d.state == "Dead" {
                Output.flush()
                Tool.printError("Error: Consumer group '\(d.groupId)' does not exist.")
                missing = true
                continue
            }
            if rebalances {
                try await printRebalances(client, group: d.groupId)
            } else if state {
                try await printState(client, d)
            } else if members {
                printMembers(d)
            } else {
                try await printOffsets(client, d)
            }
        }
        if missing { throw ExitCode.failure }
    }

    private func noActiveMembers(_ d: GroupDescription) -> Bool {
        if d.members.isEmpty {
            Output.line("\nConsumer group '\(d.groupId)' has no active members.")
            return true
        }
        return false
    }

    private func printOffsets(_ client: KafkaClient, _ d: GroupDescription) async throws {
        _ = noActiveMembers(d)
        let committed = try await client.fetchCommittedOffsets(group: d.groupId)
        var owner: [TopicPartition: GroupMemberDescription] = [:]
        for m in d.members { for tp in m.assignment { owner[tp] = m } }
        let tps = Set(committed.keys).union(owner.keys).sorted()
        let ends =
            tps.isEmpty
            ? [:] : try await client.listOffsets(Dictionary(uniqueKeysWithValues: tps.map { ($0, .latest) }))
        var rows: [[String]] = []
        for tp in tps {
            let current = committed[tp]
            let end = ends[tp]?.offset
            let lag: String = if let current, let end { String(max(0, end - current)) } else { "-" }
            let m = owner[tp]
            rows.append([
                d.groupId, tp.topic, String(tp.partition), current.map(String.init) ?? "-", end.map(String.init) ?? "-",
                lag, m?.memberId ?? "-", m.map { hostText($0.clientHost) } ?? "-", m?.clientId ?? "-",
            ])
        }
        let gw = max(15, d.groupId.count)
        let tw = max(15, rows.map { $0[1].count }.max() ?? 0)
        let cw = max(15, rows.map { $0[6].count }.max() ?? 0)
        let hw = max(15, rows.map { $0[7].count }.max() ?? 0)
        func line(_ c: [String]) -> String {
            [
                pad(c[0], gw), pad(c[1], tw), pad(c[2], 10), pad(c[3], 15), pad(c[4], 15), pad(c[5], 15), pad(c[6], cw),
                pad(c[7], hw), c[8],
            ].joined(separator: " ")
        }
        Output.line("")
        Output.line(
            line([
                "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST",
                "CLIENT-ID",
            ]))
        for r in rows { Output.line(line(r)) }
    }

    private func printMembers(_ d: GroupDescription) {
        if noActiveMembers(d) { return }
        let gw = max(15, d.groupId.count)
        let cw = max(15, d.members.map(\.memberId.count).max() ?? 0)
        let hw = max(15, d.members.map { hostText($0.clientHost).count }.max() ?? 0)
        let iw = max(15, d.members.map(\.clientId.count).max() ?? 0)
        var header = [
            pad("GROUP", gw), pad("CONSUMER-ID", cw), pad("HOST", hw), pad("CLIENT-ID", iw),
            verbose ? pad("#PARTITIONS", 12) : "#PARTITIONS",
        ]
        if verbose { header.append("ASSIGNMENT") }
        Output.line("")
        Output.line(header.joined(separator: " "))
        for m in d.members {
            var cells = [
                pad(d.groupId, gw), pad(m.memberId, cw), pad(hostText(m.clientHost), hw), pad(m.clientId, iw),
                verbose ? pad(String(m.assignment.count), 12) : String(m.assignment.count),
            ]
            if verbose {
                let byTopic = Dictionary(grouping: m.assignment, by: \.topic)
                let text = byTopic.keys.sorted().map { t in
                    t + "(" + byTopic[t, default: []].map { String($0.partition) }.sorted().joined(separator: ",") + ")"
                }.joined(separator: ", ")
                cells.append(text.isEmpty ? "-" : text)
            }
            Output.line(cells.joined(separator: " "))
        }
    }

    private func printState(_ client: KafkaClient, _ d: GroupDescription) async throws {
        let coordinatorId = try await client.findCoordinator(group: d.groupId)
        let md = try await client.metadata(topics: [])
        let node = md.brokers[coordinatorId]
        let coordinator = node.map { "\($0.host):\($0.port)  (\($0.id))" } ?? "- (\(coordinatorId))"
        let gw = max(15, d.groupId.count)
        let cw = max(25, coordinator.count)
        Output.line("")
        Output.line(
            [
                pad("GROUP", gw), pad("COORDINATOR (ID)", cw), pad("ASSIGNMENT-STRATEGY", 20), pad("STATE", 20),
                "#MEMBERS",
            ]
            .joined(separator: " "))
        Output.line(
            [
                pad(d.groupId, gw), pad(coordinator, cw), pad(d.protocolName.isEmpty ? "" : d.protocolName, 20),
                pad(d.state, 20), String(d.members.count),
            ].joined(separator: " "))
    }

    // MARK: Delete

    private func runDelete(_ client: KafkaClient, _ groups: [String]) async throws {
        let results = try await client.deleteGroups(groups)
        let failed = groups.filter { (results[$0] ?? -1) != 0 }
        let ok = groups.filter { results[$0] == 0 }
        if !ok.isEmpty {
            Output.line(
                "Deletion of requested consumer groups (" + ok.map { "'\($0)'" }.joined(separator: ", ")
                    + ") was successful.")
        }
        if !failed.isEmpty {
            Output.line("Deletion of some consumer groups failed:")
            for g in failed {
                let code = results[g].flatMap { ErrorCode(rawValue: $0) }
                let reason: String =
                    switch code {
                    case .groupIdNotFound?: "The group id does not exist."
                    case .nonEmptyGroup?: "The group is not empty."
                    default: code?.name ?? "unknown error"
                    }
                Output.line("* Group '\(g)' could not be deleted due to: \(reason)")
            }
            throw ExitCode.failure
        }
    }

    // MARK: Offsets

    /// The partitions named by --topic (TOPIC or TOPIC:P1,P2), or every partition the group has committed.
    private func targetPartitions(_ client: KafkaClient, group: String) async throws -> [TopicPartition] {
        if allTopics { return try await client.fetchCommittedOffsets(group: group).keys.sorted() }
        var out: [TopicPartition] = []
        for spec in topic {
            let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
            guard let name = parts.first, !name.isEmpty else { throw ToolError("Invalid topic '\(spec)'") }
            if parts.count == 2 {
                for p in parts[1].split(separator: ",") {
                    guard let n = Int32(p.trimmingCharacters(in: .whitespaces)) else {
                        throw ToolError("Invalid partition '\(p)' in '\(spec)'")
                    }
                    out.append(TopicPartition(name, n))
                }
            } else {
                let md = try await client.topicMetadata(name)
                out += md.partitions.map { TopicPartition(name, $0.partition) }
            }
        }
        return out.sorted()
    }

    private func runReset(_ client: KafkaClient, _ groups: [String]) async throws {
        if !dryRun && !execute {
            Tool.printError(
                "WARN: No action will be performed as the --execute option is missing. In a future major release, the default behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting."
            )
        }
        for group in groups {
            let d = try await client.describeGroups([group]).first
            if let d, !(d.state == "Empty" || d.state == "Dead" || d.errorCode != 0) {
                throw ToolError(
                    "Assignments can only be reset if the group '\(group)' is inactive, but the current state is \(d.state)."
                )
            }
            let tps = try await targetPartitions(client, group: group)
            let specs = { (spec: OffsetSpec) in Dictionary(uniqueKeysWithValues: tps.map { ($0, spec) }) }
            let earliest = try await client.listOffsets(specs(.earliest))
            let latest = try await client.listOffsets(specs(.latest))
            func clamp(_ tp: TopicPartition, _ o: Int64) -> Int64 {
                let lo = earliest[tp]?.offset ?? 0
                let hi = latest[tp]?.offset ?? o
                return min(max(o, lo), hi)
            }
            var target: [TopicPartition: Int64] = [:]
            if toEarliest {
                for tp in tps { target[tp] = earliest[tp]?.offset ?? 0 }
            } else if toLatest {
                for tp in tps { target[tp] = latest[tp]?.offset ?? 0 }
            } else if let o = toOffset {
                for tp in tps { target[tp] = clamp(tp, o) }
            } else if toCurrent || shiftBy != nil {
                let committed = try await client.fetchCommittedOffsets(group: group, partitions: tps)
                for tp in tps {
                    let current = committed[tp] ?? latest[tp]?.offset ?? 0
                    target[tp] = clamp(tp, current + (shiftBy ?? 0))
                }
            } else {
                let ms: Int64
                if let text = toDatetime {
                    ms = try Self.parseDatetime(text)
                } else {
                    ms = Int64(Date().timeIntervalSince1970 * 1000) - (try Self.parseDuration(byDuration ?? ""))
                }
                let found = try await client.listOffsets(specs(.timestamp(ms)))
                for tp in tps {
                    let o = found[tp]?.offset ?? -1
                    target[tp] = o >= 0 ? o : (latest[tp]?.offset ?? 0)
                }
            }
            if execute {
                try await client.commitOffsets(group: group, offsets: target)
            }
            Output.line("")
            Output.line(
                [pad("GROUP", 30), pad("TOPIC", 30), pad("PARTITION", 10), "NEW-OFFSET"].joined(separator: " "))
            for tp in tps {
                Output.line(
                    [pad(group, 30), pad(tp.topic, 30), pad(String(tp.partition), 10), String(target[tp] ?? 0)]
                        .joined(separator: " "))
            }
        }
    }

    private func runDeleteOffsets(_ client: KafkaClient, _ group: String) async throws {
        let tps = try await targetPartitions(client, group: group)
        let byTopic = Dictionary(grouping: tps, by: \.topic)
        let request = OffsetDeleteRequest(
            groupId: group,
            topics: byTopic.keys.sorted().map { t in
                .init(name: t, partitions: byTopic[t, default: []].map { .init(partitionIndex: $0.partition) })
            })
        let response = try await client.sendToCoordinator(request, group: group)
        if response.errorCode != 0 {
            let name = ErrorCode(rawValue: response.errorCode)?.name ?? "error \(response.errorCode)"
            throw ToolError("Encounter some unknown error: \(name)")
        }
        Output.line("Request succeed for deleting offsets with topic \(topic.joined(separator: ", ")) group \(group)")
        Output.line("")
        Output.line([pad("TOPIC", 30), pad("PARTITION", 10), "STATUS"].joined(separator: " "))
        for t in response.topics {
            for p in t.partitions {
                let status =
                    p.errorCode == 0
                    ? "Successful" : "Error: " + (ErrorCode(rawValue: p.errorCode)?.name ?? "\(p.errorCode)")
                Output.line([pad(t.name, 30), pad(String(p.partitionIndex), 10), status].joined(separator: " "))
            }
        }
    }

    // MARK: Parsing

    /// "YYYY-MM-DDTHH:mm:SS.sss" in local time, or with a zone suffix (Z, +hh:mm).
    static func parseDatetime(_ text: String) throws -> Int64 {
        let formats = [
            "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "yyyy-MM-dd'T'HH:mm:ss.SSSX", "yyyy-MM-dd'T'HH:mm:ss.SSS",
            "yyyy-MM-dd'T'HH:mm:ssXXX", "yyyy-MM-dd'T'HH:mm:ss",
        ]
        for f in formats {
            let df = DateFormatter()
            df.locale = Locale(identifier: "en_US_POSIX")
            df.dateFormat = f
            if let d = df.date(from: text) { return Int64((d.timeIntervalSince1970 * 1000).rounded()) }
        }
        throw ToolError("Error parsing timestamp '\(text)': expected yyyy-MM-ddTHH:mm:SS.sss")
    }

    /// An ISO-8601 duration PnDTnHnMnS in milliseconds.
    static func parseDuration(_ text: String) throws -> Int64 {
        var s = Substring(text.uppercased())
        guard s.hasPrefix("P") else { throw ToolError("Invalid duration '\(text)': expected PnDTnHnMnS") }
        s = s.dropFirst()
        var ms: Double = 0
        var inTime = false
        var number = ""
        for ch in s {
            if ch == "T" { inTime = true; continue }
            if ch.isNumber || ch == "." || ch == "-" { number.append(ch); continue }
            guard let n = Double(number) else { throw ToolError("Invalid duration '\(text)': expected PnDTnHnMnS") }
            number = ""
            switch (ch, inTime) {
            case ("D", false): ms += n * 86_400_000
            case ("H", true): ms += n * 3_600_000
            case ("M", true): ms += n * 60_000
            case ("S", true): ms += n * 1_000
            default: throw ToolError("Invalid duration '\(text)': expected PnDTnHnMnS")
            }
        }
        guard number.isEmpty else { throw ToolError("Invalid duration '\(text)': expected PnDTnHnMnS") }
        return Int64(ms)
    }
}

/// Left-aligns `s` in `width` columns (Java's %-Ns).
func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

/// Kafka shows the client host as "/1.2.3.4". A NIO address description ("[IPv4]host/1.2.3.4:5678") is reduced
/// to its IP.
func hostText(_ h: String) -> String {
    var text = Substring(h)
    if text.hasPrefix("/[") { text = text.dropFirst() }
    if text.hasPrefix("[IPv4]") || text.hasPrefix("[IPv6]") {
        text = text.dropFirst(6)
        if let slash = text.lastIndex(of: "/") { text = text[text.index(after: slash)...] }
        if let colon = text.lastIndex(of: ":") { text = text[..<colon] }
    }
    if text.isEmpty || text.hasPrefix("/") { return String(text) }
    return "/" + text
}
