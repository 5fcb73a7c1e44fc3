import Testing

@testable import KafkaClient

@Suite("Assignors")
struct AssignorTests {
    private func sorted(_ a: [String: [TopicPartition]]) -> [String: [String]] {
        a.mapValues { $0.sorted().map(\.description) }
    }

    @Test("range gives each member a contiguous block and the first members the remainder")
    func rangeRemainder() {
        let subs = ["c": ["t"], "a": ["t"], "b": ["t"]]
        let out = RangeAssignor().assign(subscriptions: subs, partitionCounts: ["t": 7])
        #expect(sorted(out) == ["a": ["t-0", "t-1", "t-2"], "b": ["t-3", "t-4"], "c": ["t-5", "t-6"]])
    }

    @Test("range assigns one partition each when members equal partitions")
    func rangeOneEach() {
        let subs = ["m1": ["multipart-topic"], "m2": ["multipart-topic"], "m3": ["multipart-topic"]]
        let out = RangeAssignor().assign(subscriptions: subs, partitionCounts: ["multipart-topic": 3])
        #expect(out.values.map(\.count).sorted() == [1, 1, 1])
        #expect(Set(out.values.joined()).count == 3)
    }

    @Test("range works per topic, so two topics both favour the first member")
    func rangePerTopic() {
        let subs = ["a": ["x", "y"], "b": ["x", "y"]]
        let out = RangeAssignor().assign(subscriptions: subs, partitionCounts: ["x": 3, "y": 3])
        #expect(sorted(out) == ["a": ["x-0", "x-1", "y-0", "y-1"], "b": ["x-2", "y-2"]])
    }

    @Test("round robin deals all partitions in turn across topics")
    func roundRobin() {
        let subs = ["a": ["x", "y"], "b": ["x", "y"]]
        let out = RoundRobinAssignor().assign(subscriptions: subs, partitionCounts: ["x": 3, "y": 3])
        #expect(sorted(out) == ["a": ["x-0", "x-2", "y-1"], "b": ["x-1", "y-0", "y-2"]])
    }

    @Test("round robin skips members not subscribed to a topic")
    func roundRobinSkips() {
        let subs = ["a": ["x"], "b": ["x", "y"]]
        let out = RoundRobinAssignor().assign(subscriptions: subs, partitionCounts: ["x": 2, "y": 2])
        #expect(sorted(out) == ["a": ["x-0"], "b": ["x-1", "y-0", "y-1"]])
    }

    @Test("members with no partitions still get an (empty) assignment, unknown topics are ignored")
    func emptyAndUnknown() {
        let subs = ["a": ["t"], "b": ["t"], "c": ["t", "missing"]]
        for assignor in [RangeAssignor() as any PartitionAssignor, RoundRobinAssignor()] {
            let out = assignor.assign(subscriptions: subs, partitionCounts: ["t": 2])
            #expect(Set(out.keys) == ["a", "b", "c"])
            #expect(out.values.map(\.count).reduce(0, +) == 2)
        }
    }

    @Test("every partition is assigned exactly once for many member and partition counts")
    func coverage() {
        for members in 1...6 {
            for partitions in 0...10 {
                let subs = Dictionary(uniqueKeysWithValues: (0..<members).map { ("m\($0)", ["t"]) })
                for assignor in [RangeAssignor() as any PartitionAssignor, RoundRobinAssignor()] {
                    let all = assignor.assign(subscriptions: subs, partitionCounts: ["t": Int32(partitions)])
                        .values.joined().map(\.partition).sorted()
                    #expect(all == Array(0..<Int32(partitions)))
                    let counts = assignor.assign(subscriptions: subs, partitionCounts: ["t": Int32(partitions)])
                        .values.map(\.count)
                    #expect((counts.max() ?? 0) - (counts.min() ?? 0) <= 1)
                }
            }
        }
    }
}
