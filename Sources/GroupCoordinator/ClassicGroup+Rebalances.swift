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

/// Who or what started (or restarted) a rebalance.
public struct RebalanceCause: Sendable, Equatable {
    public var trigger: RebalanceTrigger
    public var memberId: String
    public var clientId: String
    public var clientHost: String
    /// The KIP-800 reason the client sent (JoinGroup v8+); librdkafka never sends one, so the trigger is inferred.
    public var clientReason: String?

    public init(
        trigger: RebalanceTrigger, memberId: String, clientId: String, clientHost: String, clientReason: String? = nil
    ) {
        self.trigger = trigger
        self.memberId = memberId
        self.clientId = clientId
        self.clientHost = clientHost
        self.clientReason = clientReason
    }
}

/// One finished rebalance: what caused it, and how long the group spent preparing (the join phase) and completing
/// (waiting for the leader's assignment).
public struct RebalanceEntry: Sendable, Equatable {
    /// The generation the rebalance produced.
    public var generation: Int32
    /// The first cause started it; later ones arrived while it was in progress and restarted or joined it.
    public var causes: [RebalanceCause]
    /// Members dropped at the end of the join phase because they did not rejoin within the rebalance timeout.
    public var removedOnRebalanceTimeout: [String]
    public var startedAt: Int64
    public var joinCompletedAt: Int64?
    public var completedAt: Int64
    /// Members in the new generation.
    public var members: Int
    /// Partitions whose owner changed with this generation (the first `movedListLimit`), filled in by the
    /// coordinator when it writes the entry, from the assignments before and after.
    public var moved: [TopicPartitionKey] = []
    /// How many partitions changed owner (may exceed `moved.count`).
    public var movedCount: Int = 0

    /// Most moved partitions listed by name in one entry (the count stays exact).
    public static let movedListLimit = 64

    public var preparingMs: Int64 { (joinCompletedAt ?? completedAt) - startedAt }
    public var completingMs: Int64 { joinCompletedAt.map { completedAt - $0 } ?? 0 }
}

/// What the coordinator counts about a group's rebalances since it loaded the group: started rebalances per
/// trigger, how long finished ones took from PreparingRebalance until Stable (or Empty), and the last
/// finished rebalances with their causes. The coordinator writes each finished entry to `__consumer_offsets` and
/// restores the history when it loads the group, trimming it to `needletail.rebalance.history.max.entries` and
/// `….retention.ms`; `historyLimit` only caps a group that nobody trims.
public struct RebalanceStats: Sendable, Equatable {
    public static let historyLimit = 10_000
    static let causesLimit = 16

    public private(set) var started: [RebalanceTrigger: Int64] = [:]
    public private(set) var completed: Int64 = 0
    public private(set) var totalDurationMs: Int64 = 0
    /// Oldest first.
    public private(set) var history: [RebalanceEntry] = []
    /// The rebalance in progress (a rebalance restarted before it finished keeps its first start).
    public private(set) var current: RebalanceEntry?

    public var inProgressSince: Int64? { current?.startedAt }

    public init() {}

    mutating func began(_ cause: RebalanceCause, now: Int64) {
        started[cause.trigger, default: 0] += 1
        if current == nil {
            current = RebalanceEntry(
                generation: 0, causes: [], removedOnRebalanceTimeout: [], startedAt: now, joinCompletedAt: nil,
                completedAt: now, members: 0)
        }
        if (current?.causes.count ?? 0) < Self.causesLimit { current?.causes.append(cause) }
    }

    mutating func removedOnRebalanceTimeout(_ memberId: String) {
        current?.removedOnRebalanceTimeout.append(memberId)
    }

    mutating func joinCompleted(now: Int64, generation: Int32) {
        current?.joinCompletedAt = now
        current?.generation = generation
    }

    mutating func settled(now: Int64, members: Int) {
        guard var entry = current else { return }
        entry.completedAt = now
        entry.members = members
        completed += 1
        totalDurationMs += max(0, now - entry.startedAt)
        history.append(entry)
        if history.count > Self.historyLimit { history.removeFirst(history.count - Self.historyLimit) }
        current = nil
    }
}

extension RebalanceStats {
    /// Puts back the history read from the log (oldest first), before any new rebalance.
    mutating func restore(_ entries: [RebalanceEntry]) {
        history = entries.sorted { ($0.completedAt, $0.generation) < ($1.completedAt, $1.generation) }
    }

    /// Keeps the newest `maxEntries` entries completed at or after `notBefore`; returns the generations dropped.
    mutating func trim(maxEntries: Int, notBefore: Int64) -> [Int32] {
        var dropped: [Int32] = []
        var kept: [RebalanceEntry] = []
        for (i, e) in history.enumerated() {
            if e.completedAt < notBefore || i < history.count - max(maxEntries, 0) {
                dropped.append(e.generation)
            } else {
                kept.append(e)
            }
        }
        history = kept
        return dropped
    }

    /// Records which partitions the entry of `generation` moved.
    mutating func setMoved(generation: Int32, _ moved: [TopicPartitionKey], count: Int) {
        guard let i = history.lastIndex(where: { $0.generation == generation }) else { return }
        history[i].moved = moved
        history[i].movedCount = count
    }

    /// A one-line verdict on repeating causes over the finished rebalances since `since` (ms), or nil when no
    /// member caused more than one: the most frequent (member client id, host, trigger), e.g.
    /// "consumer-3 on /10.0.0.7 timed out 4 times in the last hour".
    public func verdict(since: Int64, window: String = "in the last hour") -> String? {
        RebalanceEntry.verdict(history, since: since, window: window)
    }
}

extension RebalanceEntry {
    /// `RebalanceStats.verdict` over any list of entries (e.g. the history a tool read from `__consumer_offsets`).
    public static func verdict(_ history: [RebalanceEntry], since: Int64, window: String = "in the last hour")
        -> String?
    {
        struct Key: Hashable {
            var clientId: String
            var host: String
            var trigger: RebalanceTrigger
        }
        var counts: [Key: Int] = [:]
        for entry in history where entry.startedAt >= since {
            for cause in entry.causes {
                counts[Key(clientId: cause.clientId, host: cause.clientHost, trigger: cause.trigger), default: 0] += 1
            }
        }
        guard
            let (key, n) = counts.max(by: {
                ($0.value, $1.key.clientId, $1.key.trigger) < ($1.value, $0.key.clientId, $0.key.trigger)
            }), n > 1
        else { return nil }
        let what: String
        switch key.trigger {
        case .memberJoined: what = "joined"
        case .memberLeft: what = "left through LeaveGroup"
        case .sessionTimeout: what = "timed out"
        case .metadataChanged: what = "rejoined with changed subscription or metadata"
        case .staticMemberReplaced: what = "was replaced as a static member"
        }
        return "\(key.clientId) on \(key.host) \(what) \(n) times \(window)"
    }
}
