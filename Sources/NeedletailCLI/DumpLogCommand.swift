import ArgumentParser
import Foundation
import KafkaRecords

/// `needletail dump-log`: kafka-dump-log.sh for `.log` segment files (read directly, no broker needed).
struct DumpLogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump-log",
        abstract: "Print the batches (and records) of log segment files (kafka-dump-log.sh).",
        discussion: """
            Example:
              needletail dump-log --files /var/lib/kafka/orders-0/00000000000000000000.log --print-data-log
            """
    )

    @Option(help: "Comma-separated segment files to dump.") var files: String

    @Flag(name: .customLong("deep-iteration"), help: "Print every record, not only batch headers.")
    var deepIteration = false

    @Flag(name: .customLong("print-data-log"), help: "Print record keys and values (implies --deep-iteration).")
    var printDataLog = false

    func run() async throws {
        try await Tool.run {
            for file in files.split(separator: ",").map(String.init) {
                Output.line("Dumping \(file)")
                let name = URL(fileURLWithPath: file).lastPathComponent
                guard name.hasSuffix(".log") else {
                    throw ToolError("Only .log segment files are supported, not \(file)")
                }
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw ToolError("Cannot read \(file)")
                }
                let base = Int64(name.dropLast(4)) ?? 0
                Output.line("Log starting offset: \(base)")
                let bytes = [UInt8](data)
                Output.write(Self.dump(bytes, deep: deepIteration || printDataLog, printData: printDataLog, file: file))
            }
        }
    }

    static func codecName(_ id: Int) -> String {
        CompressionCodec(rawValue: id)?.description ?? "unknown(\(id))"
    }

    static func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

    /// kafka-dump-log's text for a segment's bytes.
    static func dump(_ bytes: [UInt8], deep: Bool, printData: Bool, file: String) -> String {
        var out = ""
        let iterator = bytes.withUnsafeBytes { raw -> ([RecordBatchIterator.Entry], Int, Bool) in
            var it = RecordBatchIterator(raw)
            var entries: [RecordBatchIterator.Entry] = []
            while let e = it.next() { entries.append(e) }
            return (entries, it.trailingBytes, it.error != nil)
        }
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
            out += " isTransactional: \(h.isTransactional) isControl: \(h.isControl) deleteHorizonMs: OptionalLong.empty"
            out += " position: \(position) \(tsType): \(h.maxTimestamp) size: \(h.totalSize) magic: \(h.magic)"
            out += " compresscodec: \(codecName(h.compressionCodec)) crc: \(h.crc) isvalid: \(parsed != nil)\n"
            guard deep, let batch = parsed else { continue }
            for r in batch.records {
                let seq = h.baseSequence < 0 ? -1 : Int64(h.baseSequence) + Int64(r.offsetDelta)
                out += "| offset: \(batch.offset(of: r)) \(tsType): \(batch.timestamp(of: r))"
                out += " keySize: \(r.key?.count ?? -1) valueSize: \(r.value?.count ?? -1)"
                out += " sequence: \(seq) headerKeys: [\(r.headers.map(\.key).joined(separator: ","))]"
                if h.isControl, let key = r.key, key.count >= 4 {
                    let type = Int16(key[2]) << 8 | Int16(key[3])
                    out += type == 0 ? " endTxnMarker: ABORT" : type == 1 ? " endTxnMarker: COMMIT" : ""
                } else if printData {
                    if let k = r.key { out += " key: \(text(k))" }
                    if let v = r.value { out += " payload: \(text(v))" }
                }
                out += "\n"
            }
        }
        if iterator.2 {
            out += "Found an unreadable entry at byte \(iterator.0.last?.range.upperBound ?? 0) of \(file)\n"
        } else if iterator.1 > 0 {
            out += "Found \(iterator.1) invalid bytes at the end of \(URL(fileURLWithPath: file).lastPathComponent)\n"
        }
        return out
    }
}
