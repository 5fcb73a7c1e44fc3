import ArgumentParser
import Foundation
import KafkaClient
import KafkaRecords
import Synchronization

/// `needletail console-consumer`: kafka-console-consumer.sh. Without --group it reads every partition (or one
/// with --partition) directly; with --group it joins the consumer group and commits offsets.
struct ConsoleConsumerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console-consumer",
        abstract: "Print records of a topic to standard output (kafka-console-consumer.sh).",
        discussion: """
            Starts at the end of each partition, or at the beginning with --from-beginning, or at --offset with
            --partition. Formatter properties (--property): print.key, print.value (true), print.offset,
            print.partition, print.timestamp, print.headers, key.separator (\\t), line.separator (\\n),
            headers.separator (,), headers.key.separator (:), null.literal (null).
            On exit, "Processed a total of N messages" goes to standard error. With --group, the
            consumer property partition.assignment.strategy takes range, roundrobin, sticky or
            cooperative-sticky (or the Java class names), comma-separated in preference order.

            Example:
              needletail console-consumer --bootstrap-server localhost:9092 --topic orders --from-beginning --max-messages 10 --property print.key=true
            """
    )

    @Option(name: .customLong("bootstrap-server"), help: "The broker(s) to connect to: HOST:PORT[,HOST:PORT…].")
    var bootstrapServer: String

    @Option(help: "The topic to consume from.") var topic: String

    @Option(help: "Consume only this partition.") var partition: Int32?

    @Option(help: "The offset to start from: a number, 'earliest' or 'latest' (needs --partition for a number).")
    var offset: String?

    @Flag(name: .customLong("from-beginning"), help: "Start at the earliest offset instead of the latest.")
    var fromBeginning = false

    @Option(name: .customLong("max-messages"), help: "Exit after this many records.")
    var maxMessages: Int?

    @Option(name: .customLong("timeout-ms"), help: "Exit when no record arrives for this long.")
    var timeoutMs: Int?

    @Option(name: .customLong("property"), help: "A formatter property: key=value (repeatable).")
    var properties: [String] = []

    @Option(name: .customLong("consumer-property"), help: "A consumer setting: key=value (repeatable).")
    var consumerProperties: [String] = []

    @Option(name: .customLong("consumer.config"), help: "A properties file with consumer settings.")
    var consumerConfig: String?

    @Option(name: .customLong("isolation-level"), help: "read_uncommitted (default) or read_committed.")
    var isolationLevel: String?

    @Option(help: "Join this consumer group (offsets are committed; --partition and --offset are not allowed).")
    var group: String?

    func validate() throws {
        if offset != nil, partition == nil, let o = offset, Int64(o) != nil {
            throw ValidationError("The partition is required when offset is specified.")
        }
        if group != nil, partition != nil || offset != nil {
            throw ValidationError("Options group and partition/offset cannot be specified together.")
        }
        if fromBeginning, offset != nil {
            throw ValidationError("Options from-beginning and offset cannot be specified together.")
        }
    }

    func run() async throws {
        let counter = ProcessedCounter()
        let signals = installSignalHandlers(counter)
        defer { _ = signals }
        try await Tool.run(errorPrefix: "ERROR ") {
            defer {
                Output.flush()
                Tool.printError("Processed a total of \(counter.value) messages")
            }
            var settings = try Tool.propertiesFile(consumerConfig)
            for (k, v) in try Tool.properties(consumerProperties, what: "consumer property") { settings[k] = v }
            let formatter = MessageFormatter(properties: try Tool.properties(properties, what: "property"))
            if let group { settings["group.id"] = group }
            var clientSettings = settings
            if settings["group.id"] != nil, clientSettings["request.timeout.ms"] == nil {
                // JoinGroup may be held for the rebalance timeout; the request must outlive it.
                let rebalance = settings["max.poll.interval.ms"].flatMap(Int.init) ?? 60_000
                clientSettings["request.timeout.ms"] = String(rebalance + 5_000)
            }
            let client = try Tool.client(
                bootstrap: bootstrapServer, properties: clientSettings, clientId: "console-consumer")
            var config = ConsumerConfiguration()
            if (isolationLevel ?? settings["isolation.level"]) == "read_committed" { config.isolationLevel = 1 }
            if let v = settings["fetch.max.wait.ms"].flatMap(Int32.init) { config.maxWaitMs = v }
            if let v = settings["max.partition.fetch.bytes"].flatMap(Int32.init) { config.partitionMaxBytes = v }
            if let t = timeoutMs { config.maxWaitMs = Int32(clamping: max(1, min(Int(config.maxWaitMs), t))) }
            config.autoOffsetReset = fromBeginning || settings["auto.offset.reset"] == "earliest" ? .earliest : .latest

            let start: StartPosition
            switch offset?.lowercased() {
            case nil: start = fromBeginning || settings["auto.offset.reset"] == "earliest" ? .earliest : .latest
            case "earliest": start = .earliest
            case "latest": start = .latest
            case let text?:
                guard let o = Int64(text), o >= 0 else {
                    throw ToolError(
                        "The provided offset value '\(text)' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long."
                    )
                }
                start = .offset(o)
            }
            if let groupId = settings["group.id"] {
                try await consumeInGroup(
                    groupId, client: client, config: config, settings: settings, formatter: formatter, counter: counter)
                return
            }
            let metadata = try await client.topicMetadata(topic)
            var starts: [TopicPartition: StartPosition] = [:]
            if let partition {
                guard metadata.partitions.contains(where: { $0.partition == partition }) else {
                    throw ToolError("Partition \(partition) of topic \(topic) does not exist")
                }
                starts[TopicPartition(topic, partition)] = start
            } else {
                for p in metadata.partitions { starts[TopicPartition(topic, p.partition)] = start }
            }
            let consumer = KafkaConsumer(client: client, configuration: config)
            try await consumer.assign(starts)

            let clock = ContinuousClock()
            var lastRecord = clock.now
            consume: while true {
                if let max = maxMessages, counter.value >= max { break }
                let records = try await consumer.poll()
                if records.isEmpty {
                    if let t = timeoutMs, clock.now - lastRecord >= .milliseconds(t) { break }
                    continue
                }
                lastRecord = clock.now
                for r in records {
                    formatter.write(r)
                    counter.increment()
                    if let max = maxMessages, counter.value >= max { break consume }
                }
                Output.flush()
            }
            await client.close()
        }
    }

    /// Consumes as a group member until max-messages or timeout-ms, then commits and leaves the group.
    private func consumeInGroup(
        _ groupId: String, client: KafkaClient, config: ConsumerConfiguration, settings: [String: String],
        formatter: MessageFormatter, counter: ProcessedCounter
    ) async throws {
        var groupConfig = GroupConsumerConfiguration(groupId: groupId)
        groupConfig.autoCommit = settings["enable.auto.commit"].map { $0.lowercased() != "false" } ?? true
        if let v = settings["auto.commit.interval.ms"].flatMap(Int.init) { groupConfig.autoCommitIntervalMs = v }
        if let v = settings["session.timeout.ms"].flatMap(Int32.init) { groupConfig.sessionTimeoutMs = v }
        if let v = settings["heartbeat.interval.ms"].flatMap(Int.init) { groupConfig.heartbeatIntervalMs = v }
        if let v = settings["max.poll.interval.ms"].flatMap(Int32.init) { groupConfig.rebalanceTimeoutMs = v }
        if let v = settings["group.instance.id"] { groupConfig.groupInstanceId = v }
        if let s = settings["partition.assignment.strategy"] {
            groupConfig.assignors = s.split(separator: ",").compactMap { name -> (any PartitionAssignor)? in
                let n = name.trimmingCharacters(in: .whitespaces).lowercased()
                if n.hasSuffix("roundrobinassignor") || n == "roundrobin" { return RoundRobinAssignor() }
                if n.hasSuffix("rangeassignor") || n == "range" { return RangeAssignor() }
                if n.hasSuffix("cooperativestickyassignor") || n == "cooperative-sticky" {
                    return CooperativeStickyAssignor()
                }
                if n.hasSuffix(".stickyassignor") || n == "stickyassignor" || n == "sticky" { return StickyAssignor() }
                return nil
            }
            if groupConfig.assignors.isEmpty { groupConfig.assignors = [RangeAssignor()] }
        }
        let consumer = GroupConsumer(client: client, configuration: groupConfig, consumerConfiguration: config)
        await consumer.subscribe([topic])
        GroupExit.shared.set { await consumer.close() }
        let clock = ContinuousClock()
        var lastRecord = clock.now
        consume: while true {
            if let max = maxMessages, counter.value >= max { break }
            let records: [ConsumerRecord]
            do {
                records = try await consumer.poll()
            } catch KafkaClientError.closed {
                // The signal handler closed the consumer and exits the process once it has left the group.
                try await Task.sleep(for: .seconds(60))
                return
            }
            if records.isEmpty {
                if let t = timeoutMs, clock.now - lastRecord >= .milliseconds(t) { break }
                continue
            }
            lastRecord = clock.now
            for r in records {
                formatter.write(r)
                counter.increment()
                if let max = maxMessages, counter.value >= max { break consume }
            }
            Output.flush()
        }
        Output.flush()
        guard GroupExit.shared.take() != nil else {
            // A signal arrived: its handler is closing the consumer and will exit.
            try await Task.sleep(for: .seconds(60))
            return
        }
        await consumer.close()
        await client.close()
    }

    private func installSignalHandlers(_ counter: ProcessedCounter) -> [DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { (sig: Int32) -> DispatchSourceSignal in
            _ = signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                Output.flush()
                Tool.printError("Processed a total of \(counter.value) messages")
                if let leave = GroupExit.shared.take() {
                    // Commit and leave the group before exiting, as Kafka's consumer does on close.
                    Task {
                        await leave()
                        Foundation.exit(0)
                    }
                } else {
                    Foundation.exit(0)
                }
            }
            source.resume()
            return source
        }
    }
}

/// The group consumer's close action, run by the signal handler before exiting.
final class GroupExit: Sendable {
    static let shared = GroupExit()
    private let action = Mutex<(@Sendable () async -> Void)?>(nil)

    func set(_ a: (@Sendable () async -> Void)?) { action.withLock { $0 = a } }

    func take() -> (@Sendable () async -> Void)? {
        action.withLock { current in
            defer { current = nil }
            return current
        }
    }
}

/// A count shared with the signal handler.
final class ProcessedCounter: Sendable {
    private let count = Mutex(0)

    var value: Int { count.withLock { $0 } }

    func increment() { count.withLock { $0 += 1 } }
}

/// Kafka's `DefaultMessageFormatter`: timestamp, partition, offset, headers, key and value, in that order,
/// separated by key.separator and ended by line.separator.
struct MessageFormatter {
    var printTimestamp = false
    var printPartition = false
    var printOffset = false
    var printHeaders = false
    var printKey = false
    var printValue = true
    var keySeparator = Array("\t".utf8)
    var lineSeparator = Array("\n".utf8)
    var headersSeparator = Array(",".utf8)
    var headersKeySeparator = Array(":".utf8)
    var nullLiteral = Array("null".utf8)

    init(properties p: [String: String]) {
        func flag(_ k: String, _ d: Bool) -> Bool { p[k].map { $0.lowercased() == "true" } ?? d }
        printTimestamp = flag("print.timestamp", false)
        printPartition = flag("print.partition", false)
        printOffset = flag("print.offset", false)
        printHeaders = flag("print.headers", false)
        printKey = flag("print.key", false)
        printValue = flag("print.value", true)
        if let v = p["key.separator"] { keySeparator = Array(v.utf8) }
        if let v = p["line.separator"] { lineSeparator = Array(v.utf8) }
        if let v = p["headers.separator"] { headersSeparator = Array(v.utf8) }
        if let v = p["headers.key.separator"] { headersKeySeparator = Array(v.utf8) }
        if let v = p["null.literal"] { nullLiteral = Array(v.utf8) }
    }

    func format(_ r: ConsumerRecord) -> [UInt8] {
        var out: [UInt8] = []
        func separator(_ more: Bool) { out += more ? keySeparator : lineSeparator }
        if printTimestamp {
            if r.timestamp >= 0 {
                out += Array(
                    "\(r.timestampType == .logAppendTime ? "LogAppendTime" : "CreateTime"):\(r.timestamp)".utf8)
            } else {
                out += Array("NO_TIMESTAMP".utf8)
            }
            separator(printPartition || printOffset || printHeaders || printKey || printValue)
        }
        if printPartition {
            out += Array("Partition:\(r.partition)".utf8)
            separator(printOffset || printHeaders || printKey || printValue)
        }
        if printOffset {
            out += Array("Offset:\(r.offset)".utf8)
            separator(printHeaders || printKey || printValue)
        }
        if printHeaders {
            if r.headers.isEmpty {
                out += Array("NO_HEADERS".utf8)
            } else {
                for (i, h) in r.headers.enumerated() {
                    if i > 0 { out += headersSeparator }
                    out += Array(h.key.utf8)
                    out += headersKeySeparator
                    out += h.value ?? nullLiteral
                }
            }
            separator(printKey || printValue)
        }
        if printKey {
            out += r.key ?? nullLiteral
            separator(printValue)
        }
        if printValue {
            out += r.value ?? nullLiteral
            out += lineSeparator
        }
        return out
    }

    func write(_ r: ConsumerRecord) { Output.writeBytes(format(r)) }
}
