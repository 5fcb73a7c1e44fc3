/// Kafka's partitioning rules, matching the Java client so keyed records land where Java producers put them.
public enum Partitioner {
    /// The Java client's murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`), seed 0x9747b28c, as a signed
    /// 32-bit value.
    public static func murmur2(_ data: some Collection<UInt8>) -> Int32 {
        let bytes = Array(data)
        let length = bytes.count
        let m: UInt32 = 0x5bd1_e995
        let r: UInt32 = 24
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: length)
        let blocks = length / 4
        for i in 0..<blocks {
            let j = i * 4
            var k =
                UInt32(bytes[j]) | UInt32(bytes[j + 1]) << 8 | UInt32(bytes[j + 2]) << 16 | UInt32(bytes[j + 3]) << 24
            k = k &* m
            k ^= k >> r
            k = k &* m
            h = h &* m
            h ^= k
        }
        let tail = length & ~3
        let rest = length % 4
        if rest >= 3 { h ^= UInt32(bytes[tail + 2]) << 16 }
        if rest >= 2 { h ^= UInt32(bytes[tail + 1]) << 8 }
        if rest >= 1 {
            h ^= UInt32(bytes[tail])
            h = h &* m
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return Int32(bitPattern: h)
    }

    /// `Utils.toPositive`: clears the sign bit (not `abs`, which overflows on Int32.min).
    public static func toPositive(_ n: Int32) -> Int32 { n & 0x7fff_ffff }

    /// The partition for a keyed record: `toPositive(murmur2(key)) % partitionCount`.
    public static func partition(forKey key: some Collection<UInt8>, partitionCount: Int32) -> Int32 {
        precondition(partitionCount > 0)
        return toPositive(murmur2(key)) % partitionCount
    }
}

/// Sticky partitioning for records without a key (KIP-480): every such record of a topic goes to one partition
/// until a batch for it is closed, then a different partition is picked at random.
public struct StickyPartitionChooser: Sendable {
    private var current: [String: Int32] = [:]

    public init() {}

    /// The sticky partition of `topic`, choosing one when there is none yet.
    public mutating func partition<G: RandomNumberGenerator>(
        for topic: String, partitionCount: Int32, using rng: inout G
    ) -> Int32 {
        if let p = current[topic], p < partitionCount { return p }
        let p = Int32.random(in: 0..<max(partitionCount, 1), using: &rng)
        current[topic] = p
        return p
    }

    public mutating func partition(for topic: String, partitionCount: Int32) -> Int32 {
        var rng = SystemRandomNumberGenerator()
        return partition(for: topic, partitionCount: partitionCount, using: &rng)
    }

    /// Called when a batch of `partition` closed: moves the topic to another partition (if there is one).
    public mutating func batchClosed<G: RandomNumberGenerator>(
        topic: String, partition: Int32, partitionCount: Int32, using rng: inout G
    ) {
        guard current[topic] == partition else { return }
        guard partitionCount > 1 else { return }
        var next = Int32.random(in: 0..<(partitionCount - 1), using: &rng)
        if next >= partition { next += 1 }
        current[topic] = next
    }

    public mutating func batchClosed(topic: String, partition: Int32, partitionCount: Int32) {
        var rng = SystemRandomNumberGenerator()
        batchClosed(topic: topic, partition: partition, partitionCount: partitionCount, using: &rng)
    }
}
