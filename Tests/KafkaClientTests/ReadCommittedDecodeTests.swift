import KafkaProtocol
import KafkaRecords
import Testing

@testable import KafkaClient

@Suite("read_committed decoding drops aborted transactions as Java's fetcher does")
struct ReadCommittedDecodeTests {
    private func txn(pid: Int64, base: Int64, values: [String]) throws -> [UInt8] {
        var b = RecordBatchBuilder(
            baseOffset: base, producerId: pid, producerEpoch: 0, baseSequence: 0, isTransactional: true)
        for v in values { b.append(timestamp: 1, key: nil, value: Array(v.utf8)) }
        return try b.build()
    }

    private func marker(pid: Int64, base: Int64, commit: Bool) throws -> [UInt8] {
        var bytes = try ControlRecord(type: commit ? .commit : .abort, coordinatorEpoch: 0)
            .batch(producerId: pid, producerEpoch: 0, timestamp: 1)
        // The builder starts at offset 0; place the marker at `base` (the base offset is outside the CRC).
        withUnsafeBytes(of: base.bigEndian) { for i in 0..<8 { bytes[i] = $0[i] } }
        return bytes
    }

    /// pid 7: a0 a1 (0-1) ABORT (2) | pid 8: b0 (3) COMMIT (4) | pid 7: c0 (5) COMMIT (6)
    private func log() throws -> [UInt8] {
        try txn(pid: 7, base: 0, values: ["a0", "a1"]) + marker(pid: 7, base: 2, commit: false)
            + txn(pid: 8, base: 3, values: ["b0"]) + marker(pid: 8, base: 4, commit: true)
            + txn(pid: 7, base: 5, values: ["c0"]) + marker(pid: 7, base: 6, commit: true)
    }

    @Test("an aborted transaction's records are dropped and markers are never records")
    func dropsAborted() throws {
        let (records, next) = try KafkaConsumer.decode(
            try log(), partition: TopicPartition("t", 0), from: 0,
            aborted: [.init(producerId: 7, firstOffset: 0)])
        #expect(records.map { String(decoding: $0.value ?? [], as: UTF8.self) } == ["b0", "c0"])
        #expect(next == 7)
    }

    @Test("read_uncommitted keeps every data record and still skips markers")
    func keepsAll() throws {
        let (records, _) = try KafkaConsumer.decode(try log(), partition: TopicPartition("t", 0), from: 0)
        #expect(records.map { String(decoding: $0.value ?? [], as: UTF8.self) } == ["a0", "a1", "b0", "c0"])
    }
}
