import KafkaProtocol
import Synchronization
import Testing

@testable import Replication

private func key(_ topic: String, _ partition: Int32) -> FetchSessionKey {
    FetchSessionKey(topic: topic, partition: partition)
}

private func request(_ offset: Int64) -> FetchSessionRequestData {
    FetchSessionRequestData(
        fetchOffset: offset, logStartOffset: -1, maxBytes: 1_048_576, currentLeaderEpoch: -1, lastFetchedEpoch: -1)
}

private func outcome(hw: Int64, bytes: Int = 0, error: Bool = false) -> FetchSessionPartitionOutcome {
    FetchSessionPartitionOutcome(
        hasError: error, highWatermark: hw, lastStableOffset: hw, logStartOffset: 0, recordBytes: bytes)
}

/// Ids 1, 2, 3… so tests can name sessions.
private func sequentialIds() -> @Sendable () -> Int32 {
    let counter = Mutex<Int32>(0)
    return {
        counter.withLock {
            $0 += 1
            return $0
        }
    }
}

/// A cache with one consumer session over a-0 (HW 10) and a-1 (HW 20), created at `now`.
private func cacheWithSession(
    privileged: Bool = false, now: Int64 = 0, maxEntries: Int = 1000, evictionMs: Int64 = 120_000
) -> (FetchSessionCache, Int32) {
    var cache = FetchSessionCache(evictionMs: evictionMs, idGenerator: sequentialIds())
    let ctx = cache.newContext(
        sessionId: 0, epoch: 0, privileged: privileged, usesTopicIds: false,
        partitions: [(key("a", 0), request(0)), (key("a", 1), request(0))], forgotten: [], now: now)
    #expect(ctx == .full(partitions: [(key("a", 0), request(0)), (key("a", 1), request(0))], createSession: true))
    let id = cache.createSession(
        privileged: privileged, usesTopicIds: false,
        partitions: [
            (key("a", 0), request(0), outcome(hw: 10)), (key("a", 1), request(0), outcome(hw: 20)),
        ], maxEntries: maxEntries, now: now)
    return (cache, id)
}

@Suite("fetch session cache (KIP-227)")
struct FetchSessionCacheTests {
    @Test func aFullFetchWithEpochZeroCreatesASessionExpectingEpochOne() {
        let (cache, id) = cacheWithSession()
        #expect(id == 1)
        #expect(cache.sessions[id]?.epoch == 1)
        #expect(cache.sessions[id]?.partitions.map(\.key) == [key("a", 0), key("a", 1)])
    }

    @Test func aFetchWithTheFinalEpochIsSessionlessAndClosesTheSessionItNames() {
        var (cache, id) = cacheWithSession()
        let ctx = cache.newContext(
            sessionId: id, epoch: -1, privileged: false, usesTopicIds: false, partitions: [(key("a", 0), request(5))],
            forgotten: [], now: 1)
        #expect(ctx == .full(partitions: [(key("a", 0), request(5))], createSession: false))
        #expect(cache.sessions.isEmpty)
    }

    @Test func aFullFetchNamingAnExistingSessionReplacesIt() {
        var (cache, id) = cacheWithSession()
        _ = cache.newContext(
            sessionId: id, epoch: 0, privileged: false, usesTopicIds: false, partitions: [], forgotten: [], now: 1)
        #expect(cache.sessions[id] == nil)
    }

    @Test func anIncrementalFetchReadsEveryPartitionOfTheSessionWithTheChangedOffsets() {
        var (cache, id) = cacheWithSession()
        let ctx = cache.newContext(
            sessionId: id, epoch: 1, privileged: false, usesTopicIds: false, partitions: [(key("a", 1), request(7))],
            forgotten: [], now: 1)
        guard case .incremental(let sid, let partitions) = ctx else {
            Issue.record("expected an incremental context, got \(ctx)")
            return
        }
        #expect(sid == id)
        #expect(partitions.map(\.key) == [key("a", 0), key("a", 1)])
        #expect(partitions.map(\.request.fetchOffset) == [0, 7])
        #expect(cache.sessions[id]?.epoch == 2)
    }

    @Test func anIncrementalFetchAddsNewPartitionsAndDropsForgottenOnes() {
        var (cache, id) = cacheWithSession()
        let ctx = cache.newContext(
            sessionId: id, epoch: 1, privileged: false, usesTopicIds: false, partitions: [(key("b", 0), request(0))],
            forgotten: [key("a", 0)], now: 1)
        #expect(ctx.partitionsToRead.map(\.0) == [key("a", 1), key("b", 0)])
    }

    @Test func anIncrementalResponseCarriesOnlyPartitionsWithDataOrANewHighWatermarkOrAnError() {
        var (cache, id) = cacheWithSession()
        _ = cache.newContext(
            sessionId: id, epoch: 1, privileged: false, usesTopicIds: false, partitions: [(key("b", 0), request(0))],
            forgotten: [], now: 1)
        let parts = cache.sessions[id]!.partitions
        // a-0 unchanged, a-1 has a new HW, b-0 is new (never answered).
        var selected = cache.incrementalResponse(
            sessionId: id, read: [(parts[0], outcome(hw: 10)), (parts[1], outcome(hw: 21)), (parts[2], outcome(hw: 3))])
        #expect(selected == [1, 2])
        // Nothing new at all: an empty response.
        _ = cache.newContext(
            sessionId: id, epoch: 2, privileged: false, usesTopicIds: false, partitions: [], forgotten: [], now: 2)
        let again = cache.sessions[id]!.partitions
        selected = cache.incrementalResponse(
            sessionId: id, read: [(again[0], outcome(hw: 10)), (again[1], outcome(hw: 21)), (again[2], outcome(hw: 3))])
        #expect(selected == [])
        // Data, and an error, are always sent; the error is sent again once it clears.
        selected = cache.incrementalResponse(
            sessionId: id,
            read: [
                (again[0], outcome(hw: 10, bytes: 100)), (again[1], outcome(hw: -1, error: true)),
                (again[2], outcome(hw: 3)),
            ])
        #expect(selected == [0, 1])
        let afterError = cache.sessions[id]!.partitions.first { $0.key == key("a", 1) }!
        selected = cache.incrementalResponse(sessionId: id, read: [(afterError, outcome(hw: 21))])
        #expect(selected == [0])
    }

    @Test func aChangedLastStableOffsetOrLogStartIsSent() {
        var (cache, id) = cacheWithSession()
        let parts = cache.sessions[id]!.partitions
        var lso = outcome(hw: 10)
        lso.lastStableOffset = 8
        var logStart = outcome(hw: 20)
        logStart.logStartOffset = 5
        #expect(cache.incrementalResponse(sessionId: id, read: [(parts[0], lso), (parts[1], logStart)]) == [0, 1])
    }

    @Test func partitionsThatReturnedDataMoveToTheEndOfTheSessionOrder() {
        var (cache, id) = cacheWithSession()
        let parts = cache.sessions[id]!.partitions
        _ = cache.incrementalResponse(
            sessionId: id, read: [(parts[0], outcome(hw: 10, bytes: 50)), (parts[1], outcome(hw: 20))])
        #expect(cache.sessions[id]?.partitions.map(\.key) == [key("a", 1), key("a", 0)])
    }

    @Test func anUnknownSessionIdIsFetchSessionIdNotFound() {
        var (cache, _) = cacheWithSession()
        let ctx = cache.newContext(
            sessionId: 99, epoch: 1, privileged: false, usesTopicIds: false, partitions: [], forgotten: [], now: 1)
        #expect(ctx == .error(.sessionIdNotFound))
    }

    @Test func aWrongEpochIsInvalidFetchSessionEpochAndLeavesTheSessionAsItWas() {
        var (cache, id) = cacheWithSession()
        let ctx = cache.newContext(
            sessionId: id, epoch: 5, privileged: false, usesTopicIds: false, partitions: [], forgotten: [], now: 1)
        #expect(ctx == .error(.invalidEpoch))
        #expect(cache.sessions[id]?.epoch == 1)
    }

    @Test func aSessionWithoutTopicIdsRefusesATopicIdRequest() {
        var (cache, id) = cacheWithSession()
        let ctx = cache.newContext(
            sessionId: id, epoch: 1, privileged: false, usesTopicIds: true, partitions: [], forgotten: [], now: 1)
        #expect(ctx == .error(.topicIdMismatch))
    }

    @Test func forgettingEveryPartitionClosesTheSession() {
        var (cache, id) = cacheWithSession()
        let ctx = cache.newContext(
            sessionId: id, epoch: 1, privileged: false, usesTopicIds: false, partitions: [],
            forgotten: [key("a", 0), key("a", 1)], now: 1)
        #expect(ctx == .full(partitions: [], createSession: false))
        #expect(cache.sessions.isEmpty)
    }

    @Test func theEpochWrapsFromTheLargestValueToOne() {
        #expect(FetchSessionCache.nextEpoch(after: .max) == 1)
        #expect(FetchSessionCache.nextEpoch(after: 0) == 1)
        #expect(FetchSessionCache.nextEpoch(after: -1) == -1)
    }

    @Test func noSessionIsCreatedWhenTheCacheHasNoSlots() {
        let (cache, id) = cacheWithSession(maxEntries: 0)
        #expect(id == 0)
        #expect(cache.sessions.isEmpty)
    }

    @Test func aFullCacheEvictsTheLeastRecentlyUsedSessionIdleLongerThanTheEvictionTime() {
        var (cache, first) = cacheWithSession(maxEntries: 1, evictionMs: 100)
        let second = cache.createSession(
            privileged: false, usesTopicIds: false, partitions: [(key("c", 0), request(0), outcome(hw: 1))],
            maxEntries: 1, now: 101)
        #expect(second != 0)
        #expect(cache.sessions[first] == nil)
    }

    @Test func aFullCacheKeepsAYoungConsumerSessionAgainstAnotherConsumer() {
        var (cache, first) = cacheWithSession(maxEntries: 1, evictionMs: 100)
        let second = cache.createSession(
            privileged: false, usesTopicIds: false,
            partitions: (0..<5).map { (key("c", $0), request(0), outcome(hw: 1)) }, maxEntries: 1, now: 50)
        #expect(second == 0)
        #expect(cache.sessions[first] != nil)
    }

    @Test func aFollowerEvictsAYoungConsumerSession() {
        var (cache, first) = cacheWithSession(maxEntries: 1, evictionMs: 100)
        let follower = cache.createSession(
            privileged: true, usesTopicIds: false, partitions: [(key("c", 0), request(0), outcome(hw: 1))],
            maxEntries: 1, now: 50)
        #expect(follower != 0)
        #expect(cache.sessions[first] == nil)
    }

    @Test func aYoungFollowerSessionIsNotEvictedByAnotherFollower() {
        var (cache, first) = cacheWithSession(privileged: true, maxEntries: 1, evictionMs: 100)
        let other = cache.createSession(
            privileged: true, usesTopicIds: false,
            partitions: (0..<9).map { (key("c", $0), request(0), outcome(hw: 1)) }, maxEntries: 1, now: 50)
        #expect(other == 0)
        #expect(cache.sessions[first] != nil)
    }

    @Test func anOldSessionUsedRecentlyIsEvictedOnlyByABiggerOrMorePrivilegedOne() {
        var (cache, first) = cacheWithSession(maxEntries: 1, evictionMs: 100)
        // Used at 150 (so not idle), created at 0 (so evictable by all): a 1-partition consumer loses to it…
        _ = cache.newContext(
            sessionId: first, epoch: 1, privileged: false, usesTopicIds: false, partitions: [], forgotten: [],
            now: 150)
        var id = cache.createSession(
            privileged: false, usesTopicIds: false, partitions: [(key("c", 0), request(0), outcome(hw: 1))],
            maxEntries: 1, now: 160)
        #expect(id == 0)
        // …and a 3-partition consumer wins.
        id = cache.createSession(
            privileged: false, usesTopicIds: false,
            partitions: (0..<3).map { (key("c", $0), request(0), outcome(hw: 1)) }, maxEntries: 1, now: 160)
        #expect(id != 0)
        #expect(cache.sessions[first] == nil)
    }

    @Test func sessionsCanBeKeyedByTopicId() {
        var cache = FetchSessionCache(idGenerator: sequentialIds())
        let topicId = UUIDValue.randomTopicId()
        let k = FetchSessionKey(topicId: topicId, topic: "t", partition: 0)
        let id = cache.createSession(
            privileged: false, usesTopicIds: true, partitions: [(k, request(0), outcome(hw: 1))], maxEntries: 10,
            now: 0)
        let ctx = cache.newContext(
            sessionId: id, epoch: 1, privileged: false, usesTopicIds: true, partitions: [(k, request(1))],
            forgotten: [], now: 1)
        #expect(ctx.partitionsToRead.map(\.1.fetchOffset) == [1])
    }
}
