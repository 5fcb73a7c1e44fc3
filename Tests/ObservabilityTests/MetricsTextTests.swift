import Testing

@testable import Observability

@Suite("Prometheus text format")
struct MetricsTextTests {
    @Test("a family starts with its HELP and TYPE lines, then one line per sample")
    func helpAndType() {
        var out = MetricsText()
        out.family("kafka_brokers", .gauge, help: "Number of brokers in the cluster.", [Sample(3)])
        #expect(
            out.text == """
                # HELP kafka_brokers Number of brokers in the cluster.
                # TYPE kafka_brokers gauge
                kafka_brokers 3

                """)
    }

    @Test("a counter keeps its _total name on the TYPE line and its samples")
    func counters() {
        var out = MetricsText()
        out.family(
            "kafka_server_brokertopicmetrics_messagesin_total", .counter, help: "Messages.",
            [Sample(10), Sample(7, labels: [("topic", "orders")])])
        #expect(out.text.contains("# TYPE kafka_server_brokertopicmetrics_messagesin_total counter\n"))
        #expect(out.text.contains("\nkafka_server_brokertopicmetrics_messagesin_total 10\n"))
        #expect(out.text.contains("\nkafka_server_brokertopicmetrics_messagesin_total{topic=\"orders\"} 7\n"))
    }

    @Test("gauges and counters differ only in their TYPE line")
    func gaugeVersusCounter() {
        var gauge = MetricsText()
        gauge.family("x_total", .gauge, help: "h", [Sample(1)])
        var counter = MetricsText()
        counter.family("x_total", .counter, help: "h", [Sample(1)])
        #expect(gauge.text.replacingOccurrences("gauge", "counter") == counter.text)
    }

    @Test("label values escape backslash, double quote and newline")
    func labelEscaping() {
        var out = MetricsText()
        out.family("g", .gauge, help: "h", [Sample(1, labels: [("consumergroup", "a\\b\"c\nd")])])
        #expect(out.text.contains(#"g{consumergroup="a\\b\"c\nd"} 1"#))
    }

    @Test("HELP text escapes backslash and newline but not quotes")
    func helpEscaping() {
        #expect(MetricsText.escapeHelp("a\\b\n\"c\"") == #"a\\b\n"c""#)
    }

    @Test("several labels are comma-separated in the given order")
    func labelOrder() {
        var out = MetricsText()
        out.family("g", .gauge, help: "h", [Sample(5, labels: [("topic", "t"), ("partition", "0")])])
        #expect(out.text.hasSuffix("g{topic=\"t\",partition=\"0\"} 5\n"))
    }

    @Test("a family without samples is left out entirely")
    func emptyFamily() {
        var out = MetricsText()
        out.family("kafka_consumergroup_lag", .gauge, help: "h", [])
        #expect(out.text.isEmpty)
    }

    @Test("summary samples carry their _sum and _count suffixes")
    func summary() {
        var out = MetricsText()
        out.family(
            "t", .summary, help: "h",
            [
                Sample(1.5, labels: [("quantile", "0.99")]), Sample(3, suffix: "_sum"), Sample(2, suffix: "_count"),
            ])
        #expect(out.text.contains("t{quantile=\"0.99\"} 1.5\nt_sum 3\nt_count 2\n"))
    }

    @Test("values print integers exactly and infinities as the format spells them")
    func values() {
        #expect(MetricsText.format(42) == "42")
        #expect(MetricsText.format(-1) == "-1")
        #expect(MetricsText.format(0.25) == "0.25")
        #expect(MetricsText.format(.infinity) == "+Inf")
        #expect(MetricsText.format(-.infinity) == "-Inf")
        #expect(MetricsText.format(.nan) == "NaN")
        #expect(MetricsText.format(1_234_567_890_123) == "1234567890123")
    }
}

@Suite("Latency histogram")
struct LatencyHistogramTests {
    @Test("quantiles fall inside the bucket that holds them")
    func quantiles() {
        let h = LatencyHistogram()
        for _ in 0..<99 { h.record(micros: 100) }  // bucket ≤ 0.125 ms
        h.record(micros: 50_000)  // bucket (32 ms, 64 ms]
        let s = h.snapshot
        #expect(s.count == 100)
        #expect(s.sumMicros == 99 * 100 + 50_000)
        #expect(s.quantileMillis(0.5) <= 0.125)
        #expect(s.quantileMillis(0.999) > 32 && s.quantileMillis(0.999) <= 64)
    }

    @Test("an empty histogram reports zero")
    func empty() {
        #expect(LatencyHistogram().snapshot.quantileMillis(0.99) == 0)
    }
}

extension String {
    fileprivate func replacingOccurrences(_ a: String, _ b: String) -> String {
        split(separator: a, omittingEmptySubsequences: false).joined(separator: b)
    }
}
