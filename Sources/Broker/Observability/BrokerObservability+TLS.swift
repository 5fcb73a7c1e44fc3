import Observability

extension BrokerObservability {
    /// `needletail_ssl_certificate_expiry_timestamp_seconds{listener}`: when the certificate each TLS listener
    /// serves stops being valid. Kafka has no such MBean (operators scrape it with a blackbox or cert exporter);
    /// the name follows the `…_expiry_timestamp_seconds` shape of those exporters so `… - time() < 86400 * 14`
    /// alerts carry over. A per-broker series, like `process_*`: every broker exports its own listeners.
    func writeCertificateExpiry(into out: inout MetricsText) {
        let listeners = metrics.tlsListeners.withLock { $0 }
        guard !listeners.isEmpty else { return }
        out.family(
            "needletail_ssl_certificate_expiry_timestamp_seconds", .gauge,
            help: "Expiry (notAfter) of the certificate a TLS listener serves, in seconds since 1970.",
            listeners.sorted { $0.key < $1.key }.map {
                Sample(Int64($0.value.certificateNotValidAfter), labels: [("listener", $0.key)])
            })
    }
}
