import ArgumentParser
import Foundation
import KafkaClient
import KafkaRecords

/// `needletail console-producer`: kafka-console-producer.sh (one record per stdin line).
struct ConsoleProducerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console-producer",
        abstract: "Read lines from standard input and publish each as a record (kafka-console-producer.sh).",
        discussion: """
            Reader properties (--property): parse.key (false), key.separator (\\t), parse.headers (false),
            headers.delimiter (\\t), headers.separator (,), headers.key.separator (:), null.marker, ignore.error.
            Producer properties (--producer-property): acks, linger.ms, batch.size, compression.type,
            enable.idempotence, request.timeout.ms, client.id.

            Example:
              printf 'k1:hello\\nk2:world\\n' | needletail console-producer --bootstrap-server localhost:9092 --topic orders --property parse.key=true --property key.separator=:
            """
    )

    @Option(name: .customLong("bootstrap-server"), help: "The broker(s) to connect to: HOST:PORT[,HOST:PORT…].")
    var bootstrapServer: String

    @Option(help: "The topic to produce to.") var topic: String

    @Option(name: .customLong("property"), help: "A line-reader property: key=value (repeatable).")
    var properties: [String] = []

    @Option(name: .customLong("producer-property"), help: "A producer setting: key=value (repeatable).")
    var producerProperties: [String] = []

    @Option(name: .customLong("producer.config"), help: "A properties file with producer settings.")
    var producerConfig: String?

    @Option(name: .customLong("compression-codec"), help: "none, gzip, snappy, lz4 or zstd.")
    var compressionCodec: String?

    @Option(
        name: .customLong("request-required-acks"), parsing: .unconditional, help: "Acks: -1/all, 0 or 1 (default -1).")
    var requiredAcks: String?

    @Option(name: .customLong("batch-size"), help: "Records are sent in batches of up to this many bytes.")
    var batchSize: Int?

    @Option(name: .customLong("timeout"), help: "linger.ms: how long a batch waits for more records (default 1000).")
    var lingerMs: Int?

    @Option(name: .customLong("request-timeout-ms"), help: "How long to wait for the broker's acknowledgement.")
    var requestTimeoutMs: Int?

    @Flag(help: "Send each record synchronously, waiting for its acknowledgement.")
    var sync = false

    static func codec(_ name: String) throws -> CompressionCodec {
        switch name.lowercased() {
        case "none", "uncompressed": .none
        case "gzip": .gzip
        case "snappy": .snappy
        case "lz4": .lz4
        case "zstd": .zstd
        default: throw ToolError("Unknown compression codec '\(name)': use none, gzip, snappy, lz4 or zstd")
        }
    }

    static func acks(_ text: String) throws -> Int16 {
        switch text.lowercased() {
        case "all", "-1": -1
        case "0": 0
        case "1": 1
        default: throw ToolError("Invalid acks '\(text)': use -1, all, 0 or 1")
        }
    }

    func run() async throws {
        try await Tool.run(errorPrefix: "ERROR ") {
            var settings = try Tool.propertiesFile(producerConfig)
            for (k, v) in try Tool.properties(producerProperties, what: "producer property") { settings[k] = v }
            let reader = try LineReader(properties: try Tool.properties(properties, what: "property"))
            let client = try Tool.client(bootstrap: bootstrapServer, properties: settings, clientId: "console-producer")
            var config = ProducerConfiguration(acks: -1, lingerMs: 1000, batchSize: 16_384)
            if let v = settings["acks"] { config.acks = try Self.acks(v) }
            if let v = settings["linger.ms"].flatMap(Int.init) { config.lingerMs = v }
            if let v = settings["batch.size"].flatMap(Int.init) { config.batchSize = v }
            if let v = settings["compression.type"] { config.compression = try Self.codec(v) }
            if let v = settings["enable.idempotence"] { config.enableIdempotence = v == "true" }
            if let v = requiredAcks { config.acks = try Self.acks(v) }
            if let v = compressionCodec { config.compression = try Self.codec(v) }
            if let v = batchSize { config.batchSize = v }
            if let v = lingerMs { config.lingerMs = v }
            if let v = requestTimeoutMs { config.produceTimeoutMs = Int32(clamping: v) }
            // --sync waits for each record, so there is nothing to linger for.
            if sync { config.lingerMs = 0 }
            if config.acks != -1 && settings["enable.idempotence"] == nil { config.enableIdempotence = false }
            let producer = KafkaProducer(client: client, configuration: config)
            _ = try await client.topicMetadata(topic, waitForLeaders: false)
            var lineNumber = 0
            for await line in StdinLines.stream() {
                lineNumber += 1
                guard let (key, value, headers) = try reader.parse(line, lineNumber: lineNumber) else { continue }
                let record = ProducerRecord(topic: topic, key: key, value: value, headers: headers)
                if sync {
                    _ = try await producer.send(record)
                } else {
                    try await producer.enqueue(record)
                }
            }
            try await producer.close()
            await client.close()
        }
    }
}

/// Kafka's `LineMessageReader`: splits a line into key, value and headers according to the reader properties.
struct LineReader {
    var parseKey = false
    var keySeparator = "\t"
    var parseHeaders = false
    var headersDelimiter = "\t"
    var headersSeparator = ","
    var headersKeySeparator = ":"
    var nullMarker: String?
    var ignoreError = false

    init(properties p: [String: String]) throws {
        parseKey = p["parse.key"]?.lowercased() == "true"
        keySeparator = p["key.separator"] ?? keySeparator
        parseHeaders = p["parse.headers"]?.lowercased() == "true"
        headersDelimiter = p["headers.delimiter"] ?? headersDelimiter
        headersSeparator = p["headers.separator"] ?? headersSeparator
        headersKeySeparator = p["headers.key.separator"] ?? headersKeySeparator
        nullMarker = p["null.marker"]
        ignoreError = p["ignore.error"]?.lowercased() == "true"
        guard !keySeparator.isEmpty else { throw ToolError("key.separator must not be empty") }
    }

    private func bytes(_ s: Substring) -> [UInt8]? {
        if let nullMarker, s == nullMarker { return nil }
        return Array(s.utf8)
    }

    func parse(_ line: String, lineNumber: Int) throws -> ([UInt8]?, [UInt8]?, [RecordHeader])? {
        var rest = Substring(line)
        var headers: [RecordHeader] = []
        if parseHeaders {
            guard let r = rest.range(of: headersDelimiter) else {
                if ignoreError { return (nil, bytes(rest), []) }
                throw ToolError("No headers delimiter found on line number \(lineNumber): '\(line)'")
            }
            for pair in rest[..<r.lowerBound].components(separatedBy: headersSeparator) where !pair.isEmpty {
                if let kr = pair.range(of: headersKeySeparator) {
                    headers.append(
                        RecordHeader(
                            key: String(pair[..<kr.lowerBound]), value: bytes(pair[kr.upperBound...])))
                } else {
                    headers.append(RecordHeader(key: pair, value: nil))
                }
            }
            rest = rest[r.upperBound...]
        }
        if parseKey {
            guard let r = rest.range(of: keySeparator) else {
                if ignoreError { return (nil, bytes(rest), headers) }
                throw ToolError("No key separator found on line number \(lineNumber): '\(line)'")
            }
            return (bytes(rest[..<r.lowerBound]), bytes(rest[r.upperBound...]), headers)
        }
        return (nil, bytes(rest), headers)
    }
}

/// Standard input as lines, read on a dedicated thread so a blocked read never holds a Swift concurrency thread.
enum StdinLines {
    static func stream() -> AsyncStream<String> {
        AsyncStream(bufferingPolicy: .bufferingOldest(10_000)) { continuation in
            let thread = Thread {
                while let line = readLine(strippingNewline: true) {
                    var l = line
                    if l.hasSuffix("\r") { l.removeLast() }
                    while case .dropped = continuation.yield(l) { usleep(1000) }
                }
                continuation.finish()
            }
            thread.start()
        }
    }
}
