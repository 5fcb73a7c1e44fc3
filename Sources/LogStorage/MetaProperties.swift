import Foundation

/// A log directory's `meta.properties` in either version Kafka writes (`org.apache.kafka.metadata.properties
/// .MetaProperties`): version 0 (ZooKeeper mode: `broker.id`, `cluster.id`) or version 1 (KRaft mode, written by
/// `kafka-storage format`: `cluster.id`, `node.id` and, since KIP-858, a `directory.id` unique to the directory).
public struct MetaProperties: Sendable, Equatable {
    public var version: Int
    public var clusterId: String?
    /// `node.id` (version 1) or `broker.id` (version 0).
    public var nodeId: Int32?
    public var directoryId: String?

    public init(version: Int, clusterId: String?, nodeId: Int32?, directoryId: String? = nil) {
        self.version = version
        self.clusterId = clusterId
        self.nodeId = nodeId
        self.directoryId = directoryId
    }

    public static let fileName = "meta.properties"

    /// The Java-properties text Kafka writes: a blank comment, a date comment, then the keys.
    public func encode(dateComment: String) -> [UInt8] {
        var text = "#\n#\(dateComment)\n"
        if let clusterId { text += "cluster.id=\(clusterId)\n" }
        if let directoryId { text += "directory.id=\(directoryId)\n" }
        if let nodeId { text += (version == 0 ? "broker.id=" : "node.id=") + "\(nodeId)\n" }
        text += "version=\(version)\n"
        return Array(text.utf8)
    }

    public static func decode(_ bytes: [UInt8], path: String) throws(LogError) -> MetaProperties {
        var properties: [String: String] = [:]
        let text = String(decoding: bytes, as: UTF8.self)
        for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = raw.trimmingWhitespace()
            guard let first = line.first, first != "#", first != "!" else { continue }
            guard let sep = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else { continue }
            properties[String(line[..<sep].trimmingWhitespace())] = String(
                line[line.index(after: sep)...].trimmingWhitespace())
        }
        guard let versionText = properties["version"], let version = Int(versionText), version == 0 || version == 1
        else {
            throw .corruptLog("\(path): unsupported meta.properties version \(properties["version"] ?? "(none)")")
        }
        let idKey = version == 0 ? "broker.id" : "node.id"
        var nodeId: Int32?
        if let idText = properties[idKey] {
            guard let id = Int32(idText) else { throw .corruptLog("\(path): bad \(idKey) \(idText)") }
            nodeId = id
        }
        return MetaProperties(
            version: version, clusterId: properties["cluster.id"], nodeId: nodeId,
            directoryId: properties["directory.id"])
    }

    /// Reads `<dir>/meta.properties`; nil when the directory has none.
    public static func read(directory: String) throws(LogError) -> MetaProperties? {
        let path = directory + "/" + fileName
        guard let bytes = try FS.readFile(path) else { return nil }
        return try decode(bytes, path: path)
    }

    /// Writes `<dir>/meta.properties` atomically, creating the directory.
    public func write(directory: String) throws(LogError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .io("cannot create \(directory): \(error)")
        }
        try FS.writeAtomically(
            directory + "/" + Self.fileName, encode(dateComment: LogManager.javaDateString(systemClockMillis())))
    }
}
