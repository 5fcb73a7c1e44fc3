/// The KIP-595 RPCs as the quorum core sees them: one `__cluster_metadata-0` partition, ids and epochs only.
/// The broker maps them to and from the wire messages (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch,
/// FetchSnapshot in `KafkaProtocol`); the simulation passes them as they are.
///
/// Requests carry a `correlationId` the answer echoes, so a node can tell the answer to its current Fetch from a
/// late answer to one it already gave up on — what Kafka's correlation ids do on the wire.
public enum RaftMessage: Sendable, Hashable {
    case voteRequest(VoteRequest)
    case voteResponse(VoteResponse)
    case beginQuorumEpochRequest(BeginQuorumEpochRequest)
    case beginQuorumEpochResponse(EpochResponse)
    case endQuorumEpochRequest(EndQuorumEpochRequest)
    case endQuorumEpochResponse(EpochResponse)
    case fetchRequest(FetchRequest)
    case fetchResponse(FetchResponse)
    case fetchSnapshotRequest(FetchSnapshotRequest)
    case fetchSnapshotResponse(FetchSnapshotResponse)

    /// The epoch the sender was in.
    public var epoch: Int32 {
        switch self {
        case .voteRequest(let m): m.candidateEpoch
        case .voteResponse(let m): m.leaderEpoch
        case .beginQuorumEpochRequest(let m): m.leaderEpoch
        case .beginQuorumEpochResponse(let m): m.leaderEpoch
        case .endQuorumEpochRequest(let m): m.leaderEpoch
        case .endQuorumEpochResponse(let m): m.leaderEpoch
        case .fetchRequest(let m): m.replicaEpoch
        case .fetchResponse(let m): m.leaderEpoch
        case .fetchSnapshotRequest(let m): m.replicaEpoch
        case .fetchSnapshotResponse(let m): m.leaderEpoch
        }
    }
}

/// Vote. With `preVote` (KIP-996) the candidate asks "would you vote for me in `candidateEpoch` + 1?" without
/// bumping anyone's epoch; otherwise `candidateEpoch` is the epoch it already bumped to.
public struct VoteRequest: Sendable, Hashable {
    public var candidateEpoch: Int32
    public var candidateId: ReplicaID
    public var lastOffsetEpoch: Int32
    public var lastOffset: Int64
    public var preVote: Bool

    public init(candidateEpoch: Int32, candidateId: ReplicaID, lastOffsetEpoch: Int32, lastOffset: Int64, preVote: Bool)
    {
        self.candidateEpoch = candidateEpoch
        self.candidateId = candidateId
        self.lastOffsetEpoch = lastOffsetEpoch
        self.lastOffset = lastOffset
        self.preVote = preVote
    }
}

public struct VoteResponse: Sendable, Hashable {
    public var leaderEpoch: Int32
    public var leaderId: ReplicaID?
    public var voteGranted: Bool
    public var preVote: Bool

    public init(leaderEpoch: Int32, leaderId: ReplicaID?, voteGranted: Bool, preVote: Bool) {
        self.leaderEpoch = leaderEpoch
        self.leaderId = leaderId
        self.voteGranted = voteGranted
        self.preVote = preVote
    }
}

public struct BeginQuorumEpochRequest: Sendable, Hashable {
    public var leaderEpoch: Int32
    public var leaderId: ReplicaID

    public init(leaderEpoch: Int32, leaderId: ReplicaID) {
        self.leaderEpoch = leaderEpoch
        self.leaderId = leaderId
    }
}

public struct EndQuorumEpochRequest: Sendable, Hashable {
    public var leaderEpoch: Int32
    public var leaderId: ReplicaID
    /// Voters ordered by how far their logs reached; the first stands at once, the others back off longer.
    public var preferredSuccessors: [ReplicaID]

    public init(leaderEpoch: Int32, leaderId: ReplicaID, preferredSuccessors: [ReplicaID]) {
        self.leaderEpoch = leaderEpoch
        self.leaderId = leaderId
        self.preferredSuccessors = preferredSuccessors
    }
}

/// The answer shape shared by BeginQuorumEpoch and EndQuorumEpoch: the responder's view of the epoch.
public struct EpochResponse: Sendable, Hashable {
    public var leaderEpoch: Int32
    public var leaderId: ReplicaID?
    public var error: RaftError?

    public init(leaderEpoch: Int32, leaderId: ReplicaID?, error: RaftError? = nil) {
        self.leaderEpoch = leaderEpoch
        self.leaderId = leaderId
        self.error = error
    }
}

public struct FetchRequest: Sendable, Hashable {
    public var correlationId: Int64
    public var replicaId: ReplicaID
    /// The epoch the follower is in (Fetch's `CurrentLeaderEpoch`).
    public var replicaEpoch: Int32
    public var fetchOffset: Int64
    public var lastFetchedEpoch: Int32

    public init(
        correlationId: Int64, replicaId: ReplicaID, replicaEpoch: Int32, fetchOffset: Int64, lastFetchedEpoch: Int32
    ) {
        self.correlationId = correlationId
        self.replicaId = replicaId
        self.replicaEpoch = replicaEpoch
        self.fetchOffset = fetchOffset
        self.lastFetchedEpoch = lastFetchedEpoch
    }
}

public struct FetchResponse: Sendable, Hashable {
    public var correlationId: Int64
    public var leaderEpoch: Int32
    public var leaderId: ReplicaID?
    public var error: RaftError?
    public var highWatermark: Int64?
    public var entries: [LogEntry]
    /// Set when the follower's log diverged: truncate to where this epoch ends, then fetch again.
    public var divergingEpoch: OffsetAndEpoch?
    /// Set when the fetch offset is below the leader's log start: fetch this snapshot first.
    public var snapshotId: OffsetAndEpoch?

    public init(
        correlationId: Int64, leaderEpoch: Int32, leaderId: ReplicaID?, error: RaftError? = nil,
        highWatermark: Int64? = nil, entries: [LogEntry] = [], divergingEpoch: OffsetAndEpoch? = nil,
        snapshotId: OffsetAndEpoch? = nil
    ) {
        self.correlationId = correlationId
        self.leaderEpoch = leaderEpoch
        self.leaderId = leaderId
        self.error = error
        self.highWatermark = highWatermark
        self.entries = entries
        self.divergingEpoch = divergingEpoch
        self.snapshotId = snapshotId
    }
}

public struct FetchSnapshotRequest: Sendable, Hashable {
    public var correlationId: Int64
    public var replicaId: ReplicaID
    public var replicaEpoch: Int32
    public var snapshotId: OffsetAndEpoch

    public init(correlationId: Int64, replicaId: ReplicaID, replicaEpoch: Int32, snapshotId: OffsetAndEpoch) {
        self.correlationId = correlationId
        self.replicaId = replicaId
        self.replicaEpoch = replicaEpoch
        self.snapshotId = snapshotId
    }
}

/// The whole snapshot in one answer: the core does not model FetchSnapshot's byte positions (the wire layer
/// chunks by `position` and `size`).
public struct FetchSnapshotResponse: Sendable, Hashable {
    public var correlationId: Int64
    public var leaderEpoch: Int32
    public var leaderId: ReplicaID?
    public var error: RaftError?
    public var snapshot: RaftSnapshot?

    public init(
        correlationId: Int64, leaderEpoch: Int32, leaderId: ReplicaID?, error: RaftError? = nil,
        snapshot: RaftSnapshot? = nil
    ) {
        self.correlationId = correlationId
        self.leaderEpoch = leaderEpoch
        self.leaderId = leaderId
        self.error = error
        self.snapshot = snapshot
    }
}

/// The Kafka errors the quorum RPCs answer with; the broker maps them to error codes at its one boundary.
public enum RaftError: Sendable, Hashable, Error {
    /// FENCED_LEADER_EPOCH (74): the request's epoch is older than the responder's.
    case fencedLeaderEpoch
    /// NOT_LEADER_OR_FOLLOWER (6): a Fetch reached a node that is not the leader of that epoch.
    case notLeaderOrFollower
    /// UNKNOWN_LEADER_EPOCH (75): the request's epoch is newer than the responder knows.
    case unknownLeaderEpoch
    /// SNAPSHOT_NOT_FOUND (98).
    case snapshotNotFound
    /// INCONSISTENT_VOTER_SET (94): the sender is not a voter.
    case inconsistentVoterSet

    /// Kafka's error code.
    public var code: Int16 {
        switch self {
        case .fencedLeaderEpoch: 74
        case .notLeaderOrFollower: 6
        case .unknownLeaderEpoch: 75
        case .snapshotNotFound: 98
        case .inconsistentVoterSet: 94
        }
    }
}
