/// The `/config/changes` queue every broker follows (Kafka's `ZkConfigManager` over a
/// `ZkNodeChangeNotificationListener`): read one notification, delete an obsolete one.
extension KafkaZkClient {
    /// The entity path (`users/alice`, `topics/orders`) one notification names and when it was created (ms since
    /// the epoch), or nil when it is already gone (another broker purged it).
    public func configChangeNotification(_ child: String) async throws -> (entityPath: String, ctime: Int64)? {
        let path = "\(ConfigEntityChangeNotificationZNode.path)/\(child)"
        do {
            let (data, stat) = try await session.get(path)
            do {
                return (try ConfigEntityChangeNotificationZNode.decode(data), stat.ctime)
            } catch {
                throw KafkaZkError.corruptZNode(path: path, error: error)
            }
        } catch ZooKeeperError.noNode {
            return nil
        }
    }

    /// Deletes a notification every broker has had time to see (Kafka purges those older than 15 minutes).
    public func deleteConfigChangeNotification(_ child: String) async throws {
        do {
            try await session.delete("\(ConfigEntityChangeNotificationZNode.path)/\(child)")
        } catch ZooKeeperError.noNode {
        }
    }

    /// When a notification was created (ms since the epoch), nil when it is gone.
    public func configChangeNotificationCreated(_ child: String) async throws -> Int64? {
        try await session.exists("\(ConfigEntityChangeNotificationZNode.path)/\(child)")?.ctime
    }
}
