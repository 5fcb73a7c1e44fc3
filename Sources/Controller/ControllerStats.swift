import Synchronization

/// Kafka's `ControllerStats` meters that outlive one controller term: the broker keeps one instance for its whole
/// life and hands it to every controller runtime it starts, so `/metrics` shows a per-broker counter that only
/// grows (as Kafka's `UncleanLeaderElectionsPerSec` count does on the brokers that were controller).
public final class ControllerStats: Sendable {
    private let unclean = Atomic<Int>(0)

    public init() {}

    /// Leaders this broker's controller elected from outside the ISR (`unclean.leader.election.enable`).
    public var uncleanLeaderElections: Int { unclean.load(ordering: .relaxed) }

    func recordUncleanLeaderElection() { unclean.add(1, ordering: .relaxed) }
}
