import Testing

@testable import Observability

@Suite("Label rows written once, printed in many families")
struct LabelRowsTests {
    @Test("rows print the same lines as samples with label pairs")
    func rowsMatchSamples() {
        var rows = LabelRows()
        var labels = PartitionLabels()
        labels.append(topic: "orders", partition: 0, to: &rows)
        labels.append(topic: "orders", partition: 12, to: &rows)
        labels.append(topic: "pay\"ments", partition: 3, to: &rows)
        var fast = MetricsText()
        fast.family("g", .gauge, help: "h", rows: rows) { Double([5, -7, 0.25][$0]) }
        var slow = MetricsText()
        slow.family(
            "g", .gauge, help: "h",
            [
                Sample(5, labels: [("topic", "orders"), ("partition", "0")]),
                Sample(-7, labels: [("topic", "orders"), ("partition", "12")]),
                Sample(0.25, labels: [("topic", "pay\"ments"), ("partition", "3")]),
            ])
        #expect(fast.text == slow.text)
        #expect(fast.text.contains(#"g{topic="pay\"ments",partition="3"} 0.25"#))
    }

    @Test("a prefix such as the consumer group comes before the topic and partition")
    func prefixFirst() {
        var rows = LabelRows()
        var labels = PartitionLabels()
        let group = Array(#"consumergroup="g\\1""#.utf8)
        labels.append(topic: "t", partition: 1, after: group[...], to: &rows)
        #expect(String(decoding: rows[0], as: UTF8.self) == #"consumergroup="g\\1",topic="t",partition="1""#)
    }

    @Test("rows without a value are left out, and a family with none is left out entirely")
    func nilValues() {
        var rows = LabelRows()
        rows.label("consumergroup", "a")
        rows.endRow()
        rows.label("consumergroup", "b")
        rows.endRow()
        var out = MetricsText()
        out.family("lag", .gauge, help: "h", rows: rows) { $0 == 0 ? nil : 3 }
        out.family("none", .gauge, help: "h", rows: rows) { _ in nil }
        #expect(out.text.hasSuffix("lag{consumergroup=\"b\"} 3\n"))
        #expect(!out.text.contains("consumergroup=\"a\""))
        #expect(!out.text.contains("none"))
    }

    @Test("integers are written exactly, negative ones and Int64's extremes included")
    func integers() {
        for v: Int64 in [0, 7, -1, 1_234_567_890_123, .max, .min + 1] {
            var out: [UInt8] = []
            MetricsText.appendInteger(v, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == String(v))
        }
    }
}
