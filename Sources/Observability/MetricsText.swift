/// The Prometheus text exposition format (version 0.0.4), written by hand: HELP and TYPE lines, then samples.
/// Everything a scrape emits goes through `MetricsText`, so escaping and float formatting live in one place.

/// A family's declared type. Summaries carry `quantile` samples plus `_sum` and `_count`; `untyped` is used for the
/// few names (kafka_exporter's `…_sum` gauges) that the format reserves for summaries and histograms.
public enum MetricType: String, Sendable {
    case counter
    case gauge
    case summary
    case untyped
}

/// One line of a family: optional name suffix (`_count`, `_sum` of a summary), labels in order, value.
public struct Sample: Sendable, Equatable {
    public var suffix: String
    public var labels: [(String, String)]
    public var value: Double

    public init(_ value: Double, labels: [(String, String)] = [], suffix: String = "") {
        self.value = value
        self.labels = labels
        self.suffix = suffix
    }

    @_disfavoredOverload
    public init(_ value: Int64, labels: [(String, String)] = [], suffix: String = "") {
        self.init(Double(value), labels: labels, suffix: suffix)
    }

    public static func == (a: Sample, b: Sample) -> Bool {
        a.suffix == b.suffix && a.value == b.value && a.labels.map(\.0) == b.labels.map(\.0)
            && a.labels.map(\.1) == b.labels.map(\.1)
    }
}

/// Accumulates families in the text format. A family without samples is left out entirely, so a broker that owns
/// none of a cluster-wide series (see `SeriesOwnership`) prints nothing for it rather than an empty family.
public struct MetricsText: Sendable {
    public private(set) var text: String = ""

    public init() {}

    /// Appends one family. `name` is the full family name; counters must already end in `_total`.
    public mutating func family(_ name: String, _ type: MetricType, help: String, _ samples: [Sample]) {
        guard !samples.isEmpty else { return }
        precondition(type != .counter || name.hasSuffix("_total"), "counter \(name) must end in _total")
        text += "# HELP \(name) \(Self.escapeHelp(help))\n"
        text += "# TYPE \(name) \(type.rawValue)\n"
        for sample in samples {
            text += name
            text += sample.suffix
            if !sample.labels.isEmpty {
                text += "{"
                var first = true
                for (label, value) in sample.labels {
                    if !first { text += "," }
                    first = false
                    text += label
                    text += "=\""
                    text += Self.escapeLabelValue(value)
                    text += "\""
                }
                text += "}"
            }
            text += " "
            text += Self.format(sample.value)
            text += "\n"
        }
    }

    /// HELP text: backslash and newline are escaped.
    public static func escapeHelp(_ s: String) -> String {
        guard s.contains(where: { $0 == "\\" || $0 == "\n" }) else { return s }
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    /// Label values: backslash, double quote and newline are escaped.
    public static func escapeLabelValue(_ s: String) -> String {
        guard s.contains(where: { $0 == "\\" || $0 == "\n" || $0 == "\"" }) else { return s }
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"": out += "\\\""
            default: out.append(c)
            }
        }
        return out
    }

    /// Integers without a fraction (offsets and counts stay exact and readable), `+Inf`/`-Inf`/`NaN` as the format
    /// spells them, anything else in Swift's shortest round-tripping form.
    public static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 9.0e15 { return String(Int64(v)) }
        return "\(v)"
    }
}
