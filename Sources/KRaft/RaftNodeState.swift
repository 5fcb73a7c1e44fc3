/// The states of a KRaft voter (KIP-595, with KIP-996's Prospective). Each case carries only what is valid in it.
///
/// ```
///  Unattached/Voted ──timeout──▶ Prospective ──majority pre-votes──▶ Candidate ──majority votes──▶ Leader
///        ▲                            │                                  │                        │
///        └──── higher epoch ◀─────────┴──────────────────────────────────┘          resign / check-quorum
///                                                                                                 ▼
///  Follower ◀── BeginQuorumEpoch / a leader named at our epoch ── any state           Resigned ──timeout──▶ …
/// ```
public enum QuorumRole: Sendable, Hashable {
    case unattached(Unattached)
    case voted(Voted)
    case prospective(Prospective)
    case candidate(Candidate)
    case leader(Leader)
    case follower(Follower)
    case resigned(Resigned)

    public struct Unattached: Sendable, Hashable {
        public var epoch: Int32
        public var electionDeadline: Int64
    }

    /// Voted for `votedId` in `epoch` (persisted before the vote was granted).
    public struct Voted: Sendable, Hashable {
        public var epoch: Int32
        public var votedId: ReplicaID
        public var electionDeadline: Int64
    }

    /// Asking for pre-votes (KIP-996) without bumping the epoch; keeps what the node knew in `epoch`. With a
    /// remembered leader it also sends that leader one Fetch per round: an answer proves the leader alive and takes
    /// the node back to following it (a pre-vote refusal naming the leader does not: the refuser may be about to
    /// time out itself).
    public struct Prospective: Sendable, Hashable {
        public var epoch: Int32
        public var leaderId: ReplicaID?
        public var votedId: ReplicaID?
        public var probe: Int64?
        public var granted: Set<ReplicaID>
        public var rejected: Set<ReplicaID>
        public var electionDeadline: Int64
    }

    public struct Candidate: Sendable, Hashable {
        public var epoch: Int32
        public var granted: Set<ReplicaID>
        public var rejected: Set<ReplicaID>
        public var electionDeadline: Int64
    }

    public struct ReplicaProgress: Sendable, Hashable {
        /// The last fetch offset the leader accepted from the replica in this epoch.
        public var endOffset: Int64?
        public var lastFetchTimestamp: Int64?
        public var lastCaughtUpTimestamp: Int64?
        /// The high watermark last sent to it, to answer at once when it has news.
        public var knownHighWatermark: Int64?
    }

    public struct ParkedFetch: Sendable, Hashable {
        public var request: FetchRequest
        public var deadline: Int64
    }

    public struct Leader: Sendable, Hashable {
        public var epoch: Int32
        /// The offset of this epoch's LeaderChange record: the high watermark moves only past it.
        public var epochStartOffset: Int64
        public var progress: [ReplicaID: ReplicaProgress]
        /// Voters that have not yet answered BeginQuorumEpoch or fetched in this epoch.
        public var unacknowledged: Set<ReplicaID>
        public var beginEpochSentAt: Int64
        /// Fetches with nothing to return yet (Kafka's fetch purgatory).
        public var parked: [ReplicaID: ParkedFetch]
        /// Voters heard from since the last check-quorum period began.
        public var fetchedSinceCheck: Set<ReplicaID>
        public var checkQuorumDeadline: Int64
    }

    public struct Follower: Sendable, Hashable {
        public var epoch: Int32
        public var leaderId: ReplicaID
        public var votedId: ReplicaID?
        public var fetchDeadline: Int64
        public var nextFetchAt: Int64
        public var inflight: Int64?
        public var inflightSentAt: Int64
        public var pendingSnapshot: OffsetAndEpoch?
    }

    /// A leader stepping down (graceful shutdown, lost quorum, or restart): answers no fetches, may not vote in its
    /// epoch, asks the voters to elect a successor at once.
    public struct Resigned: Sendable, Hashable {
        public var epoch: Int32
        public var electionDeadline: Int64
        public var preferredSuccessors: [ReplicaID]
        public var unacknowledged: Set<ReplicaID>
        public var endEpochSentAt: Int64?
    }

    public var epoch: Int32 {
        switch self {
        case .unattached(let s): s.epoch
        case .voted(let s): s.epoch
        case .prospective(let s): s.epoch
        case .candidate(let s): s.epoch
        case .leader(let s): s.epoch
        case .follower(let s): s.epoch
        case .resigned(let s): s.epoch
        }
    }

    /// The leader this node knows in its epoch.
    public func leaderId(localId: ReplicaID) -> ReplicaID? {
        switch self {
        case .leader: localId
        case .resigned: nil
        case .follower(let s): s.leaderId
        // A prospective node remembers its last leader only to go back to it; it no longer vouches for it, so it
        // must not name it in answers (a pre-vote answer naming a leader sends the asker back to following).
        case .unattached, .voted, .prospective, .candidate: nil
        }
    }

    public var name: String {
        switch self {
        case .unattached: "Unattached"
        case .voted: "Voted"
        case .prospective: "Prospective"
        case .candidate: "Candidate"
        case .leader: "Leader"
        case .follower: "Follower"
        case .resigned: "Resigned"
        }
    }
}
