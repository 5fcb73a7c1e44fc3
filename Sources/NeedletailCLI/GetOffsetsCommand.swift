import ArgumentParser
import Foundation
import KafkaClient

/// `needletail get-offsets`: kafka-get-offsets.sh (GetOffsetShell).
struct GetOffsetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get-offsets",
        abstract: "Print offsets of topic partitions: TOPIC:PARTITION:OFFSET (kafka-get-offsets.sh).",
        discussion: """
            --time: -1 or latest (default), -2 or earliest, -3 or max-timestamp, or a timestamp in ms.

            Example:
              needletail get-offsets --bootstrap-server localhost:9092 --topic orders --time -2
            """
    )

    @Option(name: .customLong("bootstrap-server"), help: "The broker(s) to connect to: HOST:PORT[,HOST:PORT…].")
    var bootstrapServer: String

    @Option(name: .customLong("command-config"), help: "A properties file with client settings.")
    var commandConfig: String?

    @Option(help: "The topic (a regular expression); all topics when omitted.") var topic: String?

    @Option(help: "Comma-separated partition ids or ranges (0,2-4); all when omitted.") var partitions: String?

    @Option(parsing: .unconditional, help: "-1/latest, -2/earliest, -3/max-timestamp, or a timestamp in ms.") var time:
        String = "-1"

    @Flag(name: .customLong("exclude-internal-topics"), help: "Leave out internal topics.")
    var excludeInternal = false

    static func spec(_ text: String) throws -> OffsetSpec {
        switch text.lowercased() {
        case "-1", "latest": return .latest
        case "-2", "earliest": return .earliest
        case "-3", "max-timestamp": return .maxTimestamp
        default:
            guard let t = Int64(text), t >= 0 else { throw ToolError("Malformed time argument \(text)") }
            return .timestamp(t)
        }
    }

    static func partitionFilter(_ text: String) throws -> (Int32) -> Bool {
        var ranges: [ClosedRange<Int32>] = []
        for part in text.split(separator: ",") {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            if bounds.count == 1, let p = Int32(bounds[0]) {
                ranges.append(p...p)
            } else if bounds.count == 2, let lo = Int32(bounds[0]), let hi = Int32(bounds[1]), lo <= hi {
                ranges.append(lo...hi)
            } else {
                throw ToolError("Invalid partition '\(part)'")
            }
        }
        return { p in ranges.contains { $0.contains(p) } }
    }

    func run() async throws {
        try await Tool.run {
            let spec = try Self.spec(time)
            let filter = try partitions.map(Self.partitionFilter) ?? { _ in true }
            let client = try Tool.client(
                bootstrap: bootstrapServer, properties: try Tool.propertiesFile(commandConfig), clientId: "get-offsets")
            var names = try await client.listTopics(includeInternal: !excludeInternal)
            if let topic {
                let regex = try? Regex(topic)
                names = names.filter { name in
                    name == topic || (regex.map { (try? $0.wholeMatch(in: name)) != nil } ?? false)
                }
            }
            var specs: [TopicPartition: OffsetSpec] = [:]
            for t in try await client.describeTopics(names) {
                for p in t.partitions where filter(p.partition) { specs[TopicPartition(t.name, p.partition)] = spec }
            }
            let offsets = specs.isEmpty ? [:] : try await client.listOffsets(specs)
            for tp in specs.keys.sorted() {
                let o = offsets[tp]?.offset ?? -1
                Output.line("\(tp.topic):\(tp.partition):\(o >= 0 ? String(o) : "")")
            }
            await client.close()
        }
    }
}
