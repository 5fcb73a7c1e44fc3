/// Why a group started a rebalance: the `reason` label of `needletail_consumergroup_rebalances_total`. Kafka's
/// `GroupCoordinator.prepareRebalance` logs the reason as free text; a Prometheus label needs a closed set.
public enum RebalanceTrigger: String, Sendable, CaseIterable, Comparable {
    /// A new member joined (Kafka's "Adding new member … with group instance id …").
    case memberJoined = "member_joined"
    /// A member left through LeaveGroup.
    case memberLeft = "member_left"
    /// A member's session expired without a heartbeat.
    case sessionTimeout = "session_timeout"
    /// A known member rejoined with new subscription or metadata ("Updating metadata for member …").
    case metadataChanged = "metadata_changed"
    /// A static member (KIP-345) came back under a new member id and the group had to rebalance.
    case staticMemberReplaced = "static_member_replaced"

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// What the coordinator counts about a group's rebalances since it loaded the group: started rebalances per
/// trigger, and how long finished ones took from PreparingRebalance until Stable (or Empty).
public struct RebalanceStats: Sendable, Equatable {
    public private(set) var started: [RebalanceTrigger: Int64] = [:]
    public private(set) var completed: Int64 = 0
    public private(set) var totalDurationMs: Int64 = 0
    /// When the rebalance in progress began (a rebalance restarted before it finished keeps its first start).
    public private(set) var inProgressSince: Int64?

    public init() {}

    mutating func began(_ trigger: RebalanceTrigger, now: Int64) {
        started[trigger, default: 0] += 1
        if inProgressSince == nil { inProgressSince = now }
    }

    mutating func settled(now: Int64) {
        guard let since = inProgressSince else { return }
        completed += 1
        totalDurationMs += max(0, now - since)
        inProgressSince = nil
    }
}
