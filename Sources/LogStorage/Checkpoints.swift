/// A topic-partition as the checkpoint files name it.
public struct TopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    /// `<topic>-<partition>`, the partition directory name.
    public var directoryName: String { "\(topic)-\(partition)" }
    public var description: String { directoryName }

    /// Parses a partition directory name, splitting at the last `-`.
    public init?(directoryName name: String) {
        guard let dash = name.lastIndex(of: "-"), dash != name.startIndex else { return nil }
        let topic = String(name[..<dash])
        guard let partition = Int32(name[name.index(after: dash)...]), partition >= 0 else { return nil }
        self.topic = topic
        self.partition = partition
    }

    public static func < (a: TopicPartition, b: TopicPartition) -> Bool {
        (a.topic, a.partition) < (b.topic, b.partition)
    }
}

/// Kafka's checkpoint text format: `0\n<count>\n` then one entry per line, written write-temp, fsync, rename.
public enum CheckpointFile {
    /// Encodes `topic partition offset` entries in the given order.
    public static func encode(_ entries: [(TopicPartition, Int64)]) -> [UInt8] {
        var text = "0\n\(entries.count)\n"
        for (tp, offset) in entries { text += "\(tp.topic) \(tp.partition) \(offset)\n" }
        return Array(text.utf8)
    }

    /// Decodes an offset checkpoint; throws `corruptLog` on any malformed line.
    public static func decode(_ bytes: [UInt8], path: String = "checkpoint") throws(LogError) -> [TopicPartition: Int64]
    {
        var result: [TopicPartition: Int64] = [:]
        for fields in try lines(bytes, path: path, fieldsPerEntry: 3) {
            guard let partition = Int32(fields[1]), let offset = Int64(fields[2]) else {
                throw .corruptLog("\(path): bad entry \(fields)")
            }
            result[TopicPartition(topic: String(fields[0]), partition: partition)] = offset
        }
        return result
    }

    public static func write(_ path: String, _ entries: [(TopicPartition, Int64)]) throws(LogError) {
        try FS.writeAtomically(path, encode(entries))
    }

    /// Reads the file, or returns an empty map when it does not exist.
    public static func read(_ path: String) throws(LogError) -> [TopicPartition: Int64] {
        guard let bytes = try FS.readFile(path) else { return [:] }
        return try decode(bytes, path: path)
    }

    /// Splits a checkpoint into entry lines of `fieldsPerEntry` whitespace-separated fields after checking the
    /// version and count lines.
    static func lines(_ bytes: [UInt8], path: String, fieldsPerEntry: Int) throws(LogError) -> [[Substring]] {
        let text = String(decoding: bytes, as: UTF8.self)
        var all = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingWhitespace() }
        if all.last == "" { all.removeLast() }
        guard all.count >= 2, let version = Int(all[0]), let count = Int(all[1]) else {
            throw .corruptLog("\(path): missing version or count line")
        }
        guard version == 0 else { throw .corruptLog("\(path): unsupported version \(version)") }
        guard count >= 0, all.count == count + 2 else {
            throw .corruptLog("\(path): expected \(count) entries, found \(all.count - 2)")
        }
        var result: [[Substring]] = []
        result.reserveCapacity(count)
        for line in all.dropFirst(2) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count == fieldsPerEntry else { throw .corruptLog("\(path): bad entry '\(line)'") }
            result.append(fields)
        }
        return result
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
        return s
    }
}

/// The broker identity file of a log directory (`meta.properties`, ZooKeeper-mode version 0).
public struct BrokerMetadata: Sendable, Equatable {
    public var brokerId: Int32
    public var clusterId: String?

    public init(brokerId: Int32, clusterId: String?) {
        self.brokerId = brokerId
        self.clusterId = clusterId
    }

    /// Java-properties text: a comment line, a date comment line, then `version`, `broker.id`, `cluster.id`.
    public func encode(dateComment: String) -> [UInt8] {
        var text = "#\n#\(dateComment)\n"
        if let clusterId { text += "cluster.id=\(clusterId)\n" }
        text += "version=0\nbroker.id=\(brokerId)\n"
        return Array(text.utf8)
    }

    /// Parses the properties; `nil` fields stay absent. Throws when `broker.id` is missing or not a number.
    public static func decode(_ bytes: [UInt8], path: String) throws(LogError) -> BrokerMetadata {
        var properties: [String: String] = [:]
        let text = String(decoding: bytes, as: UTF8.self)
        for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = raw.trimmingWhitespace()
            guard let first = line.first, first != "#", first != "!" else { continue }
            guard let sep = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else { continue }
            let key = line[..<sep].trimmingWhitespace()
            let value = line[line.index(after: sep)...].trimmingWhitespace()
            properties[String(key)] = String(value)
        }
        if properties["version"] == "1" {
            // Kafka's ZooKeeper-mode broker refuses a directory `kafka-storage format` prepared for KRaft.
            throw .corruptLog(
                "\(path) is a KRaft-mode meta.properties (version 1, node.id=\(properties["node.id"] ?? "?")) but this "
                    + "broker runs in ZooKeeper mode (zookeeper.connect); use a directory formatted for ZooKeeper mode "
                    + "or set process.roles")
        }
        if let version = properties["version"], version != "0" {
            throw .corruptLog("\(path): unsupported meta.properties version \(version)")
        }
        guard let idText = properties["broker.id"], let id = Int32(idText) else {
            throw .corruptLog("\(path): missing or bad broker.id")
        }
        return BrokerMetadata(brokerId: id, clusterId: properties["cluster.id"])
    }
}
