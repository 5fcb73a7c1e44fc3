import KRaft
import Testing

@Suite("KRaft observers")
struct ObserverTests {
    func fetchRequests(_ effects: [RaftEffect]) -> [(ReplicaID, FetchRequest)] {
        sent(effects).compactMap { if case .fetchRequest(let r) = $0.1 { ($0.0, r) } else { nil } }
    }

    func voteRequests(_ effects: [RaftEffect]) -> [VoteRequest] {
        sent(effects).compactMap { if case .voteRequest(let r) = $0.1 { r } else { nil } }
    }

    /// Observer 4 of voters 1, 2, 3, following leader 2 in epoch 3.
    func followingObserver() -> Node {
        var observer = makeNode(4)
        _ = observer.tick(now: 0)
        _ = observer.receive(
            .fetchResponse(.init(correlationId: 1, leaderEpoch: 3, leaderId: 2, error: .fencedLeaderEpoch)),
            from: 1, now: 10)
        return observer
    }

    @Test("an observer asks a voter for the leader at once, with its own replica id")
    func observerProbesAtStart() {
        var observer = makeNode(4)
        #expect(observer.isObserver)
        let effects = observer.tick(now: 0)
        let fetches = fetchRequests(effects)
        #expect(fetches.count == 1)
        #expect(fetches.first.map { [1, 2, 3].contains($0.0) } == true)
        #expect(fetches.first?.1.replicaId == 4)
        #expect(voteRequests(effects).isEmpty)
    }

    @Test("an observer never stands for election, however long it waits")
    func observerNeverStands() {
        var observer = makeNode(4)
        var asked: Set<ReplicaID> = []
        for now in stride(from: Int64(0), through: 60_000, by: 50) {
            let effects = observer.tick(now: now)
            #expect(voteRequests(effects).isEmpty)
            for (to, _) in fetchRequests(effects) { asked.insert(to) }
            switch observer.role {
            case .unattached: break
            default: Issue.record("an observer became \(observer.role.name)")
            }
        }
        #expect(asked == [1, 2, 3])
    }

    @Test("an observer follows the leader a voter names in its answer")
    func observerFollowsNamedLeader() {
        var observer = makeNode(4)
        _ = observer.tick(now: 0)
        let effects = observer.receive(
            .fetchResponse(.init(correlationId: 1, leaderEpoch: 3, leaderId: 2, error: .notLeaderOrFollower)),
            from: 1, now: 10)
        #expect(observer.leaderId == 2)
        #expect(observer.epoch == 3)
        let fetches = fetchRequests(effects)
        #expect(fetches.map(\.0) == [2])
        #expect(fetches.first?.1.replicaId == 4)
        #expect(fetches.first?.1.replicaEpoch == 3)
    }

    @Test("an observer refuses every vote")
    func observerRefusesVotes() {
        var observer = makeNode(4)
        let effects = observer.receive(vote(epoch: 1, from: 1), from: 1, now: 0)
        #expect(voteResponses(effects).map(\.voteGranted) == [false])
        #expect(persisted(effects).allSatisfy { $0.votedId == nil })
    }

    @Test("an observer whose leader goes quiet asks the voters again instead of standing")
    func quietLeaderMakesObserverProbe() {
        var observer = followingObserver()
        #expect(observer.leaderId == 2)
        let effects = observer.tick(now: 10 + QuorumConfig().fetchTimeoutMs)
        #expect(voteRequests(effects).isEmpty)
        #expect(fetchRequests(effects).count == 1)
        #expect(observer.leaderId == nil)
    }

    @Test("the leader counts no observer towards the high watermark and lists it under observers")
    func leaderTracksObserverApart() {
        var leader = makeNode(1)
        _ = elect(&leader)
        let start = leader.log.endOffset
        _ = fetch(&leader, from: 4, offset: start, lastEpoch: leader.epoch)
        #expect(leader.highWatermark == nil)
        let described = leader.describeQuorum(now: 10_000)
        #expect(described?.observers.map(\.replicaId) == [4])
        #expect(described?.observers.first?.logEndOffset == start)
        #expect(described?.currentVoters.map(\.replicaId) == [1, 2, 3])
        #expect(leader.knownObservers == [4])
        _ = fetch(&leader, from: 2, offset: start, lastEpoch: leader.epoch)
        #expect(leader.highWatermark == start)
    }

    @Test("an observer that stops fetching leaves DescribeQuorum after five minutes")
    func silentObserverLeavesDescription() {
        var leader = makeNode(1)
        _ = elect(&leader)
        _ = fetch(&leader, from: 4, offset: leader.log.endOffset, lastEpoch: leader.epoch, now: 10_000)
        let timeout = Node.observerSessionTimeoutMs
        #expect(leader.describeQuorum(now: 10_000 + timeout - 1)?.observers.map(\.replicaId) == [4])
        #expect(leader.describeQuorum(now: 10_000 + timeout)?.observers.isEmpty == true)
    }

    @Test("an observer copies the leader's entries and learns the high watermark")
    func observerReplicates() {
        var leader = makeNode(1)
        _ = elect(&leader)
        _ = try? leader.append([[7], [8]], now: 10_000)
        _ = fetch(&leader, from: 2, offset: leader.log.endOffset, lastEpoch: leader.epoch)
        var observer = makeNode(4)
        var inbox = observer.tick(now: 10_000)
        var now: Int64 = 10_000
        // Shuttle messages between the two until the observer has caught up (voters 2 and 3 stay silent).
        for _ in 0..<20 {
            var next: [RaftEffect] = []
            for (to, message) in sent(inbox) {
                now += 1
                if to == 1 {
                    for (back, answer) in sent(leader.receive(message, from: 4, now: now)) where back == 4 {
                        next += observer.receive(answer, from: 1, now: now)
                    }
                } else if case .fetchRequest = message {
                    // A voter that is not the leader names it.
                    next += observer.receive(
                        .fetchResponse(
                            .init(
                                correlationId: 0, leaderEpoch: leader.epoch, leaderId: 1, error: .notLeaderOrFollower)),
                        from: to, now: now)
                }
            }
            inbox = next
            if observer.log.endOffset == leader.log.endOffset && observer.highWatermark == leader.highWatermark {
                break
            }
        }
        #expect(observer.leaderId == 1)
        #expect(observer.log.endOffset == leader.log.endOffset)
        #expect(observer.highWatermark == leader.highWatermark)
        #expect(leader.describeQuorum(now: now)?.observers.map(\.replicaId) == [4])
    }
}
