import Foundation
import KRaft
import KafkaProtocol
import KafkaRecords

/// A metadata snapshot file, `%020d-%010d.checkpoint` in `__cluster_metadata-0` (KIP-630, Kafka's
/// `RecordsSnapshotWriter`): record batches whose offsets start at 0 and whose partition leader epoch is the
/// snapshot's epoch — a control batch with the SnapshotHeader, data batches with the image's records
/// (`ApiMessageAndVersion` values, as in the log), and a control batch with the SnapshotFooter. With a static
/// quorum (`kraft.version` 0) Kafka 3.9 writes no KRaftVersion or Voters records, and neither does this.
///
/// The bytes are what FetchSnapshot ships, so a follower writes the file it received as it is.
enum MetadataSnapshotFile {
    static let snapshotHeaderType: Int16 = 3
    static let snapshotFooterType: Int16 = 4
    static let suffix = ".checkpoint"
    static let partialSuffix = ".checkpoint.part"
    /// Records per data batch; Kafka bounds a batch by `KafkaRaftClient.MAX_BATCH_SIZE_BYTES` (8 MiB), this
    /// stays far below it.
    static let recordsPerBatch = 1_000

    /// The file's bytes for `records` covering the log below `id`.
    static func encode(records: [[UInt8]], id: OffsetAndEpoch, lastContainedLogTimestamp: Int64, now: Int64) throws
        -> [UInt8]
    {
        var out: [UInt8] = []
        var offset: Int64 = 0
        var header = RecordBatchBuilder(baseOffset: offset, partitionLeaderEpoch: id.epoch, isControl: true)
        var w = ProtocolWriter(capacity: 16)
        SnapshotHeaderRecord(lastContainedLogTimestamp: lastContainedLogTimestamp).write(to: &w, version: 0)
        header.append(timestamp: now, key: RaftWire.controlKey(snapshotHeaderType), value: w.bytes)
        out += try header.build()
        offset += 1
        var index = 0
        while index < records.count {
            let chunk = records[index..<min(records.count, index + recordsPerBatch)]
            var b = RecordBatchBuilder(baseOffset: offset, partitionLeaderEpoch: id.epoch)
            for record in chunk { b.append(timestamp: now, key: nil, value: record) }
            out += try b.build()
            offset += Int64(chunk.count)
            index += chunk.count
        }
        var footer = RecordBatchBuilder(baseOffset: offset, partitionLeaderEpoch: id.epoch, isControl: true)
        var fw = ProtocolWriter(capacity: 8)
        SnapshotFooterRecord().write(to: &fw, version: 0)
        footer.append(timestamp: now, key: RaftWire.controlKey(snapshotFooterType), value: fw.bytes)
        out += try footer.build()
        return out
    }

    /// What a snapshot file holds.
    struct Contents: Equatable {
        /// The metadata records, in order.
        var records: [[UInt8]]
        var lastContainedLogTimestamp: Int64
    }

    enum DecodeError: Error, Equatable, CustomStringConvertible {
        case malformed(String)

        var description: String {
            switch self {
            case .malformed(let reason): "malformed snapshot: \(reason)"
            }
        }
    }

    /// Reads a whole snapshot; it must begin with a SnapshotHeader and end with a SnapshotFooter (a file without
    /// its footer was cut short).
    static func decode(_ bytes: [UInt8]) throws(DecodeError) -> Contents {
        var records: [[UInt8]] = []
        var timestamp: Int64?
        var sawFooter = false
        do {
            let (batches, _) = try RecordBatchIterator.batches(in: bytes)
            for entry in batches {
                guard !sawFooter else { throw DecodeError.malformed("records after the SnapshotFooter") }
                let batch = try RecordBatch(parsing: Array(bytes[entry.range]))
                for record in batch.records {
                    if batch.header.isControl {
                        guard let key = record.key, key.count >= 4 else {
                            throw DecodeError.malformed("control record without a key")
                        }
                        let type = Int16(bitPattern: UInt16(key[2]) << 8 | UInt16(key[3]))
                        var r = ProtocolReader(record.value ?? [])
                        switch type {
                        case snapshotHeaderType:
                            guard timestamp == nil, records.isEmpty else {
                                throw DecodeError.malformed("SnapshotHeader not first")
                            }
                            timestamp = try SnapshotHeaderRecord(reading: &r, version: 0).lastContainedLogTimestamp
                        case snapshotFooterType: sawFooter = true
                        default: continue  // KRaftVersion and Voters (dynamic quorums) are not needed here.
                        }
                    } else {
                        guard timestamp != nil else { throw DecodeError.malformed("records before the SnapshotHeader") }
                        records.append(record.value ?? [])
                    }
                }
            }
        } catch let error as DecodeError {
            throw error
        } catch {
            throw .malformed("\(error)")
        }
        guard let timestamp else { throw .malformed("no SnapshotHeader") }
        guard sawFooter else { throw .malformed("no SnapshotFooter") }
        return Contents(records: records, lastContainedLogTimestamp: timestamp)
    }

    /// The SnapshotHeader's `lastContainedLogTimestamp`, read from the first batch alone; nil when the bytes do
    /// not start with one.
    static func headerTimestamp(_ bytes: [UInt8]) -> Int64? {
        guard let first = try? RecordBatchIterator.batches(in: bytes).entries.first,
            let batch = try? RecordBatch(parsing: Array(bytes[first.range])), batch.header.isControl,
            let record = batch.records.first, let key = record.key, key.count >= 4,
            Int16(bitPattern: UInt16(key[2]) << 8 | UInt16(key[3])) == snapshotHeaderType
        else { return nil }
        var r = ProtocolReader(record.value ?? [])
        return try? SnapshotHeaderRecord(reading: &r, version: 0).lastContainedLogTimestamp
    }

    /// The snapshot id a file name stands for (Kafka's `Snapshots.parse`), nil for any other file.
    static func snapshotId(fileName: String) -> OffsetAndEpoch? {
        guard fileName.hasSuffix(suffix), fileName.count == 20 + 1 + 10 + suffix.count else { return nil }
        let stem = fileName.dropLast(suffix.count)
        let parts = stem.split(separator: "-")
        guard parts.count == 2, let offset = Int64(parts[0]), let epoch = Int32(parts[1]), offset >= 0, epoch >= 0
        else { return nil }
        return OffsetAndEpoch(offset: offset, epoch: epoch)
    }

    /// Writes `bytes` as snapshot `id` in `directory`: to `.checkpoint.part`, fsynced, renamed into place, then
    /// the directory fsynced, so a crash leaves either no snapshot or a whole one (Kafka's `FileRawSnapshotWriter`).
    static func write(_ bytes: [UInt8], id: OffsetAndEpoch, directory: String) throws {
        try write(bytes, to: directory + "/" + RaftSnapshot(id: id, data: []).fileName)
    }

    /// Writes `bytes` at `path` through `<path>.part`, fsynced and renamed, then fsyncs the directory.
    static func write(_ bytes: [UInt8], to path: String) throws {
        let part = path + ".part"
        guard FileManager.default.createFile(atPath: part, contents: Data(bytes)) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: part])
        }
        try fsync(path: part)
        if rename(part, path) != 0 { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        try fsync(path: (path as NSString).deletingLastPathComponent)
    }

    private static func fsync(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        if Foundation.fsync(fd) != 0 { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }
}
