import ArgumentParser
import Foundation
import KafkaRecords
import MetadataImage

/// `needletail dump-log`: kafka-dump-log.sh for segment files (`.log`, `.index`, `.timeindex`, `.snapshot`,
/// `.txnindex`), read directly — no broker needed.
struct DumpLogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump-log",
        abstract: "Print the contents of log segment, index and producer snapshot files (kafka-dump-log.sh).",
        discussion: """
            Examples:
              needletail dump-log --files /var/lib/kafka/orders-0/00000000000000000000.log --print-data-log
              needletail dump-log --files /var/lib/kafka/orders-0/00000000000000000000.index,/var/lib/kafka/orders-0/00000000000000000000.timeindex
              needletail dump-log --files /var/lib/kafka/__consumer_offsets-7/00000000000000000000.log --offsets-decoder
            """
    )

    @Option(help: "Comma-separated data and index log files to dump.") var files: String

    @Flag(name: .customLong("deep-iteration"), help: "Print every record, not only batch headers.")
    var deepIteration = false

    @Flag(name: .customLong("print-data-log"), help: "Print record keys and values (implies --deep-iteration).")
    var printDataLog = false

    @Flag(name: .customLong("offsets-decoder"), help: "Decode records as __consumer_offsets keys and values.")
    var offsetsDecoder = false

    @Flag(
        name: .customLong("transaction-log-decoder"), help: "Decode records as __transaction_state keys and values.")
    var transactionLogDecoder = false

    @Flag(
        name: .customLong("cluster-metadata-decoder"),
        help: "Decode records as KRaft cluster metadata records (__cluster_metadata).")
    var clusterMetadataDecoder = false

    @Flag(name: .customLong("skip-record-metadata"), help: "Print record contents without their metadata.")
    var skipRecordMetadata = false

    @Flag(name: .customLong("verify-index-only"), help: "Check index files against the log without printing entries.")
    var verifyIndexOnly = false

    @Flag(name: .customLong("index-sanity-check"), help: "Only run the broker's startup sanity check on index files.")
    var indexSanityCheck = false

    @Option(name: .customLong("max-bytes"), help: "Read at most this many bytes of each .log file.")
    var maxBytes: Int = Int(Int32.max)

    struct Options {
        var deep = false
        var printData = false
        var offsetsDecoder = false
        var transactionLogDecoder = false
        var clusterMetadataDecoder = false
        var skipRecordMetadata = false
        var maxBytes = Int(Int32.max)
    }

    func run() async throws {
        try await Tool.run {
            var problems = SegmentFileDump.DumpProblems()
            let printData = printDataLog || offsetsDecoder || transactionLogDecoder || clusterMetadataDecoder
            let options = Options(
                deep: deepIteration || printData, printData: printData, offsetsDecoder: offsetsDecoder,
                transactionLogDecoder: transactionLogDecoder, clusterMetadataDecoder: clusterMetadataDecoder,
                skipRecordMetadata: skipRecordMetadata,
                maxBytes: maxBytes)
            defer {
                Output.flush()
                for line in problems.lines { Tool.printError(line) }
            }
            for file in files.split(separator: ",").map(String.init) {
                Output.line("Dumping \(file)")
                let url = URL(fileURLWithPath: file)
                let name = url.lastPathComponent
                let stem = name.split(separator: ".", maxSplits: 1).first.map(String.init) ?? name
                let base = Int64(stem) ?? 0
                let directory = url.deletingLastPathComponent().path
                let absolute = url.standardizedFileURL.path
                func read(_ path: String) throws -> [UInt8] {
                    guard let data = FileManager.default.contents(atPath: path) else {
                        throw ToolError("Cannot read \(path)")
                    }
                    return [UInt8](data)
                }
                do {
                    switch url.pathExtension {
                    case "log", "checkpoint":
                        Output.line("Log starting offset: \(base)")
                        var bytes = try read(file)
                        let limited = options.maxBytes < bytes.count
                        if limited { bytes = Array(bytes[..<options.maxBytes]) }
                        Output.write(
                            Self.dump(
                                bytes, options: options, file: file, absolutePath: absolute, reportTrailing: !limited,
                                problems: &problems))
                    case "index":
                        Output.write(
                            try SegmentFileDump.offsetIndex(
                                try read(file), log: try read("\(directory)/\(stem).log"), baseOffset: base,
                                displayName: file, absolutePath: absolute, sanityOnly: indexSanityCheck,
                                verifyOnly: verifyIndexOnly, problems: &problems))
                    case "timeindex":
                        let index = (try? read("\(directory)/\(stem).index")) ?? []
                        Output.write(
                            try SegmentFileDump.timeIndex(
                                try read(file), offsetIndex: index, log: try read("\(directory)/\(stem).log"),
                                baseOffset: base,
                                displayName: file, absolutePath: absolute, sanityOnly: indexSanityCheck,
                                verifyOnly: verifyIndexOnly, problems: &problems))
                    case "snapshot":
                        do {
                            Output.write(try SegmentFileDump.producerSnapshot(try read(file)))
                        } catch let e as SegmentFileDump.Corrupt {
                            // Kafka prints a corrupt snapshot's message and goes on with the next file.
                            Output.flush()
                            Tool.printError(e.message)
                        }
                    case "txnindex":
                        Output.write(SegmentFileDump.transactionIndex(try read(file)))
                    default:
                        Output.flush()
                        Tool.printError("Ignoring unknown file \(file)")
                    }
                } catch let e as SegmentFileDump.Corrupt {
                    throw ToolError(e.message)
                }
            }
        }
    }

    static func codecName(_ id: Int) -> String {
        CompressionCodec(rawValue: id)?.description ?? "unknown(\(id))"
    }

    static func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

    /// kafka-dump-log's text for a segment's bytes. Non-consecutive record offsets (deep iteration) are added to
    /// `problems`, which Kafka prints on stderr at the end.
    static func dump(
        _ bytes: [UInt8], options: Options, file: String, absolutePath: String, reportTrailing: Bool = true,
        problems: inout SegmentFileDump.DumpProblems
    ) -> String {
        var out = ""
        let iterator = bytes.withUnsafeBytes { raw -> ([RecordBatchIterator.Entry], Int, Bool) in
            var it = RecordBatchIterator(raw)
            var entries: [RecordBatchIterator.Entry] = []
            while let e = it.next() { entries.append(e) }
            return (entries, it.trailingBytes, it.error != nil)
        }
        var lastOffset: Int64 = -1
        for entry in iterator.0 {
            let h = entry.header
            let position = entry.range.lowerBound
            guard h.magic == 2 else {
                out += "offset: \(h.baseOffset) position: \(position) magic: \(h.magic) (legacy message set)\n"
                continue
            }
            let slice = Array(bytes[entry.range])
            let parsed = try? RecordBatch(parsing: slice)
            let tsType = h.isLogAppendTime ? "LogAppendTime" : "CreateTime"
            out += "baseOffset: \(h.baseOffset) lastOffset: \(h.lastOffset) count: \(h.recordsCount)"
            out += " baseSequence: \(h.baseSequence) lastSequence: \(h.lastSequence) producerId: \(h.producerId)"
            out += " producerEpoch: \(h.producerEpoch) partitionLeaderEpoch: \(h.partitionLeaderEpoch)"
            out +=
                " isTransactional: \(h.isTransactional) isControl: \(h.isControl) deleteHorizonMs: OptionalLong.empty"
            out += " position: \(position) \(tsType): \(h.maxTimestamp) size: \(h.totalSize) magic: \(h.magic)"
            out += " compresscodec: \(codecName(h.compressionCodec)) crc: \(h.crc) isvalid: \(parsed != nil)\n"
            guard options.deep, let batch = parsed else { continue }
            for r in batch.records {
                let offset = batch.offset(of: r)
                if lastOffset != -1, offset != lastOffset + 1 {
                    SegmentFileDump.DumpProblems.add(
                        (lastOffset, offset), file: absolutePath, to: &problems.nonConsecutiveOffsets)
                }
                lastOffset = offset
                var prefix = "| "
                if !options.skipRecordMetadata {
                    let seq = h.baseSequence < 0 ? -1 : Int64(h.baseSequence) + Int64(r.offsetDelta)
                    out += "\(prefix)offset: \(offset) \(tsType): \(batch.timestamp(of: r))"
                    out += " keySize: \(r.key?.count ?? -1) valueSize: \(r.value?.count ?? -1)"
                    out += " sequence: \(seq) headerKeys: [\(r.headers.map(\.key).joined(separator: ","))]"
                    prefix = " "
                    if h.isControl, let key = r.key, key.count >= 4 {
                        let type = Int16(key[2]) << 8 | Int16(key[3])
                        if type == 0 || type == 1 {
                            let epoch = r.value.flatMap { $0.count >= 6 ? SegmentFileDump.int32($0, 2) : nil } ?? -1
                            out += " endTxnMarker: \(type == 0 ? "ABORT" : "COMMIT") coordinatorEpoch: \(epoch)"
                        } else if let text = MetadataRecordJSON.controlRecordText(key: key, value: r.value ?? []) {
                            out += text
                        } else {
                            out += " controlType: UNKNOWN(\(type))"
                        }
                    }
                }
                if options.printData, !h.isControl {
                    if options.clusterMetadataDecoder {
                        // Metadata records have no key (Kafka's ClusterMetadataLogMessageParser).
                        out += " payload: \(MetadataRecordJSON.payload(value: r.value, offset: offset))"
                    } else if options.offsetsDecoder || options.transactionLogDecoder {
                        let (key, payload) =
                            options.transactionLogDecoder
                            ? TransactionLogDecoder.parse(key: r.key, value: r.value, offset: offset)
                            : OffsetsDecoder.parse(key: r.key, value: r.value, offset: offset)
                        out += "\(prefix)key: \(key)"
                        if let payload { out += " payload: \(payload)" }
                    } else {
                        if let k = r.key {
                            out += "\(prefix)key: \(text(k))"
                            prefix = " "
                        }
                        if let v = r.value { out += " payload: \(text(v))" }
                    }
                }
                out += "\n"
            }
        }
        if iterator.2 {
            out += "Found an unreadable entry at byte \(iterator.0.last?.range.upperBound ?? 0) of \(file)\n"
        } else if iterator.1 > 0, reportTrailing {
            out += "Found \(iterator.1) invalid bytes at the end of \(URL(fileURLWithPath: file).lastPathComponent)\n"
        }
        return out
    }
}
