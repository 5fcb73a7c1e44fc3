import Synchronization
import Testing

@testable import Broker

@Suite("leader end offsets for the coordinator's lag")
struct LeaderEndOffsetsTests {
    private func p(_ topic: String, _ partition: Int32) -> LagPartition {
        LagPartition(topic: topic, partition: partition)
    }

    @Test("one request per live leader, leaving out partitions led here or without a leader")
    func planGroupsPartitionsByLeader() {
        let leaders: [LagPartition: Int32] = [
            p("a", 0): 1, p("a", 1): 2, p("a", 2): 3, p("b", 0): 2, p("b", 1): -1, p("c", 0): 2,
        ]
        let plan = EndOffsetCache.plan(leaders.keys, localBroker: 1) { leaders[$0] }
        #expect(plan == [2: [p("a", 1), p("b", 0), p("c", 0)], 3: [p("a", 2)]])
        #expect(EndOffsetCache.plan([p("unknown", 0)], localBroker: 1) { _ in nil }.isEmpty)
    }

    @Test("an answer stands in for a silent leader until max age, then the lag line goes away")
    func answersExpireAfterMaxAge() {
        var cache = EndOffsetCache(maxAge: .seconds(30))
        let t0 = ContinuousClock.now
        cache.record([p("a", 0): 500], at: t0)
        #expect(cache.offset(p("a", 0), now: t0 + .seconds(30)) == 500)
        #expect(cache.offset(p("a", 0), now: t0 + .seconds(31)) == nil)
        #expect(cache.offset(p("a", 1), now: t0) == nil)
    }

    @Test("partitions no group asks about any more are forgotten")
    func retainOnlyWanted() {
        var cache = EndOffsetCache(maxAge: .seconds(30))
        let t0 = ContinuousClock.now
        cache.record([p("a", 0): 1, p("a", 1): 2], at: t0)
        cache.retain(only: [p("a", 1)])
        #expect(cache.entries.keys.sorted() == [p("a", 1)])
    }

    @Test("a refresh asks every leader once with all its partitions and keeps what each answered")
    func refreshAsksEachLeaderOnce() async {
        let client = FakeLeaders(answers: [2: [p("a", 1): 40, p("b", 0): 7], 3: [p("a", 2): 9]], failing: [])
        let offsets = LeaderEndOffsets(client: client)
        let plan: [Int32: [LagPartition]] = [2: [p("a", 1), p("b", 0)], 3: [p("a", 2)]]
        await offsets.refreshFully(plan, wanted: Set(plan.values.joined()))
        #expect(client.calls.sorted { $0.leader < $1.leader }.map(\.leader) == [2, 3])
        #expect(client.calls.first { $0.leader == 2 }?.partitions == [p("a", 1), p("b", 0)])
        #expect(offsets.offset(p("a", 1)) == 40)
        #expect(offsets.offset(p("b", 0)) == 7)
        #expect(offsets.offset(p("a", 2)) == 9)
    }

    @Test("a leader that fails keeps its last answer while the others are updated")
    func failingLeaderKeepsLastAnswer() async {
        let client = FakeLeaders(answers: [2: [p("a", 1): 40], 3: [p("a", 2): 9]], failing: [])
        let offsets = LeaderEndOffsets(client: client)
        let plan: [Int32: [LagPartition]] = [2: [p("a", 1)], 3: [p("a", 2)]]
        let wanted = Set(plan.values.joined())
        await offsets.refreshFully(plan, wanted: wanted)
        client.set(answers: [2: [p("a", 1): 41], 3: [p("a", 2): 10]], failing: [3])
        await offsets.refreshFully(plan, wanted: wanted)
        #expect(offsets.offset(p("a", 1)) == 41)
        #expect(offsets.offset(p("a", 2)) == 9)
    }

    @Test("a scrape's refresh with nothing to ask makes no request")
    func emptyPlanMakesNoRequest() async {
        let client = FakeLeaders(answers: [:], failing: [])
        let offsets = LeaderEndOffsets(client: client)
        await offsets.refresh([:], wanted: [])
        #expect(client.calls.isEmpty)
    }

    @Test("a scrape's refresh fills the cache for that scrape when leaders answer promptly")
    func refreshWaitsForPromptAnswers() async {
        let client = FakeLeaders(answers: [2: [p("a", 0): 12]], failing: [])
        let offsets = LeaderEndOffsets(client: client, patience: .seconds(60))
        await offsets.refresh([2: [p("a", 0)]], wanted: [p("a", 0)])
        #expect(offsets.offset(p("a", 0)) == 12)
    }
}

private struct LeaderDown: Error {}

private final class FakeLeaders: LeaderOffsetClient {
    struct Call: Sendable {
        var leader: Int32
        var partitions: [LagPartition]
    }

    private struct State {
        var answers: [Int32: [LagPartition: Int64]]
        var failing: Set<Int32>
        var calls: [Call] = []
    }

    private let state: Mutex<State>

    init(answers: [Int32: [LagPartition: Int64]], failing: Set<Int32>) {
        state = Mutex(State(answers: answers, failing: failing))
    }

    var calls: [Call] { state.withLock { $0.calls } }

    func set(answers: [Int32: [LagPartition: Int64]], failing: Set<Int32>) {
        state.withLock {
            $0.answers = answers
            $0.failing = failing
        }
    }

    func highWatermarks(leader: Int32, _ partitions: [LagPartition]) async throws -> [LagPartition: Int64] {
        let (answer, fails) = state.withLock { s in
            s.calls.append(Call(leader: leader, partitions: partitions))
            return (s.answers[leader] ?? [:], s.failing.contains(leader))
        }
        if fails { throw LeaderDown() }
        return answer.filter { partitions.contains($0.key) }
    }
}
