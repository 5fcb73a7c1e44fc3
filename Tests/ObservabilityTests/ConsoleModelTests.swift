import Testing

@testable import Observability

@Suite("The web console's JSON values")
struct ConsoleModelTests {
    private let live: Set<Int32> = [1, 2, 3]

    @Test(
        "a partition whose ISR is smaller than its replicas is under-replicated; one without a live leader is offline")
    func partitionHealth() {
        let ok = ConsolePartition(partition: 0, leader: 1, replicas: [1, 2, 3], isr: [1, 2, 3], liveBrokers: live)
        let under = ConsolePartition(partition: 1, leader: 2, replicas: [1, 2, 3], isr: [2, 3], liveBrokers: live)
        let noLeader = ConsolePartition(partition: 2, leader: -1, replicas: [4], isr: [], liveBrokers: live)
        let deadLeader = ConsolePartition(partition: 3, leader: 4, replicas: [4], isr: [4], liveBrokers: live)
        #expect(!ok.underReplicated && !ok.offline)
        #expect(under.underReplicated && !under.offline)
        #expect(noLeader.offline)
        #expect(deadLeader.offline && !deadLeader.underReplicated)
    }

    @Test("topic and cluster totals count under-replicated and offline partitions and sum the sizes held here")
    func totals() {
        let a = ConsoleTopic(
            name: "a", isInternal: false,
            partitions: [
                ConsolePartition(
                    partition: 1, leader: 2, replicas: [1, 2], isr: [2], sizeBytes: 10, liveBrokers: live),
                ConsolePartition(
                    partition: 0, leader: 1, replicas: [1, 2], isr: [1, 2], sizeBytes: 5, liveBrokers: live),
            ])
        let b = ConsoleTopic(
            name: "b", isInternal: false,
            partitions: [ConsolePartition(partition: 0, leader: -1, replicas: [9], isr: [], liveBrokers: live)])
        #expect(a.partitions.map(\.partition) == [0, 1])
        #expect(a.underReplicated == 1 && a.offline == 0 && a.sizeBytes == 15)
        #expect(b.offline == 1 && b.sizeBytes == nil)
        let cluster = ConsoleCluster(
            clusterId: "c", controller: 2, servedBy: 1,
            brokers: [
                ConsoleBroker(id: 2, host: "h", port: 9093, rack: nil, isController: true),
                ConsoleBroker(id: 1, host: "h", port: 9092, rack: nil, isController: false),
            ], topics: [a, b])
        #expect(cluster.brokers.map(\.id) == [1, 2])
        #expect(cluster.topicCount == 2 && cluster.partitionCount == 3)
        #expect(cluster.underReplicatedPartitions == 1 && cluster.offlinePartitions == 1)
    }

    @Test("lag seconds is zero when caught up, the age of the first unconsumed record otherwise, unknown without it")
    func lagSeconds() {
        func p(_ lag: Int64?, _ ts: Int64?) -> ConsoleGroupPartition {
            ConsoleGroupPartition(
                topic: "t", partition: 0, committedOffset: 5, lag: lag, firstUnconsumedTimestamp: ts, nowMs: 10_000,
                trend: .steady)
        }
        #expect(p(0, nil).lagSeconds == 0)
        #expect(p(3, 7_500).lagSeconds == 2.5)
        #expect(p(3, 20_000).lagSeconds == 0)
        #expect(p(3, nil).lagSeconds == nil)
        #expect(p(nil, nil).lagSeconds == nil)
    }

    @Test("a group's lag is the sum of the known partition lags, its trend rising if any partition rises")
    func groupTotals() {
        let parts = [
            ConsoleGroupPartition(
                topic: "t", partition: 1, committedOffset: 0, lag: 4, firstUnconsumedTimestamp: 0, nowMs: 3_000,
                trend: .rising),
            ConsoleGroupPartition(
                topic: "t", partition: 0, committedOffset: 0, lag: 6, firstUnconsumedTimestamp: 1_000, nowMs: 3_000,
                trend: .falling),
            ConsoleGroupPartition(
                topic: "u", partition: 0, committedOffset: 0, lag: nil, firstUnconsumedTimestamp: nil, nowMs: 3_000,
                trend: .unknown),
        ]
        let g = ConsoleGroup(
            group: "g", state: "Stable", protocolType: "consumer", coordinator: 1, members: [], partitions: parts,
            status: "OK", rebalances: [], verdict: nil)
        #expect(g.totalLag == 10)
        #expect(g.maxLagSeconds == 3)
        #expect(g.trend == .rising)
        #expect(g.partitions.map { "\($0.topic)-\($0.partition)" } == ["t-0", "t-1", "u-0"])
        let none = ConsoleGroup(
            group: "g", state: "Empty", protocolType: "consumer", coordinator: 1, members: [],
            partitions: [parts[2]], status: "OK", rebalances: [], verdict: nil)
        #expect(none.totalLag == nil && none.trend == .unknown)
    }

    @Test("the lag trend compares the first lag of Burrow's window with the current lag")
    func trend() {
        func w(_ lags: [Int64]) -> [BurrowOffset] {
            lags.enumerated().map {
                BurrowOffset(offset: Int64($0.offset), timestamp: 0, observedAt: 0, lag: $0.element)
            }
        }
        #expect(LagTrend.of(w([5, 7]), currentLag: 9) == .rising)
        #expect(LagTrend.of(w([5, 7]), currentLag: 2) == .falling)
        #expect(LagTrend.of(w([5, 5]), currentLag: 5) == .steady)
        #expect(LagTrend.of(w([5]), currentLag: 5) == .unknown)
        #expect(LagTrend.of(w([5]), currentLag: 8) == .rising)
        #expect(LagTrend.of([], currentLag: 3) == .unknown)
        #expect(LagTrend.of(w([5, 5]), currentLag: nil) == .unknown)
    }

    @Test("the console state encodes as one line of snake_case JSON")
    func encoding() throws {
        let state = ConsoleState(
            cluster: ConsoleCluster(clusterId: "c\n1", controller: 1, servedBy: 1, brokers: [], topics: []),
            topics: [], groups: [])
        let json = try #require(ConsoleJSON.encode(state))
        #expect(!json.contains("\n"))
        #expect(json.contains(#""under_replicated_partitions":0"#))
        #expect(json.contains(#""cluster_id":"c\n1""#))
    }

    @Test("the throughput series turns counter deltas into rates, one sample per interval")
    func throughputRates() {
        var s = ThroughputSeries(intervalMs: 10_000, capacity: 3, maxTopics: 10)
        let baseline = s.offer(nowMs: 0, totals: ["t": .init(messages: 100, bytes: 1_000)])
        #expect(baseline)
        #expect(s.series("t").isEmpty)
        let early = s.offer(nowMs: 5_000, totals: ["t": .init(messages: 150, bytes: 1_500)])
        #expect(!early)
        let due = s.offer(nowMs: 10_000, totals: ["t": .init(messages: 200, bytes: 3_000)])
        #expect(due)
        #expect(s.series("t") == [ThroughputPoint(at: 10_000, messagesPerSec: 10, bytesPerSec: 200)])
        // A counter that went down (topic re-created) counts from zero, never negative.
        s.offer(nowMs: 20_000, totals: ["t": .init(messages: 50, bytes: 100)])
        #expect(s.series("t").last == ThroughputPoint(at: 20_000, messagesPerSec: 5, bytesPerSec: 10))
    }

    @Test("the throughput series keeps at most capacity points per topic and at most maxTopics topics")
    func throughputBounds() {
        var s = ThroughputSeries(intervalMs: 1, capacity: 3, maxTopics: 2)
        for i in 0..<10 {
            s.offer(
                nowMs: Int64(i) * 1_000,
                totals: [
                    "quiet": .init(messages: 0, bytes: 0),
                    "busy": .init(messages: Int64(i) * 100, bytes: Int64(i) * 100),
                    "mid": .init(messages: Int64(i) * 10, bytes: Int64(i) * 10),
                ])
        }
        #expect(s.points.count == 2)
        #expect(s.series("busy").count == 3 && s.series("mid").count == 3)
        #expect(s.series("quiet").isEmpty)
        #expect(s.series("busy").map(\.at) == [7_000, 8_000, 9_000])
        // A topic no longer reported is forgotten.
        s.offer(nowMs: 10_000, totals: ["busy": .init(messages: 1_000, bytes: 1_000)])
        #expect(s.points.keys.sorted() == ["busy"])
    }

    @Test("the page only reads: it subscribes to the event stream and issues no other request")
    func pageIsReadOnly() {
        let page = ConsolePage.html
        #expect(page.contains(#"new EventSource("/api/events")"#))
        for write in ["fetch(", "XMLHttpRequest", "<form", "method=", "innerHTML"] {
            #expect(!page.contains(write), "page contains \(write)")
        }
    }
}
