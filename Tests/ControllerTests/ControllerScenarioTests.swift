import Coordination
import KafkaProtocol
import Synchronization
import Testing

@testable import Controller

/// Controller scenarios in-process: the runtime reads and writes an `InMemoryControllerStore` instead of
/// ZooKeeper, tests play brokers and the admin path, and every wait is on a state condition (no sleeps).
@Suite("Controller scenarios against an in-memory store", .timeLimit(.minutes(1)))
struct ControllerScenarioTests {
    /// Brokers 1, 2 and 3 registered and broker 1 elected.
    private static func cluster() -> (InMemoryControllerStore, ControllerElection) {
        let store = InMemoryControllerStore()
        for id: Int32 in [1, 2, 3] { store.registerBroker(id) }
        return (store, store.electController(1))
    }

    private static func runtime(
        _ store: InMemoryControllerStore, _ election: ControllerElection, brokerId: Int32 = 1,
        channel: RecordingChannel = RecordingChannel(),
        onResign: @escaping @Sendable (ControllerResignation) -> Void = { _ in }
    ) async -> ControllerRuntime {
        let runtime = ControllerRuntime(
            store: store, channel: channel,
            settings: ControllerSettings(brokerId: brokerId, autoLeaderRebalanceEnable: false), election: election,
            onResign: onResign)
        await runtime.start()
        return runtime
    }

    /// Returns once every event queued before it has been processed (the runtime handles events one at a time).
    private static func barrier(_ runtime: ControllerRuntime) async {
        _ = await runtime.electLeaders(.preferred, partitions: [])
    }

    @Test("a new topic gets a topic id, state znodes led by the first live replica, and LeaderAndIsr (isNew)")
    func newTopic() async throws {
        let (store, election) = Self.cluster()
        let channel = RecordingChannel()
        let runtime = await Self.runtime(store, election, channel: channel)
        store.createTopic("t", [0: [1, 2, 3], 1: [2, 3, 1]])
        await store.until { $0.state("t", 0) != nil && $0.state("t", 1) != nil }
        let s = store.snapshot
        #expect(s.state("t", 0) == LeaderIsrState(leader: 1, leaderEpoch: 0, isr: [1, 2, 3], controllerEpoch: 1))
        #expect(s.state("t", 1) == LeaderIsrState(leader: 2, leaderEpoch: 0, isr: [2, 3, 1], controllerEpoch: 1))
        #expect(s.topics["t"]?.assignment.topicId.flatMap(UUIDValue.init(base64URL:)) != nil)
        await Self.barrier(runtime)
        await runtime.stop()
        let sentToThree = channel.leaderAndIsr(to: 3)
        #expect(Set(sentToThree.map(\.0.partition)) == [0, 1])
        #expect(sentToThree.allSatisfy { $0.1 })
    }

    @Test("losing a leader's broker elects the next ISR replica and bumps the leader epoch")
    func brokerLoss() async throws {
        let (store, election) = Self.cluster()
        let channel = RecordingChannel()
        let runtime = await Self.runtime(store, election, channel: channel)
        store.createTopic("t", [0: [1, 2, 3], 1: [2, 3, 1]])
        await store.until { $0.state("t", 1)?.leader == 2 && $0.state("t", 0) != nil }

        store.removeBroker(2)
        await store.until { $0.state("t", 1)?.leader == 3 }
        let s = store.snapshot
        #expect(s.state("t", 1) == LeaderIsrState(leader: 3, leaderEpoch: 1, isr: [3, 1], controllerEpoch: 1))
        // A follower's loss only shrinks the ISR and keeps the leader.
        #expect(s.state("t", 0)?.leader == 1)
        #expect(s.state("t", 0)?.isr == [1, 3])
        #expect(!channel.brokers.contains(2))
        await runtime.stop()
    }

    @Test("a partition whose whole ISR is gone stays offline (leader -1) without unclean election")
    func offlinePartition() async throws {
        let (store, election) = Self.cluster()
        let runtime = await Self.runtime(store, election)
        store.createTopic("solo", [0: [3]])
        await store.until { $0.state("solo", 0)?.leader == 3 }
        store.removeBroker(3)
        await store.until { $0.state("solo", 0)?.leader == -1 }
        #expect(store.snapshot.state("solo", 0)?.isr == [3])
        await runtime.stop()
    }

    @Test("a controller whose epoch moved resigns on its next write, and the new controller takes over with its epoch")
    func failover() async throws {
        let (store, first) = Self.cluster()
        let resigned = Mutex<ControllerResignation?>(nil)
        let old = await Self.runtime(store, first, onResign: { reason in resigned.withLock { $0 = reason } })
        store.createTopic("t", [0: [1, 2], 1: [2, 1]])
        await store.until { $0.state("t", 0) != nil && $0.state("t", 1) != nil }

        // Broker 1's session ends and broker 2 wins the next election.
        let second = store.electController(2)
        let writesBefore = store.snapshot.stateWrites.count
        store.removeBroker(1)
        let new = await Self.runtime(store, second, brokerId: 2)
        await store.until { $0.state("t", 0)?.leader == 2 }
        let s = store.snapshot
        #expect(s.state("t", 0) == LeaderIsrState(leader: 2, leaderEpoch: 1, isr: [2], controllerEpoch: 2))
        // Every write after the takeover was the new controller's.
        #expect(s.stateWrites[writesBefore...].allSatisfy { $0.1.controllerEpoch == 2 })
        // The old runtime saw the same broker change; its fenced write failed and it stepped down.
        while resigned.withLock({ $0 }) == nil { await Task.yield() }
        #expect(resigned.withLock { $0 } == .controllerMoved)
        #expect(await !old.isActive)
        await new.stop()
    }

    @Test("a topic marked for deletion gets StopReplica(delete) on its live replicas, then its znodes go")
    func topicDeletion() async throws {
        let (store, election) = Self.cluster()
        let channel = RecordingChannel()
        let runtime = await Self.runtime(store, election, channel: channel)
        store.createTopic("d", [0: [1, 2], 1: [2, 3]])
        await store.until { $0.state("d", 0) != nil && $0.state("d", 1) != nil }

        store.markTopicForDeletion("d")
        await store.until { $0.topics["d"] == nil && $0.deletionMarkers.isEmpty }
        #expect(store.snapshot.partitionStates.isEmpty)
        let stops = channel.sent.compactMap { s -> (Int32, StopReplicaRequest)? in
            if case .stopReplica(let r) = s.request { (s.broker, r) } else { nil }
        }
        #expect(Set(stops.map(\.0)) == [1, 2, 3])
        #expect(stops.allSatisfy { $0.1.topicStates.allSatisfy { $0.partitionStates.allSatisfy(\.deletePartition) } })
        await Self.barrier(runtime)
        #expect(await runtime.state.topics.isEmpty)
        await runtime.stop()
    }

    @Test("a marker for a topic that does not exist is removed without a deletion")
    func unknownDeletionMarker() async throws {
        let (store, election) = Self.cluster()
        let runtime = await Self.runtime(store, election)
        store.markTopicForDeletion("ghost")
        await store.until { $0.deletionMarkers.isEmpty }
        await runtime.stop()
    }

    @Test("a preferred replica election moves leadership back to the first assigned replica once it is in the ISR")
    func preferredElection() async throws {
        let (store, election) = Self.cluster()
        let runtime = await Self.runtime(store, election)
        store.createTopic("p", [0: [1, 2, 3]])
        await store.until { $0.state("p", 0)?.leader == 1 }
        store.removeBroker(1)
        await store.until { $0.state("p", 0)?.leader == 2 }
        // Broker 1 returns and the leader takes it back into the ISR.
        store.registerBroker(1)
        while await runtime.state.brokers[1] == nil { await Task.yield() }
        store.leaderChangesIsr("p", 0, isr: [2, 3, 1])
        await store.until { $0.isrNotifications.isEmpty }

        store.requestPreferredElection([ZkTopicPartition(topic: "p", partition: 0)])
        await store.until { $0.state("p", 0)?.leader == 1 && $0.preferredElection == nil }
        let s = try #require(store.snapshot.state("p", 0))
        #expect(s.leaderEpoch == 2)
        #expect(s.isr == [2, 3, 1])
        await runtime.stop()
    }

    @Test("a preferred election whose preferred replica is out of the ISR changes nothing and clears the request")
    func preferredElectionNotPossible() async throws {
        let (store, election) = Self.cluster()
        let runtime = await Self.runtime(store, election)
        store.createTopic("p", [0: [1, 2]])
        await store.until { $0.state("p", 0)?.leader == 1 }
        store.removeBroker(1)
        await store.until { $0.state("p", 0)?.leader == 2 }
        store.registerBroker(1)
        store.requestPreferredElection([ZkTopicPartition(topic: "p", partition: 0)])
        await store.until { $0.preferredElection == nil }
        #expect(store.snapshot.state("p", 0)?.leader == 2)
        await runtime.stop()
    }

    @Test("a controlled shutdown moves the broker's leaderships to ISR peers and answers what it still leads")
    func controlledShutdown() async throws {
        let (store, election) = Self.cluster()
        let channel = RecordingChannel()
        let runtime = await Self.runtime(store, election, channel: channel)
        store.createTopic("c", [0: [2, 1], 1: [1, 2], 2: [2]])
        await store.until { s in (0...2).allSatisfy { s.state("c", Int32($0)) != nil } }
        let epoch = try #require(store.snapshot.brokers[2]?.brokerEpoch)

        #expect(await runtime.controlledShutdown(brokerId: 2, brokerEpoch: epoch + 1) == .staleBrokerEpoch)
        #expect(await runtime.controlledShutdown(brokerId: 7, brokerEpoch: epoch) == .brokerNotAvailable)
        let outcome = await runtime.controlledShutdown(brokerId: 2, brokerEpoch: epoch)
        // Replication factor 1: broker 2 keeps leading c-2 until it stops.
        #expect(outcome == .accepted(remaining: [TopicPartition(topic: "c", partition: 2)]))
        let s = store.snapshot
        #expect(s.state("c", 0)?.leader == 1)
        #expect(s.state("c", 0)?.leaderEpoch == 1)
        #expect(s.state("c", 1)?.leader == 1)
        #expect(s.state("c", 1)?.isr == [1])
        #expect(s.state("c", 2)?.leader == 2)
        // The partition it only followed gets StopReplica without deletion.
        let stops = channel.sent.compactMap { s -> StopReplicaRequest? in
            if case .stopReplica(let r) = s.request, s.broker == 2 { r } else { nil }
        }
        let stopped = stops.flatMap { r in r.topicStates.flatMap { t in t.partitionStates.map { (t.topicName, $0) } } }
        #expect(stopped.map(\.0) == ["c"])
        #expect(stopped.map(\.1.partitionIndex) == [1])
        #expect(stopped.allSatisfy { !$0.1.deletePartition })
        await runtime.stop()
    }

    @Test("an unclean ElectLeaders revives a partition whose whole ISR is gone with a live out-of-sync replica")
    func uncleanElectLeaders() async throws {
        let (store, election) = Self.cluster()
        let runtime = await Self.runtime(store, election)
        store.createTopic("u", [0: [1, 2], 1: [3, 1]])
        await store.until { $0.state("u", 0)?.leader == 1 && $0.state("u", 1)?.leader == 3 }
        // The leader drops broker 2 from the ISR, then dies: the partition goes offline.
        store.leaderChangesIsr("u", 0, isr: [1])
        await store.until { $0.isrNotifications.isEmpty }
        store.removeBroker(1)
        await store.until { $0.state("u", 0)?.leader == -1 }

        let u0 = TopicPartition(topic: "u", partition: 0)
        let u1 = TopicPartition(topic: "u", partition: 1)
        let preferred = await runtime.electLeaders(.preferred, partitions: [u0, u1])
        #expect(preferred?[u0] == .preferredLeaderNotAvailable)
        #expect(preferred?[u1] == .notNeeded)
        let unclean = await runtime.electLeaders(.unclean, partitions: [u0])
        #expect(unclean?[u0] == .elected(leader: 2))
        #expect(store.snapshot.state("u", 0)?.isr == [2])
        await runtime.stop()
    }

    /// The partition state of `tp` in the last UpdateMetadata that carried it.
    private static func lastUpdateMetadata(_ channel: RecordingChannel, _ tp: TopicPartition)
        -> UpdateMetadataRequest.UpdateMetadataPartitionState?
    {
        channel.sent.compactMap { s -> UpdateMetadataRequest.UpdateMetadataPartitionState? in
            guard case .updateMetadata(let r) = s.request else { return nil }
            return r.topicStates.first { $0.topicName == tp.topic }?.partitionStates.first {
                $0.partitionIndex == tp.partition
            }
        }.last
    }

    @Test("a leader's KAFKA_STORAGE_ERROR moves leadership to another ISR replica and marks the replica offline")
    func storageErrorOnLeader() async throws {
        let (store, election) = Self.cluster()
        let channel = RecordingChannel()
        let runtime = await Self.runtime(store, election, channel: channel)
        let t0 = TopicPartition(topic: "t", partition: 0)
        channel.failStorage(broker: 1, t0)
        store.createTopic("t", [0: [1, 2, 3], 1: [1, 2, 3]])
        await store.until { $0.state("t", 0)?.leader == 2 }
        let s = store.snapshot
        #expect(s.state("t", 0) == LeaderIsrState(leader: 2, leaderEpoch: 1, isr: [2, 3], controllerEpoch: 1))
        // Broker 1's other partition opened: it keeps leading it.
        #expect(s.state("t", 1) == LeaderIsrState(leader: 1, leaderEpoch: 0, isr: [1, 2, 3], controllerEpoch: 1))
        await Self.barrier(runtime)
        #expect(await runtime.state.offlineReplicas[1] == [t0])
        #expect(Self.lastUpdateMetadata(channel, t0)?.offlineReplicas == [1])
        #expect(Self.lastUpdateMetadata(channel, t0)?.leader == 2)
        #expect(Self.lastUpdateMetadata(channel, TopicPartition(topic: "t", partition: 1))?.offlineReplicas == [])
        // The new leadership goes to the online replicas only; the failed replica is stopped without deletion.
        #expect(channel.leaderAndIsr(to: 1).filter { $0.0 == t0 }.map(\.3) == [0])
        #expect(channel.leaderAndIsr(to: 3).filter { $0.0 == t0 }.map(\.3) == [0, 1])
        let stops = channel.sent.compactMap { s -> StopReplicaRequest? in
            if case .stopReplica(let r) = s.request, s.broker == 1 { r } else { nil }
        }
        #expect(stops.flatMap { $0.topicStates.flatMap(\.partitionStates) }.map(\.deletePartition) == [false])
        await runtime.stop()
    }

    @Test("a follower's KAFKA_STORAGE_ERROR takes it out of the ISR and keeps the leader")
    func storageErrorOnFollower() async throws {
        let (store, election) = Self.cluster()
        let channel = RecordingChannel()
        let runtime = await Self.runtime(store, election, channel: channel)
        let t0 = TopicPartition(topic: "t", partition: 0)
        channel.failStorage(broker: 3, t0)
        store.createTopic("t", [0: [1, 2, 3]])
        await store.until { $0.state("t", 0)?.leaderEpoch == 1 }
        let expected = LeaderIsrState(leader: 1, leaderEpoch: 1, isr: [1, 2], controllerEpoch: 1)
        #expect(store.snapshot.state("t", 0) == expected)
        await Self.barrier(runtime)
        #expect(Self.lastUpdateMetadata(channel, t0)?.offlineReplicas == [3])
        await runtime.stop()
    }

    @Test("a single-replica partition whose storage fails goes offline (leader -1), its replica listed offline")
    func storageErrorSingleReplica() async throws {
        let (store, election) = Self.cluster()
        let channel = RecordingChannel()
        let runtime = await Self.runtime(store, election, channel: channel)
        let solo = TopicPartition(topic: "solo", partition: 0)
        channel.failStorage(broker: 3, solo)
        store.createTopic("solo", [0: [3]])
        await store.until { $0.state("solo", 0)?.leader == -1 }
        let expected = LeaderIsrState(leader: -1, leaderEpoch: 1, isr: [3], controllerEpoch: 1)
        #expect(store.snapshot.state("solo", 0) == expected)
        await Self.barrier(runtime)
        let metadata = try #require(Self.lastUpdateMetadata(channel, solo))
        #expect(metadata.leader == -1)
        #expect(metadata.offlineReplicas == [3])
        await runtime.stop()
    }

    @Test("a re-registered broker's replica is online again and leads its partition")
    func storageErrorClearedByRestart() async throws {
        let (store, election) = Self.cluster()
        let channel = RecordingChannel()
        let runtime = await Self.runtime(store, election, channel: channel)
        let solo = TopicPartition(topic: "solo", partition: 0)
        channel.failStorage(broker: 3, solo)
        store.createTopic("solo", [0: [3]])
        await store.until { $0.state("solo", 0)?.leader == -1 }

        // Broker 3 restarts with working storage: a new registration, a new epoch.
        channel.repairStorage(broker: 3)
        store.registerBroker(3)
        await store.until { $0.state("solo", 0)?.leader == 3 }
        await Self.barrier(runtime)
        #expect(await runtime.state.offlineReplicas[3] == nil)
        let metadata = try #require(Self.lastUpdateMetadata(channel, solo))
        #expect(metadata.leader == 3)
        #expect(metadata.offlineReplicas == [])
        await runtime.stop()
    }

    @Test("a lost ZooKeeper session stops the runtime with sessionLost")
    func sessionLoss() async throws {
        let (store, election) = Self.cluster()
        let resigned = Mutex<ControllerResignation?>(nil)
        let runtime = await Self.runtime(store, election, onResign: { reason in resigned.withLock { $0 = reason } })
        store.createTopic("t", [0: [1]])
        await store.until { $0.state("t", 0) != nil }
        store.expireSession()
        // The watches fire `.sessionExpired` and end; the next event's read fails with sessionExpired.
        _ = await runtime.electLeaders(.preferred, partitions: nil)
        while resigned.withLock({ $0 }) == nil { await Task.yield() }
        #expect(resigned.withLock { $0 } == .sessionLost)
        #expect(await !runtime.isActive)
    }
}
