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
    /// The page as UTF-8, appended byte-wise: a scrape of 10,000 partitions writes about 150,000 lines.
    public private(set) var bytes: [UInt8] = []

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    public init() {}

    private mutating func put(_ s: String) { bytes.append(contentsOf: s.utf8) }

    mutating func appendRaw(_ b: some Collection<UInt8>) { bytes.append(contentsOf: b) }

    mutating func truncate(to count: Int) { bytes.removeSubrange(count...) }

    /// A sample's value as `format` spells it, integers written digit by digit.
    mutating func appendValue(_ v: Double) {
        if v == v.rounded(), abs(v) < 9.0e15 {
            Self.appendInteger(Int64(v), to: &bytes)
        } else {
            put(Self.format(v))
        }
    }

    /// Appends one family. `name` is the full family name; counters must already end in `_total`.
    public mutating func family(_ name: String, _ type: MetricType, help: String, _ samples: [Sample]) {
        guard !samples.isEmpty else { return }
        header(name, type, help: help)
        for sample in samples {
            put(name)
            put(sample.suffix)
            if !sample.labels.isEmpty {
                put("{")
                var first = true
                for (label, value) in sample.labels {
                    if !first { put(",") }
                    first = false
                    put(label)
                    put("=\"")
                    Self.appendEscapedLabelValue(value, to: &bytes)
                    put("\"")
                }
                put("}")
            }
            put(" ")
            appendValue(sample.value)
            put("\n")
        }
    }

    /// The HELP and TYPE lines of a family.
    mutating func header(_ name: String, _ type: MetricType, help: String) {
        precondition(type != .counter || name.hasSuffix("_total"), "counter \(name) must end in _total")
        put("# HELP ")
        put(name)
        put(" ")
        put(Self.escapeHelp(help))
        put("\n# TYPE ")
        put(name)
        put(" ")
        put(type.rawValue)
        put("\n")
    }

    /// HELP text: backslash and newline are escaped.
    public static func escapeHelp(_ s: String) -> String {
        // Bytes, not Characters: a scrape escapes every label value, and grapheme breaking would dominate it.
        guard s.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\n") }) else { return s }
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
        guard
            s.utf8.contains(where: {
                $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\"")
            })
        else { return s }
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
