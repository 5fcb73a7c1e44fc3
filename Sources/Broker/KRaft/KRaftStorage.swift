import Foundation
import KafkaConfig
import KafkaProtocol
import LogStorage

/// The directories of a KRaft node and what `kafka-storage format` leaves in them (Kafka's `StorageTool` and
/// `MetaPropertiesEnsemble`): `meta.properties` version 1 in every log dir and in `metadata.log.dir`, one cluster
/// id and node id across them, and a `directory.id` per directory (KIP-858).
public enum KRaftStorage {
    /// The log dirs plus `metadata.log.dir`, resolved against `workingDirectory`, sorted and without repeats (the
    /// set StorageTool formats).
    public static func directories(_ config: BrokerConfig, workingDirectory: String) -> [String] {
        var dirs = Set(config.resolvedLogDirs(workingDirectory: workingDirectory))
        if let metadata = metadataDirectory(config, workingDirectory: workingDirectory) { dirs.insert(metadata) }
        return dirs.sorted()
    }

    /// `metadata.log.dir`, else the first log dir: the parent of `__cluster_metadata-0`.
    public static func metadataDirectory(_ config: BrokerConfig, workingDirectory: String) -> String? {
        if let dir = config.kraft?.metadataLogDir {
            if dir.hasPrefix("/") { return dir }
            return (workingDirectory.hasSuffix("/") ? String(workingDirectory.dropLast()) : workingDirectory) + "/"
                + dir
        }
        return config.resolvedLogDirs(workingDirectory: workingDirectory).first
    }

    /// Kafka's cluster ids are 16 bytes printed as 22 characters of URL-safe base64 (`Uuid.fromString`).
    public static func isValidClusterId(_ id: String) -> Bool { UUIDValue(base64URL: id) != nil }

    /// A random cluster or directory id as `kafka-storage random-uuid` prints it (`Uuid.randomUuid`: never
    /// starting with '-', never one of the reserved ids).
    public static func randomUuid() -> String { UUIDValue.randomTopicId().base64URL }

    public struct Formatted: Sendable {
        public var clusterId: String
        public var directoryIds: [String: String]
    }

    /// What a KRaft node checks before it starts: every directory is formatted for KRaft (version 1), for this node
    /// and one cluster. Each failure is one line naming the directory and what to do.
    public static func checkFormatted(_ config: BrokerConfig, workingDirectory: String) throws -> Formatted {
        guard let kraft = config.kraft else { throw BrokerStartupError("not a KRaft configuration") }
        var clusterId: String?
        var directoryIds: [String: String] = [:]
        for dir in directories(config, workingDirectory: workingDirectory) {
            guard let meta = try MetaProperties.read(directory: dir) else {
                throw BrokerStartupError(
                    "No meta.properties found in \(dir) (have you run `needletail storage format` to format the "
                        + "directory?)")
            }
            if meta.version == 0 {
                throw BrokerStartupError(
                    "\(dir)/meta.properties is a ZooKeeper-mode meta.properties (version 0, broker.id="
                        + "\(meta.nodeId.map(String.init) ?? "?")) but this node runs in KRaft mode (process.roles); "
                        + "format a new directory with `needletail storage format` (migration from ZooKeeper is not "
                        + "supported)")
            }
            if meta.nodeId != kraft.nodeId {
                throw BrokerStartupError(
                    "Stored node id \(meta.nodeId.map(String.init) ?? "none") in \(dir)/meta.properties doesn't match "
                        + "previous node id \(kraft.nodeId). If you moved your data, make sure your configured node id "
                        + "matches. If you intend to create a new node, you should remove all data in your data "
                        + "directories.")
            }
            guard let id = meta.clusterId else {
                throw BrokerStartupError("\(dir)/meta.properties has no cluster.id")
            }
            if let clusterId, clusterId != id {
                throw BrokerStartupError(
                    "Invalid cluster.id in: \(dir)/meta.properties. Expected \(clusterId), but read \(id)")
            }
            clusterId = id
            directoryIds[dir] = meta.directoryId
        }
        guard let clusterId else { throw BrokerStartupError("No log directory configured (log.dirs)") }
        return Formatted(clusterId: clusterId, directoryIds: directoryIds)
    }
}

extension KRaftStorage {
    /// What Kafka's images do before the first start (`ub ensure CLUSTER_ID`, then `kafka-storage format
    /// --ignore-formatted`): when the environment names a cluster id, every directory without `meta.properties` is
    /// formatted with it; formatted ones are left alone. A cluster id that is not a UUID (Kafka's storage tool
    /// refuses those) is replaced by a stable UUID derived from it, so every node of a compose file agrees. Returns
    /// the lines to log.
    public static func formatOnFirstStart(
        _ config: BrokerConfig, environment: [String: String], workingDirectory: String
    ) throws -> [String] {
        guard let kraft = config.kraft, let (given, _) = ContainerConventions.clusterId(environment: environment)
        else { return [] }
        var lines: [String] = []
        let clusterId: String
        if isValidClusterId(given) {
            clusterId = given
        } else {
            clusterId = derivedClusterId(given)
            lines.append(
                "Cluster ID \(given) is not a UUID (Kafka's storage tool refuses it); using \(clusterId), derived "
                    + "from it, which every node given the same id derives alike")
        }
        let metadataDir = metadataDirectory(config, workingDirectory: workingDirectory)
        for dir in directories(config, workingDirectory: workingDirectory) {
            guard try MetaProperties.read(directory: dir) == nil else { continue }
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try MetaProperties(version: 1, clusterId: clusterId, nodeId: kraft.nodeId, directoryId: randomUuid())
                    .write(directory: dir)
            } catch {
                throw BrokerStartupError("Cannot format \(dir) on first start: \(error)")
            }
            let kind = dir == metadataDir ? "metadata" : "data"
            if dir == metadataDir {
                do {
                    try writeBootstrapCheckpoint(
                        metadataDirectory: dir, now: Int64(Date().timeIntervalSince1970 * 1000))
                } catch {
                    throw BrokerStartupError("Cannot write \(bootstrapCheckpointName) in \(dir): \(error)")
                }
            }
            lines.append("Formatting \(kind) directory \(dir) with metadata.version \(metadataVersion).")
        }
        return lines
    }

    /// A stable Kafka UUID for any string: two FNV-1a 64-bit hashes (different offset bases) as 16 bytes, the top
    /// bit cleared so the text never starts with '-' or '_' (Kafka's `Uuid.randomUuid` avoids a leading '-').
    static func derivedClusterId(_ text: String) -> String {
        func fnv1a(_ basis: UInt64) -> UInt64 {
            var h = basis
            for b in text.utf8 {
                h ^= UInt64(b)
                h = h &* 0x0000_0100_0000_01B3
            }
            return h
        }
        let high = fnv1a(0xCBF2_9CE4_8422_2325) & 0x7FFF_FFFF_FFFF_FFFF
        let low = fnv1a(0x8422_2325_CBF2_9CE4)
        let bytes =
            (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
        return UUIDValue(bytes: bytes).base64URL
    }

    /// The metadata.version `format` reports (Kafka 3.9's latest production level) and writes in
    /// `bootstrap.checkpoint`; the first active controller finalizes the same level without reading the file back.
    public static let metadataVersion = "3.9-IV0"
}
