import ArgumentParser
import Foundation
import KafkaClient
import KafkaProtocol

/// `needletail broker-api-versions`: kafka-broker-api-versions.sh.
struct BrokerApiVersionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker-api-versions",
        abstract: "Print the API versions every broker supports (kafka-broker-api-versions.sh).",
        discussion: """
            Example:
              needletail broker-api-versions --bootstrap-server localhost:9092
            """
    )

    @Option(name: .customLong("bootstrap-server"), help: "The broker(s) to connect to: HOST:PORT[,HOST:PORT…].")
    var bootstrapServer: String

    @Option(name: .customLong("command-config"), help: "A properties file with client settings.")
    var commandConfig: String?

    /// What this client's message definitions cover, per API key.
    static let clientVersions: [Int16: ClosedRange<Int16>] = {
        let types: [any KafkaRequest.Type] = [
            ProduceRequest.self, FetchRequest.self, ListOffsetsRequest.self, MetadataRequest.self,
            LeaderAndIsrRequest.self, StopReplicaRequest.self, UpdateMetadataRequest.self,
            ControlledShutdownRequest.self, OffsetCommitRequest.self, OffsetFetchRequest.self,
            FindCoordinatorRequest.self, JoinGroupRequest.self, HeartbeatRequest.self, LeaveGroupRequest.self,
            SyncGroupRequest.self, DescribeGroupsRequest.self, ListGroupsRequest.self, SaslHandshakeRequest.self,
            ApiVersionsRequest.self, CreateTopicsRequest.self, DeleteTopicsRequest.self, DeleteRecordsRequest.self,
            InitProducerIdRequest.self, OffsetForLeaderEpochRequest.self, DescribeConfigsRequest.self,
            AlterConfigsRequest.self, DescribeLogDirsRequest.self, SaslAuthenticateRequest.self,
            CreatePartitionsRequest.self, DeleteGroupsRequest.self, ElectLeadersRequest.self,
            IncrementalAlterConfigsRequest.self, OffsetDeleteRequest.self, DescribeClusterRequest.self,
            AddPartitionsToTxnRequest.self, AddOffsetsToTxnRequest.self, EndTxnRequest.self,
            WriteTxnMarkersRequest.self, TxnOffsetCommitRequest.self, DescribeProducersRequest.self,
            DescribeTransactionsRequest.self, ListTransactionsRequest.self,
        ]
        var out: [Int16: ClosedRange<Int16>] = [:]
        for t in types { out[t.apiKey.rawValue] = t.versions }
        return out
    }()

    static func describe(key: Int16, broker: ClosedRange<Int16>) -> String {
        let range =
            broker.lowerBound == broker.upperBound
            ? "\(broker.lowerBound)" : "\(broker.lowerBound) to \(broker.upperBound)"
        guard let api = APIKey(rawValue: key), let mine = clientVersions[key] else {
            return "UNKNOWN(\(key)): \(range)"
        }
        let usable: String
        if mine.upperBound < broker.lowerBound {
            usable = "[unusable: node too new]"
        } else if mine.lowerBound > broker.upperBound {
            usable = "[unusable: node too old]"
        } else {
            usable = "[usable: \(min(mine.upperBound, broker.upperBound))]"
        }
        return "\(api)(\(key)): \(range) \(usable)"
    }

    func run() async throws {
        try await Tool.run {
            let client = try Tool.client(
                bootstrap: bootstrapServer, properties: try Tool.propertiesFile(commandConfig),
                clientId: "broker-api-versions")
            for b in try await client.apiVersions() {
                let lines = b.versions.sorted(by: { $0.key < $1.key }).map {
                    Self.describe(key: $0.key, broker: $0.value)
                }
                Output.line(
                    "\(b.broker.host):\(b.broker.port) (id: \(b.broker.id) rack: \(b.broker.rack ?? "null")) -> (")
                Output.line("\t" + lines.joined(separator: ",\n\t"))
                Output.line(")")
            }
            await client.close()
        }
    }
}
