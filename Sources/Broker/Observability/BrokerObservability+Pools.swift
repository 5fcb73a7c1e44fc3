import Observability

/// Kafka's thread-pool and replication health gauges the Strimzi dashboard plots: unclean leader elections (the
/// controller's counter, kept per broker across controller terms), the replica fetchers' largest lag, and the
/// idle share of the network and request-handler pools (see `ThreadPoolIdle` for what idle means here).
extension BrokerObservability {
    func writePools(into out: inout MetricsText) {
        out.family(
            "kafka_controller_controllerstats_uncleanleaderelections_total", .counter,
            help: "Leaders elected from outside the ISR by this broker's controller terms.",
            [Sample(Int64(mode.uncleanLeaderElections))])
        // Kafka's MBean carries `clientId=Replica`, its only fetcher manager; the label is left out because
        // `promtool check metrics` rejects camelCase label names, and a one-series family needs none.
        out.family(
            "kafka_server_replicafetchermanager_maxlag", .gauge,
            help: "Largest lag, in messages, of a follower replica on this broker behind its leader's high watermark.",
            [Sample(replicas.replicaFetcherMaxLag)])
        guard let reading = ThreadPoolIdle.read() else { return }
        let idle = threadIdle.withLock { $0.update(reading) }
        out.family(
            "kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent", .gauge,
            help: "Share (0-1) of the request handlers' capacity (Swift's cooperative pool, one thread per core) "
                + "not on a CPU since the previous scrape.",
            [Sample(idle.requestHandlers)])
        out.family(
            "kafka_network_socketserver_networkprocessoravgidle_percent", .gauge,
            help: "Share (0-1) of the network threads' capacity (SwiftNIO event loops) not on a CPU since the "
                + "previous scrape.",
            [Sample(idle.networkProcessors)])
    }
}
