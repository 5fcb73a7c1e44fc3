import class Foundation.JSONEncoder

/// The console's produce-rate history: the broker's cumulative per-topic counters (`messagesin`, `bytesin`) sampled
/// every `intervalMs`, kept as rates. Memory is bounded whatever the cluster does: at most `capacity` points per
/// topic and at most `maxTopics` topics (the busiest ones of the latest sample win; a topic that stops being
/// reported is forgotten). With the defaults (30 s, 360 points) it covers the last three hours.
public struct ThroughputSeries: Sendable, Equatable {
    public struct Totals: Sendable, Equatable {
        public var messages: Int64
        public var bytes: Int64
        public init(messages: Int64, bytes: Int64) {
            self.messages = messages
            self.bytes = bytes
        }
    }

    public let intervalMs: Int64
    public let capacity: Int
    public let maxTopics: Int
    private var lastAt: Int64?
    private var lastTotals: [String: Totals] = [:]
    public private(set) var points: [String: [ThroughputPoint]] = [:]

    public init(intervalMs: Int64 = 30_000, capacity: Int = 360, maxTopics: Int = 1_000) {
        self.intervalMs = max(1, intervalMs)
        self.capacity = max(1, capacity)
        self.maxTopics = max(1, maxTopics)
    }

    /// Records the counters read at `nowMs`; ignored until `intervalMs` has passed since the last recorded sample,
    /// so any number of callers may offer samples. The first sample only sets the baseline. A counter that went
    /// down (the topic was deleted and re-created) restarts from zero rather than giving a negative rate.
    /// Returns whether the sample was taken.
    @discardableResult
    public mutating func offer(nowMs: Int64, totals: [String: Totals]) -> Bool {
        if let lastAt, nowMs - lastAt < intervalMs { return false }
        defer {
            lastAt = nowMs
            lastTotals = totals
        }
        guard let lastAt else { return true }
        let seconds = Double(nowMs - lastAt) / 1000
        var rates: [(String, ThroughputPoint)] = []
        for (topic, now) in totals {
            let before = lastTotals[topic] ?? Totals(messages: 0, bytes: 0)
            let dm = now.messages >= before.messages ? now.messages - before.messages : now.messages
            let db = now.bytes >= before.bytes ? now.bytes - before.bytes : now.bytes
            rates.append(
                (
                    topic,
                    ThroughputPoint(at: nowMs, messagesPerSec: Double(dm) / seconds, bytesPerSec: Double(db) / seconds)
                ))
        }
        if rates.count > maxTopics {
            // Keep the topics already tracked and the busiest of the rest.
            rates.sort { a, b in
                let ta = points[a.0] != nil
                let tb = points[b.0] != nil
                if ta != tb { return ta }
                return (a.1.bytesPerSec, a.0) > (b.1.bytesPerSec, b.0)
            }
            rates.removeLast(rates.count - maxTopics)
        }
        var next: [String: [ThroughputPoint]] = [:]
        next.reserveCapacity(rates.count)
        for (topic, point) in rates {
            var series = points[topic] ?? []
            series.append(point)
            if series.count > capacity { series.removeFirst(series.count - capacity) }
            next[topic] = series
        }
        points = next
        return true
    }

    public func series(_ topic: String) -> [ThroughputPoint] { points[topic] ?? [] }
}

/// The console's JSON: snake_case keys, sorted, slashes unescaped, one line (so it fits one server-sent event).
public enum ConsoleJSON {
    public static func encode(_ value: some Encodable) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let data = try? encoder.encode(value) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
