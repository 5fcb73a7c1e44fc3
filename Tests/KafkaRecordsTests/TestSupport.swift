@testable import KafkaRecords

/// Bit-at-a-time CRC-32C, independent of the library's table/SSE paths.
func referenceCRC32C(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        crc ^= UInt32(b)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
    }
    return ~crc
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Parses "00 01 ff" style hex.
func hex(_ s: String) -> [UInt8] {
    s.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { UInt8($0, radix: 16)! }
}

/// A few records with keys, null values, headers and spread timestamps.
func sampleRecords(count: Int = 5, base: Int64 = 1_700_000_000_000) -> [(Int64, [UInt8]?, [UInt8]?, [RecordHeader])] {
    (0..<count).map { i in
        let key: [UInt8]? = i % 3 == 2 ? nil : bytes("key-\(i)")
        let value: [UInt8]? = i % 4 == 3 ? nil : Array(repeating: UInt8(i & 0xFF), count: 10 + i * 7)
        let headers =
            i % 2 == 0 ? [RecordHeader(key: "h\(i)", value: bytes("v")), RecordHeader(key: "n", value: nil)] : []
        return (base + Int64(i * 3) - (i == 2 ? 50 : 0), key, value, headers)
    }
}

func makeBatch(
    codec: CompressionCodec = .none, count: Int = 5, producerId: Int64 = -1, baseSequence: Int32 = -1,
    transactional: Bool = false, base: Int64 = 1_700_000_000_000
) throws -> [UInt8] {
    var b = RecordBatchBuilder(
        codec: codec, producerId: producerId, producerEpoch: producerId >= 0 ? 0 : -1, baseSequence: baseSequence,
        isTransactional: transactional)
    for (ts, k, v, h) in sampleRecords(count: count, base: base) {
        b.append(timestamp: ts, key: k, value: v, headers: h)
    }
    return try b.build()
}

/// Rewrites header fields of a built batch and fixes the CRC, to craft invalid-but-checksummed batches.
func patched(_ batch: [UInt8], fixCRC: Bool = true, _ edit: (inout RecordBatchHeader) -> Void) -> [UInt8] {
    var out = batch
    var h = out.withUnsafeBytes { RecordBatchHeader(parsing: $0) }
    edit(&h)
    out.withUnsafeMutableBytes { h.write(into: $0) }
    if fixCRC { RecordBatch.updateCRC(&out) }
    return out
}
