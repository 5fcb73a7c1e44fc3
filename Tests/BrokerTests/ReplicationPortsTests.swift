import KafkaProtocol
import LogStorage
import Replication
import Testing

@testable import Broker

@Suite("replication ports")
struct ReplicationPortsTests {
    @Test("a follower fetch goes out as a sessionless replica Fetch with one entry per topic, sorted")
    func followerFetchOnTheWire() {
        let request = ClientLeaderConnection.wireRequest(
            FollowerFetchRequest(
                replicaId: 2, maxWaitMs: 500, minBytes: 1, maxBytes: 10_485_760,
                partitions: [
                    .init(
                        topicPartition: TopicPartition(topic: "a", partition: 0), currentLeaderEpoch: 3, fetchOffset: 7,
                        lastFetchedEpoch: 2, logStartOffset: 0, maxBytes: 1_048_576),
                    .init(
                        topicPartition: TopicPartition(topic: "a", partition: 1), currentLeaderEpoch: 3, fetchOffset: 9,
                        lastFetchedEpoch: -1, logStartOffset: 4, maxBytes: 1_048_576),
                    .init(
                        topicPartition: TopicPartition(topic: "b", partition: 0), currentLeaderEpoch: 1, fetchOffset: 0,
                        lastFetchedEpoch: -1, logStartOffset: -1, maxBytes: 1_048_576),
                ]))
        #expect(request.replicaId == 2)
        #expect(request.maxWaitMs == 500)
        #expect(request.minBytes == 1)
        #expect(request.maxBytes == 10_485_760)
        #expect(request.isolationLevel == 0)
        #expect(request.sessionId == 0)
        #expect(request.sessionEpoch == -1)
        #expect(request.topics.map(\.topic) == ["a", "b"])
        #expect(request.topics[0].partitions.map(\.partition) == [0, 1])
        let first = request.topics[0].partitions[0]
        #expect(first.currentLeaderEpoch == 3)
        #expect(first.fetchOffset == 7)
        #expect(first.lastFetchedEpoch == 2)
        #expect(first.logStartOffset == 0)
        #expect(first.partitionMaxBytes == 1_048_576)
    }

    @Test("a leader's Fetch answer becomes per-partition outcomes; a default diverging epoch means none")
    func leaderAnswerInDomainTerms() {
        let response = FetchResponse(
            errorCode: 0, sessionId: 0,
            responses: [
                .init(
                    topic: "a",
                    partitions: [
                        .init(
                            partitionIndex: 0, errorCode: 0, highWatermark: 5, logStartOffset: 1,
                            records: .bytes([1, 2])),
                        .init(
                            partitionIndex: 1, errorCode: ErrorCode.offsetOutOfRange.rawValue,
                            divergingEpoch: .init(epoch: 2, endOffset: 8)),
                        .init(partitionIndex: 2, errorCode: ErrorCode.notLeaderOrFollower.rawValue),
                    ])
            ])
        let domain = ClientLeaderConnection.domainResponse(response)
        #expect(domain.errorCode == 0)
        #expect(domain.partitions.map(\.topicPartition.partition) == [0, 1, 2])
        #expect(
            domain.partitions.map(\.outcome) == [
                .noError, .offsetOutOfRange, .otherError(code: ErrorCode.notLeaderOrFollower.rawValue),
            ])
        #expect(domain.partitions[0].records == [1, 2])
        #expect(domain.partitions[0].highWatermark == 5)
        #expect(domain.partitions[0].divergingEpoch == nil)
        #expect(domain.partitions[1].divergingEpoch?.epoch == 2)
        #expect(domain.partitions[1].divergingEpoch?.endOffset == 8)
    }
}
