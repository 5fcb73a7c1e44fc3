import Authentication
import Coordination
import Foundation
import KafkaClient

/// `configs --entity-type users`: SCRAM credentials, as kafka-configs.sh manages them. With `--zookeeper` the
/// credential is computed here and written to `/config/users/<user>` (plus a change notification), which works
/// before any broker runs; Kafka accepts only SCRAM keys for users on that path.
extension ConfigsCommand {
    /// `SCRAM-SHA-256=[iterations=8192,password=x],SCRAM-SHA-512=[password=y]` → mechanism, iterations, password.
    static func parseScramAdditions(_ text: String) throws -> [(ScramMechanism, Int, String)] {
        try parseAddConfig(text).map { key, value in
            guard let mechanism = ScramMechanism(mechanismName: key) else {
                throw ToolError(
                    "User configuration updates using ZooKeeper are only supported for SCRAM credential updates.")
            }
            var iterations = ScramMechanism.minIterations
            var password: String? = nil
            for part in value.split(separator: ",") {
                let pair = part.split(separator: "=", maxSplits: 1).map {
                    String($0).trimmingCharacters(in: .whitespaces)
                }
                guard pair.count == 2 else { throw ToolError("Invalid SCRAM credential config \(key)=[\(value)]") }
                switch pair[0] {
                case "iterations":
                    guard let n = Int(pair[1]) else { throw ToolError("Invalid iterations \(pair[1])") }
                    iterations = n
                case "password": password = pair[1]
                default: throw ToolError("Invalid SCRAM credential config key \(pair[0])")
                }
            }
            guard let password else { throw ToolError("Invalid credential config \(key): password is required") }
            guard (ScramMechanism.minIterations...ScramMechanism.maxIterations).contains(iterations) else {
                throw ToolError(
                    "Invalid credential config \(key): iterations must be between \(ScramMechanism.minIterations) and \(ScramMechanism.maxIterations)"
                )
            }
            return (mechanism, iterations, password)
        }
    }

    /// The `--zookeeper` path for users.
    func runUsersWithZooKeeper(_ connect: String) async throws {
        Output.line("Warning: --zookeeper is deprecated and will be removed in a future version of Kafka.")
        Output.line("Use --bootstrap-server instead to specify a broker to connect to.")
        let session = try await ZooKeeperSession.connect(connect)
        let zk = KafkaZkClient(session: session)
        defer { Task { await session.close() } }
        if describe {
            var users = entityName.map { [$0] } ?? []
            if entityName == nil { users = try await zk.userEntities() }
            for user in users {
                let config = try await zk.userConfig(user)
                let shown = config.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                Output.line("Configs for user-principal '\(user)' are \(shown)")
            }
            await session.close()
            return
        }
        guard let user = entityName else { throw ToolError("An entity name must be specified with --alter") }
        var config = try await zk.userConfig(user)
        for (mechanism, iterations, password) in try addConfig.map(Self.parseScramAdditions) ?? [] {
            let credential = ScramCredential(
                mechanism: mechanism, password: password, salt: ScramCredential.randomSalt(), iterations: iterations)
            config[mechanism.mechanismName] = credential.kafkaString
        }
        for key in (deleteConfig ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
        where !key.isEmpty {
            guard ScramMechanism(mechanismName: key) != nil else {
                throw ToolError(
                    "User configuration updates using ZooKeeper are only supported for SCRAM credential updates.")
            }
            config[key.uppercased()] = nil
        }
        try await zk.setUserConfig(user, config)
        await session.close()
        Output.line("Completed updating config for entity: user-principal '\(user)'.")
    }
}

extension ConfigsCommand {
    /// The `--bootstrap-server` path for users: KIP-554's AlterUserScramCredentials / DescribeUserScramCredentials.
    func runUsers(bootstrap: String) async throws {
        let client = try Tool.client(
            bootstrap: bootstrap, properties: try Tool.propertiesFile(commandConfig), clientId: "needletail-configs")
        if describe {
            for (user, credentials) in try await client.describeUserScramCredentials(entityName.map { [$0] }) {
                let shown = credentials.map { "\($0.mechanism.mechanismName)=iterations=\($0.iterations)" }
                Output.line(
                    "SCRAM credential configs for user-principal '\(user)' are \(shown.joined(separator: ", "))")
            }
        } else {
            guard let user = entityName else { throw ToolError("An entity name must be specified with --alter") }
            let upserts = try addConfig.map(Self.parseScramAdditions) ?? []
            var deletions: [ScramMechanism] = []
            for key in (deleteConfig ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
            where !key.isEmpty {
                guard let mechanism = ScramMechanism(mechanismName: key) else {
                    throw ToolError("Only SCRAM credentials can be changed for users here: \(key)")
                }
                deletions.append(mechanism)
            }
            try await client.alterUserScramCredentials(
                user: user, upsert: upserts.map { (mechanism: $0.0, iterations: $0.1, password: $0.2) },
                delete: deletions)
            Output.line("Completed updating config for user \(user).")
        }
        await client.close()
    }
}
