/// Label sets written once and printed many times: each row is the pre-escaped inside of a `{…}`, such as
/// `topic="orders",partition="3"`, and all rows share one byte buffer. A scrape of 10,000 partitions prints each
/// partition's labels in a dozen families; building them once per scrape, as bytes, replaces a dozen arrays of
/// `(String, String)` pairs and a dozen `String(partition)` per partition.
public struct LabelRows: Sendable {
    public private(set) var bytes: [UInt8] = []
    private var ends: [Int] = []

    public init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity * 40)
        ends.reserveCapacity(capacity)
    }

    public var count: Int { ends.count }

    /// The labels of row `i`, ready to be copied between `{` and `}`.
    public subscript(_ i: Int) -> ArraySlice<UInt8> { bytes[(i == 0 ? 0 : ends[i - 1])..<ends[i]] }

    private var rowIsEmpty: Bool { bytes.count == (ends.last ?? 0) }

    /// Adds `name="value"` (the value escaped) to the row being built.
    public mutating func label(_ name: String, _ value: String) {
        if !rowIsEmpty { bytes.append(UInt8(ascii: ",")) }
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: #"=""#.utf8)
        MetricsText.appendEscapedLabelValue(value, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Adds `name="value"` for an integer value (no escaping needed).
    public mutating func label(_ name: String, _ value: Int64) {
        if !rowIsEmpty { bytes.append(UInt8(ascii: ",")) }
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: #"=""#.utf8)
        MetricsText.appendInteger(value, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Adds already escaped `name="value"` pairs (another row, or a prefix built once) to the row being built.
    public mutating func labels(escaped: some Collection<UInt8>) {
        guard !escaped.isEmpty else { return }
        if !rowIsEmpty { bytes.append(UInt8(ascii: ",")) }
        bytes.append(contentsOf: escaped)
    }

    /// Closes the row being built; it gets the next index.
    public mutating func endRow() { ends.append(bytes.count) }
}

extension MetricsText {
    /// Appends one family whose samples are rows of `rows` (or the single unlabelled sample when `rows` is nil):
    /// `value(i)` gives row i's value, nil to leave the row out. The family is left out when no row has a value.
    public mutating func family(
        _ name: String, _ type: MetricType, help: String, rows: LabelRows, suffix: String = "",
        value: (Int) -> Double?
    ) {
        let mark = bytes.count
        var any = false
        let line = Array((name + suffix).utf8) + [UInt8(ascii: "{")]
        for i in 0..<rows.count {
            guard let v = value(i) else { continue }
            if !any {
                header(name, type, help: help)
                any = true
            }
            appendRaw(line)
            appendRaw(rows[i])
            appendRaw(#"} "#.utf8)
            appendValue(v)
            appendRaw(CollectionOfOne(UInt8(ascii: "\n")))
        }
        if !any { truncate(to: mark) }
    }

    /// Escapes a label value (backslash, double quote, newline) straight into `out`.
    public static func appendEscapedLabelValue(_ s: String, to out: inout [UInt8]) {
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            default: out.append(b)
            }
        }
    }

    /// Decimal digits of `v`, without going through a `String`.
    public static func appendInteger(_ v: Int64, to out: inout [UInt8]) {
        if v < 0 { out.append(UInt8(ascii: "-")) }
        var n = v.magnitude
        let start = out.count
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(n % 10))
            n /= 10
        } while n > 0
        out[start...].reverse()
    }
}

/// Rows of `[prefix,]topic="…",partition="…"`, escaping a topic once per run of its partitions (a scrape walks
/// partitions sorted by topic, so each topic name is escaped about once).
public struct PartitionLabels: Sendable {
    private var topic: String?
    private var escaped: [UInt8] = []

    public init() {}

    /// Ends a row of `rows` holding `prefix` (already escaped labels, may be empty), the topic and the partition.
    public mutating func append(
        topic: String, partition: Int32, after prefix: ArraySlice<UInt8> = [], to rows: inout LabelRows
    ) {
        if topic != self.topic {
            self.topic = topic
            escaped = Array(#"topic=""#.utf8)
            MetricsText.appendEscapedLabelValue(topic, to: &escaped)
            escaped.append(UInt8(ascii: "\""))
        }
        rows.labels(escaped: prefix)
        rows.labels(escaped: escaped)
        rows.label("partition", Int64(partition))
        rows.endRow()
    }
}
