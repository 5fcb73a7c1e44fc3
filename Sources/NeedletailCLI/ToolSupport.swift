import ArgumentParser
import Foundation
import KafkaClient
import Synchronization

/// Shared plumbing for the Kafka-style admin subcommands: one-line failures, `k=v` parsing, stdout/stderr.
enum Tool {
    /// Runs `body`; any error becomes one line on stderr (`prefix` + the error) and exit code 1.
    static func run(errorPrefix: String = "Error: ", _ body: () async throws -> Void) async throws {
        do {
            try await body()
            Output.flush()
        } catch let exit as ExitCode {
            Output.flush()
            throw exit
        } catch {
            Output.flush()
            let text: String
            if let e = error as? KafkaClientError {
                text = e.description
            } else if let e = error as? ToolError {
                text = e.message
            } else {
                text = "\(error)"
            }
            printError(errorPrefix + text)
            throw ExitCode.failure
        }
    }

    static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// A client for `--bootstrap-server`, with `--command-config`/`--*-property` client settings applied.
    static func client(bootstrap: String, properties: [String: String] = [:], clientId: String) throws -> KafkaClient {
        var config = KafkaClientConfiguration(bootstrapServers: try BrokerAddress.list(bootstrap), clientId: clientId)
        if let v = properties["client.id"] { config.clientId = v }
        if let v = properties["request.timeout.ms"].flatMap(Int.init) { config.requestTimeoutMs = v }
        if let v = properties["retry.backoff.ms"].flatMap(Int.init) { config.retryBackoffMs = v }
        if let v = properties["default.api.timeout.ms"].flatMap(Int.init) { config.retryTimeoutMs = v }
        if let v = properties["socket.connection.setup.timeout.ms"].flatMap(Int.init) { config.connectTimeoutMs = v }
        config.security = try ClientSecurity(properties: properties)
        return KafkaClient(configuration: config)
    }

    /// Parses `key=value` pairs (the value may contain '=').
    static func keyValues(_ items: [String], what: String) throws -> [(String, String)] {
        try items.map { item in
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw ToolError("Invalid \(what) '\(item)': expected key=value")
            }
            return (String(item[..<eq]), String(item[item.index(after: eq)...]))
        }
    }

    static func properties(_ items: [String], what: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in try keyValues(items, what: what) { out[k] = v }
        return out
    }

    /// Reads a Java-style properties file (`k=v` lines, `#` comments) for `--command-config`.
    static func propertiesFile(_ path: String?) throws -> [String: String] {
        guard let path else { return [:] }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ToolError("Cannot read properties file \(path)")
        }
        var out: [String: String] = [:]
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#"), !line.hasPrefix("!") else { continue }
            guard let eq = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else { continue }
            out[line[..<eq].trimmingCharacters(in: .whitespaces)] =
                line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        }
        return out
    }
}

/// A failure with a message printed as is.
struct ToolError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// Buffered stdout: tools may print many lines (consumers, dump-log); one write per 64 KiB, not per line.
enum Output {
    private static let buffer = Mutex<[UInt8]>([])

    static func write(_ s: String) {
        let full = buffer.withLock { buffer in
            buffer.append(contentsOf: s.utf8)
            return buffer.count >= 64 << 10
        }
        if full { flush() }
    }

    static func line(_ s: String) { write(s + "\n") }

    static func writeBytes(_ b: [UInt8]) {
        let full = buffer.withLock { buffer in
            buffer.append(contentsOf: b)
            return buffer.count >= 64 << 10
        }
        if full { flush() }
    }

    static func flush() {
        let data = buffer.withLock { buffer in
            defer { buffer.removeAll(keepingCapacity: true) }
            return buffer
        }
        if !data.isEmpty { FileHandle.standardOutput.write(Data(data)) }
    }
}
