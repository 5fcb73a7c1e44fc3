/// Observers (KIP-595): a node that is not in the voter set — a broker-only node — replicates the metadata log from
/// the leader with its own replica id but never votes, never stands and never counts towards the high watermark.
///
/// Without a leader it cannot wait for BeginQuorumEpoch (the leader sends that only to voters), so it asks a voter:
/// it sends a Fetch to one voter after another (Kafka's `pollUnattachedAsObserver`, which fetches from a random
/// bootstrap server). A voter that is not the leader answers NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH naming
/// the leader and epoch it knows, and the observer follows that leader from then on; the leader itself answers the
/// Fetch. A follower observer that stops hearing from its leader goes back to asking, where a voter would stand.
/// The leader tracks an observer's progress like a voter's and reports it under `observers` in DescribeQuorum.
extension RaftNode {
    /// Whether this node only observes the quorum.
    public var isObserver: Bool { !isVoter }

    /// How long an observer without a leader waits between two probes, and after starting: a probe is one cheap
    /// Fetch, and a broker that knows no leader can do nothing else, so it asks often (every five retry back-offs).
    var observerProbeIntervalMs: Int64 { max(1, config.retryBackoffMs * 5) }

    /// A leaderless observer's timer ran out: ask the next voter who leads, and wait for the answer or the next
    /// probe. Takes the place of an election.
    mutating func probeForLeader(now: Int64, effects: inout [RaftEffect]) {
        let deadline = now + observerProbeIntervalMs
        if case .unattached(var s) = role {
            s.electionDeadline = deadline
            role = .unattached(s)
        } else {
            transition(to: .unattached(.init(epoch: epoch, electionDeadline: deadline)), effects: &effects)
        }
        guard !voters.isEmpty else { return }
        let voter = voters[Int(nextCorrelationId % Int64(voters.count))]
        let request = FetchRequest(
            correlationId: newCorrelationId(), replicaId: id, replicaEpoch: epoch, fetchOffset: log.endOffset,
            lastFetchedEpoch: log.lastFetchedEpoch)
        effects.append(.send(to: voter, .fetchRequest(request)))
    }

    /// The observers the leader has heard from in its epoch, in id order.
    public var knownObservers: [ReplicaID] {
        guard case .leader(let s) = role else { return [] }
        return s.progress.keys.filter { !voters.contains($0) }.sorted()
    }

    /// An observer that has not fetched for this long is no longer reported (Kafka's `LeaderState`
    /// `OBSERVER_SESSION_TIMEOUT_MS`, five minutes): a broker that was shut down leaves DescribeQuorum.
    public static var observerSessionTimeoutMs: Int64 { 300_000 }
}
