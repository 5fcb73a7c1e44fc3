/// ZooKeeper operations only the controller performs (all writes fenced by its election).
extension KafkaZkClient {
    /// Removes `/admin/delete_topics/<t>` markers (processed, or for topics that do not exist).
    public func deleteTopicDeletionMarkers(_ names: [String], fence: ControllerElection) async throws {
        for name in names {
            do {
                try await fencedMulti(
                    [.delete(path: DeleteTopicsTopicZNode.path(name), version: anyZkVersion)], fence: fence)
            } catch ZooKeeperError.noNode {
            }
        }
    }

    /// Removes `/admin/preferred_replica_election` once its elections ran.
    public func deletePreferredReplicaElection(fence: ControllerElection) async throws {
        do {
            try await fencedMulti(
                [.delete(path: PreferredReplicaElectionZNode.path, version: anyZkVersion)], fence: fence)
        } catch ZooKeeperError.noNode {
        }
    }

    /// Pending `/isr_change_notification` children, oldest first.
    public func isrChangeNotificationChildren() async throws -> [String] {
        let children = try await session.children(IsrChangeNotificationZNode.path)
        let prefix = IsrChangeNotificationZNode.sequencePrefix
        return children.sorted { a, b in
            let sa = Int64(a.dropFirst(prefix.count)) ?? Int64.max
            let sb = Int64(b.dropFirst(prefix.count)) ?? Int64.max
            return (sa, a) < (sb, b)
        }
    }
}
