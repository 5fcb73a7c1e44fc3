import Testing

@testable import GroupCoordinator

@Suite("rebalance counts and durations")
struct RebalanceStatsTests {
    @Test("a group formed by joining members counts one member_joined rebalance and its time until Stable")
    func joinCountsOneRebalance() {
        var h = Harness()
        let members = h.formGroup(2)
        #expect(h.group.rebalances.started == [.memberJoined: 1])
        #expect(h.group.rebalances.completed == 0)
        #expect(h.group.rebalances.inProgressSince == 1_000)
        h.now += 500
        h.sync(members[0].id, generation: 1, assignments: members.map { ($0.id, []) })
        #expect(h.group.state == .stable)
        #expect(h.group.rebalances.completed == 1)
        #expect(h.group.rebalances.totalDurationMs == h.now - 1_000)
        #expect(h.group.rebalances.inProgressSince == nil)
    }

    @Test("LeaveGroup, session expiry and a changed subscription each count under their own trigger")
    func triggersAreCountedByKind() {
        var h = Harness()
        var members = h.formGroup(3)
        h.sync(members[0].id, generation: 1, assignments: members.map { ($0.id, []) })
        let leaver = members[2]
        _ = h.group.leave([(memberId: leaver.id, groupInstanceId: nil)], now: h.now)
        #expect(h.group.rebalances.started[.memberLeft] == 1)
        members.removeLast()
        for m in members { h.join(Harness.input(m.id)) }
        #expect(h.group.state == .completingRebalance)
        h.sync(members[0].id, generation: h.group.generationId, assignments: members.map { ($0.id, []) })
        #expect(h.group.rebalances.completed == 2)

        h.join(Harness.input(members[1].id, protocols: [.init(name: "range", metadata: [9])]))
        #expect(h.group.rebalances.started[.metadataChanged] == 1)
        h.join(Harness.input(members[0].id))
        h.sync(members[0].id, generation: h.group.generationId, assignments: members.map { ($0.id, []) })
        #expect(h.group.state == .stable)

        h.advance(10_001)  // neither heartbeats: both sessions expire
        #expect(h.group.rebalances.started[.sessionTimeout] == 1)
        #expect(h.group.rebalances.started[.memberJoined] == 1)
        h.advance(60_000)
        #expect(h.group.state == .empty)
        let history = h.group.rebalances.history
        #expect(
            history.map { $0.causes.first?.trigger } == [.memberJoined, .memberLeft, .metadataChanged, .sessionTimeout])
        #expect(history.map(\.generation) == [1, 2, 3, 4])
        #expect(history[1].causes.first?.memberId == leaver.id)
        #expect(history[1].causes.first?.clientId == "c2")
        #expect(history[0].causes.first?.clientHost == "/127.0.0.1")
        #expect(history[0].preparingMs > 0 && history[0].completingMs == 0)
        #expect(history.last?.members == 0)
    }
}

@Suite("rebalance verdict")
struct RebalanceVerdictTests {
    @Test("a member that timed out repeatedly is named with its host and count; single causes give no verdict")
    func repeatedTimeoutsAreNamed() {
        var stats = RebalanceStats()
        let flaky = RebalanceCause(
            trigger: .sessionTimeout, memberId: "m", clientId: "consumer-3", clientHost: "/10.0.0.7")
        for i in Int64(0)..<4 {
            stats.began(flaky, now: 1_000 + i * 100)
            stats.settled(now: 1_050 + i * 100, members: 2)
        }
        stats.began(RebalanceCause(trigger: .memberJoined, memberId: "n", clientId: "c", clientHost: "/h"), now: 2_000)
        stats.settled(now: 2_010, members: 3)
        #expect(stats.verdict(since: 0) == "consumer-3 on /10.0.0.7 timed out 4 times in the last hour")
        #expect(stats.verdict(since: 1_250) == nil)
    }
}
