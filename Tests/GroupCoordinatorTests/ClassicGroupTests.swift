import KafkaProtocol
import Testing

@testable import GroupCoordinator

/// Drives one `ClassicGroup` with explicit times and tokens.
struct Harness {
    var group: ClassicGroup
    var now: Int64 = 1_000
    var token: UInt64 = 0
    var ids = 0
    var joins: [UInt64: JoinGroupResult] = [:]
    var syncs: [UInt64: SyncGroupResult] = [:]
    var persisted: [GroupMetadataValue] = []
    var logs: [String] = []

    init(config: GroupConfig = GroupConfig()) {
        group = ClassicGroup(groupId: "g", partition: 7, config: config, now: 1_000)
    }

    mutating func absorb(_ actions: [GroupAction]) {
        for a in actions {
            switch a {
            case .completeJoin(let t, let r): joins[t] = r
            case .completeSync(let t, let r): syncs[t] = r
            case .persist(let v): persisted.append(v)
            case .log(let l): logs.append(l)
            }
        }
    }

    static func input(
        _ memberId: String = "", version: Int16 = 5, instance: String? = nil, client: String = "c",
        protocols: [GroupProtocol] = [GroupProtocol(name: "range", metadata: [1])], session: Int32 = 10_000,
        rebalance: Int32 = 30_000
    ) -> JoinGroupInput {
        JoinGroupInput(
            apiVersion: version, memberId: memberId, groupInstanceId: instance, clientId: client,
            clientHost: "/127.0.0.1",
            sessionTimeoutMs: session, rebalanceTimeoutMs: rebalance, protocolType: "consumer", protocols: protocols)
    }

    /// Sends a JoinGroup; returns its token.
    @discardableResult
    mutating func join(_ input: JoinGroupInput) -> UInt64 {
        token += 1
        ids += 1
        absorb(group.join(input, token: token, freshId: "id\(ids)", now: now))
        return token
    }

    @discardableResult
    mutating func sync(_ memberId: String, generation: Int32, assignments: [(String, [UInt8])] = []) -> UInt64 {
        token += 1
        absorb(
            group.sync(
                .init(
                    memberId: memberId, generationId: generation,
                    assignments: assignments.map { (memberId: $0.0, assignment: $0.1) }),
                token: token, now: now))
        return token
    }

    mutating func advance(_ ms: Int64) {
        now += ms
        absorb(group.tick(now: now))
    }

    /// Lets initial-delay extensions pass until the join phase completes.
    mutating func settle() {
        for _ in 0..<20 where group.state == .preparingRebalance { advance(3_000) }
    }

    /// Joins n dynamic members (v4+ style: MEMBER_ID_REQUIRED then rejoin), lets the initial delay pass.
    mutating func formGroup(_ n: Int) -> [(id: String, token: UInt64)] {
        var members: [(String, UInt64)] = []
        for i in 0..<n {
            let first = join(Self.input(client: "c\(i)"))
            let id = joins[first]!.memberId
            members.append((id, join(Self.input(id, client: "c\(i)"))))
        }
        settle()
        return members
    }
}

@Suite("ClassicGroup state machine")
struct ClassicGroupTests {
    @Test("three members join, the first becomes leader and only it gets the member list; sync makes the group Stable")
    func happyPath() {
        var h = Harness()
        let members = h.formGroup(3)
        #expect(h.group.state == .completingRebalance)
        #expect(h.group.generationId == 1)
        let leader = members[0].id
        for (id, token) in members {
            let r = h.joins[token]!
            #expect(r.error == .noError)
            #expect(r.leaderId == leader)
            #expect(r.protocolName == "range")
            #expect(r.generationId == 1)
            #expect(r.memberId == id)
            #expect(r.members.count == (id == leader ? 3 : 0))
        }
        #expect(h.logs.contains("Stabilized group g generation 1 (__consumer_offsets-7) with 3 members"))
        let f1 = h.sync(members[1].id, generation: 1)
        #expect(h.syncs[f1] == nil)  // followers wait for the leader
        let l = h.sync(
            leader, generation: 1, assignments: members.enumerated().map { ($0.element.id, [UInt8($0.offset)]) })
        #expect(h.group.state == .stable)
        #expect(h.syncs[f1]?.assignment == [1])
        #expect(h.syncs[l]?.assignment == [0])
        let f2 = h.sync(members[2].id, generation: 1)
        #expect(h.syncs[f2]?.assignment == [2])
        #expect(h.persisted.last?.members.count == 3)
        #expect(
            h.logs.contains {
                $0
                    == "Assignment received from leader \(leader) for group g for generation 1. The group has 3 members, 0 of which are static."
            })
        #expect(
            h.group.heartbeat(memberId: members[2].id, groupInstanceId: nil, generationId: 1, now: h.now) == .noError)
        #expect(
            h.group.heartbeat(memberId: members[2].id, groupInstanceId: nil, generationId: 0, now: h.now)
                == .illegalGeneration)
        #expect(
            h.group.heartbeat(memberId: "nobody", groupInstanceId: nil, generationId: 1, now: h.now) == .unknownMemberId
        )
    }

    @Test("the protocol vote picks the first supported candidate of most members; no common protocol is rejected")
    func protocolVote() {
        var h = Harness()
        let a = h.join(
            Harness.input(
                version: 3, protocols: [.init(name: "roundrobin", metadata: []), .init(name: "range", metadata: [])]))
        _ = a
        h.join(
            Harness.input(
                version: 3, protocols: [.init(name: "range", metadata: []), .init(name: "roundrobin", metadata: [])]))
        h.join(
            Harness.input(
                version: 3, protocols: [.init(name: "range", metadata: []), .init(name: "sticky", metadata: [])]))
        #expect(h.group.selectProtocol() == "range")
        let bad = h.join(Harness.input(version: 3, protocols: [.init(name: "cooperative-sticky", metadata: [])]))
        #expect(h.joins[bad]?.error == .inconsistentGroupProtocol)
        h.settle()
        #expect(h.group.protocolName == "range")
    }

    @Test("MEMBER_ID_REQUIRED is returned to JoinGroup v4+ only, never to v0–v3")
    func memberIdRequired() {
        var h = Harness()
        let v4 = h.join(Harness.input(version: 4))
        #expect(h.joins[v4]?.error == .memberIdRequired)
        #expect(h.joins[v4]?.memberId == "c-id1")
        #expect(h.group.pendingMembers["c-id1"] != nil)
        var old = Harness()
        for v: Int16 in 0...3 {
            let t = old.join(Harness.input(version: v, client: "v\(v)"))
            #expect(old.joins[t] == nil)  // parked, not rejected
        }
        #expect(old.group.members.count == 4)
    }

    @Test("an Empty group's first rebalance waits the initial delay, then a full delay after each later joiner")
    func initialDelay() {
        var h = Harness(config: GroupConfig(initialRebalanceDelayMs: 3_000))
        let t1 = h.join(Harness.input(version: 3, rebalance: 10_000))
        #expect(h.group.state == .preparingRebalance)
        h.advance(2_000)
        h.join(Harness.input(version: 3, client: "d", rebalance: 10_000))
        h.advance(1_000)  // 3 s: a member arrived at 2 s → wait until 3 s after it
        #expect(h.joins[t1] == nil)
        #expect(h.group.state == .preparingRebalance)
        h.advance(1_999)
        #expect(h.joins[t1] == nil)
        h.advance(1)  // 5 s: nobody new since → complete
        #expect(h.joins[t1]?.error == .noError)
        #expect(h.joins[t1]?.generationId == 1)
        #expect(h.group.state == .completingRebalance)
    }

    @Test("three members starting together make the group complete its join about one initial delay after the first")
    func initialDelayBurst() {
        var h = Harness(config: GroupConfig(initialRebalanceDelayMs: 3_000))
        let t1 = h.join(Harness.input(version: 3, rebalance: 60_000))
        h.advance(100)
        h.join(Harness.input(version: 3, client: "b", rebalance: 60_000))
        h.advance(100)
        h.join(Harness.input(version: 3, client: "c", rebalance: 60_000))
        h.advance(2_999)
        #expect(h.joins[t1] == nil)
        h.advance(1)  // 3.2 s: three seconds after the last joiner
        #expect(h.joins[t1]?.generationId == 1)
        #expect(h.group.members.count == 3)
    }

    @Test("the initial delay's extensions stop at the rebalance timeout")
    func initialDelayBoundedByRebalanceTimeout() {
        var h = Harness(config: GroupConfig(initialRebalanceDelayMs: 3_000))
        let t1 = h.join(Harness.input(version: 3, rebalance: 5_000))
        let start = h.now
        for step in 1...40 {  // a joiner every 1.5 s would extend the delay forever
            h.advance(250)
            if h.joins[t1] != nil { break }
            if step % 6 == 0 { h.join(Harness.input(version: 3, client: "m\(step)", rebalance: 5_000)) }
        }
        #expect(h.joins[t1]?.generationId == 1)
        #expect(h.now - start <= 5_000)
    }

    @Test("a member leaving a Stable group triggers a rebalance that completes once the others rejoin")
    func leaveRebalances() {
        var h = Harness()
        let members = h.formGroup(3)
        h.sync(members[0].id, generation: 1, assignments: [])
        #expect(h.group.state == .stable)
        let (errors, actions) = h.group.leave([(memberId: members[2].id, groupInstanceId: nil)], now: h.now)
        h.absorb(actions)
        #expect(errors == [.noError])
        #expect(h.group.state == .preparingRebalance)
        #expect(
            h.logs.contains(
                "Preparing to rebalance group g in state PreparingRebalance with old generation 1 (__consumer_offsets-7) (reason: removing member \(members[2].id) on LeaveGroup)"
            ))
        #expect(
            h.group.heartbeat(memberId: members[0].id, groupInstanceId: nil, generationId: 1, now: h.now)
                == .rebalanceInProgress)
        let r0 = h.join(Harness.input(members[0].id, client: "c0"))
        #expect(h.joins[r0] == nil)
        let r1 = h.join(Harness.input(members[1].id, client: "c1"))
        #expect(h.joins[r0]?.generationId == 2)
        #expect(h.joins[r1]?.generationId == 2)
        #expect(h.group.members.count == 2)
        let unknown = h.group.leave([(memberId: "ghost", groupInstanceId: nil)], now: h.now)
        #expect(unknown.errors == [.unknownMemberId])
    }

    @Test("a member whose session expires is removed and the group rebalances; the last one leaving empties it")
    func sessionExpiry() {
        var h = Harness()
        let members = h.formGroup(2)
        h.sync(members[0].id, generation: 1)
        h.sync(members[1].id, generation: 1)
        h.advance(5_000)
        _ = h.group.heartbeat(memberId: members[0].id, groupInstanceId: nil, generationId: 1, now: h.now)
        h.advance(5_001)  // member 1's 10 s session is over, member 0 heartbeated 5 s ago
        #expect(h.group.members[members[1].id] == nil)
        #expect(h.logs.contains("Member \(members[1].id) in group g has failed, removing it from the group"))
        #expect(h.group.state == .preparingRebalance)
        // Member 0 was Stable and has not rejoined: the rebalance timeout drops it too, and the group empties.
        h.advance(30_000)
        #expect(h.group.state == .empty)
        #expect(h.group.generationId == 2)
        #expect(h.persisted.last?.members == [])
    }

    @Test(
        "a static member rejoining with a new member id replaces the old one without a rebalance; the old id is fenced")
    func staticRejoin() {
        var h = Harness()
        let a = h.join(Harness.input(instance: "i-a", client: "a"))
        let b = h.join(Harness.input(instance: "i-b", client: "b"))
        h.settle()
        let idA = h.joins[a]!.memberId
        let idB = h.joins[b]!.memberId
        #expect(idA == "i-a-id1")
        h.sync(idA, generation: 1, assignments: [(idA, [1]), (idB, [2])])
        h.sync(idB, generation: 1)
        #expect(h.group.state == .stable)
        let persistedBefore = h.persisted.count
        let again = h.join(Harness.input(instance: "i-b", client: "b"))
        let r = h.joins[again]!
        #expect(r.error == .noError)
        #expect(r.generationId == 1)  // no rebalance
        #expect(r.memberId != idB)
        #expect(h.group.state == .stable)
        #expect(h.persisted.count == persistedBefore + 1)
        let s = h.sync(r.memberId, generation: 1)
        #expect(h.syncs[s]?.assignment == [2])
        #expect(
            h.group.heartbeat(memberId: idB, groupInstanceId: "i-b", generationId: 1, now: h.now) == .fencedInstanceId)
        #expect(
            h.group.heartbeat(memberId: r.memberId, groupInstanceId: "i-b", generationId: 1, now: h.now) == .noError)
        #expect(
            h.group.validateCommit(memberId: idB, groupInstanceId: "i-b", generationId: 1, now: h.now)
                == .fencedInstanceId)
    }

    @Test("generation −1 commits are accepted only while the group has no members")
    func standaloneCommits() {
        var h = Harness()
        #expect(h.group.validateCommit(memberId: "", groupInstanceId: nil, generationId: -1, now: h.now) == .noError)
        let members = h.formGroup(1)
        #expect(
            h.group.validateCommit(memberId: "", groupInstanceId: nil, generationId: -1, now: h.now)
                == .rebalanceInProgress)
        h.sync(members[0].id, generation: 1)
        #expect(
            h.group.validateCommit(memberId: "", groupInstanceId: nil, generationId: -1, now: h.now) == .unknownMemberId
        )
        #expect(
            h.group.validateCommit(memberId: members[0].id, groupInstanceId: nil, generationId: 0, now: h.now)
                == .illegalGeneration)
        #expect(
            h.group.validateCommit(memberId: members[0].id, groupInstanceId: nil, generationId: 1, now: h.now)
                == .noError)
    }

    @Test("session timeouts outside the broker bounds and joins beyond group.max.size are rejected")
    func limits() {
        var h = Harness(config: GroupConfig(maxSize: 1))
        let short = h.join(Harness.input(session: 5_999))
        #expect(h.joins[short]?.error == .invalidSessionTimeout)
        let long = h.join(Harness.input(session: 1_800_001))
        #expect(h.joins[long]?.error == .invalidSessionTimeout)
        let members = h.formGroup(1)
        h.sync(members[0].id, generation: 1)
        let extra = h.join(Harness.input(version: 3, client: "x"))
        #expect(h.joins[extra]?.error == .groupMaxSizeReached)
    }

    @Test("DescribeGroups shows protocol, metadata and assignments only when Stable")
    func describe() {
        var h = Harness()
        let members = h.formGroup(1)
        var d = h.group.describe()
        #expect(d.state == .completingRebalance)
        #expect(d.protocolName == "")
        #expect(d.members.first?.metadata == [])
        h.sync(members[0].id, generation: 1, assignments: [(members[0].id, [9])])
        d = h.group.describe()
        #expect(d.state == .stable)
        #expect(d.protocolName == "range")
        #expect(d.members.first?.metadata == [1])
        #expect(d.members.first?.assignment == [9])
    }
}
