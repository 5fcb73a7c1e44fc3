import Testing
import ZooKeeperTestSupport

@testable import Coordination

private func broker(_ id: Int32, port: Int32 = 9092) -> BrokerRegistration {
    BrokerRegistration(
        brokerId: id,
        endpoints: [
            BrokerEndpoint(listenerName: "PLAINTEXT", host: "127.0.0.1", port: port, securityProtocol: "PLAINTEXT")
        ],
        timestamp: 1_700_000_000_000)
}

private func client(_ connect: String) async throws -> KafkaZkClient {
    let zk = KafkaZkClient(session: try await ZooKeeperSession.connect(connect))
    try await zk.ensureTopLevelPaths()
    return zk
}

@Suite(
    "Kafka znode operations against a real server", .enabled(if: LiveZooKeeper.enabled, "set NEEDLETAIL_TEST_ZK"),
    .timeLimit(.minutes(1)))
struct KafkaZkClientLiveTests {
    @Test("top-level paths and the cluster id are created once; a second broker reads the same id")
    func clusterId() async throws {
        try await LiveZooKeeper.withChroot { connect in
            let a = try await client(connect)
            let b = try await client(connect)
            for path in ZkPaths.persistentPaths { #expect(try await a.session.exists(path) != nil) }
            let id = try await a.getOrCreateClusterId()
            #expect(id.utf8.count == 22)
            #expect(try await b.getOrCreateClusterId(generate: { "someOtherIdAAAAAAAAAAA" }) == id)
            #expect(try await a.generateBrokerId() == 1001)
            #expect(try await b.generateBrokerId() == 1002)
            await a.session.close()
            await b.session.close()
        }
    }

    @Test("a broker id held by another live session is refused; it frees when that session closes")
    func brokerRegistrationConflict() async throws {
        try await LiveZooKeeper.withChroot { connect in
            let first = try await client(connect)
            let second = try await client(connect)
            let epoch = try await first.registerBroker(broker(1))
            #expect(epoch > 0)
            // Re-registering from the owning session is idempotent and keeps the epoch.
            #expect(try await first.registerBroker(broker(1, port: 9093)) == epoch)
            await #expect(throws: KafkaZkError.brokerIdAlreadyRegistered(1)) {
                try await second.registerBroker(broker(1))
            }
            try await second.registerBroker(broker(2))
            let live = try await second.liveBrokers()
            #expect(live.map(\.registration.brokerId) == [1, 2])
            #expect(live[0].brokerEpoch == epoch)
            #expect(live[0].registration.endpoints.first?.port == 9093)

            let (ids, watch) = try await second.watchBrokerIds()
            #expect(ids == [1, 2])
            await first.session.close()
            #expect(try await watch.wait().kind == .childrenChanged)
            #expect(try await second.liveBrokerIds() == [2])
            let newEpoch = try await second.registerBroker(broker(1))
            #expect(newEpoch > epoch)
            await second.session.close()
        }
    }

    @Test("one of two brokers wins the election; when it leaves the other wins with a higher epoch")
    func controllerElection() async throws {
        try await LiveZooKeeper.withChroot { connect in
            let a = try await client(connect)
            let b = try await client(connect)
            let won = try #require(try await a.electController(brokerId: 1, timestamp: 1))
            #expect(won.epoch == 1)
            #expect(try await b.electController(brokerId: 2, timestamp: 2) == nil)
            #expect(try await b.controllerId() == 1)
            // Asking again from the winner returns the same election.
            #expect(try await a.electController(brokerId: 1, timestamp: 3) == won)

            let (current, watch) = try await b.watchController()
            #expect(current == 1)
            await a.session.close()
            #expect(try await watch.wait().kind == .deleted)
            let next = try #require(try await b.electController(brokerId: 2, timestamp: 4))
            #expect(next.epoch == 2)
            #expect(next.epochZkVersion > won.epochZkVersion)
            #expect(try await b.controllerId() == 2)
            await b.session.close()
        }
    }

    @Test("a deposed controller's fenced writes fail with controllerMoved and change nothing")
    func fencing() async throws {
        try await LiveZooKeeper.withChroot { connect in
            let a = try await client(connect)
            let b = try await client(connect)
            let oldFence = try #require(try await a.electController(brokerId: 1, timestamp: 1))
            try await a.createTopic("orders", topicId: "RSZ--odYRlSOPGRgukKnAQ", assignment: [0: [1, 2]])
            let initial = LeaderIsrState(leader: 1, leaderEpoch: 0, isr: [1, 2], controllerEpoch: oldFence.epoch)
            #expect(try await a.createPartitionStates(topic: "orders", states: [0: initial], fence: oldFence) == [0: 0])
            #expect(try await a.createPartitionStates(topic: "orders", states: [0: initial], fence: oldFence) == [:])

            await a.session.close()
            let newFence = try #require(try await b.electController(brokerId: 2, timestamp: 2))
            let stale = LeaderIsrState(leader: 2, leaderEpoch: 1, isr: [2], controllerEpoch: oldFence.epoch)
            await #expect(throws: KafkaZkError.controllerMoved) {
                try await b.setPartitionState(topic: "orders", partition: 0, stale, expectedVersion: 0, fence: oldFence)
            }
            #expect(
                try await b.partitionState(topic: "orders", partition: 0)
                    == PartitionStateRecord(state: initial, zkVersion: 0))

            var next = initial
            next.leaderEpoch = 1
            next.controllerEpoch = newFence.epoch
            #expect(
                try await b.setPartitionState(topic: "orders", partition: 0, next, expectedVersion: 0, fence: newFence)
                    == 1)
            await #expect(throws: ZooKeeperError.badVersion) {
                try await b.setPartitionState(topic: "orders", partition: 0, next, expectedVersion: 0, fence: newFence)
            }
            #expect(try await b.partitionState(topic: "orders", partition: 0)?.state == next)
            await b.session.close()
        }
    }

    @Test("topics are created once, listed, configured with notifications, and deleted")
    func topicLifecycle() async throws {
        try await LiveZooKeeper.withChroot { connect in
            let zk = try await client(connect)
            let fence = try #require(try await zk.electController(brokerId: 1, timestamp: 1))
            let (before, topicsWatch) = try await zk.watchTopics()
            #expect(before.isEmpty)
            try await zk.createTopic(
                "payments", topicId: "McZM_uPoQZmvSqcFaYC_vg", assignment: [0: [1], 1: [1]],
                configs: ["retention.ms": "1000"])
            #expect(try await topicsWatch.wait().kind == .childrenChanged)
            await #expect(throws: KafkaZkError.topicAlreadyExists("payments")) {
                try await zk.createTopic("payments", topicId: nil, assignment: [0: [1]])
            }
            #expect(try await zk.allTopics() == ["payments"])
            let record = try #require(try await zk.getTopic("payments"))
            #expect(
                record.assignment == TopicAssignment(topicId: "McZM_uPoQZmvSqcFaYC_vg", partitions: [0: [1], 1: [1]]))
            #expect(try await zk.getTopic("nope") == nil)
            #expect(try await zk.topicConfig("payments") == ["retention.ms": "1000"])

            let (_, changesWatch) = try await zk.watchConfigChanges()
            try await zk.setTopicConfig("payments", ["retention.ms": "2000", "cleanup.policy": "compact"])
            #expect(try await changesWatch.wait().kind == .childrenChanged)
            let (notifications, _) = try await zk.watchConfigChanges()
            #expect(notifications.count == 1)
            #expect(try await zk.configChangeNotification(try #require(notifications.first)) == "topics/payments")
            #expect(try await zk.topicConfig("payments")["cleanup.policy"] == "compact")

            try await zk.setBrokerConfig(nil, ["log.cleaner.threads": "2"])
            #expect(try await zk.brokerConfig(nil) == ["log.cleaner.threads": "2"])
            #expect(try await zk.brokerConfig(1) == [:])

            _ = try await zk.createPartitionStates(
                topic: "payments",
                states: [0: LeaderIsrState(leader: 1, leaderEpoch: 0, isr: [1], controllerEpoch: fence.epoch)],
                fence: fence)
            let (_, deleteWatch) = try await zk.watchDeleteTopics()
            try await zk.markTopicForDeletion("payments")
            try await zk.markTopicForDeletion("payments")
            #expect(try await deleteWatch.wait().kind == .childrenChanged)
            #expect(try await zk.topicsMarkedForDeletion() == ["payments"])
            await #expect(throws: KafkaZkError.topicMarkedForDeletion("payments")) {
                try await zk.createTopic("payments", topicId: nil, assignment: [0: [1]])
            }
            try await zk.deleteTopicZnodes("payments", fence: fence)
            #expect(try await zk.allTopics().isEmpty)
            #expect(try await zk.topicsMarkedForDeletion().isEmpty)
            #expect(try await zk.topicConfig("payments") == [:])
            await zk.session.close()
        }
    }

    @Test("ISR change notifications are published, read and deleted by the controller")
    func isrChangeNotifications() async throws {
        try await LiveZooKeeper.withChroot { connect in
            let zk = try await client(connect)
            let fence = try #require(try await zk.electController(brokerId: 1, timestamp: 1))
            let parts = [ZkTopicPartition(topic: "t", partition: 0)]
            let child = try await zk.createIsrChangeNotification(parts)
            #expect(child.hasPrefix("isr_change_"))
            let (children, _) = try await zk.watchIsrChangeNotifications()
            #expect(children == [child])
            #expect(try await zk.isrChangeNotification(child) == parts)
            try await zk.deleteIsrChangeNotifications(children, fence: fence)
            #expect(try await zk.isrChangeNotification(child) == nil)
            await zk.session.close()
        }
    }

    @Test("producer id blocks claimed concurrently by two sessions never overlap")
    func producerIdBlocks() async throws {
        try await LiveZooKeeper.withChroot { connect in
            let a = try await client(connect)
            let b = try await client(connect)
            let blocks = try await withThrowingTaskGroup(of: [ProducerIdBlock].self) { group in
                for (zk, id) in [(a, Int32(1)), (b, Int32(2))] {
                    group.addTask {
                        var mine: [ProducerIdBlock] = []
                        for _ in 0..<10 { mine.append(try await zk.allocateProducerIdBlock(brokerId: id)) }
                        return mine
                    }
                }
                var all: [ProducerIdBlock] = []
                for try await part in group { all += part }
                return all
            }
            #expect(blocks.count == 20)
            let sorted = blocks.sorted { $0.firstProducerId < $1.firstProducerId }
            #expect(sorted.first?.firstProducerId == 0)
            for (previous, next) in zip(sorted, sorted.dropFirst()) {
                #expect(next.firstProducerId == previous.lastProducerId + 1)
            }
            #expect(sorted.allSatisfy { $0.size == 1000 })
            let stored = try await a.session.get(ProducerIdBlockZNode.path).data
            #expect(try ProducerIdBlockZNode.decode(stored)?.lastProducerId == 19_999)
            await a.session.close()
            await b.session.close()
        }
    }
}
