import ArgumentParser
import Broker
import Foundation
import KafkaConfig
import LogStorage

/// `needletail storage random-uuid | format | info`: kafka-storage.sh for KRaft mode (Kafka's `StorageTool`), with
/// its flags and messages.
struct StorageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "Prepare and inspect the log directories of a KRaft node (kafka-storage.sh).",
        subcommands: [RandomUuid.self, Format.self, Info.self]
    )

    struct RandomUuid: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "random-uuid", abstract: "Print a random UUID to use as a cluster id.")
        func run() { print(KRaftStorage.randomUuid()) }
    }

    struct Format: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "format",
            abstract: "Format the log directories and metadata.log.dir of a KRaft node (meta.properties version 1).")

        @Option(name: [.customShort("c"), .customLong("config")], help: "The server.properties file to read.")
        var config: String

        @Option(name: [.customShort("t"), .customLong("cluster-id")], help: "The cluster id to use.")
        var clusterId: String

        @Flag(
            name: [.customShort("g"), .customLong("ignore-formatted")],
            help: "Skip directories that are already formatted instead of failing.")
        var ignoreFormatted = false

        func run() throws {
            let broker = try loadKRaftConfig(config)
            guard KRaftStorage.isValidClusterId(clusterId) else {
                fail(
                    "Cluster ID string \(clusterId) does not appear to be a valid UUID: Input string `\(clusterId)` "
                        + "decoded as \(Array(clusterId.utf8).count * 3 / 4) bytes, which is not equal to the expected 16 bytes of a "
                        + "base64-encoded UUID")
            }
            guard let nodeId = broker.kraft?.nodeId else { fail("not a KRaft configuration") }
            let cwd = FileManager.default.currentDirectoryPath
            let metadataDir = KRaftStorage.metadataDirectory(broker, workingDirectory: cwd)
            var unformatted: [String] = []
            for dir in KRaftStorage.directories(broker, workingDirectory: cwd) {
                let existing: MetaProperties?
                do { existing = try MetaProperties.read(directory: dir) } catch { fail("\(error)") }
                if existing != nil {
                    if !ignoreFormatted {
                        fail(
                            "Log directory \(dir) is already formatted. Use --ignore-formatted to ignore this "
                                + "directory and format the others.")
                    }
                    continue
                }
                unformatted.append(dir)
            }
            if unformatted.isEmpty {
                print("All of the log directories are already formatted.")
                return
            }
            for dir in unformatted {
                let meta = MetaProperties(
                    version: 1, clusterId: clusterId, nodeId: nodeId, directoryId: KRaftStorage.randomUuid())
                do { try meta.write(directory: dir) } catch {
                    fail("Error while writing meta.properties file \(dir): \(error)")
                }
                let kind = dir == metadataDir ? "metadata" : "data"
                print("Formatting \(kind) directory \(dir) with metadata.version \(KRaftStorage.metadataVersion).")
                if dir == metadataDir {
                    do {
                        try KRaftStorage.writeBootstrapCheckpoint(
                            metadataDirectory: dir, now: Int64(Date().timeIntervalSince1970 * 1000))
                    } catch {
                        fail("Error while writing \(KRaftStorage.bootstrapCheckpointName) in \(dir): \(error)")
                    }
                }
            }
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "info", abstract: "Describe the log directories of a node.")

        @Option(name: [.customShort("c"), .customLong("config")], help: "The server.properties file to read.")
        var config: String

        func run() throws {
            let broker: BrokerConfig
            do {
                broker = try BrokerLauncher.loadConfig(
                    file: config, environment: ProcessInfo.processInfo.environment, overrides: [])
            } catch { fail("\(error)") }
            let cwd = FileManager.default.currentDirectoryPath
            let dirs =
                broker.kraft != nil
                ? KRaftStorage.directories(broker, workingDirectory: cwd)
                : broker.resolvedLogDirs(workingDirectory: cwd)
            var found: [String] = []
            var problems: [String] = []
            var metadata: [MetaProperties] = []
            for dir in dirs {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory) else {
                    problems.append("\(dir) does not exist")
                    continue
                }
                guard isDirectory.boolValue else {
                    problems.append("\(dir) is not a directory")
                    continue
                }
                found.append(dir)
                do {
                    guard let meta = try MetaProperties.read(directory: dir) else {
                        problems.append("\(dir) is not formatted.")
                        continue
                    }
                    if !metadata.contains(meta) { metadata.append(meta) }
                } catch {
                    problems.append("\(dir)/meta.properties is unreadable: \(error)")
                }
            }
            if metadata.count > 1 {
                problems.append("Metadata for the log directories differs: \(metadata.map(Self.describe))")
            }
            if let meta = metadata.first {
                if broker.kraft != nil && meta.version == 0 {
                    problems.append(
                        "The kafka configuration file appears to be for a cluster in KRaft mode, but the directories "
                            + "are formatted for legacy mode.")
                } else if broker.kraft == nil && meta.version == 1 {
                    problems.append(
                        "The kafka configuration file appears to be for a legacy cluster, but the directories are "
                            + "formatted for a cluster in KRaft mode.")
                }
            }
            if !found.isEmpty {
                print(found.count == 1 ? "Found log directory:" : "Found log directories:")
                for dir in found { print("  \(dir)") }
                print("")
            }
            if let meta = metadata.first {
                print("Found metadata: \(Self.describe(meta))")
                print("")
            }
            if !problems.isEmpty {
                print(problems.count == 1 ? "Found problem:" : "Found problems:")
                for problem in problems { print("  \(problem)") }
                print("")
                throw ExitCode(1)
            }
        }

        /// `MetaProperties.toString()` of Kafka 3.7+.
        static func describe(_ meta: MetaProperties) -> String {
            var text = "MetaProperties(version=\(meta.version)"
            if let id = meta.clusterId { text += ", clusterId=\(id)" }
            if let id = meta.nodeId { text += ", nodeId=\(id)" }
            if let id = meta.directoryId { text += ", directoryId=\(id)" }
            return text + ")"
        }
    }
}

/// Loads a properties file for a storage subcommand and insists on KRaft mode, as StorageTool does.
private func loadKRaftConfig(_ file: String) throws -> BrokerConfig {
    let broker: BrokerConfig
    do {
        broker = try BrokerLauncher.loadConfig(
            file: file, environment: ProcessInfo.processInfo.environment, overrides: [])
    } catch { fail("\(error)") }
    if broker.kraft == nil {
        fail(
            "The kafka configuration file appears to be for a legacy cluster. Formatting is only supported for "
                + "clusters in KRaft mode.")
    }
    return broker
}

/// Prints one line to stderr and exits 1, as kafka-storage.sh does on a TerseFailure.
private func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    Foundation.exit(1)
}
