import Foundation
import KafkaRecords
import TestSupport
import Testing

@testable import LogStorage

private func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }

private func appendVarint(_ v: Int64, to out: inout [UInt8]) {
    var z = zigzag(v)
    while z >= 0x80 {
        out.append(UInt8(z & 0x7F) | 0x80)
        z >>= 7
    }
    out.append(UInt8(z))
}

/// Builds an uncompressed v2 batch with `count` records whose timestamps are `timestamp + i * timestampStep`.
func makeBatch(
    baseOffset: Int64 = 0, count: Int = 1, timestamp: Int64 = 1_000, timestampStep: Int64 = 0, producerId: Int64 = -1,
    producerEpoch: Int16 = -1, baseSequence: Int32 = -1, valueSize: Int = 20, partitionLeaderEpoch: Int32 = -1
) -> [UInt8] {
    var records: [UInt8] = []
    for i in 0..<count {
        var body: [UInt8] = [0]
        appendVarint(Int64(i) * timestampStep, to: &body)
        appendVarint(Int64(i), to: &body)
        appendVarint(-1, to: &body)
        appendVarint(Int64(valueSize), to: &body)
        body += [UInt8](repeating: UInt8(truncatingIfNeeded: i &+ 65), count: valueSize)
        appendVarint(0, to: &body)
        appendVarint(Int64(body.count), to: &records)
        records += body
    }
    let maxTimestamp = timestamp + Int64(count - 1) * timestampStep
    var header = RecordBatchHeader(
        baseOffset: baseOffset, batchLength: Int32(RecordBatchHeader.size - 12 + records.count),
        partitionLeaderEpoch: partitionLeaderEpoch, attributes: 0, lastOffsetDelta: Int32(count - 1),
        baseTimestamp: timestamp, maxTimestamp: maxTimestamp, producerId: producerId, producerEpoch: producerEpoch,
        baseSequence: baseSequence, recordsCount: Int32(count))
    var bytes = [UInt8](repeating: 0, count: RecordBatchHeader.size)
    bytes.withUnsafeMutableBytes { header.write(into: $0) }
    bytes += records
    header.crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[21...])) }
    bytes.withUnsafeMutableBytes { header.write(into: $0) }
    return bytes
}

/// Splits stored bytes into batch headers.
func headers(in bytes: [UInt8]) -> [RecordBatchHeader] {
    var result: [RecordBatchHeader] = []
    var position = 0
    while bytes.count - position >= RecordBatchHeader.size {
        let h = bytes.withUnsafeBytes { RecordBatchHeader(parsing: UnsafeRawBufferPointer(rebasing: $0[position...])) }
        result.append(h)
        position += h.totalSize
    }
    return result
}

func fileSize(_ path: String) -> Int64 {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? -1
}

func readText(_ path: String) -> String? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    return String(decoding: data, as: UTF8.self)
}

func makeManager(_ dir: TempDir, config: LogConfig = LogConfig(), clock: TestClock, brokerId: Int32 = 1) throws
    -> LogManager
{
    try LogManager(
        logDirs: [dir.path], brokerId: brokerId, clusterId: "test-cluster", defaultConfig: config,
        clock: clock.function)
}
