import Foundation
import Testing

@testable import Observability

@Suite("The console's JSON written as bytes")
struct ConsoleJSONWriterTests {
    private static func state() -> ConsoleState {
        let live: Set<Int32> = [1, 2]
        let topic = ConsoleTopic(
            name: "orders \"eu\"/1", isInternal: false,
            partitions: [
                ConsolePartition(
                    partition: 1, leader: 2, replicas: [2, 1], isr: [2], sizeBytes: 1_234_567_890, endOffset: 42,
                    liveBrokers: live),
                ConsolePartition(partition: 0, leader: -1, replicas: [3], isr: [], liveBrokers: live),
            ],
            throughput: [
                ThroughputPoint(at: 1_700_000_000_000, messagesPerSec: 12.5, bytesPerSec: 1_000),
                ThroughputPoint(at: 1_700_000_030_000, messagesPerSec: 0, bytesPerSec: 0.1),
            ])
        let internalTopic = ConsoleTopic(name: "__consumer_offsets", isInternal: true, partitions: [])
        let parts = [
            ConsoleGroupPartition(
                topic: "orders", partition: 0, committedOffset: 10, lag: 5, firstUnconsumedTimestamp: 1_000,
                nowMs: 3_500, trend: .rising),
            ConsoleGroupPartition(
                topic: "orders", partition: 1, committedOffset: -1, lag: nil, firstUnconsumedTimestamp: nil,
                nowMs: 0, trend: .unknown),
            ConsoleGroupPartition(
                topic: "orders", partition: 2, committedOffset: 7, lag: 0, firstUnconsumedTimestamp: nil, nowMs: 0,
                trend: .steady),
        ]
        let group = ConsoleGroup(
            group: "g\n1 ✓", state: "Stable", protocolType: "consumer", coordinator: 1,
            members: [
                ConsoleMember(memberId: "m-1", groupInstanceId: nil, clientId: "c", host: "/10.0.0.7"),
                ConsoleMember(memberId: "m-2", groupInstanceId: "static-2", clientId: "c", host: "/10.0.0.8"),
            ],
            partitions: parts, status: "WARN",
            rebalances: [
                ConsoleRebalance(
                    generation: 1, trigger: "member_joined", memberId: "m-1", clientId: "c", clientHost: "/10.0.0.7",
                    clientReason: nil, startedAt: 100, completedAt: 300, preparingMs: 150, completingMs: 50,
                    members: 1, partitionsMoved: 3, inProgress: false),
                ConsoleRebalance(
                    generation: 2, trigger: nil, memberId: nil, clientId: nil, clientHost: nil, clientReason: "why",
                    startedAt: 400, completedAt: nil, preparingMs: 0, completingMs: 0, members: 2,
                    partitionsMoved: 0, inProgress: true),
            ],
            verdict: "consumer-3 on 10.0.0.7 timed out 4 times in the last hour")
        let empty = ConsoleGroup(
            group: "empty", state: "Empty", protocolType: "", coordinator: 1, members: [], partitions: [],
            status: "OK", rebalances: [], verdict: nil)
        let cluster = ConsoleCluster(
            clusterId: "abc", controller: 1, servedBy: 2,
            brokers: [
                ConsoleBroker(id: 2, host: "b2", port: 9093, rack: nil, isController: false),
                ConsoleBroker(id: 1, host: "b1", port: 9092, rack: "r1", isController: true),
            ],
            topics: [topic, internalTopic])
        return ConsoleState(cluster: cluster, topics: [topic, internalTopic], groups: [group, empty])
    }

    private static func parsed(_ text: String) throws -> NSObject {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSObject)
    }

    @Test("the state written as bytes is the JSON JSONEncoder makes of it, key for key and value for value")
    func sameAsJSONEncoder() throws {
        let state = Self.state()
        let written = ConsoleJSON.write(state)
        let encoded = try #require(ConsoleJSON.encode(state))
        #expect(try Self.parsed(written) == Self.parsed(encoded))
        #expect(!written.contains("\n"))
        // Keys come in the same (sorted) order, so an unchanged state is the same text for the event stream.
        #expect(written == encoded)
    }

    @Test("lists of topics and groups are written as JSON arrays")
    func lists() throws {
        let state = Self.state()
        #expect(try Self.parsed(ConsoleJSON.write(state.topics)) == Self.parsed(ConsoleJSON.encode(state.topics)!))
        #expect(try Self.parsed(ConsoleJSON.write(state.groups)) == Self.parsed(ConsoleJSON.encode(state.groups)!))
        #expect(ConsoleJSON.write([ConsoleTopic]()) == "[]")
    }

    @Test("integers keep every digit and numbers JSON cannot hold become null")
    func numbers() {
        var json = JSONBytes()
        json.array([Int64.min, -1, 0, 7, 10, Int64.max]) { $0.int($1) }
        #expect(json.text == "[-9223372036854775808,-1,0,7,10,9223372036854775807]")
        var doubles = JSONBytes()
        doubles.array([0.5, 2, -3.25, .infinity, .nan]) { $0.double($1) }
        #expect(doubles.text == "[0.5,2,-3.25,null,null]")
    }
}
