import Foundation
import KafkaRecords
import TestSupport
import Testing

@testable import LogStorage

@Suite("Idempotent producer state")
struct ProducerStateTests {
    private func idempotent(_ seq: Int32, count: Int = 2, epoch: Int16 = 0, pid: Int64 = 42) -> [UInt8] {
        makeBatch(count: count, producerId: pid, producerEpoch: epoch, baseSequence: seq)
    }

    @Test("a retried batch returns its original offsets without being written again")
    func duplicate() throws {
        let dir = TempDir()
        let clock = TestClock()
        let log = try makeManager(dir, clock: clock).getOrCreateLog(topic: "t", partition: 0)
        _ = try log.appendAsLeader(idempotent(0), leaderEpoch: 0, now: clock.now)
        let second = try log.appendAsLeader(idempotent(2), leaderEpoch: 0, now: clock.now)
        _ = try log.appendAsLeader(idempotent(4), leaderEpoch: 0, now: clock.now)
        let retry = try log.appendAsLeader(idempotent(2), leaderEpoch: 0, now: clock.now)
        #expect(retry.isDuplicate)
        #expect(retry.baseOffset == second.baseOffset && retry.lastOffset == second.lastOffset)
        #expect(log.logEndOffset == 6)
    }

    @Test("only the last five batches are remembered; an older retry is out of order")
    func windowOfFive() throws {
        let dir = TempDir()
        let clock = TestClock()
        let log = try makeManager(dir, clock: clock).getOrCreateLog(topic: "t", partition: 0)
        for i in Int32(0)..<6 { _ = try log.appendAsLeader(idempotent(i * 2), leaderEpoch: 0, now: clock.now) }
        #expect(try log.appendAsLeader(idempotent(2), leaderEpoch: 0, now: clock.now).isDuplicate)
        #expect(throws: LogError.outOfOrderSequence(producerId: 42, expected: 12, received: 0)) {
            try log.appendAsLeader(idempotent(0), leaderEpoch: 0, now: clock.now)
        }
    }

    @Test("a gap in sequence numbers is out of order")
    func gap() throws {
        let dir = TempDir()
        let clock = TestClock()
        let log = try makeManager(dir, clock: clock).getOrCreateLog(topic: "t", partition: 0)
        _ = try log.appendAsLeader(idempotent(0), leaderEpoch: 0, now: clock.now)
        #expect(throws: LogError.outOfOrderSequence(producerId: 42, expected: 2, received: 3)) {
            try log.appendAsLeader(idempotent(3), leaderEpoch: 0, now: clock.now)
        }
        #expect(log.logEndOffset == 2)
    }

    @Test("an older producer epoch is fenced; a newer one must restart at sequence 0")
    func epochs() throws {
        let dir = TempDir()
        let clock = TestClock()
        let log = try makeManager(dir, clock: clock).getOrCreateLog(topic: "t", partition: 0)
        _ = try log.appendAsLeader(idempotent(0, epoch: 3), leaderEpoch: 0, now: clock.now)
        #expect(throws: LogError.invalidProducerEpoch(producerId: 42, current: 3, received: 2)) {
            try log.appendAsLeader(idempotent(2, epoch: 2), leaderEpoch: 0, now: clock.now)
        }
        #expect(throws: LogError.outOfOrderSequence(producerId: 42, expected: 0, received: 5)) {
            try log.appendAsLeader(idempotent(5, epoch: 4), leaderEpoch: 0, now: clock.now)
        }
        _ = try log.appendAsLeader(idempotent(0, epoch: 4), leaderEpoch: 0, now: clock.now)
        #expect(log.producerStateEntry(producerId: 42)?.producerEpoch == 4)
    }

    @Test("a producer unknown to the partition may start at any sequence (Kafka 3.x)")
    func unknownProducer() throws {
        let dir = TempDir()
        let clock = TestClock()
        let log = try makeManager(dir, clock: clock).getOrCreateLog(topic: "t", partition: 0)
        let r = try log.appendAsLeader(idempotent(17), leaderEpoch: 0, now: clock.now)
        #expect(!r.isDuplicate)
        #expect(log.producerStateEntry(producerId: 42)?.lastSequence == 18)
    }

    @Test("sequences wrap from Int32.max to 0")
    func wrap() throws {
        let dir = TempDir()
        let clock = TestClock()
        let log = try makeManager(dir, clock: clock).getOrCreateLog(topic: "t", partition: 0)
        _ = try log.appendAsLeader(idempotent(Int32.max - 1, count: 2), leaderEpoch: 0, now: clock.now)
        _ = try log.appendAsLeader(idempotent(0), leaderEpoch: 0, now: clock.now)
        #expect(log.logEndOffset == 4)
    }

    @Test("producer state survives a clean restart through the snapshot and a crash through replay")
    func survivesReopen() throws {
        for clean in [true, false] {
            let dir = TempDir()
            let clock = TestClock()
            do {
                let manager = try makeManager(dir, clock: clock)
                let log = try manager.getOrCreateLog(topic: "t", partition: 0)
                _ = try log.appendAsLeader(idempotent(0), leaderEpoch: 0, now: clock.now)
                _ = try log.appendAsLeader(idempotent(2, pid: 7), leaderEpoch: 0, now: clock.now)
                _ = try log.appendAsLeader(idempotent(2), leaderEpoch: 0, now: clock.now)
                if clean {
                    try manager.shutdown()
                    #expect(dir.files("t-0").contains("00000000000000000006.snapshot"))
                }
            }
            let manager = try makeManager(dir, clock: clock)
            let log = try #require(manager.log(topic: "t", partition: 0))
            #expect(log.producerStateEntry(producerId: 42)?.lastSequence == 3)
            // The last batch is still recognised as a duplicate...
            let retry = try log.appendAsLeader(idempotent(2), leaderEpoch: 0, now: clock.now)
            #expect(retry.isDuplicate && retry.baseOffset == 4)
            // ...and the next sequence is enforced.
            #expect(throws: LogError.self) { try log.appendAsLeader(idempotent(9), leaderEpoch: 0, now: clock.now) }
            _ = try log.appendAsLeader(idempotent(4), leaderEpoch: 0, now: clock.now)
        }
    }

    @Test("the snapshot file has Kafka's layout: version 1, CRC-32C, 46-byte entries")
    func snapshotLayout() throws {
        var state = ProducerStateManager()
        state.apply(
            RecordBatchHeader(
                baseOffset: 10, lastOffsetDelta: 4, maxTimestamp: 1234, producerId: 9, producerEpoch: 2,
                baseSequence: 5, recordsCount: 5))
        let bytes = state.snapshotBytes()
        #expect(bytes.count == 10 + 46)
        #expect(Array(bytes[0..<2]) == [0, 1])
        #expect(Array(bytes[6..<10]) == [0, 0, 0, 1])
        let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[6...])) }
        #expect(
            Array(bytes[2..<6]) == [
                UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF),
            ])
        // producerId 9, epoch 2, lastSeq 9, lastOffset 14, offsetDelta 4, timestamp 1234, coordinatorEpoch -1, txn -1
        #expect(Array(bytes[10..<18]) == [0, 0, 0, 0, 0, 0, 0, 9])
        #expect(Array(bytes[18..<20]) == [0, 2])
        #expect(Array(bytes[20..<24]) == [0, 0, 0, 9])
        #expect(Array(bytes[24..<32]) == [0, 0, 0, 0, 0, 0, 0, 14])
        #expect(Array(bytes[32..<36]) == [0, 0, 0, 4])
        let parsed = try ProducerStateManager.parseSnapshot(bytes)
        #expect(
            parsed[9]?.batches == [
                ProducerBatchMetadata(
                    firstSequence: 5, lastSequence: 9, lastOffset: 14, offsetDelta: 4, timestamp: 1234)
            ])
        var corrupt = bytes
        corrupt[30] ^= 1
        #expect(throws: LogError.self) { try ProducerStateManager.parseSnapshot(corrupt) }
    }
}
