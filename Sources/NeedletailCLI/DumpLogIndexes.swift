import Foundation
import KafkaRecords
import LogStorage

/// kafka-dump-log for the files next to a segment: `.index`, `.timeindex`, `.snapshot` and `.txnindex`, with
/// Kafka's exact lines. Pure functions over bytes: stdout text plus the problems Kafka reports on stderr after
/// all files (`DumpProblems`). The index and snapshot bytes are decoded by LogStorage's formats (the module that
/// writes them); `.txnindex`, which Needletail never writes, is read here.
enum SegmentFileDump {
    /// What kafka-dump-log prints to stderr at the end, grouped as Kafka groups it.
    struct DumpProblems {
        /// Offset-index entries whose offset is not the last offset of the batch they point at, per file.
        var indexMismatches: [(file: String, pairs: [(Int64, Int64)])] = []
        var timestampMismatches: [(file: String, pairs: [(Int64, Int64)])] = []
        var outOfOrderTimestamps: [(file: String, pairs: [(Int64, Int64)])] = []
        var shallowOffsetsNotFound: [(file: String, pairs: [(Int64, Int64)])] = []
        var nonConsecutiveOffsets: [(file: String, pairs: [(Int64, Int64)])] = []

        static func add(_ pair: (Int64, Int64), file: String, to list: inout [(file: String, pairs: [(Int64, Int64)])])
        {
            if let i = list.firstIndex(where: { $0.file == file }) {
                list[i].pairs.append(pair)
            } else {
                list.append((file, [pair]))
            }
        }

        /// Kafka's stderr lines, in its order (index mismatches newest first, as its prepended lists print).
        var lines: [String] {
            var out: [String] = []
            for (file, pairs) in indexMismatches {
                out.append("Mismatches in :\(file)")
                for (i, l) in pairs.reversed() { out.append("  Index offset: \(i), log offset: \(l)") }
            }
            for (file, pairs) in timestampMismatches {
                out.append("Found timestamp mismatch in :\(file)")
                for (i, l) in pairs { out.append("  Index timestamp: \(i), log timestamp: \(l)") }
            }
            for (file, pairs) in outOfOrderTimestamps {
                out.append("Found out of order timestamp in :\(file)")
                for (i, p) in pairs { out.append("  Index timestamp: \(i), Previously indexed timestamp: \(p)") }
            }
            for (_, pairs) in shallowOffsetsNotFound {
                out.append("The following indexed offsets are not found in the log.")
                for (i, l) in pairs { out.append("Indexed offset: \(i), found log offset: \(l)") }
            }
            for (file, pairs) in nonConsecutiveOffsets {
                out.append("Non-consecutive offsets in \(file)")
                for (a, b) in pairs.reversed() { out.append("  \(a) is followed by \(b)") }
            }
            return out
        }
    }

    /// A corrupt index or snapshot: Kafka's tool fails with this message.
    struct Corrupt: Error {
        var message: String
    }

    static func int64(_ b: [UInt8], _ at: Int) -> Int64 {
        var v: Int64 = 0
        for i in 0..<8 { v = v << 8 | Int64(b[at + i]) }
        return v
    }

    static func int32(_ b: [UInt8], _ at: Int) -> Int32 {
        Int32(bitPattern: UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3]))
    }

    static func int16(_ b: [UInt8], _ at: Int) -> Int16 {
        Int16(bitPattern: UInt16(b[at]) << 8 | UInt16(b[at + 1]))
    }

    /// Offset-index entries as (absolute offset, position), in file order (zero tail included, as Kafka reads it).
    static func offsetEntries(_ bytes: [UInt8], baseOffset: Int64) -> [(offset: Int64, position: Int64)] {
        // Kafka's tool reads the relative offset as a signed int.
        OffsetIndexFormat.entries(bytes).map {
            (baseOffset + Int64(Int32(bitPattern: $0.relativeOffset)), Int64($0.position))
        }
    }

    /// The headers of the batches starting at `position` (the whole rest of the log).
    static func batches(in log: [UInt8], from position: Int64) -> [RecordBatchIterator.Entry] {
        guard position >= 0, position < Int64(log.count) else { return [] }
        let slice = Array(log[Int(position)...])
        return slice.withUnsafeBytes { raw in
            var it = RecordBatchIterator(raw)
            var out: [RecordBatchIterator.Entry] = []
            while let e = it.next() { out.append(e) }
            return out
        }
    }

    // MARK: .index

    /// `offset: N position: P` per entry; mismatches with the log go to `problems`.
    static func offsetIndex(
        _ bytes: [UInt8], log: [UInt8], baseOffset: Int64, displayName: String, absolutePath: String,
        sanityOnly: Bool, verifyOnly: Bool, problems: inout DumpProblems
    ) throws(Corrupt) -> String {
        let entries = offsetEntries(bytes, baseOffset: baseOffset)
        if entries.isEmpty { return "\(displayName) is empty.\n" }
        if sanityOnly {
            let last = validPrefix(entries.map(\.offset), baseOffset: baseOffset).last ?? baseOffset
            if last < baseOffset {
                throw Corrupt(
                    message:
                        "Corrupt index found, index file (\(absolutePath)) has non-zero size but the last offset is \(last) which is less than the base offset \(baseOffset)."
                )
            }
            if bytes.count % 8 != 0 {
                throw Corrupt(
                    message:
                        "Index file \(absolutePath) is corrupt, found \(bytes.count) bytes which is neither positive nor a multiple of 8."
                )
            }
            return "\(displayName) passed sanity check.\n"
        }
        var out = ""
        for (i, e) in entries.enumerated() {
            // A preallocated (crashed or active) index ends in zero entries: stop at the first one.
            if e.offset == baseOffset && i > 0 { break }
            let firstBatchLastOffset = batches(in: log, from: e.position).first?.header.lastOffset ?? -1
            if firstBatchLastOffset != e.offset {
                DumpProblems.add((e.offset, firstBatchLastOffset), file: absolutePath, to: &problems.indexMismatches)
            }
            if !verifyOnly { out += "offset: \(e.offset) position: \(e.position)\n" }
        }
        return out
    }

    static func validPrefix(_ offsets: [Int64], baseOffset: Int64) -> [Int64] {
        var out: [Int64] = []
        for (i, o) in offsets.enumerated() {
            if o == baseOffset && i > 0 { break }
            out.append(o)
        }
        return out
    }

    // MARK: .timeindex

    /// `timestamp: T offset: N` per entry, checked against the batches of the log (found via the offset index).
    static func timeIndex(
        _ bytes: [UInt8], offsetIndex: [UInt8], log: [UInt8], baseOffset: Int64, displayName: String,
        absolutePath: String, sanityOnly: Bool, verifyOnly: Bool, problems: inout DumpProblems
    ) throws(Corrupt) -> String {
        let all: [(timestamp: Int64, offset: Int64)] = TimeIndexFormat.entries(bytes).map {
            ($0.timestamp, baseOffset + Int64(Int32(bitPattern: $0.relativeOffset)))
        }
        var valid: [(timestamp: Int64, offset: Int64)] = []
        for (i, e) in all.enumerated() {
            if e.offset == baseOffset && i > 0 { break }
            valid.append(e)
        }
        if sanityOnly {
            if let first = valid.first, let last = valid.last {
                if last.timestamp < first.timestamp {
                    throw Corrupt(
                        message:
                            "Corrupt time index found, time index file (\(absolutePath)) has non-zero size but the last timestamp is \(last.timestamp) which is less than the first timestamp \(first.timestamp)"
                    )
                }
                if last.offset < baseOffset {
                    throw Corrupt(
                        message:
                            "Corrupt time index found, time index file (\(absolutePath)) has non-zero size but the last offset is \(last.offset) which is less than the first offset \(baseOffset)"
                    )
                }
            }
            if bytes.count % 12 != 0 {
                throw Corrupt(
                    message:
                        "Time index file \(absolutePath) is corrupt, found \(bytes.count) bytes which is neither positive nor a multiple of 12."
                )
            }
            return "\(displayName) passed sanity check.\n"
        }
        let index = offsetEntries(offsetIndex, baseOffset: baseOffset)
        let indexOffsets = validPrefix(index.map(\.offset), baseOffset: baseOffset)
        var out = ""
        var previous: Int64 = -1
        for e in valid {
            // The offset index's floor entry for the offset (else the segment start), as Kafka's lookup does.
            var position: Int64 = 0
            for (i, o) in indexOffsets.enumerated() where o <= e.offset { position = index[i].position }
            if let batch = batches(in: log, from: position).first(where: { $0.header.lastOffset >= e.offset }) {
                if batch.header.lastOffset != e.offset {
                    DumpProblems.add(
                        (e.offset, batch.header.lastOffset), file: absolutePath, to: &problems.shallowOffsetsNotFound)
                } else {
                    let maxTimestamp = maxRecordTimestamp(log, batch, position: position)
                    if maxTimestamp != e.timestamp {
                        DumpProblems.add(
                            (e.timestamp, maxTimestamp), file: absolutePath, to: &problems.timestampMismatches)
                    }
                    if previous >= e.timestamp {
                        DumpProblems.add(
                            (e.timestamp, previous), file: absolutePath, to: &problems.outOfOrderTimestamps)
                    }
                }
            } else {
                DumpProblems.add((e.offset, -1), file: absolutePath, to: &problems.shallowOffsetsNotFound)
            }
            if !verifyOnly { out += "timestamp: \(e.timestamp) offset: \(e.offset)\n" }
            previous = e.timestamp
        }
        return out
    }

    /// The largest record timestamp of a batch (records decoded, decompressing when needed).
    static func maxRecordTimestamp(_ log: [UInt8], _ entry: RecordBatchIterator.Entry, position: Int64) -> Int64 {
        let start = Int(position) + entry.range.lowerBound
        let end = Int(position) + entry.range.upperBound
        guard entry.header.magic == 2, end <= log.count,
            let batch = try? RecordBatch(parsing: Array(log[start..<end]))
        else { return entry.header.maxTimestamp }
        return batch.records.map { batch.timestamp(of: $0) }.max() ?? -1
    }

    // MARK: .snapshot

    /// One line per producer, as Kafka's `dumpProducerIdSnapshot` prints them.
    static func producerSnapshot(_ bytes: [UInt8]) throws(Corrupt) -> String {
        let entries: [ProducerSnapshotFormat.Entry]
        do {
            // Kafka's reader ignores bytes after the last entry.
            entries = try ProducerSnapshotFormat.decode(bytes).entries
        } catch {
            switch error {
            case .tooShort:
                throw Corrupt(message: "Snapshot failed schema validation: file too short")
            case .unknownVersion(let version):
                throw Corrupt(message: "Snapshot contained an unknown file version \(version)")
            case .crcMismatch(let stored, let computed):
                throw Corrupt(
                    message:
                        "Snapshot is corrupt (CRC is no longer valid). Stored crc: \(stored). Computed crc: \(computed)"
                )
            case .truncatedEntries:
                throw Corrupt(message: "Snapshot failed schema validation: truncated entries")
            }
        }
        var out = ""
        for e in entries {
            out += "producerId: \(e.producerId) producerEpoch: \(e.producerEpoch) "
            out += "coordinatorEpoch: \(e.coordinatorEpoch) "
            let txnFirst = e.currentTxnFirstOffset
            out += "currentTxnFirstOffset: \(txnFirst >= 0 ? "OptionalLong[\(txnFirst)]" : "OptionalLong.empty") "
            out += "lastTimestamp: \(e.lastTimestamp) "
            if e.lastOffset >= 0 {
                let firstSeq = ProducerSnapshotFormat.firstSequence(
                    lastSequence: e.lastSequence, offsetDelta: e.offsetDelta)
                out += "firstSequence: \(firstSeq) lastSequence: \(e.lastSequence) lastOffset: \(e.lastOffset) "
                out += "offsetDelta: \(e.offsetDelta) timestamp: \(e.lastTimestamp)"
            }
            out += "\n"
        }
        return out
    }

    // MARK: .txnindex

    /// Aborted transactions (version i16, producer id, first, last and last stable offsets: 34 bytes each), read
    /// with the log's own decoder; a torn tail is left out as Kafka's iterator stops at it.
    static func transactionIndex(_ bytes: [UInt8]) -> String {
        let size = TransactionIndexFormat.entrySize
        var out = ""
        for i in 0..<bytes.count / size {
            let o = i * size
            guard let e = try? TransactionIndexFormat.decode(Array(bytes[o..<(o + size)])).first else {
                out += "version: \(int16(bytes, o)) (unknown version)\n"
                continue
            }
            out +=
                "version: \(TransactionIndexFormat.version) producerId: \(e.producerId) firstOffset: \(e.firstOffset) "
            out += "lastOffset: \(e.lastOffset) lastStableOffset: \(e.lastStableOffset)\n"
        }
        return out
    }
}
