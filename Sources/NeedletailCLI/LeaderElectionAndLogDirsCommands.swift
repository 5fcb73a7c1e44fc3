import ArgumentParser
import Foundation
import JSONText
import KafkaClient
import KafkaProtocol

/// `needletail leader-election`: kafka-leader-election.sh (ElectLeaders, sent to the controller).
struct LeaderElectionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leader-election",
        abstract: "Elect the preferred (or an unclean) leader of partitions (kafka-leader-election.sh).",
        discussion: """
            Exits non-zero when the broker does not support ElectLeaders or any election failed.

            Example:
              needletail leader-election --bootstrap-server localhost:9092 --election-type preferred --all-topic-partitions
            """
    )

    @Option(name: .customLong("bootstrap-server"), help: "The broker(s) to connect to: HOST:PORT[,HOST:PORT…].")
    var bootstrapServer: String
    @Option(name: .customLong("admin.config"), help: "A properties file with client settings.")
    var adminConfig: String?
    @Option(name: .customLong("election-type"), help: "preferred or unclean.") var electionType: String
    @Flag(name: .customLong("all-topic-partitions"), help: "Every partition of every topic.") var allTopicPartitions =
        false
    @Option(help: "The topic (with --partition).") var topic: String?
    @Option(help: "The partition of --topic.") var partition: Int32?

    func validate() throws {
        guard ["preferred", "unclean"].contains(electionType.lowercased()) else {
            throw ValidationError("--election-type must be preferred or unclean")
        }
        if allTopicPartitions == (topic != nil) {
            throw ValidationError("One and only one of the following options is required: all-topic-partitions, topic")
        }
        if topic != nil && partition == nil {
            throw ValidationError("Missing required option(s) [partition]")
        }
    }

    func run() async throws {
        try await Tool.run {
            let client = try Tool.client(
                bootstrap: bootstrapServer, properties: try Tool.propertiesFile(adminConfig),
                clientId: "leader-election")
            defer { Task { await client.close() } }
            let type = electionType.uppercased()
            let partitions = topic.flatMap { t in partition.map { [TopicPartition(t, $0)] } }
            let results = try await client.electLeaders(type: type == "PREFERRED" ? 0 : 1, partitions: partitions)
            var succeeded: [String] = []
            var notNeeded: [String] = []
            var failed: [(String, String)] = []
            for tp in results.keys.sorted() {
                guard let (code, message) = results[tp] else { continue }
                let name = "\(tp.topic)-\(tp.partition)"
                switch ErrorCode(rawValue: code) {
                case .noError?: succeeded.append(name)
                case .electionNotNeeded?: notNeeded.append(name)
                case let known:
                    failed.append((name, message ?? known?.name ?? "error \(code)"))
                }
            }
            if !succeeded.isEmpty {
                Output.line(
                    "Successfully completed leader election (\(type)) for partitions \(succeeded.joined(separator: ", "))"
                )
            }
            if !notNeeded.isEmpty {
                Output.line("Valid replica already elected for partitions \(notNeeded.joined(separator: ", "))")
            }
            if succeeded.isEmpty && notNeeded.isEmpty && failed.isEmpty {
                Output.line("No partitions needed a leader election")
            }
            if !failed.isEmpty {
                Output.line("Error completing leader election (\(type)) for partitions:")
                for (name, reason) in failed { Output.line("\(name): \(reason)") }
                throw ExitCode.failure
            }
        }
    }
}

/// `needletail log-dirs`: kafka-log-dirs.sh --describe (DescribeLogDirs on each broker, JSON output).
struct LogDirsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log-dirs",
        abstract: "Describe the log directories of brokers as JSON (kafka-log-dirs.sh).",
        discussion: """
            Exits non-zero when a broker does not support DescribeLogDirs.

            Example:
              needletail log-dirs --describe --bootstrap-server localhost:9092 --topic-list orders
            """
    )

    @Option(name: .customLong("bootstrap-server"), help: "The broker(s) to connect to: HOST:PORT[,HOST:PORT…].")
    var bootstrapServer: String
    @Option(name: .customLong("command-config"), help: "A properties file with client settings.")
    var commandConfig: String?
    @Flag(help: "Describe the log directories (the only action).") var describe = false
    @Option(name: .customLong("broker-list"), help: "Comma-separated broker ids (all when omitted).")
    var brokerList: String?
    @Option(name: .customLong("topic-list"), help: "Comma-separated topics (all when omitted).")
    var topicList: String?

    func validate() throws {
        if !describe { throw ValidationError("Missing required argument \"[describe]\"") }
    }

    func run() async throws {
        try await Tool.run {
            let client = try Tool.client(
                bootstrap: bootstrapServer, properties: try Tool.propertiesFile(commandConfig), clientId: "log-dirs")
            defer { Task { await client.close() } }
            let topics = topicList.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            let md = try await client.metadata(topics: topics ?? nil)
            var brokers = md.brokers.keys.sorted()
            if let list = brokerList {
                brokers = try list.split(separator: ",").map {
                    guard let id = Int32($0.trimmingCharacters(in: .whitespaces)) else {
                        throw ToolError("Invalid broker id '\($0)'")
                    }
                    return id
                }
            }
            var request = DescribeLogDirsRequest()
            if let topics {
                request.topics = topics.map { t in
                    var x = DescribeLogDirsRequest.DescribableLogDirTopic()
                    x.topic = t
                    x.partitions = md.topics[t]?.partitions.map(\.partition).sorted() ?? []
                    return x
                }
            }
            Output.line("Querying brokers for log directories information")
            var entries: [String] = []
            for id in brokers {
                let response = try await client.send(request, toBroker: id)
                try KafkaClientError.check(response.errorCode, context: "describe log dirs on broker \(id)")
                let dirs = response.results.map { d -> String in
                    let error =
                        d.errorCode == 0 ? "null" : json(ErrorCode(rawValue: d.errorCode)?.name ?? "\(d.errorCode)")
                    let parts = d.topics.flatMap { t in
                        t.partitions.sorted { $0.partitionIndex < $1.partitionIndex }.map { p in
                            "{\"partition\":\(json("\(t.name)-\(p.partitionIndex)")),\"size\":\(p.partitionSize),"
                                + "\"offsetLag\":\(p.offsetLag),\"isFuture\":\(p.isFutureKey)}"
                        }
                    }
                    return
                        "{\"error\":\(error),\"logDir\":\(json(d.logDir)),\"partitions\":[\(parts.joined(separator: ","))]}"
                }
                entries.append("{\"broker\":\(id),\"logDirs\":[\(dirs.joined(separator: ","))]}")
            }
            Output.line(
                "Received log directory information from brokers \(brokers.map(String.init).joined(separator: ","))")
            Output.line("{\"brokers\":[\(entries.joined(separator: ","))],\"version\":1}")
        }
    }

    private func json(_ s: String) -> String { JSON.quote(s) }
}
