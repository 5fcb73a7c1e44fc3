/// What DescribeQuorum (key 55) reports, as the leader sees it: `kafka-metadata-quorum describe --status` and
/// `--replication` print these fields.
public struct QuorumDescription: Sendable, Hashable {
    public struct Replica: Sendable, Hashable {
        public var replicaId: ReplicaID
        public var logEndOffset: Int64
        public var lastFetchTimestamp: Int64
        public var lastCaughtUpTimestamp: Int64
    }

    public var leaderId: ReplicaID
    public var leaderEpoch: Int32
    public var highWatermark: Int64
    public var currentVoters: [Replica]
    public var observers: [Replica]
}

extension RaftNode {
    /// Only the leader can describe the quorum (others answer NOT_LEADER_OR_FOLLOWER). The leader's own entry uses
    /// its log end offset and `now`, as Kafka's `LeaderState.describeQuorum` does.
    public func describeQuorum(now: Int64) -> QuorumDescription? {
        guard case .leader(let s) = role else { return nil }
        func replica(_ id: ReplicaID) -> QuorumDescription.Replica {
            if id == self.id {
                return .init(
                    replicaId: id, logEndOffset: log.endOffset, lastFetchTimestamp: now, lastCaughtUpTimestamp: now)
            }
            let p = s.progress[id]
            return .init(
                replicaId: id, logEndOffset: p?.endOffset ?? -1, lastFetchTimestamp: p?.lastFetchTimestamp ?? -1,
                lastCaughtUpTimestamp: p?.lastCaughtUpTimestamp ?? -1)
        }
        let observers = s.progress.filter { id, p in
            !voters.contains(id) && (p.lastFetchTimestamp ?? now) + Self.observerSessionTimeoutMs > now
        }.keys.sorted()
        return QuorumDescription(
            leaderId: id, leaderEpoch: epoch, highWatermark: leaderHighWatermark ?? -1,
            currentVoters: voters.map(replica), observers: observers.map(replica))
    }
}
