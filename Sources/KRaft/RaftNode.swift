/// One KRaft voter as a value: Kafka's `KafkaRaftClient` + `QuorumState` without the I/O. Events go in
/// (``receive(_:from:now:)``, ``tick(now:)``, ``append(_:now:)``), the returned ``RaftEffect``s come out, and the
/// driver performs them in order. Time is the caller's clock in milliseconds; the election jitter comes from a
/// seeded generator the value owns, so a run is a function of its inputs.
///
/// Safety rests on four rules, each tested on its own and checked together by the simulation:
/// - a vote is granted once per epoch, persisted before it is sent, and only to a log at least as up to date
///   (last epoch, then end offset);
/// - any message from a higher epoch moves the node to that epoch first (except a pre-vote request);
/// - a follower truncates only where the leader says its log diverged (Fetch's diverging epoch);
/// - the leader advances the high watermark only to an offset a majority of voters fetched past, and only once
///   that covers its own epoch's LeaderChange record.
public struct RaftNode<Log: RaftLog>: Sendable {
    public let id: ReplicaID
    /// Sorted, so every iteration that emits effects is deterministic.
    public let voters: [ReplicaID]
    public let config: QuorumConfig
    public internal(set) var log: Log
    public internal(set) var role: QuorumRole
    /// Entries below it are committed. Unknown after a restart until the leader says; never decreases.
    public internal(set) var highWatermark: Int64?
    var jitter: JitterGenerator
    var nextCorrelationId: Int64 = 1
    /// Elections lost in a row (a majority refused), for the exponential back-off; reset once a leader is known.
    var failedElections = 0

    /// Starts (or restarts) a voter from its log and its `quorum-state`, as `QuorumState.initialize` does: a node
    /// that was leader comes back Resigned, a follower comes back following, a vote is kept.
    public init(
        id: ReplicaID, voters: [ReplicaID], config: QuorumConfig = QuorumConfig(), log: Log,
        persisted: ElectionState?, now: Int64, seed: UInt64
    ) {
        self.id = id
        self.voters = voters.sorted()
        self.config = config
        self.log = log
        self.jitter = JitterGenerator(seed: seed ^ UInt64(UInt32(bitPattern: id.rawValue)) &* 0x9E37_79B9)
        self.role = .unattached(.init(epoch: 0, electionDeadline: 0))
        let epoch = persisted?.epoch ?? 0
        let deadline = now + randomElectionTimeout()
        if let leader = persisted?.leaderId, leader == id {
            role = .resigned(
                .init(
                    epoch: epoch, electionDeadline: deadline, preferredSuccessors: [], unacknowledged: [],
                    endEpochSentAt: nil))
        } else if let leader = persisted?.leaderId {
            role = .follower(
                .init(
                    epoch: epoch, leaderId: leader, votedId: persisted?.votedId,
                    fetchDeadline: now + config.fetchTimeoutMs, nextFetchAt: now, inflight: nil, inflightSentAt: 0,
                    pendingSnapshot: nil))
        } else if let voted = persisted?.votedId {
            role = .voted(.init(epoch: epoch, votedId: voted, electionDeadline: deadline))
        } else {
            // An observer has no election to wait for: it asks a voter for the leader at once.
            role = .unattached(.init(epoch: epoch, electionDeadline: voters.contains(id) ? deadline : now))
        }
    }

    public var epoch: Int32 { role.epoch }
    public var leaderId: ReplicaID? { role.leaderId(localId: id) }
    public var isLeader: Bool { if case .leader = role { true } else { false } }
    var isVoter: Bool { voters.contains(id) }
    var majority: Int { voters.count / 2 + 1 }

    /// The `quorum-state` this node would write now.
    public var electionState: ElectionState {
        switch role {
        case .leader: ElectionState(epoch: epoch, leaderId: id, voters: voters)
        case .resigned: ElectionState(epoch: epoch, leaderId: id, voters: voters)
        case .follower(let s): ElectionState(epoch: epoch, leaderId: s.leaderId, votedId: s.votedId, voters: voters)
        case .voted(let s): ElectionState(epoch: epoch, votedId: s.votedId, voters: voters)
        case .candidate: ElectionState(epoch: epoch, votedId: id, voters: voters)
        case .prospective(let s): ElectionState(epoch: epoch, leaderId: s.leaderId, votedId: s.votedId, voters: voters)
        case .unattached: ElectionState(epoch: epoch, voters: voters)
        }
    }

    /// The earliest time ``tick(now:)`` has something to do; a driver may sleep until then.
    public var nextWakeup: Int64 {
        switch role {
        case .unattached(let s): return s.electionDeadline
        case .voted(let s): return s.electionDeadline
        case .prospective(let s): return s.electionDeadline
        case .candidate(let s): return s.electionDeadline
        case .follower(let s):
            let fetch = s.inflight == nil ? s.nextFetchAt : s.inflightSentAt + config.requestTimeoutMs
            return min(s.fetchDeadline, fetch)
        case .leader(let s):
            var wake = s.checkQuorumDeadline
            if !s.unacknowledged.isEmpty { wake = min(wake, s.beginEpochSentAt + config.requestTimeoutMs) }
            for parked in s.parked.values { wake = min(wake, parked.deadline) }
            return wake
        case .resigned(let s):
            var wake = s.electionDeadline
            if !s.unacknowledged.isEmpty, let sent = s.endEpochSentAt {
                wake = min(wake, sent + config.requestTimeoutMs)
            }
            return wake
        }
    }

    // MARK: Timing

    /// Kafka's `randomElectionTimeoutMs`: the timeout plus up to as much again, so voters rarely stand together.
    mutating func randomElectionTimeout() -> Int64 {
        let base = config.electionTimeoutMs
        return base + (base > 0 ? Int64(jitter.next() % UInt64(base)) : 0)
    }

    /// How long a voter waits after EndQuorumEpoch: the first preferred successor stands at once, later ones back
    /// off exponentially (Kafka's `strictExponentialElectionBackoffMs`), so the most up-to-date log usually wins.
    mutating func endEpochBackoff(position: Int?) -> Int64 {
        guard let position, position > 0 else {
            return position == 0 ? 0 : randomElectionTimeout()
        }
        let exponential = config.retryBackoffMs << min(position - 1, 20)
        let jitterMs = config.retryBackoffMs > 0 ? Int64(jitter.next() % UInt64(config.retryBackoffMs)) : 0
        return min(config.electionBackoffMaxMs, exponential + jitterMs)
    }

    /// After a majority refused: try again soon, but spread out more with every failure (Kafka's
    /// `binaryExponentialElectionBackoffMs`, capped by `controller.quorum.election.backoff.max.ms`). Refusals
    /// usually come from voters whose fetch timers are about to expire too, so waiting a whole election timeout
    /// would only delay the failover.
    mutating func electionBackoff() -> Int64 {
        failedElections += 1
        let slots = UInt64(2) << UInt64(min(failedElections - 1, 10))
        return min(config.electionBackoffMaxMs, config.retryBackoffMs * Int64(1 + jitter.next() % slots))
    }

    mutating func newCorrelationId() -> Int64 {
        defer { nextCorrelationId += 1 }
        return nextCorrelationId
    }

    // MARK: Transitions

    /// Every transition except into Prospective is persisted before anything it causes is sent.
    mutating func transition(to newRole: QuorumRole, effects: inout [RaftEffect]) {
        let oldLeader = leaderId
        let oldEpoch = epoch
        role = newRole
        switch newRole {
        case .leader, .follower: failedElections = 0
        default: break
        }
        if case .prospective = newRole {
        } else {
            effects.append(.persist(electionState))
        }
        if oldEpoch != epoch || oldLeader != leaderId {
            effects.append(.leaderChanged(epoch: epoch, leaderId: leaderId))
        }
    }

    mutating func becomeUnattached(epoch: Int32, now: Int64, effects: inout [RaftEffect]) {
        let deadline = now + randomElectionTimeout()
        transition(to: .unattached(.init(epoch: epoch, electionDeadline: deadline)), effects: &effects)
    }

    mutating func becomeFollower(epoch: Int32, leader: ReplicaID, now: Int64, effects: inout [RaftEffect]) {
        var voted: ReplicaID? = nil
        if epoch == self.epoch {
            switch role {
            case .voted(let s): voted = s.votedId
            case .prospective(let s): voted = s.votedId
            case .candidate: voted = id
            default: break
            }
        }
        let follower = QuorumRole.Follower(
            epoch: epoch, leaderId: leader, votedId: voted, fetchDeadline: now + config.fetchTimeoutMs,
            nextFetchAt: now, inflight: nil, inflightSentAt: 0, pendingSnapshot: nil)
        transition(to: .follower(follower), effects: &effects)
        maybeSendFetch(now: now, effects: &effects)
    }

    /// A timer ran out without a leader: ask for pre-votes first when KIP-996 is on, otherwise stand at once.
    mutating func startElection(now: Int64, effects: inout [RaftEffect]) {
        guard isVoter else { return probeForLeader(now: now, effects: &effects) }
        if config.preVoteEnabled {
            becomeProspective(now: now, effects: &effects)
        } else {
            becomeCandidate(now: now, effects: &effects)
        }
    }

    mutating func becomeProspective(now: Int64, effects: inout [RaftEffect]) {
        var leader: ReplicaID? = nil
        var voted: ReplicaID? = nil
        switch role {
        case .voted(let s): voted = s.votedId
        case .follower(let s):
            leader = s.leaderId
            voted = s.votedId
        case .prospective(let s):
            leader = s.leaderId
            voted = s.votedId
        case .candidate: voted = id
        case .unattached, .leader, .resigned: break
        }
        var prospective = QuorumRole.Prospective(
            epoch: epoch, leaderId: leader, votedId: voted, probe: nil, granted: [id], rejected: [],
            electionDeadline: now + randomElectionTimeout())
        if prospective.granted.count >= majority {
            transition(to: .prospective(prospective), effects: &effects)
            becomeCandidate(now: now, effects: &effects)
            return
        }
        if let leader {
            let correlationId = newCorrelationId()
            prospective.probe = correlationId
            transition(to: .prospective(prospective), effects: &effects)
            let request = FetchRequest(
                correlationId: correlationId, replicaId: id, replicaEpoch: epoch, fetchOffset: log.endOffset,
                lastFetchedEpoch: log.lastFetchedEpoch)
            effects.append(.send(to: leader, .fetchRequest(request)))
        } else {
            transition(to: .prospective(prospective), effects: &effects)
        }
        let request = VoteRequest(
            candidateEpoch: epoch, candidateId: id, lastOffsetEpoch: log.lastFetchedEpoch,
            lastOffset: log.endOffset, preVote: true)
        for voter in voters where voter != id { effects.append(.send(to: voter, .voteRequest(request))) }
    }

    mutating func becomeCandidate(now: Int64, effects: inout [RaftEffect]) {
        let candidate = QuorumRole.Candidate(
            epoch: epoch + 1, granted: [id], rejected: [], electionDeadline: now + randomElectionTimeout())
        transition(to: .candidate(candidate), effects: &effects)
        if candidate.granted.count >= majority {
            becomeLeader(now: now, effects: &effects)
            return
        }
        let request = VoteRequest(
            candidateEpoch: epoch, candidateId: id, lastOffsetEpoch: log.lastFetchedEpoch,
            lastOffset: log.endOffset, preVote: false)
        for voter in voters where voter != id { effects.append(.send(to: voter, .voteRequest(request))) }
    }

    mutating func becomeLeader(now: Int64, effects: inout [RaftEffect]) {
        var progress: [ReplicaID: QuorumRole.ReplicaProgress] = [:]
        for voter in voters { progress[voter] = QuorumRole.ReplicaProgress() }
        let others = Set(voters.filter { $0 != id })
        let leader = QuorumRole.Leader(
            epoch: epoch, epochStartOffset: log.endOffset, progress: progress, unacknowledged: others,
            beginEpochSentAt: now, parked: [:], fetchedSinceCheck: [id],
            checkQuorumDeadline: now + checkQuorumTimeout)
        transition(to: .leader(leader), effects: &effects)
        // The LeaderChange control record opens the epoch: committing it commits everything before it.
        log.append([
            LogEntry(offset: log.endOffset, epoch: epoch, record: .leaderChange(leaderId: id, voters: voters))
        ])
        for voter in voters where voter != id {
            effects.append(.send(to: voter, .beginQuorumEpochRequest(.init(leaderEpoch: epoch, leaderId: id))))
        }
        maybeAdvanceHighWatermark(now: now, effects: &effects)
    }

    /// Kafka 3.6+ leaders resign when a majority has not fetched within 1.5 × fetch timeout (check quorum), so a
    /// leader cut off from the quorum stops claiming leadership and the rest can elect a new one.
    var checkQuorumTimeout: Int64 { config.fetchTimeoutMs + config.fetchTimeoutMs / 2 }

    mutating func becomeResigned(now: Int64, effects: inout [RaftEffect]) {
        guard case .leader(let leader) = role else { return }
        // Successors ordered by how far their logs reached, most complete first.
        let successors = voters.filter { $0 != id }.sorted {
            let a = leader.progress[$0]?.endOffset ?? -1
            let b = leader.progress[$1]?.endOffset ?? -1
            return a != b ? a > b : $0 < $1
        }
        let resigned = QuorumRole.Resigned(
            epoch: epoch, electionDeadline: now + randomElectionTimeout(), preferredSuccessors: successors,
            unacknowledged: Set(successors), endEpochSentAt: nil)
        transition(to: .resigned(resigned), effects: &effects)
        sendEndQuorumEpoch(now: now, effects: &effects)
    }

    mutating func sendEndQuorumEpoch(now: Int64, effects: inout [RaftEffect]) {
        guard case .resigned(var s) = role else { return }
        let request = EndQuorumEpochRequest(
            leaderEpoch: epoch, leaderId: id, preferredSuccessors: s.preferredSuccessors)
        for voter in voters where s.unacknowledged.contains(voter) {
            effects.append(.send(to: voter, .endQuorumEpochRequest(request)))
        }
        s.endEpochSentAt = now
        role = .resigned(s)
    }

    /// A message from a newer epoch moves this node there first: to follow the leader it names, else unattached.
    /// A leader named in our own epoch is followed too. Returns false when the message is from an older epoch.
    mutating func observe(epoch remoteEpoch: Int32, leader: ReplicaID?, now: Int64, effects: inout [RaftEffect])
        -> Bool
    {
        if remoteEpoch < epoch { return false }
        if remoteEpoch > epoch {
            if let leader, leader != id {
                becomeFollower(epoch: remoteEpoch, leader: leader, now: now, effects: &effects)
            } else {
                becomeUnattached(epoch: remoteEpoch, now: now, effects: &effects)
            }
            return true
        }
        if let leader, leader != id {
            switch role {
            case .unattached, .voted, .prospective, .candidate:
                becomeFollower(epoch: remoteEpoch, leader: leader, now: now, effects: &effects)
            case .follower, .leader, .resigned:
                // A second leader in one epoch would break Raft; votes make it impossible, so ignore the claim.
                break
            }
        }
        return true
    }

    // MARK: Events

    /// Timers: elections, fetch timeouts, retries, parked fetches, check quorum.
    public mutating func tick(now: Int64) -> [RaftEffect] {
        var effects: [RaftEffect] = []
        switch role {
        case .unattached(let s):
            if now >= s.electionDeadline { startElection(now: now, effects: &effects) }
        case .voted(let s):
            if now >= s.electionDeadline { startElection(now: now, effects: &effects) }
        case .prospective(let s):
            if now >= s.electionDeadline { startElection(now: now, effects: &effects) }
        case .candidate(let s):
            if now >= s.electionDeadline { startElection(now: now, effects: &effects) }
        case .follower(let s):
            if now >= s.fetchDeadline {
                startElection(now: now, effects: &effects)
            } else {
                maybeSendFetch(now: now, effects: &effects)
            }
        case .leader(var s):
            if now >= s.checkQuorumDeadline {
                if s.fetchedSinceCheck.count >= majority {
                    s.fetchedSinceCheck = [id]
                    s.checkQuorumDeadline = now + checkQuorumTimeout
                    role = .leader(s)
                } else {
                    becomeResigned(now: now, effects: &effects)
                    return effects
                }
            }
            if !s.unacknowledged.isEmpty && now >= s.beginEpochSentAt + config.requestTimeoutMs {
                for voter in voters where s.unacknowledged.contains(voter) {
                    effects.append(
                        .send(to: voter, .beginQuorumEpochRequest(.init(leaderEpoch: epoch, leaderId: id))))
                }
                s.beginEpochSentAt = now
                role = .leader(s)
            }
            completeParkedFetches(now: now, onlyExpired: true, effects: &effects)
        case .resigned(let s):
            if now >= s.electionDeadline {
                startElection(now: now, effects: &effects)
            } else if !s.unacknowledged.isEmpty, let sent = s.endEpochSentAt, now >= sent + config.requestTimeoutMs {
                sendEndQuorumEpoch(now: now, effects: &effects)
            }
        }
        return effects
    }

    /// The leader appends records of the layer above in its epoch; anywhere else this is `notLeaderOrFollower`.
    public mutating func append(_ records: [[UInt8]], now: Int64) throws(RaftError) -> [RaftEffect] {
        guard isLeader else { throw .notLeaderOrFollower }
        var effects: [RaftEffect] = []
        let base = log.endOffset
        log.append(
            records.enumerated().map {
                LogEntry(offset: base + Int64($0.offset), epoch: epoch, record: .data($0.element))
            }
        )
        maybeAdvanceHighWatermark(now: now, effects: &effects)
        completeParkedFetches(now: now, onlyExpired: false, effects: &effects)
        return effects
    }

    /// A graceful shutdown of the leader: resign and ask the voters to elect a successor (EndQuorumEpoch).
    public mutating func resign(now: Int64) -> [RaftEffect] {
        var effects: [RaftEffect] = []
        becomeResigned(now: now, effects: &effects)
        return effects
    }

    public mutating func receive(_ message: RaftMessage, from sender: ReplicaID, now: Int64) -> [RaftEffect] {
        var effects: [RaftEffect] = []
        switch message {
        case .voteRequest(let request):
            handleVoteRequest(request, from: sender, now: now, effects: &effects)
        case .voteResponse(let response):
            handleVoteResponse(response, from: sender, now: now, effects: &effects)
        case .beginQuorumEpochRequest(let request):
            handleBeginQuorumEpoch(request, from: sender, now: now, effects: &effects)
        case .beginQuorumEpochResponse(let response):
            guard observe(epoch: response.leaderEpoch, leader: response.leaderId, now: now, effects: &effects),
                case .leader(var s) = role, response.leaderEpoch == epoch
            else { break }
            s.unacknowledged.remove(sender)
            role = .leader(s)
        case .endQuorumEpochRequest(let request):
            handleEndQuorumEpoch(request, from: sender, now: now, effects: &effects)
        case .endQuorumEpochResponse(let response):
            guard observe(epoch: response.leaderEpoch, leader: response.leaderId, now: now, effects: &effects),
                case .resigned(var s) = role, response.leaderEpoch == epoch
            else { break }
            s.unacknowledged.remove(sender)
            role = .resigned(s)
        case .fetchRequest(let request):
            handleFetchRequest(request, from: sender, now: now, effects: &effects)
        case .fetchResponse(let response):
            handleFetchResponse(response, from: sender, now: now, effects: &effects)
        case .fetchSnapshotRequest(let request):
            handleFetchSnapshotRequest(request, from: sender, now: now, effects: &effects)
        case .fetchSnapshotResponse(let response):
            handleFetchSnapshotResponse(response, from: sender, now: now, effects: &effects)
        }
        return effects
    }
}
