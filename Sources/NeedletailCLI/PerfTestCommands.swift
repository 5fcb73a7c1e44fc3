import ArgumentParser
import Foundation
import KafkaClient
import Synchronization

/// `needletail producer-perf-test`: kafka-producer-perf-test.sh.
struct ProducerPerfTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "producer-perf-test",
        abstract: "Measure producer throughput and latency (kafka-producer-perf-test.sh).",
        discussion: """
            Prints a progress line every 5 s and a summary with latency percentiles.

            Example:
              needletail producer-perf-test --topic perf --num-records 100000 --record-size 100 --throughput -1 --producer-props bootstrap.servers=localhost:9092 acks=1
            """
    )

    @Option(help: "The topic to produce to.") var topic: String
    @Option(name: .customLong("num-records"), help: "How many records to send.") var numRecords: Int
    @Option(name: .customLong("record-size"), help: "Bytes per record value.") var recordSize: Int = 100
    @Option(parsing: .unconditional, help: "Maximum records/sec; -1 means no limit.") var throughput: Double = -1
    @Option(name: .customLong("producer-props"), parsing: .upToNextOption, help: "Producer settings: key=value …")
    var producerProps: [String] = []
    @Option(name: .customLong("producer.config"), help: "A properties file with producer settings.")
    var producerConfig: String?

    func validate() throws {
        if numRecords <= 0 { throw ValidationError("--num-records must be positive") }
        if recordSize < 0 { throw ValidationError("--record-size must not be negative") }
    }

    func run() async throws {
        try await Tool.run {
            var settings = try Tool.propertiesFile(producerConfig)
            for (k, v) in try Tool.properties(producerProps, what: "producer property") { settings[k] = v }
            guard let bootstrap = settings["bootstrap.servers"] else {
                throw ToolError("bootstrap.servers must be specified (--producer-props bootstrap.servers=HOST:PORT)")
            }
            let client = try Tool.client(bootstrap: bootstrap, properties: settings, clientId: "perf-producer-client")
            var config = ProducerConfiguration(acks: -1, lingerMs: 5, batchSize: 16_384)
            if let v = settings["acks"] { config.acks = try ConsoleProducerCommand.acks(v) }
            if let v = settings["linger.ms"].flatMap(Int.init) { config.lingerMs = v }
            if let v = settings["batch.size"].flatMap(Int.init) { config.batchSize = v }
            if let v = settings["buffer.memory"].flatMap(Int.init) { config.bufferMemory = v }
            if let v = settings["max.in.flight.requests.per.connection"].flatMap(Int.init) {
                config.maxInFlightRequests = v
            }
            if let v = settings["compression.type"] { config.compression = try ConsoleProducerCommand.codec(v) }
            config.enableIdempotence = settings["enable.idempotence"]?.lowercased() == "true"
            let producer = KafkaProducer(client: client, configuration: config)
            _ = try await client.topicMetadata(topic)

            var rng = SystemRandomNumberGenerator()
            let payload = (0..<recordSize).map { _ in UInt8(65 + Int.random(in: 0..<26, using: &rng)) }
            let stats = PerfStats(count: numRecords)
            // As Kafka's tool: send() hands the record over and returns, a callback counts the acknowledgement and
            // its latency; the producer's buffer.memory is what holds the loop back. Options are read once (their
            // property wrappers are slow to read in a hot loop).
            let (topic, throughput, count, bytes) = (topic, throughput, numRecords, recordSize)
            let startNs = DispatchTime.now().uptimeNanoseconds
            for i in 0..<count {
                if throughput > 0 {
                    let dueNs = startNs + UInt64(Double(i) * 1e9 / throughput)
                    let nowNs = DispatchTime.now().uptimeNanoseconds
                    if nowNs < dueNs { try await Task.sleep(nanoseconds: dueNs - nowNs) }
                }
                let sentAt = DispatchTime.now().uptimeNanoseconds
                try await producer.send(ProducerRecord(topic: topic, value: payload)) { result in
                    stats.completed(result, sentAtNs: sentAt, bytes: bytes)
                }
                if i & 0x3ff == 0, let e = stats.failure { throw e }
            }
            try await producer.flush()
            if let e = stats.failure { throw e }
            try await producer.close()
            await client.close()
            stats.printTotal()
        }
    }
}

/// Latency and throughput bookkeeping for producer-perf-test, fed by the producer's completion callbacks.
final class PerfStats: Sendable {
    private struct State {
        var latencies: [Int32]
        var count = 0
        var bytes = 0
        var totalLatency = 0.0
        var maxLatency = 0.0
        var windowStartNs = DispatchTime.now().uptimeNanoseconds
        var windowCount = 0
        var windowBytes = 0
        var windowLatency = 0.0
        var windowMax = 0.0
        var firstFailure: String?
    }

    private let started = Date()
    private let state: Mutex<State>

    init(count: Int) {
        var latencies: [Int32] = []
        latencies.reserveCapacity(count)
        state = Mutex(State(latencies: latencies))
    }

    /// The first failed send, if any.
    var failure: ToolError? { state.withLock { $0.firstFailure.map(ToolError.init) } }

    /// One record's outcome; `sentAtNs` is `DispatchTime.uptimeNanoseconds` when it was handed to the producer.
    func completed(_ result: Result<RecordMetadata, any Error>, sentAtNs: UInt64, bytes b: Int) {
        switch result {
        case .success:
            let nowNs = DispatchTime.now().uptimeNanoseconds
            record(latencyMs: Double(nowNs &- sentAtNs) / 1e6, bytes: b, nowNs: nowNs)
        case .failure(let e):
            let message = String(describing: e)
            state.withLock { if $0.firstFailure == nil { $0.firstFailure = message } }
        }
    }

    func record(latencyMs: Double, bytes b: Int, nowNs: UInt64) {
        let windowLine = state.withLock { s -> String? in
            s.count += 1
            s.bytes += b
            s.totalLatency += latencyMs
            s.maxLatency = max(s.maxLatency, latencyMs)
            s.latencies.append(Int32(clamping: Int(latencyMs)))
            s.windowCount += 1
            s.windowBytes += b
            s.windowLatency += latencyMs
            s.windowMax = max(s.windowMax, latencyMs)
            let elapsed = Double(nowNs &- s.windowStartNs) / 1e9
            guard elapsed >= 5 else { return nil }
            let rate = Double(s.windowCount) / elapsed
            let mb = Double(s.windowBytes) / 1_048_576 / elapsed
            let line = String(
                format: "%d records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max latency.",
                s.windowCount, rate, mb, s.windowLatency / Double(max(s.windowCount, 1)), s.windowMax)
            s.windowStartNs = nowNs
            s.windowCount = 0
            s.windowBytes = 0
            s.windowLatency = 0
            s.windowMax = 0
            return line
        }
        if let windowLine {
            Output.line(windowLine)
            Output.flush()
        }
    }

    func printTotal() {
        let elapsed = max(Date().timeIntervalSince(started), 0.001)
        let line = state.withLock { s in
            let sorted = s.latencies.sorted()
            func pct(_ p: Double) -> Int32 {
                guard !sorted.isEmpty else { return 0 }
                return sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))]
            }
            return String(
                format:
                    "%d records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.",
                s.count, Double(s.count) / elapsed, Double(s.bytes) / 1_048_576 / elapsed,
                s.totalLatency / Double(max(s.count, 1)),
                s.maxLatency, pct(0.5), pct(0.95), pct(0.99), pct(0.999))
        }
        Output.line(line)
    }
}

/// `needletail consumer-perf-test`: kafka-consumer-perf-test.sh (reads from the earliest offset of every
/// partition without joining a group).
struct ConsumerPerfTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consumer-perf-test",
        abstract: "Measure consumer throughput (kafka-consumer-perf-test.sh).",
        discussion: """
            Example:
              needletail consumer-perf-test --bootstrap-server localhost:9092 --topic perf --messages 100000
            """
    )

    @Option(name: .customLong("bootstrap-server"), help: "The broker(s) to connect to: HOST:PORT[,HOST:PORT…].")
    var bootstrapServer: String
    @Option(help: "The topic to consume from.") var topic: String
    @Option(help: "How many records to read.") var messages: Int
    @Option(help: "Give up when no record arrives for this many ms.") var timeout: Int = 10_000
    @Option(name: .customLong("fetch-size"), help: "max.partition.fetch.bytes.") var fetchSize: Int32 = 1_048_576
    @Flag(name: .customLong("hide-header"), help: "Do not print the header line.") var hideHeader = false
    @Option(name: .customLong("date-format"), help: "The date format of start.time and end.time.")
    var dateFormat = "yyyy-MM-dd HH:mm:ss:SSS"
    @Option(name: .customLong("consumer.config"), help: "A properties file with consumer settings.")
    var consumerConfig: String?

    func run() async throws {
        try await Tool.run {
            let settings = try Tool.propertiesFile(consumerConfig)
            let client = try Tool.client(
                bootstrap: bootstrapServer, properties: settings, clientId: "perf-consumer-client")
            var config = ConsumerConfiguration(autoOffsetReset: .earliest)
            config.partitionMaxBytes = fetchSize
            let consumer = KafkaConsumer(client: client, configuration: config)
            let md = try await client.topicMetadata(topic)
            let startDate = Date()
            try await consumer.assign(
                Dictionary(
                    uniqueKeysWithValues: md.partitions.map {
                        (TopicPartition(topic, $0.partition), StartPosition.earliest)
                    }))
            let fetchStart = Date()
            var count = 0
            var bytes = 0
            var lastRecord = Date()
            while count < messages {
                let records = try await consumer.poll()
                if records.isEmpty {
                    if Date().timeIntervalSince(lastRecord) * 1000 >= Double(timeout) { break }
                    continue
                }
                lastRecord = Date()
                for r in records {
                    count += 1
                    bytes += (r.value?.count ?? 0) + (r.key?.count ?? 0)
                }
            }
            if count < messages {
                Tool.printError(
                    "WARNING: Exiting before consuming the expected number of messages: timeout (\(timeout) ms) exceeded. You can use the --timeout option to increase the timeout."
                )
            }
            let endDate = Date()
            await client.close()
            let mb = Double(bytes) / 1_048_576
            let elapsed = max(endDate.timeIntervalSince(startDate), 0.001)
            let fetchElapsed = max(endDate.timeIntervalSince(fetchStart), 0.001)
            let df = DateFormatter()
            df.locale = Locale(identifier: "en_US_POSIX")
            df.dateFormat = dateFormat
            if !hideHeader {
                Output.line(
                    "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
                )
            }
            Output.line(
                String(
                    format: "%@, %@, %.4f, %.4f, %d, %.4f, %d, %d, %.4f, %.4f", df.string(from: startDate),
                    df.string(from: endDate), mb, mb / elapsed, count, Double(count) / elapsed,
                    Int(fetchStart.timeIntervalSince(startDate) * 1000), Int(fetchElapsed * 1000), mb / fetchElapsed,
                    Double(count) / fetchElapsed))
        }
    }
}
