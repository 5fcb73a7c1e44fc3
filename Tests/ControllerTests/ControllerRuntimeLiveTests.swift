import Coordination
import KafkaProtocol
import Synchronization
import Testing
import ZooKeeperTestSupport

@testable import Controller

@Suite(
    "Controller runtime against a real ZooKeeper", .enabled(if: LiveZooKeeper.enabled, "set NEEDLETAIL_TEST_ZK"),
    .timeLimit(.minutes(1)), .serialized)
struct ControllerRuntimeLiveTests {
    typealias Z = LiveZooKeeper

    /// Brokers 1 (the controller's session), 2 and 3 (own sessions, so they can die), controller elected.
    func cluster(_ connect: String) async throws -> (
        zk: KafkaZkClient, others: [Int32: KafkaZkClient], election: ControllerElection
    ) {
        let zk = try await Z.client(connect)
        try await zk.registerBroker(Z.registration(1))
        var others: [Int32: KafkaZkClient] = [:]
        for id: Int32 in [2, 3] {
            let c = try await Z.client(connect)
            try await c.registerBroker(Z.registration(id))
            others[id] = c
        }
        let election = try #require(try await zk.electController(brokerId: 1, timestamp: 0))
        return (zk, others, election)
    }

    func state(_ zk: KafkaZkClient, _ topic: String, _ p: Int32) async throws -> LeaderIsrState? {
        try await zk.partitionState(topic: topic, partition: p)?.state
    }

    @Test func aTopicWrittenByTheAdminPathGetsAnIdStateZnodesAndLeaderAndIsrForItsReplicas() async throws {
        try await Z.withChroot { connect in
            let (zk, others, election) = try await cluster(connect)
            let channel = RecordingChannel()
            let runtime = ControllerRuntime(
                zk: zk, channel: channel, settings: ControllerSettings(brokerId: 1, autoLeaderRebalanceEnable: false),
                election: election, onResign: { _ in })
            await runtime.start()
            #expect(try await Z.eventually { channel.brokers == [1, 2, 3] })

            try await zk.createTopic("t", topicId: nil, assignment: [0: [1, 2, 3], 1: [2, 3, 1], 2: [3, 1, 2]])
            #expect(try await Z.eventually { try await state(zk, "t", 2) != nil })
            for (p, leader) in [(Int32(0), Int32(1)), (1, 2), (2, 3)] {
                let s = try #require(try await state(zk, "t", p))
                #expect(s.leader == leader && s.leaderEpoch == 0 && s.controllerEpoch == election.epoch)
                #expect(s.isr.count == 3)
            }
            // The controller filled in the missing topic id.
            let topicId = try #require(try await zk.getTopic("t")?.assignment.topicId)
            #expect(UUIDValue(base64URL: topicId) != nil)
            #expect(try await Z.eventually { channel.leaderAndIsr(to: 3).count == 3 })
            #expect(channel.leaderAndIsr(to: 3).allSatisfy { $0.1 })
            // The first thing every broker got was an UpdateMetadata (live brokers before any LeaderAndIsr).
            for id: Int32 in [1, 2, 3] {
                guard case .updateMetadata(let um) = channel.sent.first(where: { $0.broker == id })?.request else {
                    Issue.record("broker \(id) did not get UpdateMetadata first")
                    continue
                }
                #expect(um.liveBrokers.map(\.id) == [1, 2, 3])
            }

            // Broker 2 dies: partition 1 moves to the next ISR member, the others drop 2 from their ISR.
            await others[2]!.session.close()
            #expect(try await Z.eventually { try await state(zk, "t", 1)?.leader == 3 })
            #expect(try await state(zk, "t", 1)?.leaderEpoch == 1)
            #expect(try await state(zk, "t", 1)?.isr == [3, 1])
            #expect(try await state(zk, "t", 0)?.isr == [1, 3])
            #expect(try await state(zk, "t", 0)?.leader == 1)
            #expect(!channel.brokers.contains(2))

            // Deletion: StopReplica(delete) to the live replicas, then the znodes go.
            try await zk.markTopicForDeletion("t")
            #expect(try await Z.eventually { try await zk.getTopic("t") == nil })
            #expect(try await Z.eventually { try await zk.topicsMarkedForDeletion().isEmpty })
            #expect(try await zk.partitionState(topic: "t", partition: 0) == nil)
            let stops = channel.sent.filter { if case .stopReplica = $0.request { true } else { false } }
            #expect(Set(stops.map(\.broker)) == [1, 3])
            #expect(await runtime.state.topics.isEmpty)

            await runtime.stop()
            for c in others.values { await c.session.close() }
            await zk.session.close()
        }
    }

    @Test func aFailoverElectsLeadersForOfflinePartitionsAndAnnouncesExistingOnes() async throws {
        try await LiveZooKeeper.withChroot { connect in
            let (zk, others, election) = try await cluster(connect)
            // State left by an earlier controller: partition 0 led by broker 4, which is gone.
            try await zk.createTopic("old", topicId: TopicIdFixture.id.base64URL, assignment: [0: [4, 3], 1: [1, 2]])
            _ = try await zk.createPartitionStates(
                topic: "old",
                states: [
                    0: LeaderIsrState(leader: 4, leaderEpoch: 5, isr: [4, 3], controllerEpoch: 0),
                    1: LeaderIsrState(leader: 1, leaderEpoch: 2, isr: [1, 2], controllerEpoch: 0),
                ], fence: election)
            let channel = RecordingChannel()
            let runtime = ControllerRuntime(
                zk: zk, channel: channel, settings: ControllerSettings(brokerId: 1, autoLeaderRebalanceEnable: false),
                election: election, onResign: { _ in })
            await runtime.start()
            #expect(try await Z.eventually { try await state(zk, "old", 0)?.leader == 3 })
            let s0 = try #require(try await state(zk, "old", 0))
            #expect(s0.leaderEpoch == 6 && s0.isr == [3])
            // Partition 1 kept its leader; its replicas were told the current state (not new).
            #expect(try await state(zk, "old", 1)?.leaderEpoch == 2)
            #expect(
                channel.leaderAndIsr(to: 2).contains {
                    $0.0 == TopicPartition(topic: "old", partition: 1) && !$0.1 && $0.2 == 1
                })
            await runtime.stop()
            for c in others.values { await c.session.close() }
            await zk.session.close()
        }
    }

    @Test func aControllerWhoseEpochWasTakenOverResignsOnItsNextWrite() async throws {
        try await LiveZooKeeper.withChroot { connect in
            let (zk, others, election) = try await cluster(connect)
            let resigned = Mutex<ControllerResignation?>(nil)
            let runtime = ControllerRuntime(
                zk: zk, channel: RecordingChannel(),
                settings: ControllerSettings(brokerId: 1, autoLeaderRebalanceEnable: false), election: election,
                onResign: { reason in resigned.withLock { $0 = reason } })
            await runtime.start()
            #expect(try await Z.eventually { await runtime.state.brokers.count == 3 })
            // Another controller bumped the epoch.
            _ = try await zk.session.set(
                ControllerEpochZNode.path, data: ControllerEpochZNode.encode(election.epoch + 1))
            try await zk.createTopic("x", topicId: nil, assignment: [0: [1]])
            #expect(try await Z.eventually { resigned.withLock { $0 } == .controllerMoved })
            #expect(await !runtime.isActive)
            #expect(try await zk.partitionState(topic: "x", partition: 0) == nil)
            for c in others.values { await c.session.close() }
            await zk.session.close()
        }
    }

    @Test func electLeadersAndControlledShutdownAreAnsweredByTheRuntime() async throws {
        try await LiveZooKeeper.withChroot { connect in
            let (zk, others, election) = try await cluster(connect)
            try await zk.createTopic(
                "e", topicId: TopicIdFixture.id.base64URL, assignment: [0: [1, 2], 1: [2, 1], 2: [3]])
            _ = try await zk.createPartitionStates(
                topic: "e",
                states: [
                    0: LeaderIsrState(leader: 2, leaderEpoch: 3, isr: [2, 1], controllerEpoch: 0),
                    1: LeaderIsrState(leader: 2, leaderEpoch: 1, isr: [2, 1], controllerEpoch: 0),
                    2: LeaderIsrState(leader: 3, leaderEpoch: 0, isr: [3], controllerEpoch: 0),
                ], fence: election)
            let runtime = ControllerRuntime(
                zk: zk, channel: RecordingChannel(),
                settings: ControllerSettings(brokerId: 1, autoLeaderRebalanceEnable: false), election: election,
                onResign: { _ in })
            await runtime.start()
            let tp = { (p: Int32) in TopicPartition(topic: "e", partition: p) }
            let outcomes = try #require(
                await runtime.electLeaders(
                    .preferred, partitions: [tp(0), tp(1), TopicPartition(topic: "nope", partition: 0)]))
            #expect(outcomes[tp(0)] == .elected(leader: 1))
            #expect(outcomes[tp(1)] == .notNeeded)
            #expect(outcomes[TopicPartition(topic: "nope", partition: 0)] == .unknownPartition)
            let e0 = try await state(zk, "e", 0)
            #expect(e0?.leader == 1 && e0?.leaderEpoch == 4)

            let epoch2 = try #require(await runtime.state.brokers[2]?.epoch)
            let epoch3 = try #require(await runtime.state.brokers[3]?.epoch)
            #expect(await runtime.controlledShutdown(brokerId: 2, brokerEpoch: 0) == .staleBrokerEpoch)
            // Only the registration's own epoch is believed: no epoch (v0-1) or a garbled one changes nothing.
            #expect(await runtime.controlledShutdown(brokerId: 2, brokerEpoch: -1) == .staleBrokerEpoch)
            #expect(await runtime.controlledShutdown(brokerId: 2, brokerEpoch: epoch2 + 12_345) == .staleBrokerEpoch)
            #expect(await !runtime.state.shuttingDown.contains(2))
            #expect(await runtime.controlledShutdown(brokerId: 9, brokerEpoch: -1) == .brokerNotAvailable)
            #expect(await runtime.controlledShutdown(brokerId: 2, brokerEpoch: epoch2) == .accepted(remaining: []))
            #expect(try await state(zk, "e", 1)?.leader == 1)
            #expect(try await state(zk, "e", 0)?.isr == [1])
            // RF 1: broker 3 keeps its partition.
            #expect(await runtime.controlledShutdown(brokerId: 3, brokerEpoch: epoch3) == .accepted(remaining: [tp(2)]))
            await runtime.stop()
            #expect(await runtime.electLeaders(.preferred, partitions: nil) == nil)
            for c in others.values { await c.session.close() }
            await zk.session.close()
        }
    }

    @Test func addedPartitionsIsrNotificationsAndThePreferredElectionZnodeAreHandled() async throws {
        try await LiveZooKeeper.withChroot { connect in
            let (zk, others, election) = try await cluster(connect)
            let channel = RecordingChannel()
            let runtime = ControllerRuntime(
                zk: zk, channel: channel, settings: ControllerSettings(brokerId: 1, autoLeaderRebalanceEnable: false),
                election: election, onResign: { _ in })
            await runtime.start()
            try await zk.createTopic("g", topicId: TopicIdFixture.id.base64URL, assignment: [0: [1, 2]])
            #expect(try await Z.eventually { try await state(zk, "g", 0) != nil })

            // CreatePartitions rewrites the assignment: the new partition gets its state and a leader.
            let record = try #require(try await zk.getTopic("g"))
            var grown = record.assignment
            grown.partitions[1] = [2, 1]
            try await zk.setTopicAssignment("g", grown, expectedVersion: record.zkVersion)
            #expect(try await Z.eventually { try await state(zk, "g", 1)?.leader == 2 })

            // A leader shrinks its ISR (unfenced conditional write) and publishes a notification.
            let current = try #require(try await zk.partitionState(topic: "g", partition: 0))
            var shrunk = current.state
            shrunk.isr = [1]
            try await zk.session.set(
                TopicPartitionStateZNode.path("g", 0), data: TopicPartitionStateZNode.encode(shrunk),
                version: current.zkVersion)
            try await zk.createIsrChangeNotification([TopicPartition(topic: "g", partition: 0)])
            #expect(try await Z.eventually { try await zk.isrChangeNotificationChildren().isEmpty })
            #expect(
                await runtime.state.partitionStates[TopicPartition(topic: "g", partition: 0)]?.leaderAndIsr.isr == [1])
            #expect(
                channel.sent.contains { s in
                    guard case .updateMetadata(let um) = s.request else { return false }
                    return um.topicStates.contains {
                        $0.partitionStates.contains { $0.partitionIndex == 0 && $0.isr == [1] }
                    }
                })

            // A controlled shutdown of broker 2 moves partition 1 (preferred leader 2) to broker 1.
            let epoch2 = try #require(await runtime.state.brokers[2]?.epoch)
            #expect(await runtime.controlledShutdown(brokerId: 2, brokerEpoch: epoch2) == .accepted(remaining: []))
            #expect(try await state(zk, "g", 1)?.leader == 1)
            await others[2]!.session.close()
            let again = try await Z.client(connect)
            try await again.registerBroker(Z.registration(2))
            #expect(try await Z.eventually { await runtime.state.isLive(2) })
            // Broker 2 is back but not in the ISR of partition 1: the preferred election cannot move it yet.
            try await zk.session.createRecursive(
                PreferredReplicaElectionZNode.path,
                data: PreferredReplicaElectionZNode.encode([TopicPartition(topic: "g", partition: 1)]))
            #expect(try await Z.eventually { try await zk.preferredReplicaElection() == nil })
            #expect(try await state(zk, "g", 1)?.leader == 1)
            await runtime.stop()
            await again.session.close()
            await others[3]!.session.close()
            await zk.session.close()
        }
    }
}

enum TopicIdFixture {
    static let id = UUIDValue(bytes: Array(1...16))
}
