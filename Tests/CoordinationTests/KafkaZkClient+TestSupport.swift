import Coordination

// Reads and writes only tests need (the broker never generates ids nor consumes config change notifications
// itself), kept out of the library's API.
extension KafkaZkClient {
    /// A new broker id from `/brokers/seqid` (its new zkVersion + `reservedBrokerMaxId`, so 1001 first).
    func generateBrokerId() async throws -> Int32 {
        try await session.ensurePath(BrokerSequenceIdZNode.path)
        let stat = try await session.set(BrokerSequenceIdZNode.path, data: [])
        return stat.version + reservedBrokerMaxId
    }

    /// Ids of live brokers, sorted.
    func liveBrokerIds() async throws -> [Int32] {
        try await liveBrokers().map(\.registration.brokerId)
    }

    /// Config change notification children (sorted by sequence: fixed-width counters sort as text) plus a watch
    /// for new ones.
    func watchConfigChanges() async throws -> (notifications: [String], watch: ZooKeeperWatch) {
        let (children, watch) = try await session.childrenAndWatch(ConfigEntityChangeNotificationZNode.path)
        return (children.sorted(), watch)
    }

    /// The entity path a notification child names.
    func configChangeNotification(_ child: String) async throws -> String {
        let (data, _) = try await session.get("\(ConfigEntityChangeNotificationZNode.path)/\(child)")
        return try ConfigEntityChangeNotificationZNode.decode(data)
    }
}
