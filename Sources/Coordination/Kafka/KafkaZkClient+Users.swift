/// User entities under `/config/users`: SCRAM credentials (and the quotas that share the node), with the change
/// notification every broker watches (Kafka's `AdminZkClient.changeUserOrUserClientIdConfig`).
extension KafkaZkClient {
    /// The names under `/config/users`.
    public func userEntities() async throws -> [String] {
        do {
            return try await session.children(ConfigEntityTypeZNode.path(.users)).sorted()
        } catch ZooKeeperError.noNode {
            return []
        }
    }

    /// One user's config map (SCRAM credential strings keyed by mechanism, quotas), empty if the node is missing.
    public func userConfig(_ name: String) async throws -> [String: String] {
        let path = ConfigEntityZNode.path(.users, name)
        let data: [UInt8]
        do {
            data = try await session.get(path).data
        } catch ZooKeeperError.noNode {
            return [:]
        }
        do {
            return try ConfigEntityZNode.decode(data)
        } catch {
            throw KafkaZkError.corruptZNode(path: path, error: error)
        }
    }

    /// Replaces a user's config map and publishes `/config/changes/config_change_<seq>` naming `users/<name>`.
    public func setUserConfig(_ name: String, _ config: [String: String]) async throws {
        let path = ConfigEntityZNode.path(.users, name)
        let data = ConfigEntityZNode.encode(config)
        do {
            try await session.set(path, data: data)
        } catch ZooKeeperError.noNode {
            do {
                try await session.createRecursive(path, data: data)
            } catch ZooKeeperError.nodeExists {
                try await session.set(path, data: data)
            }
        }
        _ = try await session.createRecursive(
            ConfigEntityChangeNotificationZNode.sequentialPath,
            data: ConfigEntityChangeNotificationZNode.encode(
                entityPath: ConfigEntityChangeNotificationZNode.entityPath(.users, name)),
            mode: .persistentSequential)
    }

    /// The config change notifications plus a watch for the next one.
    public func watchConfigChanges() async throws -> (notifications: [String], watch: ZooKeeperWatch) {
        do {
            let (children, watch) = try await session.childrenAndWatch(ConfigEntityChangeNotificationZNode.path)
            return (children.sorted(), watch)
        } catch ZooKeeperError.noNode {
            _ = try? await session.createRecursive(ConfigEntityChangeNotificationZNode.path, data: nil)
            let (children, watch) = try await session.childrenAndWatch(ConfigEntityChangeNotificationZNode.path)
            return (children.sorted(), watch)
        }
    }
}
