/// What the driver of a ``RaftNode`` must do after an event, in order. `persist` comes before the `send`s it
/// guards (a vote is durable before it is granted), so a driver that performs effects in order is correct.
public enum RaftEffect: Sendable, Hashable {
    case send(to: ReplicaID, RaftMessage)
    /// Write the `quorum-state` file (``QuorumStateFile``) and sync it before going on.
    case persist(ElectionState)
    /// The high watermark advanced: entries below it are committed and may be applied.
    case highWatermark(Int64)
    /// The log lost its suffix from this offset (a follower truncated a diverging tail).
    case truncated(to: Int64)
    /// A snapshot fetched from the leader replaced the start of the log; reload the state from it.
    case snapshotInstalled(OffsetAndEpoch)
    /// The node learned a new epoch or leader (nil while an election runs).
    case leaderChanged(epoch: Int32, leaderId: ReplicaID?)
}
