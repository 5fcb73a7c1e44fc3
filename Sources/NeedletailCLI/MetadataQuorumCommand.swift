import ArgumentParser
import Foundation
import KafkaClient
import KafkaProtocol

/// `needletail metadata-quorum (--bootstrap-server B | --bootstrap-controller C) describe --status|--replication`:
/// kafka-metadata-quorum.sh (Kafka's `MetadataQuorumCommand`), with its output.
struct MetadataQuorumCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metadata-quorum",
        abstract: "Describe the KRaft metadata quorum (kafka-metadata-quorum.sh).",
        discussion: """
            Example:
              needletail metadata-quorum --bootstrap-server localhost:9092 describe --status
              needletail metadata-quorum --bootstrap-controller localhost:9093 describe --replication
            """,
    )

    @OptionGroup var options: Options

    // kafka-metadata-quorum.sh puts its connection options before the action (`--bootstrap-server B describe`),
    // so the action is an argument here rather than an ArgumentParser subcommand.
    @Argument(help: "The action: describe (add-controller and remove-controller are not supported).")
    var action: String

    @Flag(name: .customLong("status"), help: "A short summary of the quorum status and the other information.")
    var status = false

    @Flag(name: .customLong("replication"), help: "Detailed information about the status of replication.")
    var replication = false

    @Flag(name: .customLong("human-readable"), help: "Print timestamps as durations (with --replication).")
    var humanReadable = false

    func validate() throws {
        guard action == "describe" else { throw ValidationError("Unsupported action \(action): only describe") }
        if status == replication {
            throw ValidationError("One of --status or --replication must be specified with describe sub-command")
        }
    }

    func run() async throws {
        try await Describe(options: options, status: status, replication: replication, humanReadable: humanReadable)
            .run()
    }

    struct Options: ParsableArguments {
        @Option(name: .customLong("bootstrap-server"), help: "A broker to connect to: HOST:PORT[,HOST:PORT…].")
        var bootstrapServer: String?

        @Option(name: .customLong("bootstrap-controller"), help: "A controller to connect to: HOST:PORT[,HOST:PORT…].")
        var bootstrapController: String?

        @Option(name: .customLong("command-config"), help: "A properties file with client settings.")
        var commandConfig: String?

        func validate() throws {
            if (bootstrapServer == nil) == (bootstrapController == nil) {
                throw ValidationError("Only one of --bootstrap-server or --bootstrap-controller must be specified")
            }
        }
    }

    /// `describe --status|--replication`.
    struct Describe {
        var options: Options
        var status: Bool
        var replication: Bool
        var humanReadable: Bool

        func run() async throws {
            try await Tool.run {
                let bootstrap = options.bootstrapServer ?? options.bootstrapController ?? ""
                let client = try Tool.client(
                    bootstrap: bootstrap, properties: try Tool.propertiesFile(options.commandConfig),
                    clientId: "metadata-quorum")
                var conn = try await client.anyConnection()
                let request = DescribeQuorumRequest(
                    topics: [.init(topicName: "__cluster_metadata", partitions: [.init()])])
                var response = try await client.send(request, on: conn)
                // A controller that is not the quorum's leader answers NOT_LEADER_OR_FOLLOWER naming the leader;
                // Kafka's admin client sends DescribeQuorum to the active controller, so ask the leader once.
                if options.bootstrapController != nil, let p = response.topics.first?.partitions.first,
                    p.errorCode == ErrorCode.notLeaderOrFollower.rawValue, p.leaderId >= 0,
                    let leader = response.nodes.first(where: { $0.nodeId == p.leaderId })?.listeners.first
                {
                    conn = try await client.connection(to: BrokerAddress(host: leader.host, port: Int(leader.port)))
                    response = try await client.send(request, on: conn)
                }
                if response.errorCode != 0 {
                    throw ToolError(describeError(response.errorCode, response.errorMessage))
                }
                guard let p = response.topics.first?.partitions.first else {
                    throw ToolError("The answer names no __cluster_metadata-0 partition")
                }
                if p.errorCode != 0 { throw ToolError(describeError(p.errorCode, p.errorMessage)) }
                if status {
                    // A controller answers no Metadata: ask it DescribeCluster for controllers (KIP-919).
                    let clusterId =
                        options.bootstrapController != nil
                        ? try await client.send(DescribeClusterRequest(endpointType: 2), on: conn).clusterId
                        : try await client.send(MetadataRequest(topics: []), on: conn).clusterId ?? ""
                    Output.write(Self.statusText(clusterId: clusterId, partition: p, nodes: response.nodes))
                } else {
                    Output.write(
                        Self.replicationText(
                            partition: p, humanReadable: humanReadable,
                            now: Int64(Date().timeIntervalSince1970 * 1000)))
                }
                await client.close()
            }
        }

        private func describeError(_ code: Int16, _ message: String?) -> String {
            let name = ErrorCode(rawValue: code)?.description ?? "error \(code)"
            return "\(name): \(message ?? "")"
        }

        /// `describe --status`, aligned as `MetadataQuorumCommand.handleDescribeStatus` prints it.
        static func statusText(
            clusterId: String, partition p: DescribeQuorumResponse.PartitionData, nodes: [DescribeQuorumResponse.Node]
        ) -> String {
            let leader = p.currentVoters.first { $0.replicaId == p.leaderId }
            let laggard = p.currentVoters.min { $0.logEndOffset < $1.logEndOffset }
            var maxLag: Int64 = 0
            var maxLagTime: Int64 = -1
            if let leader, let laggard {
                maxLag = leader.logEndOffset - laggard.logEndOffset
                if leader == laggard {
                    maxLagTime = 0
                } else if leader.lastCaughtUpTimestamp >= 0 && laggard.lastCaughtUpTimestamp >= 0 {
                    maxLagTime = leader.lastCaughtUpTimestamp - laggard.lastCaughtUpTimestamp
                }
            }
            func endpoints(_ id: Int32) -> String {
                let listeners = nodes.first { $0.nodeId == id }?.listeners ?? []
                return listeners.map { "\"\($0.name)://\($0.host):\($0.port)\"" }.joined(separator: ", ")
            }
            let voters = p.currentVoters.map {
                "{\"id\": \($0.replicaId), \"directoryId\": \"\($0.replicaDirectoryId.base64URL)\", "
                    + "\"endpoints\": [\(endpoints($0.replicaId))]}"
            }
            let observers = p.observers.map {
                "{\"id\": \($0.replicaId), \"directoryId\": \"\($0.replicaDirectoryId.base64URL)\"}"
            }
            return """
                ClusterId:              \(clusterId)
                LeaderId:               \(p.leaderId)
                LeaderEpoch:            \(p.leaderEpoch)
                HighWatermark:          \(p.highWatermark)
                MaxFollowerLag:         \(maxLag)
                MaxFollowerLagTimeMs:   \(maxLagTime)
                CurrentVoters:          [\(voters.joined(separator: ", "))]
                CurrentObservers:       [\(observers.joined(separator: ", "))]

                """
        }

        /// `describe --replication`: the leader first, then the other voters, then the observers, in
        /// `ToolsUtils.prettyPrintTable`'s tab-separated, left-aligned columns.
        static func replicationText(partition p: DescribeQuorumResponse.PartitionData, humanReadable: Bool, now: Int64)
            -> String
        {
            let leaderEnd = p.currentVoters.first { $0.replicaId == p.leaderId }?.logEndOffset ?? p.highWatermark
            func time(_ t: Int64) -> String {
                if t < 0 { return "-1" }
                return humanReadable ? "\(max(0, now - t)) ms ago" : String(t)
            }
            func row(_ r: DescribeQuorumResponse.ReplicaState, _ status: String) -> [String] {
                [
                    String(r.replicaId), r.replicaDirectoryId.base64URL, String(r.logEndOffset),
                    String(max(0, leaderEnd - r.logEndOffset)), time(r.lastFetchTimestamp),
                    time(r.lastCaughtUpTimestamp), status,
                ]
            }
            var rows: [[String]] = []
            if let leader = p.currentVoters.first(where: { $0.replicaId == p.leaderId }) {
                rows.append(row(leader, "Leader"))
            }
            for v in p.currentVoters where v.replicaId != p.leaderId { rows.append(row(v, "Follower")) }
            for o in p.observers { rows.append(row(o, "Observer")) }
            let headers = [
                "NodeId", "DirectoryId", "LogEndOffset", "Lag", "LastFetchTimestamp", "LastCaughtUpTimestamp", "Status",
            ]
            var widths = headers.map(\.count)
            for r in rows { for (i, cell) in r.enumerated() { widths[i] = max(widths[i], cell.count) } }
            func line(_ cells: [String]) -> String {
                cells.enumerated().map { i, cell in
                    i == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
                }.joined(separator: "\t") + "\n"
            }
            return ([headers] + rows).map(line).joined()
        }
    }
}
