import KafkaProtocol
import KafkaRecords
import Testing

@testable import Broker

@Suite("request metrics")
struct RequestMetricsTests {
    private func batch(_ count: Int) throws -> [UInt8] {
        var builder = RecordBatchBuilder()
        for i in 0..<count { builder.append(timestamp: 1_000 + Int64(i), key: nil, value: Array("v\(i)".utf8)) }
        return try builder.build()
    }

    private func produce(_ topic: String, _ partitions: [[UInt8]]) -> ProduceRequest {
        var request = ProduceRequest(acks: 1, timeoutMs: 1_000)
        var data = ProduceRequest.TopicProduceData(name: topic)
        for (i, records) in partitions.enumerated() {
            data.partitionData.append(.init(index: Int32(i), records: records))
        }
        request.topicData = [data]
        return request
    }

    private func answer(_ topic: String, errors: [Int16]) -> ProduceResponse {
        var response = ProduceResponse()
        var t = ProduceResponse.TopicProduceResponse(name: topic)
        for (i, code) in errors.enumerated() {
            var p = ProduceResponse.PartitionProduceResponse()
            p.index = Int32(i)
            p.errorCode = code
            t.partitionResponses.append(p)
        }
        response.responses = [t]
        return response
    }

    @Test("messages in are read from each batch header, one read per batch")
    func recordCountFromHeaders() throws {
        #expect(BrokerMetrics.recordCount(try batch(3) + batch(5)) == 8)
        #expect(BrokerMetrics.recordCount([]) == 0)
        #expect(BrokerMetrics.recordCount(Array(try batch(3).prefix(40))) == 0)  // a torn header counts nothing
    }

    @Test("a produce counts messages and bytes in only for the partitions that were appended")
    func produceCounts() throws {
        let metrics = BrokerMetrics()
        let records = [try batch(4), try batch(6)]
        metrics.observe(
            produce("orders", records),
            response: answer("orders", errors: [0, ErrorCode.notLeaderOrFollower.rawValue]),
            version: 9, elapsed: .milliseconds(2))
        let t = metrics.topic("orders")
        #expect(t.messagesIn.value == 4 && metrics.allTopics.messagesIn.value == 4)
        #expect(t.bytesIn.value == Int64(records[0].count))
        #expect(t.totalProduceRequests.value == 2 && t.failedProduceRequests.value == 1)
        let errors = Dictionary(uniqueKeysWithValues: metrics.errorSnapshot.map { ($0.0.error, $0.1) })
        #expect(errors == [0: 1, ErrorCode.notLeaderOrFollower.rawValue: 1])
        #expect(metrics.requests["Produce"]?.perVersion[9].value == 1)
        #expect(metrics.requests["Produce"]?.totalTime.snapshot.count == 1)
    }

    @Test("an acks=0 produce, which has no response, counts as appended")
    func acksZero() throws {
        let metrics = BrokerMetrics()
        metrics.observe(produce("t", [try batch(5)]), response: nil, version: 7, elapsed: .zero)
        #expect(metrics.topic("t").messagesIn.value == 5)
    }

    @Test("a follower's fetch is FetchFollower and adds no bytes out; a consumer's is FetchConsumer and does")
    func fetchFollowerVersusConsumer() {
        var response = FetchResponse()
        var topic = FetchResponse.FetchableTopicResponse()
        topic.topic = "orders"
        var partition = FetchResponse.PartitionData()
        partition.records = .external(length: 1_000, id: 0)
        topic.partitions = [partition]
        response.responses = [topic]

        let metrics = BrokerMetrics()
        var follower = FetchRequest()
        follower.replicaId = 2
        metrics.observe(follower, response: response, version: 11, elapsed: .zero)
        #expect(metrics.topic("orders").bytesOut.value == 0)
        #expect(metrics.requests["FetchFollower"]?.perVersion[11].value == 1)

        metrics.observe(FetchRequest(), response: response, version: 11, elapsed: .zero)
        #expect(metrics.topic("orders").bytesOut.value == 1_000)
        #expect(metrics.requests["FetchConsumer"]?.perVersion[11].value == 1)
        #expect(metrics.topic("orders").totalFetchRequests.value == 2)
    }
}

@Suite("request metrics: top-level error codes")
struct TopLevelErrorCodeTests {
    @Test("a response with one top-level error code counts it once, NONE included")
    func topLevel() {
        let metrics = BrokerMetrics()
        metrics.observe(
            HeartbeatRequest(), response: HeartbeatResponse(errorCode: ErrorCode.rebalanceInProgress.rawValue),
            version: 4, elapsed: .zero)
        metrics.observe(HeartbeatRequest(), response: HeartbeatResponse(), version: 4, elapsed: .zero)
        let errors = Dictionary(
            uniqueKeysWithValues: metrics.errorSnapshot.map { ("\($0.0.request) \($0.0.error)", $0.1) })
        #expect(errors == ["Heartbeat 0": 1, "Heartbeat \(ErrorCode.rebalanceInProgress.rawValue)": 1])
    }
}
