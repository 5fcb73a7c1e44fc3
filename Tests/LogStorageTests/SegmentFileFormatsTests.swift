import KafkaRecords
import Testing

@testable import LogStorage

/// The public decoders of the files beside a segment, which the loaders and `needletail dump-log` share.
@Suite("Segment file formats")
struct SegmentFileFormatsTests {
    private static func snapshot() -> [UInt8] {
        var state = ProducerStateManager()
        state.apply(
            RecordBatchHeader(
                baseOffset: 10, lastOffsetDelta: 4, maxTimestamp: 1234, producerId: 9, producerEpoch: 2,
                baseSequence: 5, recordsCount: 5))
        return state.snapshotBytes()
    }

    /// A snapshot with its CRC recomputed after `change`.
    private static func resealed(_ bytes: [UInt8], _ change: (inout [UInt8]) -> Void) -> [UInt8] {
        var b = bytes
        change(&b)
        let crc = b.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[6...])) }
        b[2] = UInt8(crc >> 24)
        b[3] = UInt8(crc >> 16 & 0xFF)
        b[4] = UInt8(crc >> 8 & 0xFF)
        b[5] = UInt8(crc & 0xFF)
        return b
    }

    @Test("the snapshot decoder reads every field the producer state writes")
    func snapshotFields() throws {
        let (entries, trailing) = try ProducerSnapshotFormat.decode(Self.snapshot())
        #expect(trailing == 0)
        #expect(
            entries == [
                ProducerSnapshotFormat.Entry(
                    producerId: 9, producerEpoch: 2, lastSequence: 9, lastOffset: 14, offsetDelta: 4,
                    lastTimestamp: 1234, coordinatorEpoch: -1, currentTxnFirstOffset: -1)
            ])
        #expect(ProducerSnapshotFormat.firstSequence(lastSequence: 9, offsetDelta: 4) == 5)
        #expect(ProducerSnapshotFormat.firstSequence(lastSequence: 1, offsetDelta: 3) == Int32.max - 1)
    }

    @Test("bytes after the last entry are reported to the caller; the loader refuses them")
    func trailingBytes() throws {
        let longer = Self.resealed(Self.snapshot()) { $0 += [1, 2, 3] }
        #expect(try ProducerSnapshotFormat.decode(longer).trailingBytes == 3)
        #expect(throws: LogError.corruptLog("producer snapshot length")) {
            try ProducerStateManager.parseSnapshot(longer)
        }
    }

    @Test("a short, unknown-version, corrupt or truncated snapshot throws its own error, in that order")
    func snapshotErrors() throws {
        let good = Self.snapshot()
        #expect(throws: ProducerSnapshotFormat.DecodingError.tooShort) {
            try ProducerSnapshotFormat.decode(Array(good[..<9]))
        }
        #expect(throws: ProducerSnapshotFormat.DecodingError.unknownVersion(2)) {
            try ProducerSnapshotFormat.decode(Self.resealed(good) { $0[1] = 2 })
        }
        var flipped = good
        flipped[30] ^= 1
        #expect(throws: ProducerSnapshotFormat.DecodingError.self) { try ProducerSnapshotFormat.decode(flipped) }
        do {
            _ = try ProducerSnapshotFormat.decode(flipped)
        } catch {
            guard case .crcMismatch(let stored, let computed) = error else {
                Issue.record("expected crcMismatch, got \(error)")
                return
            }
            #expect(stored != computed)
        }
        #expect(throws: ProducerSnapshotFormat.DecodingError.truncatedEntries(count: 2)) {
            try ProducerSnapshotFormat.decode(Self.resealed(good) { $0[9] = 2 })
        }
    }

    @Test("index decoders return every whole entry, the zero tail of a preallocated file included")
    func indexEntries() {
        let offsetIndex: [UInt8] =
            [0, 0, 0, 3, 0, 0, 0x10, 0] + [0, 0, 0, 7, 0, 0, 0x20, 0] + [UInt8](repeating: 0, count: 8) + [9]
        let offsets = OffsetIndexFormat.entries(offsetIndex)
        #expect(offsets.map(\.relativeOffset) == [3, 7, 0])
        #expect(offsets.map(\.position) == [0x1000, 0x2000, 0])

        let timeIndex: [UInt8] =
            [0, 0, 0, 0, 0, 0, 0x01, 0x00, 0, 0, 0, 3] + [UInt8](repeating: 0, count: 12) + [1, 2]
        let times = TimeIndexFormat.entries(timeIndex)
        #expect(times.map(\.timestamp) == [256, 0])
        #expect(times.map(\.relativeOffset) == [3, 0])
    }
}
