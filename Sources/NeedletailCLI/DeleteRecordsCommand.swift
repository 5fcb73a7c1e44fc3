import ArgumentParser
import Foundation
import KafkaClient

/// `needletail delete-records`: kafka-delete-records.sh.
struct DeleteRecordsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete-records",
        abstract: "Delete records below given offsets (kafka-delete-records.sh).",
        discussion: """
            The JSON file: {"partitions": [{"topic": "orders", "partition": 0, "offset": 10}], "version": 1}
            (offset -1 means the high watermark).

            Example:
              needletail delete-records --bootstrap-server localhost:9092 --offset-json-file delete.json
            """
    )

    @Option(name: .customLong("bootstrap-server"), help: "The broker(s) to connect to: HOST:PORT[,HOST:PORT…].")
    var bootstrapServer: String

    @Option(name: .customLong("offset-json-file"), help: "The JSON file naming partitions and offsets.")
    var offsetJsonFile: String

    @Option(name: .customLong("command-config"), help: "A properties file with client settings.")
    var commandConfig: String?

    static func parse(_ data: Data) throws -> [TopicPartition: Int64] {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let list = root["partitions"] as? [[String: Any]]
        else {
            throw ToolError(
                "The offset JSON file must hold {\"partitions\": [{\"topic\": …, \"partition\": …, \"offset\": …}]}")
        }
        var out: [TopicPartition: Int64] = [:]
        for entry in list {
            guard let topic = entry["topic"] as? String, let partition = (entry["partition"] as? NSNumber)?.int32Value,
                let offset = (entry["offset"] as? NSNumber)?.int64Value
            else { throw ToolError("Each partition entry needs topic, partition and offset: \(entry)") }
            let tp = TopicPartition(topic, partition)
            guard out[tp] == nil else { throw ToolError("Offset json file contains duplicate topic partitions: \(tp)") }
            out[tp] = offset
        }
        return out
    }

    func run() async throws {
        try await Tool.run {
            guard let data = FileManager.default.contents(atPath: offsetJsonFile) else {
                throw ToolError("Cannot read \(offsetJsonFile)")
            }
            let targets = try Self.parse(data)
            let client = try Tool.client(
                bootstrap: bootstrapServer, properties: try Tool.propertiesFile(commandConfig),
                clientId: "delete-records")
            Output.line("Executing records delete operation")
            var lines: [String] = []
            var failed = false
            for tp in targets.keys.sorted() {
                do {
                    let result = try await client.deleteRecords([tp: targets[tp] ?? -1])
                    lines.append("partition: \(tp)\tlow_watermark: \(result[tp] ?? -1)")
                } catch {
                    failed = true
                    lines.append("partition: \(tp)\terror: \(error)")
                }
            }
            Output.line("Records delete operation completed:")
            for l in lines { Output.line(l) }
            await client.close()
            if failed { throw ExitCode.failure }
        }
    }
}
