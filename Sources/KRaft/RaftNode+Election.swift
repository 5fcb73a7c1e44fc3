/// Vote, BeginQuorumEpoch and EndQuorumEpoch (KIP-595), and KIP-996's pre-vote.
extension RaftNode {
    /// Raft's election restriction: grant only to a log at least as up to date as ours, compared by the epoch of
    /// the last entry and then by the end offset.
    func isUpToDate(lastOffsetEpoch: Int32, lastOffset: Int64) -> Bool {
        OffsetAndEpoch(offset: lastOffset, epoch: lastOffsetEpoch)
            >= OffsetAndEpoch(offset: log.endOffset, epoch: log.lastFetchedEpoch)
    }

    mutating func handleVoteRequest(
        _ request: VoteRequest, from sender: ReplicaID, now: Int64, effects: inout [RaftEffect]
    ) {
        func respond(_ granted: Bool, _ effects: inout [RaftEffect]) {
            let response = VoteResponse(
                leaderEpoch: epoch, leaderId: leaderId, voteGranted: granted, preVote: request.preVote)
            effects.append(.send(to: sender, .voteResponse(response)))
        }
        guard isVoter, voters.contains(request.candidateId) else { return respond(false, &effects) }
        let upToDate = isUpToDate(lastOffsetEpoch: request.lastOffsetEpoch, lastOffset: request.lastOffset)

        if request.preVote {
            // A pre-vote changes nothing here: no epoch bump, nothing persisted (KIP-996).
            if request.candidateEpoch < epoch { return respond(false, &effects) }
            if request.candidateEpoch > epoch { return respond(upToDate, &effects) }
            let free: Bool
            switch role {
            case .leader: free = false
            // A follower still hearing from its leader keeps it: this is what stops a partitioned node from
            // disrupting a healthy quorum when it comes back.
            case .follower(let s): free = now >= s.fetchDeadline
            case .unattached, .voted, .prospective, .candidate, .resigned: free = true
            }
            return respond(free && upToDate, &effects)
        }

        guard observe(epoch: request.candidateEpoch, leader: nil, now: now, effects: &effects) else {
            return respond(false, &effects)
        }
        switch role {
        case .unattached:
            guard upToDate else { return respond(false, &effects) }
            let voted = QuorumRole.Voted(
                epoch: epoch, votedId: request.candidateId, electionDeadline: now + randomElectionTimeout())
            transition(to: .voted(voted), effects: &effects)
            respond(true, &effects)
        case .voted(let s):
            respond(s.votedId == request.candidateId, &effects)
        case .prospective(let s):
            if let voted = s.votedId {
                respond(voted == request.candidateId, &effects)
            } else if s.leaderId == nil && upToDate {
                let voted = QuorumRole.Voted(
                    epoch: epoch, votedId: request.candidateId, electionDeadline: now + randomElectionTimeout())
                transition(to: .voted(voted), effects: &effects)
                respond(true, &effects)
            } else {
                respond(false, &effects)
            }
        case .candidate(var s):
            // Another candidate in our epoch: a split vote. Neither may win when a voter is down, so both back off
            // by a random, growing amount instead of waiting out the election timeout.
            s.electionDeadline = min(s.electionDeadline, now + electionBackoff())
            role = .candidate(s)
            respond(false, &effects)
        case .leader, .follower, .resigned:
            respond(false, &effects)
        }
    }

    mutating func handleVoteResponse(
        _ response: VoteResponse, from sender: ReplicaID, now: Int64, effects: inout [RaftEffect]
    ) {
        if response.preVote {
            if response.leaderEpoch > epoch {
                _ = observe(epoch: response.leaderEpoch, leader: response.leaderId, now: now, effects: &effects)
                return
            }
            if response.leaderEpoch == epoch, let leader = response.leaderId, leader != id {
                guard case .prospective = role else {
                    _ = observe(epoch: response.leaderEpoch, leader: leader, now: now, effects: &effects)
                    return
                }
                // The refuser still follows a leader of our epoch: a refusal, not proof the leader lives (its
                // fetch timer may be about to run out too). The Fetch probe decides whether to go back.
            }
            // A voter behind us may still grant a pre-vote: it only says our log is good enough.
            guard case .prospective(var s) = role else { return }
            if response.voteGranted {
                s.granted.insert(sender)
            } else if s.rejected.insert(sender).inserted
                && (s.rejected.count == majority || (response.leaderEpoch == epoch && response.leaderId != nil))
            {
                // Lost, or refused by a voter still following our epoch's leader: its fetch timer runs out about
                // when ours did, so ask again shortly rather than after a whole election timeout.
                s.electionDeadline = min(s.electionDeadline, now + electionBackoff())
            }
            role = .prospective(s)
            if s.granted.count >= majority { becomeCandidate(now: now, effects: &effects) }
            return
        }
        guard observe(epoch: response.leaderEpoch, leader: response.leaderId, now: now, effects: &effects),
            case .candidate(var s) = role, response.leaderEpoch == epoch
        else { return }
        if response.voteGranted {
            s.granted.insert(sender)
        } else if s.rejected.insert(sender).inserted && s.rejected.count == majority {
            s.electionDeadline = min(s.electionDeadline, now + electionBackoff())
        }
        role = .candidate(s)
        if s.granted.count >= majority { becomeLeader(now: now, effects: &effects) }
    }

    mutating func handleBeginQuorumEpoch(
        _ request: BeginQuorumEpochRequest, from sender: ReplicaID, now: Int64, effects: inout [RaftEffect]
    ) {
        if request.leaderEpoch < epoch {
            let response = EpochResponse(leaderEpoch: epoch, leaderId: leaderId, error: .fencedLeaderEpoch)
            effects.append(.send(to: sender, .beginQuorumEpochResponse(response)))
            return
        }
        _ = observe(epoch: request.leaderEpoch, leader: request.leaderId, now: now, effects: &effects)
        effects.append(.send(to: sender, .beginQuorumEpochResponse(.init(leaderEpoch: epoch, leaderId: leaderId))))
    }

    mutating func handleEndQuorumEpoch(
        _ request: EndQuorumEpochRequest, from sender: ReplicaID, now: Int64, effects: inout [RaftEffect]
    ) {
        if request.leaderEpoch < epoch {
            let response = EpochResponse(leaderEpoch: epoch, leaderId: leaderId, error: .fencedLeaderEpoch)
            effects.append(.send(to: sender, .endQuorumEpochResponse(response)))
            return
        }
        if request.leaderEpoch > epoch {
            becomeUnattached(epoch: request.leaderEpoch, now: now, effects: &effects)
        }
        // The resigning leader's most complete followers stand first.
        let backoff = endEpochBackoff(position: request.preferredSuccessors.firstIndex(of: id))
        switch role {
        case .follower(var s) where s.leaderId == request.leaderId:
            s.fetchDeadline = min(s.fetchDeadline, now + backoff)
            role = .follower(s)
        case .unattached(var s):
            s.electionDeadline = min(s.electionDeadline, now + backoff)
            role = .unattached(s)
        case .voted(var s):
            s.electionDeadline = min(s.electionDeadline, now + backoff)
            role = .voted(s)
        default:
            break
        }
        effects.append(.send(to: sender, .endQuorumEpochResponse(.init(leaderEpoch: epoch, leaderId: leaderId))))
    }
}
