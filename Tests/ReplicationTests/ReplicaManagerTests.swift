import Foundation
import KafkaConfig
import KafkaProtocol
import KafkaRecords
import LogStorage
import Testing

@testable import Broker

private func uuid(_ n: UInt8) -> UUIDValue { UUIDValue(bytes: [UInt8](repeating: 0, count: 15) + [n]) }

/// A replica manager over a temporary log directory; no sockets, no ZooKeeper.
private final class Fixture: @unchecked Sendable {
    let dir: String
    let logs: LogManager
    let replicas: ReplicaManager
    let config: EffectiveTopicConfig

    init(brokerId: Int32 = 1, minInsync: Int = 1) throws {
        dir = NSTemporaryDirectory() + "replication-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        logs = try LogManager(logDirs: [dir], brokerId: brokerId, clusterId: "test-cluster")
        replicas = ReplicaManager(logManager: logs, brokerId: brokerId)
        let broker = try BrokerConfig(properties: [
            "broker.id": "\(brokerId)", "zookeeper.connect": "localhost:2181",
            "min.insync.replicas": "\(minInsync)",
        ])
        config = try EffectiveTopicConfig(topicOverrides: [:], broker: broker)
    }

    deinit {
        try? logs.shutdown()
        try? FileManager.default.removeItem(atPath: dir)
    }

    func leaderAndIsr(
        topic: String = "t", partition: Int32 = 0, leader: Int32, epoch: Int32, isr: [Int32], replicas: [Int32],
        zkVersion: Int32 = 0
    ) async -> ReplicaManager.LeaderAndIsrOutcome {
        let request = LeaderAndIsrRequest(
            controllerId: 9, controllerEpoch: 1, brokerEpoch: -1,
            topicStates: [
                .init(
                    topicName: topic, topicId: uuid(12),
                    partitionStates: [
                        .init(
                            partitionIndex: partition, controllerEpoch: 1, leader: leader, leaderEpoch: epoch, isr: isr,
                            partitionEpoch: zkVersion, replicas: replicas)
                    ])
            ])
        let config = self.config
        return await self.replicas.becomeLeaderOrFollower(request, version: 5) { _ in config }
    }

    func produce(_ count: Int = 1, acks: Int16 = -1) async throws -> Partition.AppendOutcome {
        var builder = RecordBatchBuilder()
        for i in 0..<count { builder.append(timestamp: 1_000 + Int64(i), key: nil, value: Array("v\(i)".utf8)) }
        return try await replicas.appendAsLeader(
            topic: "t", partition: 0, records: try builder.build(), produceVersion: 9, requiredAcks: acks,
            timeoutMs: 1_000)
    }
}

@Suite("replica manager replication")
struct ReplicaManagerReplicationTests {
    @Test func aLeaderAndIsrMakesThisBrokerLeaderWithTheEpochStartingAtItsLogEnd() async throws {
        let f = try Fixture()
        let outcome = await f.leaderAndIsr(leader: 1, epoch: 3, isr: [1, 2], replicas: [1, 2])
        #expect(outcome.results.map(\.error) == [nil])
        let p = try #require(f.replicas.partition("t", 0))
        #expect(p.isLeader)
        #expect(p.log.leaderEpochEntries == [EpochEntry(epoch: 3, startOffset: 0)])
        #expect(p.state.followers[2]?.lastCaughtUpTimeMs ?? 0 > 0)
    }

    @Test func anOlderOrRepeatedLeaderEpochIsAnsweredWithStaleControllerEpoch() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 3, isr: [1], replicas: [1])
        let older = await f.leaderAndIsr(leader: 2, epoch: 2, isr: [2], replicas: [1, 2])
        #expect(older.results.map(\.error) == [.staleControllerEpoch])
        let same = await f.leaderAndIsr(leader: 2, epoch: 3, isr: [2], replicas: [1, 2])
        #expect(same.results.map(\.error) == [.staleControllerEpoch])
        #expect(f.replicas.partition("t", 0)?.isLeader == true)
    }

    @Test func aPartitionNotAssignedHereIsUnknown() async throws {
        let f = try Fixture()
        let outcome = await f.leaderAndIsr(leader: 2, epoch: 0, isr: [2, 3], replicas: [2, 3])
        #expect(outcome.results.map(\.error) == [.unknownTopicOrPartition])
        #expect(f.replicas.partition("t", 0) == nil)
    }

    @Test func controllerRequestsFromAnOlderControllerEpochAreRejected() throws {
        let f = try Fixture()
        try f.replicas.checkControllerEpoch(4)
        #expect(throws: BrokerError.staleControllerEpoch) { try f.replicas.checkControllerEpoch(3) }
        try f.replicas.checkControllerEpoch(5)
    }

    @Test func aControllerRequestCountsOnlyWithThisRegistrationsOwnBrokerEpoch() throws {
        let f = try Fixture()
        for other: Int64 in [99, -1, 101] {  // an earlier registration, none (v0-1 / garbled), a garbled larger one
            #expect(throws: BrokerError.staleBrokerEpoch) {
                try ControllerRequestChecks.check(brokerEpoch: other, ownBrokerEpoch: 100, controllerEpoch: 1, replicas: f.replicas)
            }
        }
        // Between registering and learning its epoch the broker takes the controller's word.
        try ControllerRequestChecks.check(brokerEpoch: 100, ownBrokerEpoch: -1, controllerEpoch: 1, replicas: f.replicas)
        try ControllerRequestChecks.check(brokerEpoch: 100, ownBrokerEpoch: 100, controllerEpoch: 1, replicas: f.replicas)
        try ControllerRequestChecks.check(brokerEpoch: 100, ownBrokerEpoch: 100, controllerEpoch: 2, replicas: f.replicas)
        #expect(throws: BrokerError.staleControllerEpoch) {
            try ControllerRequestChecks.check(brokerEpoch: 100, ownBrokerEpoch: 100, controllerEpoch: 1, replicas: f.replicas)
        }
    }

    @Test func theFollowerFetchRequestCarriesItsPositionEpochsAndTheReplicaFetchSettings() async throws {
        let f = try Fixture(brokerId: 2)
        _ = await f.leaderAndIsr(leader: 1, epoch: 4, isr: [1, 2], replicas: [1, 2])
        let broker = try BrokerConfig(properties: [
            "broker.id": "2", "zookeeper.connect": "localhost:2181", "replica.fetch.wait.max.ms": "300",
            "replica.fetch.max.bytes": "4096",
        ])
        let replicas = f.replicas
        let fetcher = ReplicaFetcher(
            source: FetchSource(brokerId: 1, host: "h", port: 1), brokerId: 2,
            lookup: { replicas.partition($0.topic, $0.partition) }, settings: { broker }, logger: .init(label: "t"))
        let request = fetcher.buildRequest(
            [TopicPartition(topic: "t", partition: 0): PartitionFetchState(fetchOffset: 0, currentLeaderEpoch: 4)],
            config: broker)
        #expect(request.replicaId == 2)
        #expect(request.maxWaitMs == 300)
        let p = try #require(request.topics.first?.partitions.first)
        #expect(p.currentLeaderEpoch == 4)
        #expect(p.fetchOffset == 0)
        #expect(p.lastFetchedEpoch == -1)
        #expect(p.partitionMaxBytes == 4096)
    }

    @Test func anAcksAllProduceCompletesOnlyAfterTheFollowerFetchedPastIt() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1, 2], replicas: [1, 2])
        let appended = try await f.produce(3)
        let wait = ReplicaManager.AckWait(topic: "t", partition: 0, requiredOffset: appended.lastOffset + 1)
        #expect(await f.replicas.awaitReplication([wait], timeoutMs: 0) == [.requestTimedOut])
        #expect(f.replicas.partition("t", 0)?.log.highWatermark == 0)
        f.replicas.recordFollowerFetch(
            topic: "t", partition: 0, replicaId: 2, fetchOffset: 3, followerLogStartOffset: 0, leaderLogEndOffset: 3)
        #expect(f.replicas.partition("t", 0)?.log.highWatermark == 3)
        #expect(await f.replicas.awaitReplication([wait], timeoutMs: 0) == [nil])
    }

    @Test func aReElectedLeaderKeepsItsFollowersPositionsSoTheHighWatermarkMovesAtOnce() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1, 2, 3], replicas: [1, 2, 3])
        _ = try await f.produce(4)
        f.replicas.recordFollowerFetch(topic: "t", partition: 0, replicaId: 2, fetchOffset: 4, followerLogStartOffset: 0, leaderLogEndOffset: 4)
        // The controller removes dead broker 3 from the ISR with a new epoch; 1 stays leader.
        _ = await f.leaderAndIsr(leader: 1, epoch: 1, isr: [1, 2], replicas: [1, 2, 3], zkVersion: 1)
        let p = try #require(f.replicas.partition("t", 0))
        #expect(p.state.followers[2]?.logEndOffset == 4)
        #expect(p.log.highWatermark == 4)
    }

    @Test func aSoleReplicaAnswersAcksAllAtOnce() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1], replicas: [1])
        let appended = try await f.produce(2)
        let wait = ReplicaManager.AckWait(topic: "t", partition: 0, requiredOffset: appended.lastOffset + 1)
        #expect(await f.replicas.awaitReplication([wait], timeoutMs: 0) == [nil])
    }

    @Test func acksAllIsRefusedBeforeAppendingWhenTheIsrIsBelowMinInsync() async throws {
        let f = try Fixture(minInsync: 2)
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1], replicas: [1, 2])
        await #expect(throws: BrokerError.notEnoughReplicas) { _ = try await f.produce(1) }
        _ = try await f.produce(1, acks: 1)
    }

    @Test func aWaitingAcksAllProduceFailsWhenThisBrokerBecomesFollower() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1, 2], replicas: [1, 2])
        let appended = try await f.produce(1)
        _ = await f.leaderAndIsr(leader: 2, epoch: 1, isr: [2], replicas: [1, 2])
        let wait = ReplicaManager.AckWait(topic: "t", partition: 0, requiredOffset: appended.lastOffset + 1)
        #expect(await f.replicas.awaitReplication([wait], timeoutMs: 1_000) == [.notLeaderOrFollower])
        await #expect(throws: BrokerError.notLeaderOrFollower) { _ = try await f.produce(1) }
    }

    @Test func resigningLeadershipStopsProduceAndFetchUntilTheNextLeaderAndIsr() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1], replicas: [1])
        f.replicas.resignAllLeadership()
        await #expect(throws: BrokerError.notLeaderOrFollower) { _ = try await f.produce(1, acks: 1) }
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1], replicas: [1])
        _ = try await f.produce(1, acks: 1)
    }

    @Test func aCaughtUpFollowerIsProposedForTheIsrAndJoinsOnlyAfterTheWriteSucceeded() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1], replicas: [1, 2], zkVersion: 4)
        _ = try await f.produce(2)
        let p = try #require(f.replicas.partition("t", 0))
        #expect(p.log.highWatermark == 2)
        let proposal = try #require(
            p.recordFollowerFetch(
                replicaId: 2, fetchOffset: 2, followerLogStartOffset: 0, leaderLogEndOffset: 2, now: 10))
        #expect(proposal.newIsr == [1, 2])
        #expect(proposal.expectedZkVersion == 4)
        #expect(p.state.isr == [1])
        // No second change while one is in flight.
        #expect(p.recordFollowerFetch(replicaId: 2, fetchOffset: 2, followerLogStartOffset: 0, leaderLogEndOffset: 2, now: 11) == nil)
        #expect(p.completeIsrChange(proposal, result: .written(zkVersion: 5), now: 12))
        #expect(p.state.isr == [1, 2])
        #expect(p.state.partitionEpoch == 5)
    }

    @Test func aLeaderWhoseIsrWriteMeetsAnotherStateStopsAcknowledging() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1, 2], replicas: [1, 2])
        let p = try #require(f.replicas.partition("t", 0))
        // Follower 2 never fetched: after the lag time it is out of sync.
        let proposal = try #require(p.proposeIsrShrink(now: systemClockMillis() + 60_000))
        #expect(proposal.newIsr == [1])
        p.completeIsrChange(proposal, result: .conflict, now: 0)
        #expect(p.state.isr == [1, 2])
        #expect(!p.isLeader)
    }

    @Test func theLeaderAnswersAFollowerWithADivergingEpochInsteadOfData() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1], replicas: [1, 2])
        _ = try await f.produce(5)
        _ = await f.leaderAndIsr(leader: 1, epoch: 2, isr: [1], replicas: [1, 2])
        _ = try await f.produce(1)
        // The follower wrote epoch 1 (never on this leader) up to offset 8.
        let read = try f.replicas.read(
            topic: "t", partition: 0, offset: 8, maxBytes: 1 << 20, minOneBatch: true, isolation: .logEnd,
            currentLeaderEpoch: 2, downConvertToMagic: nil, replicaId: 2, lastFetchedEpoch: 1)
        #expect(read.divergingEpoch?.epoch == 0)
        #expect(read.divergingEpoch?.endOffset == 5)
        #expect(read.size == 0)
        let consistent = try f.replicas.read(
            topic: "t", partition: 0, offset: 5, maxBytes: 1 << 20, minOneBatch: true, isolation: .logEnd,
            currentLeaderEpoch: 2, downConvertToMagic: nil, replicaId: 2, lastFetchedEpoch: 0)
        #expect(consistent.divergingEpoch == nil)
        #expect(consistent.size > 0)
    }

    @Test func aConsumerFetchingFromAFollowerGetsNotLeader() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 2, epoch: 0, isr: [1, 2], replicas: [1, 2])
        #expect(throws: BrokerError.notLeaderOrFollower) {
            _ = try f.replicas.read(
                topic: "t", partition: 0, offset: 0, maxBytes: 100, minOneBatch: true, isolation: .highWatermark,
                currentLeaderEpoch: -1, downConvertToMagic: nil)
        }
    }

    @Test func stopReplicaWithDeleteDropsTheReplicaAndAnOlderEpochIsFenced() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 3, isr: [1], replicas: [1])
        let fenced = f.replicas.stopReplicas(
            StopReplicaRequest(
                controllerId: 9, controllerEpoch: 1, brokerEpoch: -1,
                topicStates: [.init(topicName: "t", partitionStates: [.init(partitionIndex: 0, leaderEpoch: 2, deletePartition: true)])]),
            version: 3)
        #expect(fenced.map(\.error) == [.fencedLeaderEpoch])
        #expect(f.replicas.partition("t", 0) != nil)
        let deleted = f.replicas.stopReplicas(
            StopReplicaRequest(
                controllerId: 9, controllerEpoch: 1, brokerEpoch: -1,
                topicStates: [.init(topicName: "t", partitionStates: [.init(partitionIndex: 0, leaderEpoch: -2, deletePartition: true)])]),
            version: 3)
        #expect(deleted.map(\.error) == [nil])
        #expect(f.replicas.partition("t", 0) == nil)
        #expect(f.logs.log(topic: "t", partition: 0) == nil)
    }

    @Test func offsetsForLeaderEpochAnswersFromTheEpochCache() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1], replicas: [1])
        _ = try await f.produce(4)
        _ = await f.leaderAndIsr(leader: 1, epoch: 1, isr: [1], replicas: [1])
        _ = try await f.produce(2)
        let old = try f.replicas.endOffsetForLeaderEpoch(topic: "t", partition: 0, currentLeaderEpoch: 1, leaderEpoch: 0)
        #expect(old.epoch == 0)
        #expect(old.endOffset == 4)
        let latest = try f.replicas.endOffsetForLeaderEpoch(topic: "t", partition: 0, currentLeaderEpoch: -1, leaderEpoch: 1)
        #expect(latest.endOffset == 6)
        #expect(throws: BrokerError.fencedLeaderEpoch) {
            _ = try f.replicas.endOffsetForLeaderEpoch(topic: "t", partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0)
        }
        #expect(throws: BrokerError.unknownLeaderEpoch) {
            _ = try f.replicas.endOffsetForLeaderEpoch(topic: "t", partition: 0, currentLeaderEpoch: 2, leaderEpoch: 0)
        }
    }
}

@Suite("metadata cache")
struct MetadataCacheUpdateTests {
    private func state(_ topic: String, _ p: Int32, leader: Int32, epoch: Int32 = 0)
        -> UpdateMetadataRequest.UpdateMetadataPartitionState
    {
        .init(partitionIndex: p, controllerEpoch: 1, leader: leader, leaderEpoch: epoch, isr: [1, 2], zkVersion: 0, replicas: [1, 2])
    }

    @Test func updateMetadataReplacesBrokersTakesTheControllerAndUpsertsPartitions() {
        var snapshot = ClusterSnapshot()
        snapshot.clusterId = "c"
        snapshot.topics["t"] = TopicMetadata(
            name: "t", topicId: .zero,
            partitions: [
                PartitionLeadership(partition: 0, leader: 1, leaderEpoch: 0, replicas: [1, 2], isr: [1, 2]),
                PartitionLeadership(partition: 1, leader: 2, leaderEpoch: 0, replicas: [1, 2], isr: [1, 2]),
            ])
        snapshot.brokers[7] = BrokerEndpoint(id: 7, addresses: [:])
        let request = UpdateMetadataRequest(
            controllerId: 2, controllerEpoch: 1, brokerEpoch: 5,
            topicStates: [.init(topicName: "t", topicId: uuid(34), partitionStates: [state("t", 1, leader: 1, epoch: 1)])],
            liveBrokers: [
                .init(id: 1, endpoints: [.init(port: 9092, host: "a", listener: "PLAINTEXT", securityProtocol: 0)], rack: nil),
                .init(id: 2, endpoints: [.init(port: 9093, host: "b", listener: "INTERNAL", securityProtocol: 0)], rack: "r"),
            ])
        snapshot.apply(request, version: 7)
        #expect(snapshot.controllerId == 2)
        #expect(snapshot.clusterId == "c")
        #expect(Set(snapshot.brokers.keys) == [1, 2])
        #expect(snapshot.brokers[2]?.address(on: "INTERNAL") == .init(host: "b", port: 9093))
        #expect(snapshot.brokers[2]?.rack == "r")
        let topic = snapshot.topics["t"]
        #expect(topic?.topicId == uuid(34))
        #expect(topic?.partitions.map(\.leader) == [1, 1])
        #expect(topic?.partitions.map(\.leaderEpoch) == [0, 1])
    }

    @Test func aPartitionWithLeaderMinusTwoIsDroppedWithItsTopicOnceEmpty() {
        var snapshot = ClusterSnapshot()
        let create = UpdateMetadataRequest(
            controllerId: 1, controllerEpoch: 1,
            topicStates: [.init(topicName: "gone", topicId: uuid(11), partitionStates: [state("gone", 0, leader: 1), state("gone", 1, leader: 2)])])
        snapshot.apply(create, version: 7)
        #expect(snapshot.topics["gone"]?.partitions.count == 2)
        var delete = create
        delete.topicStates[0].partitionStates[0].leader = -2
        snapshot.apply(
            UpdateMetadataRequest(controllerId: 1, controllerEpoch: 1, topicStates: [.init(topicName: "gone", partitionStates: [delete.topicStates[0].partitionStates[0]])]),
            version: 7)
        #expect(snapshot.topics["gone"]?.partitions.map(\.partition) == [1])
        delete.topicStates[0].partitionStates[1].leader = -2
        snapshot.apply(
            UpdateMetadataRequest(controllerId: 1, controllerEpoch: 1, topicStates: [.init(topicName: "gone", partitionStates: [delete.topicStates[0].partitionStates[1]])]),
            version: 7)
        #expect(snapshot.topics["gone"] == nil)
    }

    @Test func offlineReplicasAreKeptForMetadataAnswers() {
        var snapshot = ClusterSnapshot()
        var s = state("t", 0, leader: 1)
        s.offlineReplicas = [2]
        snapshot.apply(UpdateMetadataRequest(controllerId: 1, controllerEpoch: 1, topicStates: [.init(topicName: "t", partitionStates: [s])]), version: 7)
        #expect(snapshot.topics["t"]?.partitions.first?.offlineReplicas == [2])
    }
}

@Suite("state change lock")
struct StateChangeLockTests {
    private final class Trace: @unchecked Sendable {
        private let lock = NSLock()
        private var events: [String] = []
        func add(_ e: String) { lock.withLock { events.append(e) } }
        var all: [String] { lock.withLock { events } }
    }

    @Test func controllerRequestsRunOneAtATimeInArrivalOrder() async {
        let lock = StateChangeLock()
        let trace = Trace()
        let release = WakeGate()
        let entered = WakeGate()
        let first = Task {
            await lock.withLock { () async -> Int in
                trace.add("first in")
                entered.fire()
                await release.wait()
                trace.add("first out")
                return 1
            }
        }
        await entered.wait()
        let second = Task {
            await lock.withLock { () async -> Int in
                trace.add("second")
                return 2
            }
        }
        for _ in 0..<50 { await Task.yield() }
        #expect(trace.all == ["first in"])
        release.fire()
        _ = await (first.value, second.value)
        #expect(trace.all == ["first in", "first out", "second"])
    }
}
