import LogStorage
import Testing

@testable import Replication

private func part(_ topic: String, _ partition: Int32, offset: Int64) -> FollowerFetchRequest.Partition {
    FollowerFetchRequest.Partition(
        topicPartition: TopicPartition(topic: topic, partition: partition), currentLeaderEpoch: 1,
        fetchOffset: offset, lastFetchedEpoch: 1, logStartOffset: 0, maxBytes: 1_048_576)
}

private func wanted(_ partitions: [FollowerFetchRequest.Partition]) -> FollowerFetchRequest {
    FollowerFetchRequest(replicaId: 2, maxWaitMs: 500, minBytes: 1, maxBytes: 10_485_760, partitions: partitions)
}

private func answer(sessionId: Int32, errorCode: Int16 = 0, _ tps: [(String, Int32)]) -> FollowerFetchResponse {
    FollowerFetchResponse(
        errorCode: errorCode, sessionId: sessionId,
        partitions: tps.map {
            .init(
                topicPartition: TopicPartition(topic: $0.0, partition: $0.1), outcome: .noError, highWatermark: 0,
                logStartOffset: 0, records: [], divergingEpoch: nil)
        })
}

@Suite("follower fetch session (KIP-227, client side)")
struct FollowerFetchSessionTests {
    @Test func theFirstFetchIsFullAndAsksForASession() {
        var session = FollowerFetchSession()
        let request = session.build(wanted([part("a", 0, offset: 0), part("a", 1, offset: 0)]))
        #expect(request.sessionId == 0)
        #expect(request.sessionEpoch == 0)
        #expect(request.partitions.count == 2)
    }

    @Test func afterTheSessionIsGrantedOnlyChangedPartitionsAreSent() {
        var session = FollowerFetchSession()
        let first = session.build(wanted([part("a", 0, offset: 0), part("a", 1, offset: 0)]))
        let ok1 = session.handleResponse(answer(sessionId: 42, [("a", 0), ("a", 1)]), to: first)
        #expect(ok1)
        let second = session.build(wanted([part("a", 0, offset: 5), part("a", 1, offset: 0)]))
        #expect(second.sessionId == 42)
        #expect(second.sessionEpoch == 1)
        #expect(second.partitions.map(\.topicPartition.partition) == [0])
        #expect(second.forgotten.isEmpty)
        let ok2 = session.handleResponse(answer(sessionId: 42, [("a", 0)]), to: second)
        #expect(ok2)
        let third = session.build(wanted([part("a", 0, offset: 5)]))
        #expect(third.sessionEpoch == 2)
        #expect(third.partitions.isEmpty)
        #expect(third.forgotten == [TopicPartition(topic: "a", partition: 1)])
    }

    @Test func aLostSessionFallsBackToAFreshFullFetch() {
        var session = FollowerFetchSession()
        let first = session.build(wanted([part("a", 0, offset: 0)]))
        _ = session.handleResponse(answer(sessionId: 42, [("a", 0)]), to: first)
        let second = session.build(wanted([part("a", 0, offset: 0)]))
        let ok3 = session.handleResponse(answer(sessionId: 0, errorCode: 70, []), to: second)
        #expect(!ok3)
        let third = session.build(wanted([part("a", 0, offset: 0)]))
        #expect(third.sessionId == 0)
        #expect(third.sessionEpoch == 0)
        #expect(third.partitions.count == 1)
    }

    @Test func aWrongEpochClosesTheSessionInTheNextFullFetch() {
        var session = FollowerFetchSession()
        let first = session.build(wanted([part("a", 0, offset: 0)]))
        _ = session.handleResponse(answer(sessionId: 42, [("a", 0)]), to: first)
        let second = session.build(wanted([part("a", 0, offset: 0)]))
        let ok4 = session.handleResponse(answer(sessionId: 0, errorCode: 71, []), to: second)
        #expect(!ok4)
        let third = session.build(wanted([part("a", 0, offset: 0)]))
        #expect(third.sessionId == 42)
        #expect(third.sessionEpoch == 0)
        #expect(third.partitions.count == 1)
    }

    @Test func aConnectionFailureMakesTheNextFetchFull() {
        var session = FollowerFetchSession()
        let first = session.build(wanted([part("a", 0, offset: 0)]))
        _ = session.handleResponse(answer(sessionId: 42, [("a", 0)]), to: first)
        _ = session.build(wanted([part("a", 0, offset: 0)]))
        session.handleError()
        let next = session.build(wanted([part("a", 0, offset: 0)]))
        #expect(next.sessionEpoch == 0)
        #expect(next.partitions.count == 1)
    }

    @Test func aFullResponseMissingAPartitionIsRejected() {
        var session = FollowerFetchSession()
        let first = session.build(wanted([part("a", 0, offset: 0), part("a", 1, offset: 0)]))
        let ok5 = session.handleResponse(answer(sessionId: 42, [("a", 0)]), to: first)
        #expect(!ok5)
        #expect(session.nextIsFull)
    }

    @Test func anIncrementalResponseWithAPartitionOutsideTheSessionIsRejected() {
        var session = FollowerFetchSession()
        let first = session.build(wanted([part("a", 0, offset: 0)]))
        _ = session.handleResponse(answer(sessionId: 42, [("a", 0)]), to: first)
        let second = session.build(wanted([part("a", 0, offset: 1)]))
        let ok6 = session.handleResponse(answer(sessionId: 42, [("b", 0)]), to: second)
        #expect(!ok6)
        #expect(session.nextIsFull)
    }

    @Test func aLeaderWithoutSessionsKeepsEveryFetchFull() {
        var session = FollowerFetchSession()
        let first = session.build(wanted([part("a", 0, offset: 0)]))
        let ok7 = session.handleResponse(answer(sessionId: 0, [("a", 0)]), to: first)
        #expect(ok7)
        let second = session.build(wanted([part("a", 0, offset: 0)]))
        #expect(second.sessionEpoch == 0)
        #expect(second.partitions.count == 1)
    }
}
