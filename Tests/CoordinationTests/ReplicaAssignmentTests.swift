import Testing

@testable import Coordination

/// Always returns 1, which makes `Int.random(in: 0..<n)` draw 0 (Swift's unbiased sampling rejects a raw 0).
struct LowestDraw: RandomNumberGenerator {
    mutating func next() -> UInt64 { 1 }
}

/// Records the draws so a test can compute what the algorithm must have used.
struct RecordingRandom: RandomNumberGenerator {
    var inner = SystemRandomNumberGenerator()
    var count = 0
    mutating func next() -> UInt64 {
        count += 1
        return inner.next()
    }
}

@Suite("replica assignment")
struct ReplicaAssignmentTests {
    @Test("fixed start index 0 reproduces the AdminUtils javadoc table")
    func javadocVector() throws {
        var rng = SystemRandomNumberGenerator()
        let a = try ReplicaAssignment.assign(
            brokers: [0, 1, 2, 3, 4], partitionCount: 10, replicationFactor: 3, fixedStartIndex: 0, using: &rng)
        #expect(
            a == [
                0: [0, 1, 2], 1: [1, 2, 3], 2: [2, 3, 4], 3: [3, 4, 0], 4: [4, 0, 1],
                5: [0, 2, 3], 6: [1, 3, 4], 7: [2, 4, 0], 8: [3, 0, 1], 9: [4, 1, 2],
            ])
    }

    @Test("broker order does not matter: brokers are sorted by id")
    func sortsBrokers() throws {
        var rng = SystemRandomNumberGenerator()
        let a = try ReplicaAssignment.assign(
            brokers: [4, 2, 0, 3, 1], partitionCount: 10, replicationFactor: 3, fixedStartIndex: 0, using: &rng)
        #expect(a[5] == [0, 2, 3])
    }

    @Test("fixed start index 2 with 3 brokers and RF 2")
    func fixedStartTwo() throws {
        var rng = SystemRandomNumberGenerator()
        let a = try ReplicaAssignment.assign(
            brokers: [1, 2, 3], partitionCount: 4, replicationFactor: 2, fixedStartIndex: 2, using: &rng)
        // startIndex = shift = 2: p0 first=(0+2)%3=2 → broker 3, follower offset 1+(2%2)=1 → broker 1;
        // p3: shift becomes 3, first=(3+2)%3=2 → broker 3, offset 1+(3%2)=2 → broker 2.
        #expect(a == [0: [3, 1], 1: [1, 2], 2: [2, 3], 3: [3, 2]])
    }

    @Test("without a fixed start the two draws come from the injected generator")
    func injectedRandom() throws {
        // A generator whose draws are both 0 must reproduce fixedStartIndex 0.
        var zeros = LowestDraw()
        let drawn = try ReplicaAssignment.assign(
            brokers: [0, 1, 2, 3, 4], partitionCount: 10, replicationFactor: 3, using: &zeros)
        var rng = SystemRandomNumberGenerator()
        let fixed = try ReplicaAssignment.assign(
            brokers: [0, 1, 2, 3, 4], partitionCount: 10, replicationFactor: 3, fixedStartIndex: 0, using: &rng)
        #expect(drawn == fixed)
        var recording = RecordingRandom()
        _ = try ReplicaAssignment.assign(
            brokers: [0, 1, 2], partitionCount: 3, replicationFactor: 2, using: &recording)
        #expect(recording.count >= 2)
    }

    @Test("every partition gets distinct replicas and leaders spread evenly")
    func spreadsLeaders() throws {
        let a = try ReplicaAssignment.assign(brokers: [10, 11, 12, 13], partitionCount: 40, replicationFactor: 3)
        #expect(a.count == 40)
        var leaders: [Int32: Int] = [:]
        for (_, replicas) in a {
            #expect(Set(replicas).count == 3)
            leaders[replicas[0], default: 0] += 1
        }
        #expect(leaders.values.allSatisfy { $0 == 10 })
    }

    @Test("replication factor above the live broker count is rejected with Kafka's message")
    func rfTooLarge() {
        #expect(
            throws: ReplicaAssignmentError.invalidReplicationFactor(
                "Replication factor: 3 larger than available brokers: 2.")
        ) {
            try ReplicaAssignment.assign(brokers: [1, 2], partitionCount: 1, replicationFactor: 3)
        }
        #expect(throws: ReplicaAssignmentError.self) {
            try ReplicaAssignment.assign(brokers: [1, 2], partitionCount: 0, replicationFactor: 1)
        }
        #expect(throws: ReplicaAssignmentError.self) {
            try ReplicaAssignment.assign(brokers: [1, 2], partitionCount: 1, replicationFactor: 0)
        }
        #expect(throws: ReplicaAssignmentError.self) {
            try ReplicaAssignment.assign(brokers: [], partitionCount: 1, replicationFactor: 1)
        }
    }

    @Test("added partitions continue from the broker that leads partition 0")
    func additionalPartitions() throws {
        var rng = SystemRandomNumberGenerator()
        let existing = try ReplicaAssignment.assign(
            brokers: [0, 1, 2, 3, 4], partitionCount: 5, replicationFactor: 3, fixedStartIndex: 0, using: &rng)
        let added = try ReplicaAssignment.assignAdditionalPartitions(
            existing: existing, brokers: [0, 1, 2, 3, 4], newPartitionCount: 10)
        #expect(added == [5: [0, 2, 3], 6: [1, 3, 4], 7: [2, 4, 0], 8: [3, 0, 1], 9: [4, 1, 2]])
    }

    @Test("manual assignments are validated")
    func validation() throws {
        try ReplicaAssignment.validate([0: [1, 2], 1: [2, 1]])
        #expect(throws: ReplicaAssignmentError.self) { try ReplicaAssignment.validate([0: [1, 1]]) }
        #expect(throws: ReplicaAssignmentError.self) { try ReplicaAssignment.validate([0: [1], 2: [1]]) }
        #expect(throws: ReplicaAssignmentError.self) { try ReplicaAssignment.validate([0: [1], 1: [1, 2]]) }
        #expect(throws: ReplicaAssignmentError.self) { try ReplicaAssignment.validate([:]) }
    }
}
