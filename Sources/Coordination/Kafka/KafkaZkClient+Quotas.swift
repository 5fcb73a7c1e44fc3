/// Client quota configs in Kafka's layout: `/config/users/<user>`, `/config/users/<user>/clients/<client-id>` and
/// `/config/clients/<client-id>` (`<default>` names the default entity), the JSON `ConfigEntityZNode` reads.
extension KafkaZkClient {
    public struct QuotaEntities: Sendable, Equatable {
        public var users: [String: [String: String]] = [:]
        public var userClients: [String: [String: [String: String]]] = [:]
        public var clients: [String: [String: String]] = [:]
        public init() {}
    }

    public func quotaEntities() async throws -> QuotaEntities {
        var out = QuotaEntities()
        for user in try await childrenIfExists(ConfigEntityTypeZNode.path(.users)) {
            let path = ConfigEntityZNode.path(.users, user)
            if let config = try await entityConfigIfExists(path), !config.isEmpty { out.users[user] = config }
            for client in try await childrenIfExists("\(path)/clients") {
                if let config = try await entityConfigIfExists("\(path)/clients/\(client)"), !config.isEmpty {
                    out.userClients[user, default: [:]][client] = config
                }
            }
        }
        for client in try await childrenIfExists(ConfigEntityTypeZNode.path(.clients)) {
            if let config = try await entityConfigIfExists(ConfigEntityZNode.path(.clients, client)),
                !config.isEmpty
            {
                out.clients[client] = config
            }
        }
        return out
    }

    private func childrenIfExists(_ path: String) async throws -> [String] {
        do {
            return try await session.children(path)
        } catch ZooKeeperError.noNode {
            return []
        }
    }

    private func entityConfigIfExists(_ path: String) async throws -> [String: String]? {
        do {
            let (data, _) = try await session.get(path)
            do {
                return try ConfigEntityZNode.decode(data)
            } catch {
                throw KafkaZkError.corruptZNode(path: path, error: error)
            }
        } catch ZooKeeperError.noNode {
            return nil
        }
    }
}

extension KafkaZkClient {
    /// The znode of a quota entity: `users/<u>`, `users/<u>/clients/<c>` or `clients/<c>` (names already
    /// sanitized, `<default>` for the default entity).
    public static func quotaEntityPath(user: String?, clientId: String?) -> String? {
        switch (user, clientId) {
        case (let u?, let c?): "users/\(u)/clients/\(c)"
        case (let u?, nil): "users/\(u)"
        case (nil, let c?): "clients/\(c)"
        case (nil, nil): nil
        }
    }

    /// Reads one quota entity's whole config (SCRAM credentials share `/config/users/<u>` and are kept).
    public func quotaEntityConfig(_ entityPath: String) async throws -> [String: String] {
        try await entityConfigIfExists("/config/\(entityPath)") ?? [:]
    }

    /// Writes one quota entity's whole config and queues `/config/changes/config_change_<seq>` naming it, as
    /// Kafka's `AdminZkClient.changeConfigs` does.
    public func setQuotaEntityConfig(_ entityPath: String, _ config: [String: String]) async throws {
        let path = "/config/\(entityPath)"
        let data = ConfigEntityZNode.encode(config)
        do {
            _ = try await session.set(path, data: data)
        } catch ZooKeeperError.noNode {
            do {
                _ = try await session.createRecursive(path, data: data)
            } catch ZooKeeperError.nodeExists {
                _ = try await session.set(path, data: data)
            }
        }
        _ = try await session.createRecursive(
            ConfigEntityChangeNotificationZNode.sequentialPath,
            data: ConfigEntityChangeNotificationZNode.encode(entityPath: entityPath), mode: .persistentSequential)
    }
}
