/// One member's input to an assignor: its subscription plus what it owns now (consumer protocol v1+
/// `ownedPartitions`) and the generation in which it got them (v2+ `generationId`, -1 unknown).
public struct MemberSubscription: Sendable, Equatable {
    public var topics: [String]
    public var ownedPartitions: [TopicPartition]
    public var generation: Int32

    public init(topics: [String], ownedPartitions: [TopicPartition] = [], generation: Int32 = -1) {
        self.topics = topics
        self.ownedPartitions = ownedPartitions
        self.generation = generation
    }
}

extension PartitionAssignor {
    public var isCooperative: Bool { false }

    /// Assignors that do not look at current ownership use the subscriptions only.
    public func assign(members: [String: MemberSubscription], partitionCounts: [String: Int32]) -> [String:
        [TopicPartition]]
    {
        assign(subscriptions: members.mapValues(\.topics), partitionCounts: partitionCounts)
    }
}

/// The balanced, sticky assignment behind Kafka's `sticky` and `cooperative-sticky` assignors: members keep the
/// partitions they own (when still subscribed; a partition claimed by two members goes to the higher generation),
/// new and orphaned partitions go to the least-loaded eligible member, then single partitions move from the most
/// to the least loaded member until no eligible pair differs by more than one. Pure and deterministic.
public enum StickyAssignment {
    public static func compute(
        members: [String: MemberSubscription], partitionCounts: [String: Int32]
    ) -> [String: [TopicPartition]] {
        var out: [String: [TopicPartition]] = Dictionary(uniqueKeysWithValues: members.keys.map { ($0, []) })
        let subscribed = members.mapValues { Set($0.topics) }
        let topics = Set(members.values.flatMap(\.topics)).sorted()
        var all: [TopicPartition] = []
        for t in topics {
            guard let n = partitionCounts[t], n > 0 else { continue }
            all += (0..<n).map { TopicPartition(t, $0) }
        }
        let exists = Set(all)
        var assigned = Set<TopicPartition>()

        // 1. Stickiness: owners keep their partitions, higher generations first.
        let byGeneration = members.keys.sorted {
            let (a, b) = (members[$0]!.generation, members[$1]!.generation)
            return a != b ? a > b : $0 < $1
        }
        for m in byGeneration {
            for tp in members[m]!.ownedPartitions.sorted()
            where exists.contains(tp) && subscribed[m]!.contains(tp.topic) && !assigned.contains(tp) {
                out[m, default: []].append(tp)
                assigned.insert(tp)
            }
        }

        // Owners above the balanced quota give back their extras (when everyone subscribes to the same topics,
        // the quota is exact: ceil(P / M) for the first P % M members by load, floor for the rest).
        let sameSubscription = Set(subscribed.values).count == 1
        if sameSubscription, !members.isEmpty {
            let quotaMax = (all.count + members.count - 1) / members.count
            let quotaMin = all.count / members.count
            var allowedAtMax = all.count % members.count == 0 ? members.count : all.count % members.count
            for m in out.keys.sorted(by: { (out[$0]!.count, $0) > (out[$1]!.count, $1) }) {
                let limit = allowedAtMax > 0 ? quotaMax : quotaMin
                if out[m]!.count >= quotaMax, allowedAtMax > 0 { allowedAtMax -= 1 }
                if out[m]!.count > limit {
                    for tp in out[m]![limit...] { assigned.remove(tp) }
                    out[m] = Array(out[m]![..<limit])
                }
            }
        }

        // 2. Unowned partitions to the eligible member with the fewest.
        for tp in all where !assigned.contains(tp) {
            let eligible = members.keys.filter { subscribed[$0]!.contains(tp.topic) }
            guard let m = eligible.min(by: { (out[$0]!.count, $0) < (out[$1]!.count, $1) }) else { continue }
            out[m]!.append(tp)
            assigned.insert(tp)
        }

        // 3. Balance: move one partition at a time while an eligible receiver has two fewer than a donor.
        var moves = 0
        while moves < all.count * 2 {
            var moved = false
            let donors = out.keys.sorted { (out[$0]!.count, $1) > (out[$1]!.count, $0) }
            search: for donor in donors {
                let receivers = out.keys.sorted { (out[$0]!.count, $0) < (out[$1]!.count, $1) }
                for receiver in receivers where out[donor]!.count - out[receiver]!.count > 1 {
                    if let tp = out[donor]!.last(where: { subscribed[receiver]!.contains($0.topic) }) {
                        out[donor]!.removeAll { $0 == tp }
                        out[receiver]!.append(tp)
                        moved = true
                        break search
                    }
                }
            }
            if !moved { break }
            moves += 1
        }
        return out.mapValues { $0.sorted() }
    }
}

/// Kafka's `sticky` assignor (eager): balanced like round robin, but members keep what they own.
public struct StickyAssignor: PartitionAssignor {
    public var name: String { "sticky" }
    public init() {}

    public func assign(subscriptions: [String: [String]], partitionCounts: [String: Int32]) -> [String:
        [TopicPartition]]
    {
        StickyAssignment.compute(
            members: subscriptions.mapValues { MemberSubscription(topics: $0) }, partitionCounts: partitionCounts)
    }

    public func assign(members: [String: MemberSubscription], partitionCounts: [String: Int32]) -> [String:
        [TopicPartition]]
    {
        StickyAssignment.compute(members: members, partitionCounts: partitionCounts)
    }
}

/// Kafka's `cooperative-sticky` assignor (KIP-429): the sticky assignment, run under the incremental cooperative
/// protocol — members keep consuming what they keep, and a partition that moves is first revoked by its owner
/// (withheld from the new owner for one rebalance) and handed over in the follow-up rebalance.
public struct CooperativeStickyAssignor: PartitionAssignor {
    public var name: String { "cooperative-sticky" }
    public var isCooperative: Bool { true }
    public init() {}

    public func assign(subscriptions: [String: [String]], partitionCounts: [String: Int32]) -> [String:
        [TopicPartition]]
    {
        StickyAssignment.compute(
            members: subscriptions.mapValues { MemberSubscription(topics: $0) }, partitionCounts: partitionCounts)
    }

    public func assign(members: [String: MemberSubscription], partitionCounts: [String: Int32]) -> [String:
        [TopicPartition]]
    {
        StickyAssignment.compute(members: members, partitionCounts: partitionCounts)
    }
}

/// The incremental cooperative rebalance rules, as values.
public enum CooperativeRebalance {
    /// The leader's adjustment: a partition assigned to one member but still owned by another is left out of
    /// this round (the owner sees it revoked, rejoins, and the next round gives it to the new owner).
    public static func withholdingTransfers(
        _ assignment: [String: [TopicPartition]], owned: [String: [TopicPartition]]
    ) -> [String: [TopicPartition]] {
        var owner: [TopicPartition: String] = [:]
        for (m, tps) in owned { for tp in tps { owner[tp] = m } }
        return assignment.mapValues { _ in [] }.merging(
            assignment.map { m, tps in (m, tps.filter { owner[$0] == nil || owner[$0] == m }) },
            uniquingKeysWith: { $1 })
    }

    /// A member's reaction to its new assignment: partitions to stop consuming, partitions to start, and
    /// whether it must rejoin at once (it gave something up, so someone is waiting for it).
    public static func reconcile(owned: Set<TopicPartition>, assigned: Set<TopicPartition>)
        -> (revoked: Set<TopicPartition>, added: Set<TopicPartition>, rejoin: Bool)
    {
        let revoked = owned.subtracting(assigned)
        return (revoked, assigned.subtracting(owned), !revoked.isEmpty)
    }
}
