import Coordination
import Foundation
import KafkaConfig

extension ConfigsCommand {
    /// `--zookeeper … --entity-type brokers`: dynamic broker configs straight in `/config/brokers/<id>` (or
    /// `<default>`), with a `/config/changes` notification, as `kafka-configs.sh --zookeeper` does in Kafka 2.x/3.x.
    /// Kafka allows it only while the affected brokers are not running (`ConfigCommand.validateBrokersNotRunning`):
    /// a running broker validates and applies dynamic configs itself, through `--bootstrap-server`.
    func runBrokersWithZooKeeper(_ connect: String) async throws {
        Output.line("Warning: --zookeeper is deprecated and will be removed in a future version of Kafka.")
        Output.line("Use --bootstrap-server instead to specify a broker to connect to.")
        let name: String? =
            broker ?? (brokerDefaults || entityDefault ? ConfigEntityZNode.defaultEntityName : entityName)
        let brokerId: Int32?
        switch name {
        case nil, ConfigEntityZNode.defaultEntityName?: brokerId = nil
        case let text?:
            guard let id = Int32(text), id >= 0 else {
                throw ToolError("The entity name for brokers must be a valid integer broker id, but it is: \(text)")
            }
            brokerId = id
        }
        if alter, name == nil { throw ToolError("An entity name must be specified with --alter of brokers") }
        let session = try await ZooKeeperSession.connect(connect)
        let zk = KafkaZkClient(session: session)
        do {
            try await run(zk, brokerId: brokerId, all: name == nil)
        } catch {
            await session.close()
            throw error
        }
        await session.close()
    }

    private func run(_ zk: KafkaZkClient, brokerId: Int32?, all: Bool) async throws {
        let info =
            "Broker configuration operations using ZooKeeper are only supported if the affected broker(s) are not running."
        if let brokerId {
            if try await zk.broker(brokerId) != nil {
                throw ToolError("requirement failed: \(info) - broker \(brokerId) is running.")
            }
        } else {
            // A chroot no broker has used yet has no /brokers/ids.
            var running = 0
            do {
                running = try await zk.liveBrokers().count
            } catch ZooKeeperError.noNode {}
            if running > 0 { throw ToolError("requirement failed: \(info) - \(running) brokers are running.") }
        }
        func entity(_ id: Int32?) -> String { id.map { "brokers '\($0)'" } ?? "default brokers" }
        if describe {
            var ids: [Int32?] = [brokerId]
            if all {
                let names = (try? await zk.session.children(ConfigEntityTypeZNode.path(.brokers))) ?? []
                ids = names.sorted().map { $0 == ConfigEntityZNode.defaultEntityName ? nil : Int32($0) }
            }
            for id in ids {
                let config = try await zk.brokerConfig(id)
                let shown = config.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                Output.line("Configs for \(entity(id)) are \(shown)")
            }
            return
        }
        var config = try await zk.brokerConfig(brokerId)
        let additions = try addConfig.map(Self.parseAddConfig) ?? []
        let stored: [(key: String, value: String)]
        do {
            stored = try ZooKeeperBrokerConfigs.configsToStore(additions.map { (key: $0.0, value: $0.1) })
        } catch {
            throw ToolError(error.description)
        }
        for (key, value) in stored { config[key] = value }
        let deletions = (deleteConfig ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        let missing = deletions.filter { config[$0] == nil }
        guard missing.isEmpty else { throw ToolError("Invalid config(s): \(missing.joined(separator: ","))") }
        for key in deletions { config[key] = nil }
        try await zk.setBrokerConfig(brokerId, config)
        Output.line("Completed updating config for entity: \(entity(brokerId)).")
    }
}
