/// A controller's `node.id` as a Raft replica (Kafka's `ReplicaKey` without the directory id).
public struct ReplicaID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByIntegerLiteral
{
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }
    public init(_ rawValue: Int32) { self.rawValue = rawValue }
    public init(integerLiteral value: Int32) { self.rawValue = value }

    /// The wire's "no replica / unknown leader" (-1).
    public static let none = ReplicaID(-1)

    public static func < (lhs: ReplicaID, rhs: ReplicaID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}

/// A position in the replicated log named by its offset and the epoch of the entry before it, Kafka's
/// `OffsetAndEpoch`. Snapshot ids and diverging-epoch answers are both of this shape; comparison is by epoch
/// first, which is Raft's "more up to date" order for (last epoch, end offset) pairs.
public struct OffsetAndEpoch: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var offset: Int64
    public var epoch: Int32

    public init(offset: Int64, epoch: Int32) {
        self.offset = offset
        self.epoch = epoch
    }

    public static let zero = OffsetAndEpoch(offset: 0, epoch: 0)

    public static func < (lhs: OffsetAndEpoch, rhs: OffsetAndEpoch) -> Bool {
        lhs.epoch != rhs.epoch ? lhs.epoch < rhs.epoch : lhs.offset < rhs.offset
    }

    public var description: String { "(offset \(offset), epoch \(epoch))" }
}

/// The deterministic generator behind the election jitter. The state machine owns one so that, given its seed,
/// every run of a node makes the same choices — which is what makes the simulation replayable.
public struct JitterGenerator: RandomNumberGenerator, Sendable, Hashable {
    public var state: UInt64

    public init(seed: UInt64) { self.state = seed }

    /// SplitMix64.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
