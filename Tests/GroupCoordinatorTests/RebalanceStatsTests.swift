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
        _ = h.group.leave([(memberId: members[2].id, groupInstanceId: nil)], now: h.now)
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
    }
}
