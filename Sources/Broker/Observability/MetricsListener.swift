import KafkaConfig
import KafkaRecords
import Logging
import NIOCore
import Observability

extension BrokerLauncher {
    /// Binds `http.listeners` (nil when empty) on the broker's event loops, serving `/metrics`, the web console
    /// (`/`, `/api/…`, `/api/events`) and Burrow's `/v3/kafka/…` API from `observability`.
    /// A port clash fails startup with one line, as the Kafka listener does.
    static func startMetricsListener(
        _ endpoints: [Endpoint], observability: BrokerObservability, group: any EventLoopGroup, logger: Logger
    ) async throws -> MetricsHTTPServer? {
        guard let endpoint = endpoints.first else { return nil }
        let host = endpoint.host.isEmpty ? "0.0.0.0" : endpoint.host
        do {
            let server = try await MetricsHTTPServer.start(
                host: host, port: endpoint.port, group: group, render: { await observability.render() },
                api: { path, requestHost in
                    if let answer = await observability.consoleAnswer(path: path, host: requestHost) { return answer }
                    return path.hasPrefix("/api/")
                        ? await observability.apiAnswer(path: path, host: requestHost)
                        : await observability.burrowAnswer(path: path, host: requestHost)
                },
                events: { await observability.consoleEvent() },
                gzip: { try? CompressionCodec.fastGzip($0) })
            // The console's throughput history fills even when nobody is looking.
            server.every(.milliseconds(observability.throughput.withLock { $0.intervalMs })) {
                observability.sampleThroughput()
            }
            logger.info("Serving Prometheus metrics at http://\(host):\(server.boundPort)/metrics")
            return server
        } catch {
            throw BrokerStartupError("Cannot listen on http.listeners \(endpoint.description): \(error)")
        }
    }
}
