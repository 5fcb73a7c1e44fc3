import Authorization
import Testing
import ZooKeeperTestSupport

@testable import Coordination

/// Kafka's `testDistributedConcurrentModificationOfResourceAcls`: two clients updating one resource's ACLs at the
/// same time both land, through the conditional write on the znode version; each change queues a notification.
@Suite(
    "ACL znodes against a real server", .enabled(if: LiveZooKeeper.enabled, "set NEEDLETAIL_TEST_ZK"),
    .timeLimit(.minutes(1)))
struct AclZNodeLiveTests {
    @Test("concurrent updates of one resource's ACLs from two sessions all land, each with a notification")
    func concurrentModification() async throws {
        try await LiveZooKeeper.withChroot { connect in
            let a = KafkaZkClient(session: try await ZooKeeperSession.connect(connect))
            let b = KafkaZkClient(session: try await ZooKeeperSession.connect(connect))
            let pattern = ResourcePattern(.topic, "orders")
            await withTaskGroup(of: Void.self) { group in
                for (zk, user) in [(a, "alice"), (b, "bob")] {
                    group.addTask {
                        for i in 0..<10 {
                            let entry = AccessControlEntry(
                                principal: "User:\(user)\(i)", operation: .read, permission: .allow)
                            _ = try? await zk.updateAcls(for: pattern) { $0.union([entry]) }
                        }
                    }
                }
            }
            let (entries, version) = try await a.acls(for: pattern)
            #expect(entries.count == 20)
            #expect(version != nil)
            let (changes, _) = try await a.watchAclChanges(queue: AclZNodePaths.literalChanges)
            #expect(changes.count == 20)
            let first = try #require(try await a.aclChange(queue: AclZNodePaths.literalChanges, child: changes[0]))
            #expect(first.pattern == pattern)
            // A prefixed pattern lives in the extended store and notifies the extended queue.
            let prefixed = ResourcePattern(.group, "team-", .prefixed)
            try await b.updateAcls(for: prefixed) { _ in
                [AccessControlEntry(principal: "User:*", operation: .describe, permission: .allow)]
            }
            #expect(try await a.session.exists("/kafka-acl-extended/prefixed/Group/team-") != nil)
            let snapshot = try await a.allAcls()
            #expect(snapshot.bindings.count == 21)
            // Removing every entry deletes the node.
            try await a.updateAcls(for: prefixed) { _ in [] }
            #expect(try await a.session.exists("/kafka-acl-extended/prefixed/Group/team-") == nil)
            await a.session.close()
            await b.session.close()
        }
    }
}
