import CChecksum
import Testing

@testable import KafkaRecords

@Suite("CRC-32C")
struct CRC32CTests {
    @Test("matches the standard check value for \"123456789\"")
    func checkValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test("hardware and portable paths agree on every length up to 300 bytes")
    func pathsAgree() {
        var bytes = [UInt8]()
        for i in 0..<300 {
            let a = bytes.withUnsafeBytes { nt_crc32c(0, $0.baseAddress, $0.count) }
            let b = bytes.withUnsafeBytes { nt_crc32c_portable(0, $0.baseAddress, $0.count) }
            #expect(a == b)
            bytes.append(UInt8(truncatingIfNeeded: i &* 31 &+ 7))
        }
    }

    @Test("a batch header round-trips through its 61-byte layout")
    func headerRoundTrip() {
        let h = RecordBatchHeader(
            baseOffset: 42, batchLength: 100, partitionLeaderEpoch: 3, crc: 0xDEAD_BEEF, attributes: 0x14,
            lastOffsetDelta: 9, baseTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_000_009, producerId: 7,
            producerEpoch: 1, baseSequence: Int32.max - 3, recordsCount: 10)
        var bytes = [UInt8](repeating: 0, count: 61)
        bytes.withUnsafeMutableBytes { h.write(into: $0) }
        let back = bytes.withUnsafeBytes { RecordBatchHeader(parsing: $0) }
        #expect(back == h)
        #expect(back.lastOffset == 51)
        #expect(back.lastSequence == 5)
        #expect(back.isTransactional && !back.isControl)
    }
}
