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
