import KRaft
import Testing

typealias Node = RaftNode<InMemoryRaftLog>

/// A log holding one entry per epoch in `epochs` (offset i has epoch epochs[i]).
func makeLog(_ epochs: [Int32]) -> InMemoryRaftLog {
    var log = InMemoryRaftLog()
    log.append(epochs.enumerated().map { LogEntry(offset: Int64($0.offset), epoch: $0.element, record: .data([1])) })
    return log
}

func makeNode(
    _ id: ReplicaID = 1, voters: [ReplicaID] = [1, 2, 3], log: InMemoryRaftLog = InMemoryRaftLog(),
    state: ElectionState? = nil, preVote: Bool = true
) -> Node {
    var config = QuorumConfig()
    config.preVoteEnabled = preVote
    return Node(id: id, voters: voters, config: config, log: log, persisted: state, now: 0, seed: 42)
}

func sent(_ effects: [RaftEffect]) -> [(ReplicaID, RaftMessage)] {
    effects.compactMap { if case .send(let to, let message) = $0 { (to, message) } else { nil } }
}

func voteResponses(_ effects: [RaftEffect]) -> [VoteResponse] {
    sent(effects).compactMap { if case .voteResponse(let r) = $0.1 { r } else { nil } }
}

func fetchResponses(_ effects: [RaftEffect]) -> [FetchResponse] {
    sent(effects).compactMap { if case .fetchResponse(let r) = $0.1 { r } else { nil } }
}

func persisted(_ effects: [RaftEffect]) -> [ElectionState] {
    effects.compactMap { if case .persist(let s) = $0 { s } else { nil } }
}

func vote(epoch: Int32, from candidate: ReplicaID, lastEpoch: Int32 = 0, lastOffset: Int64 = 0, preVote: Bool = false)
    -> RaftMessage
{
    .voteRequest(
        VoteRequest(
            candidateEpoch: epoch, candidateId: candidate, lastOffsetEpoch: lastEpoch, lastOffset: lastOffset,
            preVote: preVote))
}

/// Drives `node` from its election timeout to leadership with every voter granting.
func elect(_ node: inout Node, at now: Int64 = 10_000) -> [RaftEffect] {
    var effects = node.tick(now: now)
    let others = node.voters.filter { $0 != node.id }
    if case .prospective = node.role {
        for voter in others where !node.isLeader {
            if case .prospective = node.role {
                effects += node.receive(
                    .voteResponse(.init(leaderEpoch: node.epoch, leaderId: nil, voteGranted: true, preVote: true)),
                    from: voter, now: now)
            }
        }
    }
    for voter in others where !node.isLeader {
        effects += node.receive(
            .voteResponse(.init(leaderEpoch: node.epoch, leaderId: nil, voteGranted: true, preVote: false)),
            from: voter,
            now: now)
    }
    return effects
}

func fetch(_ node: inout Node, from replica: ReplicaID, offset: Int64, lastEpoch: Int32, now: Int64 = 10_000)
    -> [RaftEffect]
{
    node.receive(
        .fetchRequest(
            .init(
                correlationId: 1, replicaId: replica, replicaEpoch: node.epoch, fetchOffset: offset,
                lastFetchedEpoch: lastEpoch)),
        from: replica, now: now)
}

@Suite("KRaft quorum rules")
struct QuorumRulesTests {
    @Test("a voter persists its vote before granting it, and grants one candidate per epoch")
    func oneVotePerEpoch() {
        var node = makeNode()
        let effects = node.receive(vote(epoch: 1, from: 2), from: 2, now: 1)
        let persistIndex = effects.firstIndex { if case .persist = $0 { true } else { false } }
        let sendIndex = effects.firstIndex { if case .send = $0 { true } else { false } }
        #expect(persistIndex != nil && sendIndex != nil && persistIndex! < sendIndex!)
        #expect(persisted(effects).last == ElectionState(epoch: 1, votedId: 2, voters: [1, 2, 3]))
        #expect(voteResponses(effects).first?.voteGranted == true)
        #expect(voteResponses(node.receive(vote(epoch: 1, from: 3), from: 3, now: 2)).first?.voteGranted == false)
        #expect(voteResponses(node.receive(vote(epoch: 1, from: 2), from: 2, now: 3)).first?.voteGranted == true)
    }

    @Test("a restarted voter remembers its vote from quorum-state")
    func voteSurvivesRestart() {
        var node = makeNode(state: ElectionState(epoch: 4, votedId: 2, voters: [1, 2, 3]))
        #expect(node.epoch == 4)
        #expect(voteResponses(node.receive(vote(epoch: 4, from: 3), from: 3, now: 1)).first?.voteGranted == false)
    }

    @Test("a vote needs a log at least as up to date: last epoch first, then end offset")
    func upToDateLog() {
        var node = makeNode(log: makeLog([1, 1, 2, 2, 2]))
        #expect(
            voteResponses(node.receive(vote(epoch: 3, from: 2, lastEpoch: 1, lastOffset: 50), from: 2, now: 1)).first?
                .voteGranted == false)
        #expect(
            voteResponses(node.receive(vote(epoch: 4, from: 2, lastEpoch: 2, lastOffset: 4), from: 2, now: 2)).first?
                .voteGranted == false)
        #expect(
            voteResponses(node.receive(vote(epoch: 5, from: 2, lastEpoch: 2, lastOffset: 5), from: 2, now: 3)).first?
                .voteGranted == true)
        #expect(
            voteResponses(node.receive(vote(epoch: 6, from: 3, lastEpoch: 3, lastOffset: 1), from: 3, now: 4)).first?
                .voteGranted == true)
    }

    @Test("a message from a higher epoch moves the node to that epoch first")
    func higherEpochWins() {
        var node = makeNode(state: ElectionState(epoch: 2, leaderId: 2, voters: [1, 2, 3]))
        guard case .follower = node.role else { Issue.record("expected a follower"); return }
        _ = node.receive(vote(epoch: 5, from: 3), from: 3, now: 1)
        #expect(node.epoch == 5)
        _ = node.receive(.beginQuorumEpochRequest(.init(leaderEpoch: 7, leaderId: 2)), from: 2, now: 2)
        #expect(node.epoch == 7 && node.leaderId == 2)
        // Older epochs are refused and change nothing.
        let old = node.receive(.beginQuorumEpochRequest(.init(leaderEpoch: 6, leaderId: 3)), from: 3, now: 3)
        #expect(node.epoch == 7 && node.leaderId == 2)
        #expect(persisted(old).isEmpty)
    }

    @Test("a pre-vote neither bumps the epoch nor persists anything")
    func preVoteChangesNothing() {
        var node = makeNode(state: ElectionState(epoch: 2, voters: [1, 2, 3]))
        let effects = node.receive(vote(epoch: 9, from: 2, preVote: true), from: 2, now: 1)
        #expect(node.epoch == 2)
        #expect(persisted(effects).isEmpty)
        #expect(voteResponses(effects).first?.voteGranted == true)
        #expect(voteResponses(effects).first?.preVote == true)
    }

    @Test("a follower that still hears from its leader refuses pre-votes")
    func followerRefusesPreVote() {
        var node = makeNode(state: ElectionState(epoch: 3, leaderId: 2, voters: [1, 2, 3]))
        let early = node.receive(vote(epoch: 3, from: 3, preVote: true), from: 3, now: 100)
        #expect(voteResponses(early).first?.voteGranted == false)
        #expect(voteResponses(early).first?.leaderId == 2)
    }

    @Test("a timed-out voter asks for pre-votes at its epoch and bumps it only as a candidate")
    func prospectiveThenCandidate() {
        var node = makeNode(state: ElectionState(epoch: 3, voters: [1, 2, 3]))
        let effects = node.tick(now: 5_000)
        guard case .prospective = node.role else { Issue.record("expected Prospective, got \(node.role.name)"); return }
        #expect(node.epoch == 3)
        #expect(persisted(effects).isEmpty)
        let requests = sent(effects).compactMap { if case .voteRequest(let r) = $0.1 { r } else { nil } }
        #expect(requests.count == 2 && requests.allSatisfy { $0.preVote && $0.candidateEpoch == 3 })
        let granted = node.receive(
            .voteResponse(.init(leaderEpoch: 3, leaderId: nil, voteGranted: true, preVote: true)), from: 2, now: 5_001)
        guard case .candidate = node.role else { Issue.record("expected Candidate, got \(node.role.name)"); return }
        #expect(node.epoch == 4)
        #expect(persisted(granted).last == ElectionState(epoch: 4, votedId: 1, voters: [1, 2, 3]))
    }

    @Test("without pre-vote a timed-out voter stands at once with a bumped epoch")
    func candidateWithoutPreVote() {
        var node = makeNode(state: ElectionState(epoch: 3, voters: [1, 2, 3]), preVote: false)
        _ = node.tick(now: 5_000)
        guard case .candidate = node.role else { Issue.record("expected Candidate"); return }
        #expect(node.epoch == 4)
    }

    @Test("a new leader writes LeaderChange first and tells the voters with BeginQuorumEpoch")
    func leaderOpensEpoch() {
        var node = makeNode(log: makeLog([1, 1]))
        let effects = elect(&node)
        #expect(node.isLeader)
        let entry = node.log.entries(from: 2, maxCount: 1).first
        #expect(entry?.epoch == node.epoch)
        #expect(entry?.record == .leaderChange(leaderId: 1, voters: [1, 2, 3]))
        let begins = sent(effects).filter { if case .beginQuorumEpochRequest = $0.1 { true } else { false } }
        #expect(begins.map(\.0).sorted() == [2, 3])
        #expect(persisted(effects).last?.leaderId == 1)
    }

    @Test("the high watermark advances only once an entry of the leader's own epoch is on a majority")
    func highWatermarkNeedsCurrentEpoch() {
        // Five entries from epoch 1, never committed; node 1 becomes leader and writes LeaderChange at offset 5.
        var node = makeNode(log: makeLog([1, 1, 1, 1, 1]), state: ElectionState(epoch: 1, voters: [1, 2, 3]))
        _ = elect(&node)
        #expect(node.epoch == 2)
        #expect(node.highWatermark == nil)
        // A follower holding all of epoch 1 but not the LeaderChange: a majority has offsets 0–4, still no commit.
        _ = fetch(&node, from: 2, offset: 5, lastEpoch: 1)
        #expect(node.highWatermark == nil)
        // Once it has the LeaderChange record, everything up to it commits at once.
        let effects = fetch(&node, from: 2, offset: 6, lastEpoch: node.epoch)
        #expect(node.highWatermark == 6)
        #expect(effects.contains(.highWatermark(6)))
    }

    @Test("the leader answers a diverging fetch with where its copy of that epoch ends")
    func leaderReportsDivergence() {
        // Leader: epochs 1,1,1 then its own epoch. Follower claims offset 5 with last epoch 2 (never committed).
        var node = makeNode(log: makeLog([1, 1, 1]), state: ElectionState(epoch: 3, voters: [1, 2, 3]))
        _ = elect(&node)
        #expect(node.epoch == 4)
        let response = fetchResponses(fetch(&node, from: 2, offset: 5, lastEpoch: 2)).first
        #expect(response?.divergingEpoch == OffsetAndEpoch(offset: 3, epoch: 1))
        #expect(response?.entries.isEmpty == true)
    }

    @Test("a follower truncates its diverging tail where the leader's copy of the epoch ends")
    func followerTruncates() {
        var node = makeNode(
            log: makeLog([1, 1, 1, 2, 2, 2]), state: ElectionState(epoch: 3, leaderId: 2, voters: [1, 2, 3]))
        let effects = node.tick(now: 1)
        let request = sent(effects).compactMap { if case .fetchRequest(let r) = $0.1 { r } else { nil } }.first
        #expect(request?.fetchOffset == 6 && request?.lastFetchedEpoch == 2)
        guard let request else { return }
        let answer = node.receive(
            .fetchResponse(
                .init(
                    correlationId: request.correlationId, leaderEpoch: 3, leaderId: 2, highWatermark: 2,
                    divergingEpoch: OffsetAndEpoch(offset: 3, epoch: 1))), from: 2, now: 2)
        #expect(node.log.endOffset == 3)
        #expect(answer.contains(.truncated(to: 3)))
        let next = sent(answer).compactMap { if case .fetchRequest(let r) = $0.1 { r } else { nil } }.first
        #expect(next?.fetchOffset == 3 && next?.lastFetchedEpoch == 1)
    }

    @Test("a follower ignores an answer to a fetch it no longer waits for")
    func staleFetchAnswerIgnored() {
        var node = makeNode(state: ElectionState(epoch: 3, leaderId: 2, voters: [1, 2, 3]))
        _ = node.tick(now: 1)
        let effects = node.receive(
            .fetchResponse(
                .init(
                    correlationId: 999, leaderEpoch: 3, leaderId: 2, highWatermark: 1,
                    entries: [LogEntry(offset: 0, epoch: 3, record: .data([7]))])), from: 2, now: 2)
        #expect(node.log.endOffset == 0)
        #expect(effects.isEmpty)
    }

    @Test("a fetch below the leader's log start is answered with its snapshot id")
    func fetchBelowLogStartGetsSnapshot() throws {
        var node = makeNode(voters: [1], log: makeLog([1, 1, 1, 1]))
        _ = node.tick(now: 10_000)
        #expect(node.isLeader)
        #expect(node.highWatermark == 5)
        try node.createSnapshot(endOffset: 4, data: [42])
        // Taking a snapshot keeps the log; retention moves its start later.
        #expect(node.log.startOffset == 0)
        #expect(node.log.latestSnapshot?.id == OffsetAndEpoch(offset: 4, epoch: 1))
        #expect(node.log.latestSnapshot?.fileName == "00000000000000000004-0000000001.checkpoint")
        // A snapshot above the high watermark, or not past the latest one, is refused.
        #expect(throws: RaftError.self) { try node.createSnapshot(endOffset: 6, data: []) }
        #expect(throws: RaftError.self) { try node.createSnapshot(endOffset: 3, data: []) }
        let cleaned = node.deleteBeforeSnapshot(OffsetAndEpoch(offset: 4, epoch: 1))
        #expect(cleaned)
        #expect(node.log.startOffset == 4)
        #expect(node.log.earliestSnapshotId == OffsetAndEpoch(offset: 4, epoch: 1))
    }

    @Test("positions are checked against the snapshot at the log start and answered with the latest one")
    func fetchValidationUsesEarliestSnapshot() throws {
        var node = makeNode(voters: [1], log: makeLog([1, 1, 1, 1, 1, 1, 1, 1]))
        _ = node.tick(now: 10_000)
        try node.createSnapshot(endOffset: 3, data: [1])
        let cleaned = node.deleteBeforeSnapshot(OffsetAndEpoch(offset: 3, epoch: 1))
        #expect(cleaned)
        try node.createSnapshot(endOffset: 6, data: [2])
        func answer(offset: Int64, epoch: Int32) -> FetchResponse? {
            let effects = node.receive(
                .fetchRequest(
                    .init(
                        correlationId: 1, replicaId: 2, replicaEpoch: node.epoch, fetchOffset: offset,
                        lastFetchedEpoch: epoch)), from: 2, now: 10_001)
            return effects.compactMap { if case .send(_, .fetchResponse(let r)) = $0 { r } else { nil } }.first
        }
        // Below the log start: the latest snapshot, not the one at the start.
        #expect(answer(offset: 1, epoch: 1)?.snapshotId == OffsetAndEpoch(offset: 6, epoch: 1))
        // At the log start with the start snapshot's epoch: a valid position, entries follow.
        #expect(answer(offset: 3, epoch: 1)?.snapshotId == nil)
        // From scratch on a log that was never cleaned would be valid; this one was.
        #expect(answer(offset: 0, epoch: 0)?.snapshotId == OffsetAndEpoch(offset: 6, epoch: 1))
    }

    @Test("a leader that loses its majority resigns after 1.5 × fetch timeout (check quorum)")
    func checkQuorum() {
        var node = makeNode()
        _ = elect(&node, at: 10_000)
        #expect(node.isLeader)
        // One follower fetching keeps a majority (2 of 3) for a period; silence for the next one does not.
        _ = fetch(&node, from: 2, offset: 0, lastEpoch: 0, now: 11_000)
        _ = node.tick(now: 13_000)
        #expect(node.isLeader)
        _ = node.tick(now: 15_999)
        #expect(node.isLeader)
        let effects = node.tick(now: 16_000)
        guard case .resigned = node.role else { Issue.record("expected Resigned, got \(node.role.name)"); return }
        #expect(sent(effects).contains { if case .endQuorumEpochRequest = $0.1 { true } else { false } })
    }

    @Test("EndQuorumEpoch makes the first preferred successor stand at once")
    func endQuorumEpochFastElection() {
        var node = makeNode(state: ElectionState(epoch: 3, leaderId: 2, voters: [1, 2, 3]))
        _ = node.receive(
            .endQuorumEpochRequest(.init(leaderEpoch: 3, leaderId: 2, preferredSuccessors: [1, 3])), from: 2, now: 50)
        _ = node.tick(now: 50)
        guard case .prospective = node.role else { Issue.record("expected Prospective, got \(node.role.name)"); return }
    }

    @Test("a restarted leader comes back Resigned and does not serve fetches")
    func restartedLeaderIsResigned() {
        var node = makeNode(log: makeLog([1]), state: ElectionState(epoch: 1, leaderId: 1, voters: [1, 2, 3]))
        guard case .resigned = node.role else { Issue.record("expected Resigned"); return }
        let response = fetchResponses(fetch(&node, from: 2, offset: 1, lastEpoch: 1)).first
        #expect(response?.error == .notLeaderOrFollower)
    }
    @Test("a follower below the leader's log start installs its snapshot and fetches on from there")
    func followerInstallsSnapshot() {
        var node = makeNode(state: ElectionState(epoch: 3, leaderId: 2, voters: [1, 2, 3]))
        let first = sent(node.tick(now: 1)).compactMap { if case .fetchRequest(let r) = $0.1 { r } else { nil } }.first
        guard let first else { Issue.record("no fetch"); return }
        let snapshotId = OffsetAndEpoch(offset: 10, epoch: 2)
        let asked = node.receive(
            .fetchResponse(
                .init(correlationId: first.correlationId, leaderEpoch: 3, leaderId: 2, snapshotId: snapshotId)),
            from: 2, now: 2)
        let request = sent(asked).compactMap { if case .fetchSnapshotRequest(let r) = $0.1 { r } else { nil } }.first
        #expect(request?.snapshotId == snapshotId)
        guard let request else { return }
        let installed = node.receive(
            .fetchSnapshotResponse(
                .init(
                    correlationId: request.correlationId, leaderEpoch: 3, leaderId: 2,
                    snapshot: RaftSnapshot(id: snapshotId, data: [1, 2, 3]))), from: 2, now: 3)
        #expect(installed.contains(.snapshotInstalled(snapshotId)))
        #expect(node.log.startOffset == 10 && node.log.endOffset == 10)
        #expect(node.highWatermark == 10)
        let next = sent(installed).compactMap { if case .fetchRequest(let r) = $0.1 { r } else { nil } }.first
        #expect(next?.fetchOffset == 10 && next?.lastFetchedEpoch == 2)
    }

    @Test("DescribeQuorum reports each voter's fetched offset as the leader saw it")
    func describeQuorum() {
        var node = makeNode()
        #expect(node.describeQuorum(now: 0) == nil)
        _ = elect(&node, at: 10_000)
        _ = fetch(&node, from: 2, offset: 1, lastEpoch: node.epoch, now: 10_500)
        guard let description = node.describeQuorum(now: 11_000) else {
            Issue.record("leader did not describe"); return
        }
        #expect(description.leaderId == 1 && description.leaderEpoch == node.epoch)
        #expect(description.highWatermark == 1)
        #expect(description.currentVoters.map(\.replicaId) == [1, 2, 3])
        #expect(description.currentVoters.map(\.logEndOffset) == [1, 1, -1])
        #expect(description.currentVoters[1].lastFetchTimestamp == 10_500)
        #expect(description.currentVoters[1].lastCaughtUpTimestamp == 10_500)
        #expect(description.currentVoters[2].lastFetchTimestamp == -1)
        #expect(description.observers.isEmpty)
    }
    @Test("a candidate that meets a rival candidate in its epoch refuses it and retries after a short back-off")
    func splitVoteBackoff() {
        var node = makeNode(state: ElectionState(epoch: 3, voters: [1, 2, 3]), preVote: false)
        _ = node.tick(now: 5_000)
        guard case .candidate = node.role else { Issue.record("expected Candidate"); return }
        #expect(node.nextWakeup >= 6_000)
        let effects = node.receive(vote(epoch: 4, from: 3), from: 3, now: 5_010)
        #expect(voteResponses(effects).first?.voteGranted == false)
        // Kafka's binary exponential back-off: the first retry comes within 2 × retry.backoff.ms.
        #expect(node.nextWakeup <= 5_010 + 2 * node.config.retryBackoffMs)
    }
}
