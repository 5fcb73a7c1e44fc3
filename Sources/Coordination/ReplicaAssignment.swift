/// Why a replica assignment cannot be made or is invalid (Kafka's InvalidPartitions / InvalidReplicationFactor /
/// InvalidReplicaAssignment); `message` is Kafka's wording where Kafka has one.
public enum ReplicaAssignmentError: Error, Sendable, Equatable {
    case invalidPartitions(String)
    case invalidReplicationFactor(String)
    case invalidReplicaAssignment(String)
}

/// Kafka's rack-unaware replica placement (`AdminUtils.assignReplicasToBrokers`).
///
/// The first replica of partition p goes to broker `(p + startIndex) % n`; followers are shifted by
/// `1 + (shift + j) % (n - 1)`, and the shift grows by one every n partitions, so leaders and followers both spread
/// evenly. Brokers are sorted by id first, which makes the result depend only on the two random draws.
public enum ReplicaAssignment {
    /// Assigns `partitionCount` partitions starting at `startPartitionId`.
    ///
    /// - Parameters:
    ///   - brokers: live broker ids (any order; duplicates are ignored).
    ///   - fixedStartIndex: when ≥ 0, used as both the start index and the initial shift (Kafka's
    ///     `fixedStartIndex`); otherwise both are drawn independently from `rng` in `0..<brokers.count`.
    public static func assign<R: RandomNumberGenerator>(
        brokers: [Int32], partitionCount: Int32, replicationFactor: Int32, fixedStartIndex: Int = -1,
        startPartitionId: Int32 = 0, using rng: inout R
    ) throws(ReplicaAssignmentError) -> [Int32: [Int32]] {
        let sorted = Array(Set(brokers)).sorted()
        guard partitionCount > 0 else { throw .invalidPartitions("Number of partitions must be larger than 0.") }
        guard replicationFactor > 0 else {
            throw .invalidReplicationFactor("Replication factor must be larger than 0.")
        }
        guard Int(replicationFactor) <= sorted.count else {
            throw .invalidReplicationFactor(
                "Replication factor: \(replicationFactor) larger than available brokers: \(sorted.count).")
        }
        let n = sorted.count
        let startIndex = fixedStartIndex >= 0 ? fixedStartIndex % n : Int.random(in: 0..<n, using: &rng)
        var shift = fixedStartIndex >= 0 ? fixedStartIndex % n : Int.random(in: 0..<n, using: &rng)
        var p = Int(max(0, startPartitionId))
        var result: [Int32: [Int32]] = [:]
        result.reserveCapacity(Int(partitionCount))
        for _ in 0..<Int(partitionCount) {
            if p > 0 && p % n == 0 { shift += 1 }
            let first = (p + startIndex) % n
            var replicas = [sorted[first]]
            replicas.reserveCapacity(Int(replicationFactor))
            for j in 0..<Int(replicationFactor) - 1 {
                let offset = 1 + (shift + j) % (n - 1)
                replicas.append(sorted[(first + offset) % n])
            }
            result[Int32(p)] = replicas
            p += 1
        }
        return result
    }

    /// Assignment with the system random source.
    public static func assign(
        brokers: [Int32], partitionCount: Int32, replicationFactor: Int32
    ) throws(ReplicaAssignmentError) -> [Int32: [Int32]] {
        var rng = SystemRandomNumberGenerator()
        return try assign(
            brokers: brokers, partitionCount: partitionCount, replicationFactor: replicationFactor, using: &rng)
    }

    /// Placement for partitions added to an existing topic (`AdminZkClient.createNewPartitionsAssignment`):
    /// the start index is that of the first broker whose id ≥ partition 0's first replica, and numbering continues
    /// after the existing partitions. Returns only the new partitions.
    public static func assignAdditionalPartitions(
        existing: [Int32: [Int32]], brokers: [Int32], newPartitionCount: Int32
    ) throws(ReplicaAssignmentError) -> [Int32: [Int32]] {
        guard let firstReplicas = existing[0], let firstLeader = firstReplicas.first else {
            throw .invalidReplicaAssignment("The topic has no partition 0.")
        }
        let current = Int32(existing.count)
        guard newPartitionCount > current else {
            throw .invalidPartitions(
                "Topic currently has \(current) partitions, \(newPartitionCount) would not be an increase.")
        }
        let sorted = Array(Set(brokers)).sorted()
        let start = sorted.firstIndex(where: { $0 >= firstLeader }) ?? 0
        var rng = SystemRandomNumberGenerator()  // unused: the start index is fixed
        return try assign(
            brokers: sorted, partitionCount: newPartitionCount - current,
            replicationFactor: Int32(firstReplicas.count), fixedStartIndex: start, startPartitionId: current,
            using: &rng)
    }

    /// Checks a user-supplied assignment like `AdminZkClient.validateTopicCreate`: partitions numbered 0..n-1,
    /// every partition with the same non-zero replica count, no broker twice in one partition.
    public static func validate(_ assignment: [Int32: [Int32]]) throws(ReplicaAssignmentError) {
        guard !assignment.isEmpty else { throw .invalidPartitions("Number of partitions must be larger than 0.") }
        let ids = assignment.keys.sorted()
        guard ids == Array(0..<Int32(ids.count)) else {
            throw .invalidReplicaAssignment(
                "Unexpected existing replica assignment: partitions must be numbered 0 to \(ids.count - 1).")
        }
        let rf = assignment[0]?.count ?? 0
        for p in ids {
            let replicas = assignment[p] ?? []
            guard !replicas.isEmpty else { throw .invalidReplicaAssignment("Partition \(p) has no replicas.") }
            guard replicas.count == rf else {
                throw .invalidReplicaAssignment("All partitions should have the same number of replicas.")
            }
            guard Set(replicas).count == replicas.count else {
                throw .invalidReplicaAssignment("Duplicate replica assignment found: \(replicas)")
            }
        }
    }
}
