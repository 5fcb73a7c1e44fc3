import KafkaConfig
import Observability

/// The entity a quota sensor belongs to, named by the tags Kafka gives its quota metrics
/// (`kafka.server:type={Produce|Fetch|Request},user=…,client-id=…`). The tags follow the level of the entity whose
/// config supplies the quota (Kafka's `DefaultQuotaCallback.quotaMetricTags`): a user+client-id quota tags both, a
/// user quota tags the user only (all the user's client ids share one window and one limit), a client-id quota — or
/// no quota at all — tags the client id only. An empty tag is left out of the MBean name by Kafka's `JmxReporter`.
struct QuotaEntity: Hashable, Sendable {
    var user: String
    var clientId: String
}

/// Kafka's `Avg` over the quota window: throttle times (ms) of the throttled responses in the retained samples.
/// Kafka's `throttle-time` attribute; 0 when nothing was throttled within the window.
struct SampledAverage: Sendable, Equatable {
    var windowMs: Int64
    var samples: Int
    private var starts: [Int64] = []
    private var sums: [Double] = []
    private var counts: [Int] = []

    init(windowMs: Int64, samples: Int) {
        self.windowMs = windowMs
        self.samples = samples
    }

    mutating func record(_ value: Double, nowMs: Int64) {
        if let last = starts.last, nowMs - last < windowMs {
            sums[sums.count - 1] += value
            counts[counts.count - 1] += 1
        } else {
            starts.append(nowMs)
            sums.append(value)
            counts.append(1)
        }
        purge(nowMs: nowMs)
    }

    private mutating func purge(nowMs: Int64) {
        let horizon = nowMs - windowMs * Int64(samples)
        while let first = starts.first, first + windowMs <= horizon {
            starts.removeFirst()
            sums.removeFirst()
            counts.removeFirst()
        }
    }

    func average(nowMs: Int64) -> Double {
        let horizon = nowMs - windowMs * Int64(samples)
        var sum = 0.0
        var count = 0
        for i in starts.indices where starts[i] + windowMs > horizon {
            sum += sums[i]
            count += counts[i]
        }
        return count == 0 ? 0 : sum / Double(count)
    }
}

/// One quota entity's sensors for one quota kind: the measured rate the quota is checked against (`byte-rate`, or
/// `request-time` in percent of a thread) and the average throttle time (`throttle-time`).
struct QuotaSensor: Sendable {
    var rate: RateWindow
    var throttle: SampledAverage
    /// Last time anything was recorded; Kafka drops a client's quota sensors after an hour without activity
    /// (`ClientQuotaManager.InactiveSensorExpirationTimeSeconds`), which bounds the series to active clients.
    var lastRecordMs: Int64

    init(windowMs: Int64, samples: Int, nowMs: Int64) {
        rate = RateWindow(windowMs: windowMs, samples: samples)
        throttle = SampledAverage(windowMs: windowMs, samples: samples)
        lastRecordMs = nowMs
    }

    static let inactiveExpiryMs: Int64 = 3_600_000
}

/// A scrape's copy of one sensor.
struct QuotaMetricSample: Sendable, Equatable {
    var kind: QuotaManager.Kind
    var entity: QuotaEntity
    var rate: Double
    var throttleTimeMs: Double
}

extension QuotaManager.Kind {
    /// The MBean `type` (`Produce`, `Fetch`, `Request`) and the rate attribute's name.
    var metricType: String {
        switch self {
        case .produce: "Produce"
        case .fetch: "Fetch"
        case .request: "Request"
        }
    }

    var rateAttribute: String {
        switch self {
        case .produce, .fetch: "byte_rate"
        case .request: "request_time"
        }
    }
}

enum QuotaMetrics {
    /// Writes the quota sensors as the JMX exporter renders them with the Strimzi / jmx_exporter example rules
    /// (`kafka.server<type=(.+), user=(.+), client-id=(.+)><>([a-z-]+)` → `kafka_server_quota_$4` with labels
    /// `resource`, `user`, `clientId`; `byte-rate` becomes `byte_rate`): `kafka_server_quota_byte_rate`,
    /// `kafka_server_quota_request_time` and `kafka_server_quota_throttle_time`. A tag Kafka leaves empty is left
    /// out, as `JmxReporter` leaves it out of the MBean name. Per-broker series, like Kafka's own sensors.
    static func write(_ samples: [QuotaMetricSample], into out: inout MetricsText) {
        guard !samples.isEmpty else { return }
        let sorted = samples.sorted {
            ($0.kind.metricType, $0.entity.user, $0.entity.clientId)
                < ($1.kind.metricType, $1.entity.user, $1.entity.clientId)
        }
        func labels(_ s: QuotaMetricSample) -> [(String, String)] {
            var l = [("resource", s.kind.metricType)]
            // Kafka tags the user sanitized (`Sanitizer.sanitize(principal.getName)` in `DefaultQuotaCallback`),
            // so `CN=alice,O=acme` from a certificate reads `CN%3Dalice%2CO%3Dacme`; the client id as sent.
            if !s.entity.user.isEmpty { l.append(("user", Sanitizer.sanitize(s.entity.user))) }
            if !s.entity.clientId.isEmpty { l.append(("clientId", s.entity.clientId)) }
            return l
        }
        out.family(
            "kafka_server_quota_byte_rate", .gauge,
            help: "Bytes per second a quota entity produces or fetches, over the quota window.",
            sorted.filter { $0.kind != .request }.map { Sample($0.rate, labels: labels($0)) })
        out.family(
            "kafka_server_quota_request_time", .gauge,
            help: "Request time of a quota entity, in percent of one request thread, over the quota window.",
            sorted.filter { $0.kind == .request }.map { Sample($0.rate, labels: labels($0)) })
        out.family(
            "kafka_server_quota_throttle_time", .gauge,
            help: "Average throttle time (ms) of a quota entity's throttled responses, over the quota window.",
            sorted.map { Sample($0.throttleTimeMs, labels: labels($0)) })
    }
}
