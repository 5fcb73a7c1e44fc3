import ArgumentParser
import Foundation
import KafkaClient
import KafkaProtocol

/// `needletail transactions`: kafka-transactions.sh's `list`, `describe`, `describe-producers`, `find-hanging` and
/// `abort`, with its
/// columns and its table layout (`ToolsUtils.prettyPrintTable`: every cell padded to its column's width, then a tab).
struct TransactionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transactions",
        abstract: "List and describe transactions and the producers of a partition (kafka-transactions.sh).",
        discussion: """
            Examples:
              needletail transactions --bootstrap-server localhost:9092 list [--duration-filter MS]
              needletail transactions --bootstrap-server localhost:9092 describe --transactional-id T
              needletail transactions --bootstrap-server localhost:9092 describe-producers --topic T --partition P [--broker-id N]
              needletail transactions --bootstrap-server localhost:9092 find-hanging --broker-id N [--max-transaction-timeout MIN]
              needletail transactions --bootstrap-server localhost:9092 abort --topic T --partition P --start-offset O
              needletail transactions --bootstrap-server localhost:9092 abort --topic T --partition P --producer-id ID --producer-epoch E --coordinator-epoch C
            """
    )

    @Option(name: .customLong("bootstrap-server"), help: "The broker(s) to connect to: HOST:PORT[,HOST:PORT…].")
    var bootstrapServer: String
    @Option(name: .customLong("command-config"), help: "A properties file with client settings.")
    var commandConfig: String?

    @Argument(help: "list | describe | describe-producers | find-hanging | abort") var action: String

    @Option(name: .customLong("transactional-id"), help: "describe: the transactional id.")
    var transactionalId: String?
    @Option(help: "describe-producers: the topic.") var topic: String?
    @Option(help: "describe-producers: the partition.") var partition: Int32?
    @Option(name: .customLong("broker-id"), help: "describe-producers: ask this replica instead of the leader.")
    var brokerId: Int32?
    @Option(
        name: .customLong("duration-filter"),
        help: "list: only transactions running longer than this many milliseconds (< 0: all).")
    var durationFilter: Int64?
    @Option(
        name: .customLong("max-transaction-timeout"),
        help: "find-hanging: transactions open longer than this many minutes are candidates (default 15).")
    var maxTransactionTimeout: Int64 = 15
    @Option(name: .customLong("start-offset"), help: "abort: the first offset of the transaction to abort.")
    var startOffset: Int64?
    @Option(name: .customLong("producer-id"), help: "abort (brokers before 3.0): the producer id of the transaction.")
    var producerId: Int64?
    @Option(name: .customLong("producer-epoch"), help: "abort (brokers before 3.0): the producer epoch.")
    var producerEpoch: Int16?
    @Option(name: .customLong("coordinator-epoch"), help: "abort (brokers before 3.0): the coordinator epoch.")
    var coordinatorEpoch: Int32?

    func validate() throws {
        switch action {
        case "list": break
        case "describe":
            if transactionalId == nil { throw ValidationError("argument --transactional-id is required") }
        case "describe-producers":
            if topic == nil { throw ValidationError("argument --topic is required") }
            if partition == nil { throw ValidationError("argument --partition is required") }
        case "find-hanging":
            if topic == nil && brokerId == nil {
                throw ValidationError(
                    "The `find-hanging` command requires either --topic or --broker-id to limit the scope of the search"
                )
            }
            if partition != nil && topic == nil {
                throw ValidationError("The --partition argument requires --topic to be provided")
            }
        case "abort":
            if topic == nil || partition == nil {
                throw ValidationError("arguments --topic and --partition are required")
            }
            // Kafka's AbortTransactionCommand: --start-offset for 3.0+ brokers, or the producer triple for older ones.
            if startOffset == nil {
                guard producerId != nil else {
                    throw ValidationError(
                        "The transaction to abort must be identified either with --start-offset (for brokers on 3.0 or above) or with --producer-id, --producer-epoch, and --coordinator-epoch (for older brokers)"
                    )
                }
                if producerEpoch == nil { throw ValidationError("Missing required argument --producer-epoch") }
                if coordinatorEpoch == nil { throw ValidationError("Missing required argument --coordinator-epoch") }
            }
        default:
            throw ValidationError(
                "argument command: invalid choice: '\(action)' (choose from 'list', 'describe', 'describe-producers', 'find-hanging', 'abort')"
            )
        }
    }

    func run() async throws {
        try await Tool.run {
            let client = try Tool.client(
                bootstrap: bootstrapServer, properties: try Tool.propertiesFile(commandConfig),
                clientId: "transactions-command")
            do {
                switch action {
                case "list": try await list(client)
                case "describe": try await describe(client, transactionalId ?? "")
                case "find-hanging": try await findHanging(client)
                case "abort": try await abort(client, topic ?? "", partition ?? 0)
                default: try await describeProducers(client, topic ?? "", partition ?? 0)
                }
            } catch {
                await client.close()
                throw error
            }
            await client.close()
        }
    }

    private func list(_ client: KafkaClient) async throws {
        let brokers = try await client.metadata(topics: []).brokers.keys.sorted()
        var rows: [[String]] = []
        for id in brokers {
            let response = try await client.send(
                ListTransactionsRequest(durationFilter: durationFilter ?? -1), toBroker: id)
            try KafkaClientError.check(response.errorCode, message: nil, context: "list transactions on broker \(id)")
            for t in response.transactionStates {
                rows.append([t.transactionalId, String(id), String(t.producerId), t.transactionState])
            }
        }
        Self.printTable(["TransactionalId", "Coordinator", "ProducerId", "TransactionState"], rows)
    }

    private func describe(_ client: KafkaClient, _ id: String) async throws {
        let failure = "Failed to describe transaction state of transactional-id `\(id)`"
        let coordinator: Int32
        do {
            coordinator = try await findTransactionCoordinator(client, id)
        } catch {
            throw ToolError("\(failure): \(error)")
        }
        let response = try await client.send(DescribeTransactionsRequest(transactionalIds: [id]), toBroker: coordinator)
        guard let t = response.transactionStates.first else {
            throw ToolError("\(failure): empty answer")
        }
        if t.errorCode != 0 {
            let name = ErrorCode(rawValue: t.errorCode).map { "\($0)" } ?? "error \(t.errorCode)"
            throw ToolError("\(failure): \(name)")
        }
        let start = t.transactionStartTimeMs >= 0 ? String(t.transactionStartTimeMs) : "None"
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let duration = t.transactionStartTimeMs >= 0 ? String(now - t.transactionStartTimeMs) : "None"
        let partitions = t.topics.flatMap { topic in topic.partitions.map { "\(topic.topic)-\($0)" } }
        Self.printTable(
            [
                "CoordinatorId", "TransactionalId", "ProducerId", "ProducerEpoch", "TransactionState",
                "TransactionTimeoutMs", "CurrentTransactionStartTimeMs", "TransactionDurationMs", "TopicPartitions",
            ],
            [
                [
                    String(coordinator), id, String(t.producerId), String(t.producerEpoch), t.transactionState,
                    String(t.transactionTimeoutMs), start, duration, partitions.joined(separator: ","),
                ]
            ])
    }

    private func describeProducers(_ client: KafkaClient, _ topic: String, _ partition: Int32) async throws {
        let target: Int32
        if let brokerId {
            target = brokerId
        } else {
            let metadata = try await client.topicMetadata(topic)
            guard let leader = metadata.partitions.first(where: { $0.partition == partition })?.leader, leader >= 0
            else {
                throw ToolError(
                    "Failed to describe producers for partition \(topic)-\(partition) on leader: no leader")
            }
            target = leader
        }
        let response = try await client.send(
            DescribeProducersRequest(topics: [.init(name: topic, partitionIndexes: [partition])]), toBroker: target)
        guard let p = response.topics.first?.partitions.first else {
            throw ToolError("Failed to describe producers for partition \(topic)-\(partition): empty answer")
        }
        if p.errorCode != 0 {
            let on = brokerId.map { "broker \($0)" } ?? "leader"
            let name = ErrorCode(rawValue: p.errorCode).map { "\($0)" } ?? "error \(p.errorCode)"
            throw ToolError(
                "Failed to describe producers for partition \(topic)-\(partition) on \(on): \(name)")
        }
        Self.printTable(
            [
                "ProducerId", "ProducerEpoch", "LatestCoordinatorEpoch", "LastSequence", "LastTimestamp",
                "CurrentTransactionStartOffset",
            ],
            p.activeProducers.map {
                [
                    String($0.producerId), String($0.producerEpoch), String($0.coordinatorEpoch),
                    String($0.lastSequence), String($0.lastTimestamp),
                    $0.currentTxnStartOffset >= 0 ? String($0.currentTxnStartOffset) : "None",
                ]
            })
    }

    private typealias Producer = DescribeProducersResponse.ProducerState

    /// The active producers of partitions, asked of `broker` (or of each partition's leader).
    private func producers(_ client: KafkaClient, _ partitions: [TopicPartition], on broker: Int32?) async throws
        -> [(TopicPartition, Producer)]
    {
        var byTarget: [Int32: [TopicPartition]] = [:]
        if let broker {
            byTarget[broker] = partitions
        } else {
            let metadata = try await client.metadata(topics: Array(Set(partitions.map(\.topic))))
            for tp in partitions {
                guard
                    let leader = metadata.topics[tp.topic]?.partitions.first(where: { $0.partition == tp.partition })?
                        .leader, leader >= 0
                else { continue }
                byTarget[leader, default: []].append(tp)
            }
        }
        var out: [(TopicPartition, Producer)] = []
        for (target, tps) in byTarget.sorted(by: { $0.key < $1.key }) {
            var byTopic: [String: [Int32]] = [:]
            for tp in tps { byTopic[tp.topic, default: []].append(tp.partition) }
            let response = try await client.send(
                DescribeProducersRequest(
                    topics: byTopic.keys.sorted().map { .init(name: $0, partitionIndexes: byTopic[$0]!.sorted()) }),
                toBroker: target)
            for topic in response.topics {
                for p in topic.partitions where p.errorCode == 0 {
                    for producer in p.activeProducers {
                        out.append((TopicPartition(topic.name, p.partitionIndex), producer))
                    }
                }
            }
        }
        return out
    }

    /// Kafka's FindHangingTransactionsCommand: open transactions older than --max-transaction-timeout whose producer
    /// no coordinator knows, or whose coordinator does not list the partition in the transaction.
    private func findHanging(_ client: KafkaClient) async throws {
        let metadata = try await client.metadata(topics: topic.map { [$0] })
        var partitions: [TopicPartition] = []
        for (name, t) in metadata.topics.sorted(by: { $0.key < $1.key }) where topic == nil || name == topic {
            for p in t.partitions.sorted(by: { $0.partition < $1.partition }) {
                if let partition, p.partition != partition { continue }
                if let brokerId, !p.replicas.contains(brokerId) { continue }
                partitions.append(TopicPartition(name, p.partition))
            }
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let maxTimeoutMs = maxTransactionTimeout * 60_000
        let open = try await producers(client, partitions, on: brokerId).filter {
            $0.1.currentTxnStartOffset >= 0 && now - $0.1.lastTimestamp >= maxTimeoutMs
        }
        var transactionalIds: [Int64: String] = [:]
        if !open.isEmpty {
            let ids = Array(Set(open.map { $0.1.producerId }))
            for broker in metadata.brokers.keys.sorted() {
                let listed = try await client.send(ListTransactionsRequest(producerIdFilters: ids), toBroker: broker)
                for t in listed.transactionStates { transactionalIds[t.producerId] = t.transactionalId }
            }
        }
        var hanging: [(TopicPartition, Producer)] = []
        for (tp, producer) in open {
            guard let id = transactionalIds[producer.producerId],
                let coordinator = try? await findTransactionCoordinator(client, id)
            else {
                hanging.append((tp, producer))
                continue
            }
            let described = try await client.send(
                DescribeTransactionsRequest(transactionalIds: [id]), toBroker: coordinator)
            guard let d = described.transactionStates.first, d.errorCode == 0, d.producerId == producer.producerId,
                d.topics.contains(where: { $0.topic == tp.topic && $0.partitions.contains(tp.partition) })
            else {
                hanging.append((tp, producer))
                continue
            }
        }
        var rows: [[String]] = []
        for (tp, p) in hanging {
            let minutes: Int64 = (now - p.lastTimestamp) / 60_000
            var row: [String] = [tp.topic, String(tp.partition), String(p.producerId), String(p.producerEpoch)]
            row += [String(p.coordinatorEpoch), String(p.currentTxnStartOffset), String(p.lastTimestamp)]
            row.append(String(minutes))
            rows.append(row)
        }
        let headers: [String] = [
            "Topic", "Partition", "ProducerId", "ProducerEpoch", "CoordinatorEpoch", "StartOffset", "LastTimestamp",
            "Duration(min)",
        ]
        Self.printTable(headers, rows)
    }

    /// Kafka's AbortTransactionCommand: the transaction is named by its start offset (the producer whose open
    /// transaction starts there is found with DescribeProducers) or, as for brokers before 3.0, by producer id,
    /// epoch and coordinator epoch. The partition leader is then sent an ABORT WriteTxnMarkers (what
    /// Admin.abortTransaction does), closing a transaction no coordinator will finish.
    private func abort(_ client: KafkaClient, _ topic: String, _ partition: Int32) async throws {
        let tp = TopicPartition(topic, partition)
        let spec: (producerId: Int64, producerEpoch: Int16, coordinatorEpoch: Int32)
        if let offset = startOffset {
            guard
                let producer = try await producers(client, [tp], on: nil).map({ $0.1 }).first(where: {
                    $0.currentTxnStartOffset == offset
                })
            else {
                throw ToolError(
                    "Could not find any open transactions starting at offset \(offset) on partition \(tp)")
            }
            spec = (producer.producerId, Int16(clamping: producer.producerEpoch), producer.coordinatorEpoch)
        } else {
            spec = (producerId ?? -1, producerEpoch ?? -1, coordinatorEpoch ?? 0)
        }
        let metadata = try await client.topicMetadata(topic)
        guard let leader = metadata.partitions.first(where: { $0.partition == partition })?.leader, leader >= 0 else {
            throw ToolError("Failed to abort the transaction on partition \(tp): no leader")
        }
        let response = try await client.send(
            WriteTxnMarkersRequest(markers: [
                .init(
                    producerId: spec.producerId, producerEpoch: spec.producerEpoch,
                    transactionResult: false, topics: [.init(name: topic, partitionIndexes: [partition])],
                    // A producer that hung before its first marker shows coordinator epoch -1: Kafka
                    // conservatively sends 0, no greater than any coordinator epoch.
                    coordinatorEpoch: max(spec.coordinatorEpoch, 0))
            ]), toBroker: leader)
        let code = response.markers.first?.topics.first?.partitions.first?.errorCode ?? -1
        if code != 0 {
            let name = ErrorCode(rawValue: code).map { "\($0)" } ?? "error \(code)"
            throw ToolError("Failed to abort the transaction on partition \(tp): \(name)")
        }
    }

    /// FindCoordinator with key type 1, retried while the coordinator loads.
    private func findTransactionCoordinator(_ client: KafkaClient, _ id: String) async throws -> Int32 {
        var attempt = 0
        while true {
            let conn = try await client.anyConnection()
            let version = try conn.version(for: FindCoordinatorRequest.self)
            var request = FindCoordinatorRequest(key: id, keyType: 1)
            if version >= 4 { request.coordinatorKeys = [id] }
            let response = try await client.send(request, on: conn)
            let code = version >= 4 ? response.coordinators.first?.errorCode ?? -1 : response.errorCode
            let node = version >= 4 ? response.coordinators.first?.nodeId ?? -1 : response.nodeId
            if code == 0 { return node }
            attempt += 1
            let retriable =
                code == ErrorCode.coordinatorLoadInProgress.rawValue
                || code == ErrorCode.coordinatorNotAvailable.rawValue
            guard retriable, attempt < 50 else {
                throw ToolError(ErrorCode(rawValue: code).map { "\($0)" } ?? "error \(code)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Kafka's `ToolsUtils.prettyPrintTable`: each cell left-aligned to its column's widest value, then a tab.
    static func printTable(_ headers: [String], _ rows: [[String]]) {
        var widths = headers.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        for row in [headers] + rows {
            var line = ""
            for (i, cell) in row.enumerated() {
                line += cell + String(repeating: " ", count: max(widths[i] - cell.count, 0)) + "\t"
            }
            Output.line(line)
        }
    }
}
