/// A partition's leader and ISR as the controller decides it (the `state` znode's content without its zkVersion).
public struct LeaderAndIsr: Sendable, Equatable {
    /// The leader's broker id, or `LeaderAndIsr.noLeader` (-1).
    public var leader: Int32
    public var leaderEpoch: Int32
    public var isr: [Int32]
    /// True after an unclean election (Kafka's LeaderRecoveryState RECOVERING).
    public var recovering: Bool

    /// No leader (all eligible replicas are offline).
    public static let noLeader: Int32 = -1
    /// The leader sent in UpdateMetadata for partitions of a topic being deleted (Kafka's LeaderDuringDelete).
    public static let leaderDuringDelete: Int32 = -2
    /// The leader epoch sent in StopReplica while a topic is being deleted (Kafka's EpochDuringDelete).
    public static let epochDuringDelete: Int32 = -2
    /// The leader epoch of a brand-new partition.
    public static let initialLeaderEpoch: Int32 = 0

    public init(leader: Int32, leaderEpoch: Int32, isr: [Int32], recovering: Bool = false) {
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.isr = isr
        self.recovering = recovering
    }

    /// The same state with a new leader and ISR and the leader epoch bumped: every controller-made change bumps it
    /// (Kafka's `LeaderAndIsr.newLeaderAndIsr`).
    func next(leader: Int32, isr: [Int32], recovering: Bool = false) -> LeaderAndIsr {
        LeaderAndIsr(leader: leader, leaderEpoch: leaderEpoch + 1, isr: isr, recovering: recovering)
    }
}

/// Kafka's leader election rules (`PartitionLeaderElectionAlgorithms`, `Election.scala`,
/// `ReplicaStateMachine.doRemoveReplicasFromIsr`) as pure functions. `isLive` answers whether a broker may take
/// part in an election: registered and not shutting down.
public enum Election {
    /// A brand-new partition: the first live replica in assignment order leads, the ISR is every live replica
    /// (in assignment order), leader epoch 0. Nil when no replica is live (the partition stays new).
    public static func newPartition(assignment: [Int32], isLive: (Int32) -> Bool) -> LeaderAndIsr? {
        let live = assignment.filter(isLive)
        guard let leader = live.first else { return nil }
        return LeaderAndIsr(leader: leader, leaderEpoch: LeaderAndIsr.initialLeaderEpoch, isr: live)
    }

    /// An offline partition (no live leader): the first replica in assignment order that is live and in the ISR
    /// leads, and the ISR keeps its live members. Without such a replica and with unclean election enabled, the
    /// first live replica leads alone (ISR = [leader]). Nil when nobody can lead.
    ///
    /// An unclean leader is not marked RECOVERING: that state belongs to IBP 3.2+, whose leaders clear it through
    /// AlterPartition; with the 2.8-level wire we speak (LeaderAndIsr v5, ISR writes to the state znode) nobody
    /// would ever clear it.
    public static func offlinePartition(
        assignment: [Int32], current: LeaderAndIsr, uncleanEnabled: Bool, isLive: (Int32) -> Bool
    ) -> LeaderAndIsr? {
        if let leader = assignment.first(where: { isLive($0) && current.isr.contains($0) }) {
            return current.next(leader: leader, isr: current.isr.filter(isLive))
        }
        guard uncleanEnabled, let leader = assignment.first(where: isLive) else { return nil }
        return current.next(leader: leader, isr: [leader])
    }

    /// Preferred-replica election: succeeds only when the first assigned replica is live and in the ISR; the ISR
    /// stays as it is. Nil when the preferred replica cannot lead.
    public static func preferredReplica(assignment: [Int32], current: LeaderAndIsr, isLive: (Int32) -> Bool)
        -> LeaderAndIsr?
    {
        guard let preferred = assignment.first, isLive(preferred), current.isr.contains(preferred) else { return nil }
        return current.next(leader: preferred, isr: current.isr)
    }

    /// Controlled-shutdown election: the first assigned replica that is registered (shutting-down brokers count),
    /// in the ISR and not shutting down leads; the ISR loses the shutting-down brokers. Nil when nobody qualifies.
    public static func controlledShutdown(
        assignment: [Int32], current: LeaderAndIsr, isRegistered: (Int32) -> Bool, shuttingDown: Set<Int32>
    ) -> LeaderAndIsr? {
        guard
            let leader = assignment.first(where: {
                isRegistered($0) && current.isr.contains($0) && !shuttingDown.contains($0)
            })
        else { return nil }
        return current.next(leader: leader, isr: current.isr.filter { !shuttingDown.contains($0) })
    }

    /// Takes an offline (or stopping) replica out of the ISR. The ISR is never shrunk to empty: a one-member ISR
    /// stays as it is. If the replica led, the partition is left without a leader (-1). The leader epoch is bumped.
    /// Nil when the replica is neither leader nor in the ISR (nothing to change).
    public static func removeReplicaFromIsr(_ replica: Int32, current: LeaderAndIsr) -> LeaderAndIsr? {
        guard current.leader == replica || current.isr.contains(replica) else { return nil }
        let leader = current.leader == replica ? LeaderAndIsr.noLeader : current.leader
        let shrunk = current.isr.filter { $0 != replica }
        return current.next(leader: leader, isr: shrunk.isEmpty ? current.isr : shrunk, recovering: current.recovering)
    }
}
