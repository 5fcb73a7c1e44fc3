import TestSupport
import Testing

@testable import KafkaClient

@Suite("Partitioner")
struct PartitionerTests {
    // The vectors of Kafka's own UtilsTest.testMurmur2.
    @Test(
        "murmur2 matches the Java client's test vectors",
        arguments: [
            ("21", Int32(-973_932_308)),
            ("foobar", -790_332_482),
            ("a-little-bit-long-string", -985_981_536),
            ("a-little-bit-longer-string", -1_486_304_829),
            ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
            ("abc", 479_470_107),
        ])
    func murmur2Vectors(input: String, expected: Int32) {
        #expect(Partitioner.murmur2(Array(input.utf8)) == expected)
    }

    @Test("murmur2 of the empty key is the seed-derived constant")
    func murmur2Empty() {
        #expect(Partitioner.murmur2([UInt8]()) == 275_646_681)
    }

    @Test("toPositive clears the sign bit, also for Int32.min")
    func toPositive() {
        #expect(Partitioner.toPositive(-1) == Int32.max)
        #expect(Partitioner.toPositive(Int32.min) == 0)
        #expect(Partitioner.toPositive(42) == 42)
    }

    @Test("keyed records go to positive(murmur2(key)) % partitions, as in the Java client")
    func keyedPartition() {
        #expect(Partitioner.partition(forKey: Array("k1".utf8), partitionCount: 3) == 2)
        #expect(Partitioner.partition(forKey: Array("k2".utf8), partitionCount: 3) == 0)
        #expect(Partitioner.partition(forKey: Array("foobar".utf8), partitionCount: 1) == 0)
        let p = Partitioner.partition(forKey: Array("21".utf8), partitionCount: 7)
        #expect(p == Int32((-973_932_308 & 0x7fff_ffff) % 7))
    }

    @Test("null-key records stick to one partition until its batch closes, then move to another")
    func sticky() {
        var rng = SplitMix64(state: 7)
        var chooser = StickyPartitionChooser()
        let first = chooser.partition(for: "t", partitionCount: 4, using: &rng)
        for _ in 0..<10 { #expect(chooser.partition(for: "t", partitionCount: 4, using: &rng) == first) }
        chooser.batchClosed(topic: "t", partition: first, partitionCount: 4, using: &rng)
        let second = chooser.partition(for: "t", partitionCount: 4, using: &rng)
        #expect(second != first)
        #expect((0..<4).contains(second))
        // A batch closing on another partition does not move the sticky one.
        chooser.batchClosed(topic: "t", partition: (second + 1) % 4, partitionCount: 4, using: &rng)
        #expect(chooser.partition(for: "t", partitionCount: 4, using: &rng) == second)
    }

    @Test("a single-partition topic always gets partition 0")
    func stickySingle() {
        var chooser = StickyPartitionChooser()
        #expect(chooser.partition(for: "t", partitionCount: 1) == 0)
        chooser.batchClosed(topic: "t", partition: 0, partitionCount: 1)
        #expect(chooser.partition(for: "t", partitionCount: 1) == 0)
    }
}
