import Foundation
import KafkaConfig
import KafkaProtocol
import KafkaRecords
import LogStorage
import Logging
import Synchronization
import Testing

@testable import Replication

private func uuid(_ n: UInt8) -> UUIDValue { UUIDValue(bytes: [UInt8](repeating: 0, count: 15) + [n]) }

private func batch(_ count: Int) throws -> [UInt8] {
    var builder = RecordBatchBuilder()
    for i in 0..<count { builder.append(timestamp: 1_000 + Int64(i), key: nil, value: Array("v\(i)".utf8)) }
    return try builder.build()
}

/// A replica manager over a temporary log directory; no sockets, no ZooKeeper.
private final class Fixture: Sendable {
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
    ) async -> [ReplicaManager.LeaderAndIsrResult] {
        let state = LeaderAndIsrPartition(
            topic: topic, topicId: uuid(12), partition: partition,
            state: Partition.LeaderAndIsrState(
                leader: leader, leaderEpoch: epoch, isr: isr, replicas: replicas, partitionEpoch: zkVersion,
                controllerEpoch: 1))
        let config = self.config
        return await self.replicas.becomeLeaderOrFollower([state], liveLeaders: [:]) { _ in config }
    }

    /// A produce of `count` records to t-0; throws the partition's error.
    @discardableResult
    func produce(_ count: Int = 1, acks: Int16 = -1, timeout: Duration = .seconds(1), origin: ProduceOrigin = .internal)
        async throws -> ProduceResult
    {
        let result = try #require(
            await replicas.produce(
                [ProduceEntry(topic: "t", partition: 0, records: try batch(count))], acks: acks, timeout: timeout,
                origin: origin
            ).first)
        if let error = result.error { throw error }
        return result
    }

    /// One fetch of t-0 from `offset`.
    func fetch(
        offset: Int64, replicaId: Int32 = -1, minBytes: Int = 0, maxWait: Duration = .zero,
        currentLeaderEpoch: Int32 = -1,
        lastFetchedEpoch: Int32 = -1
    ) async -> Result<ReplicaManager.PartitionRead, ReplicationError> {
        let reads = await replicas.fetch(
            FetchParameters(
                replicaId: replicaId, readCommitted: false, minBytes: minBytes, maxWait: maxWait,
                responseMaxBytes: 1 << 20, downConvertToMagic: nil,
                partitions: [
                    FetchPartitionSpec(
                        topic: "t", partition: 0, fetchOffset: offset, maxBytes: 1 << 20,
                        currentLeaderEpoch: currentLeaderEpoch, lastFetchedEpoch: lastFetchedEpoch, logStartOffset: 0)
                ]))
        return reads[0]
    }

    /// Waits (briefly) until t-0's log end offset reaches `offset`.
    func waitForLogEnd(_ offset: Int64) async throws {
        for _ in 0..<500 {
            if replicas.partition("t", 0)?.log.logEndOffset ?? -1 >= offset { return }
            try await Task.sleep(for: .milliseconds(2))
        }
        Issue.record("log end offset never reached \(offset)")
    }
}

private extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

@Suite("replica manager: leadership")
struct ReplicaManagerLeadershipTests {
    @Test("a LeaderAndIsr makes this broker leader with the epoch starting at its log end")
    func becomesLeader() async throws {
        let f = try Fixture()
        let results = await f.leaderAndIsr(leader: 1, epoch: 3, isr: [1, 2], replicas: [1, 2])
        #expect(results.map(\.error) == [nil])
        let p = try #require(f.replicas.partition("t", 0))
        #expect(p.isLeader)
        #expect(p.log.leaderEpochEntries == [EpochEntry(epoch: 3, startOffset: 0)])
        #expect(p.state.followers[2]?.lastCaughtUpTimeMs ?? 0 > 0)
    }

    @Test("an older or repeated leader epoch is answered with STALE_CONTROLLER_EPOCH")
    func staleEpoch() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 3, isr: [1], replicas: [1])
        let older = await f.leaderAndIsr(leader: 2, epoch: 2, isr: [2], replicas: [1, 2])
        #expect(older.map(\.error) == [.staleControllerEpoch])
        let same = await f.leaderAndIsr(leader: 2, epoch: 3, isr: [2], replicas: [1, 2])
        #expect(same.map(\.error) == [.staleControllerEpoch])
        #expect(f.replicas.partition("t", 0)?.isLeader == true)
    }

    @Test("a partition not assigned here is UNKNOWN_TOPIC_OR_PARTITION")
    func notAReplica() async throws {
        let f = try Fixture()
        let results = await f.leaderAndIsr(leader: 2, epoch: 0, isr: [2, 3], replicas: [2, 3])
        #expect(results.map(\.error) == [.unknownTopicOrPartition])
        #expect(f.replicas.partition("t", 0) == nil)
    }

    @Test("controller requests from an older controller epoch are rejected")
    func olderControllerEpoch() throws {
        let f = try Fixture()
        try f.replicas.checkControllerEpoch(4)
        #expect(throws: ReplicationError.staleControllerEpoch) { try f.replicas.checkControllerEpoch(3) }
        try f.replicas.checkControllerEpoch(5)
    }

    @Test("the follower fetch request carries its position, epochs and the replica.fetch settings")
    func followerFetchRequest() async throws {
        let f = try Fixture(brokerId: 2)
        _ = await f.leaderAndIsr(leader: 1, epoch: 4, isr: [1, 2], replicas: [1, 2])
        let broker = try BrokerConfig(properties: [
            "broker.id": "2", "zookeeper.connect": "localhost:2181", "replica.fetch.wait.max.ms": "300",
            "replica.fetch.max.bytes": "4096",
        ])
        let replicas = f.replicas
        let fetcher = ReplicaFetcher(
            source: FetchSource(brokerId: 1, host: "h", port: 1), brokerId: 2, connector: NoLeaders(),
            lookup: { replicas.partition($0.topic, $0.partition) }, settings: { broker }, logger: .init(label: "t"))
        let request = fetcher.buildRequest(
            [TopicPartition(topic: "t", partition: 0): PartitionFetchState(fetchOffset: 0, currentLeaderEpoch: 4)],
            config: broker)
        #expect(request.replicaId == 2)
        #expect(request.maxWaitMs == 300)
        let p = try #require(request.partitions.first)
        #expect(p.topicPartition == TopicPartition(topic: "t", partition: 0))
        #expect(p.currentLeaderEpoch == 4)
        #expect(p.fetchOffset == 0)
        #expect(p.lastFetchedEpoch == -1)
        #expect(p.maxBytes == 4096)
    }

    @Test("a re-elected leader keeps its followers' positions, so the high watermark moves at once")
    func reElectedLeader() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1, 2, 3], replicas: [1, 2, 3])
        try await f.produce(4, acks: 1)
        f.replicas.recordFollowerFetch(
            topic: "t", partition: 0, replicaId: 2, fetchOffset: 4, followerLogStartOffset: 0, leaderLogEndOffset: 4)
        // The controller removes dead broker 3 from the ISR with a new epoch; 1 stays leader.
        _ = await f.leaderAndIsr(leader: 1, epoch: 1, isr: [1, 2], replicas: [1, 2, 3], zkVersion: 1)
        let p = try #require(f.replicas.partition("t", 0))
        #expect(p.state.followers[2]?.logEndOffset == 4)
        #expect(p.log.highWatermark == 4)
    }

    @Test("resigning leadership stops produce and fetch until the next LeaderAndIsr")
    func resign() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1], replicas: [1])
        f.replicas.resignAllLeadership()
        await #expect(throws: ReplicationError.notLeaderOrFollower) { try await f.produce(1, acks: 1) }
        #expect(await f.fetch(offset: 0).failure == .notLeaderOrFollower)
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1], replicas: [1])
        try await f.produce(1, acks: 1)
    }

    @Test("a caught-up follower is proposed for the ISR and joins only after the write succeeded")
    func isrExpansion() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1], replicas: [1, 2], zkVersion: 4)
        try await f.produce(2)
        let p = try #require(f.replicas.partition("t", 0))
        #expect(p.log.highWatermark == 2)
        let proposal = try #require(
            p.recordFollowerFetch(
                replicaId: 2, fetchOffset: 2, followerLogStartOffset: 0, leaderLogEndOffset: 2, now: 10))
        #expect(proposal.newIsr == [1, 2])
        #expect(proposal.expectedZkVersion == 4)
        #expect(p.state.isr == [1])
        // No second change while one is in flight.
        #expect(
            p.recordFollowerFetch(
                replicaId: 2, fetchOffset: 2, followerLogStartOffset: 0, leaderLogEndOffset: 2, now: 11) == nil)
        #expect(p.completeIsrChange(proposal, result: .written(zkVersion: 5), now: 12))
        #expect(p.state.isr == [1, 2])
        #expect(p.state.partitionEpoch == 5)
    }

    @Test("a leader whose ISR write meets another state stops acknowledging")
    func isrConflict() async throws {
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

    @Test("StopReplica with delete drops the replica, and an older epoch is fenced")
    func stopReplica() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 3, isr: [1], replicas: [1])
        let fenced = await f.replicas.stopReplicas([
            StopReplicaPartition(topic: "t", partition: 0, leaderEpoch: 2, deletePartition: true)
        ])
        #expect(fenced.map(\.error) == [.fencedLeaderEpoch])
        #expect(f.replicas.partition("t", 0) != nil)
        let deleted = await f.replicas.stopReplicas([
            StopReplicaPartition(topic: "t", partition: 0, leaderEpoch: -2, deletePartition: true)
        ])
        #expect(deleted.map(\.error) == [nil])
        #expect(f.replicas.partition("t", 0) == nil)
        #expect(f.logs.log(topic: "t", partition: 0) == nil)
    }

    @Test("OffsetsForLeaderEpoch answers from the epoch cache")
    func offsetsForLeaderEpoch() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1], replicas: [1])
        try await f.produce(4)
        _ = await f.leaderAndIsr(leader: 1, epoch: 1, isr: [1], replicas: [1])
        try await f.produce(2)
        let old = try f.replicas.endOffsetForLeaderEpoch(
            topic: "t", partition: 0, currentLeaderEpoch: 1, leaderEpoch: 0)
        #expect(old.epoch == 0)
        #expect(old.endOffset == 4)
        let latest = try f.replicas.endOffsetForLeaderEpoch(
            topic: "t", partition: 0, currentLeaderEpoch: -1, leaderEpoch: 1)
        #expect(latest.endOffset == 6)
        #expect(throws: ReplicationError.fencedLeaderEpoch) {
            _ = try f.replicas.endOffsetForLeaderEpoch(topic: "t", partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0)
        }
        #expect(throws: ReplicationError.unknownLeaderEpoch) {
            _ = try f.replicas.endOffsetForLeaderEpoch(topic: "t", partition: 0, currentLeaderEpoch: 2, leaderEpoch: 0)
        }
    }

    @Test("a new leader whose high watermark is below its epoch's start tells clients to retry ListOffsets")
    func offsetNotAvailableUntilTheHighWatermarkReachesTheEpochStart() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1, 2], replicas: [1, 2])
        _ = try await f.produce(3, acks: 1)  // the follower has not fetched: HW stays 0
        _ = await f.leaderAndIsr(leader: 1, epoch: 1, isr: [1, 2], replicas: [1, 2])  // epoch 1 starts at 3
        func lookup(_ timestamp: Int64, fromReplica: Bool = false, retries: Bool = true) throws(ReplicationError)
            -> Int64
        {
            try f.replicas.offsetLookup(
                topic: "t", partition: 0, timestamp: timestamp, readCommitted: false, currentLeaderEpoch: -1,
                fromReplica: fromReplica, clientRetriesUnavailableOffsets: retries
            ).offset
        }
        #expect(throws: ReplicationError.offsetNotAvailable) { _ = try lookup(-1) }
        #expect(try lookup(-2) == 0)
        #expect(try lookup(-1, fromReplica: true) == 3)
        #expect(try lookup(-1, retries: false) == 0)  // ListOffsets v0/v1 have no such answer: the HW, as before
    }

    @Test("the leadership listener hears LeaderAndIsr and deletions of its own topic's partitions only")
    func leadershipListener() async throws {
        let f = try Fixture()
        let listener = RecordingListener()
        let task = f.replicas.startReplication(
            writer: AcceptingIsrWriter(), connector: NoLeaders(), brokers: AllAlive(), leadershipListeners: [listener],
            config: { try! BrokerConfig(properties: ["broker.id": "1", "zookeeper.connect": "localhost:2181"]) },
            logger: Logger(label: "test"))
        defer { task.cancel() }
        _ = await f.leaderAndIsr(
            topic: "__consumer_offsets", partition: 3, leader: 1, epoch: 2, isr: [1], replicas: [1])
        _ = await f.leaderAndIsr(topic: "t", leader: 1, epoch: 0, isr: [1], replicas: [1])
        _ = await f.leaderAndIsr(
            topic: "__consumer_offsets", partition: 3, leader: 2, epoch: 3, isr: [2], replicas: [1, 2])
        _ = await f.replicas.stopReplicas([
            StopReplicaPartition(topic: "__consumer_offsets", partition: 3, leaderEpoch: -2, deletePartition: true),
            StopReplicaPartition(topic: "t", partition: 0, leaderEpoch: -2, deletePartition: true),
        ])
        #expect(listener.events == ["leader 3 @2", "follower 3 @3", "removed 3"])
    }
}

@Suite("replica manager: produce")
struct ReplicaManagerProduceTests {
    @Test("acks=all produce completes when the follower's fetch moves the high watermark")
    func acksAllCompletesOnFollowerFetch() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1, 2], replicas: [1, 2])
        let produce = Task { try await f.produce(3, acks: -1, timeout: .seconds(10)) }
        try await f.waitForLogEnd(3)
        #expect(f.replicas.partition("t", 0)?.log.highWatermark == 0)
        let read = await f.fetch(offset: 3, replicaId: 2)
        #expect(read.failure == nil)
        #expect(f.replicas.partition("t", 0)?.log.highWatermark == 3)
        let result = try await produce.value
        #expect(result.baseOffset == 0)
        #expect(result.lastOffset == 2)
    }

    @Test("acks=all produce times out with REQUEST_TIMED_OUT when no follower fetches, keeping its offsets")
    func acksAllTimesOut() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1, 2], replicas: [1, 2])
        let results = await f.replicas.produce(
            [ProduceEntry(topic: "t", partition: 0, records: try batch(2))], acks: -1, timeout: .milliseconds(20),
            origin: .internal)
        #expect(results.map(\.error) == [.requestTimedOut])
        #expect(results.first?.baseOffset == 0)
        #expect(f.replicas.partition("t", 0)?.log.logEndOffset == 2)
    }

    @Test("acks=1 produce answers after the leader's append without waiting for followers")
    func acksOneDoesNotWait() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1, 2], replicas: [1, 2])
        let result = try await f.produce(2, acks: 1, timeout: .seconds(60))
        #expect(result.lastOffset == 1)
        #expect(f.replicas.partition("t", 0)?.log.highWatermark == 0)
    }

    @Test("a sole replica answers acks=all at once")
    func soleReplica() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1], replicas: [1])
        let result = try await f.produce(2, acks: -1, timeout: .zero)
        #expect(result.lastOffset == 1)
    }

    @Test("acks=all is refused before appending when the ISR is below min.insync.replicas")
    func belowMinInsync() async throws {
        let f = try Fixture(minInsync: 2)
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1], replicas: [1, 2])
        await #expect(throws: ReplicationError.notEnoughReplicas) { try await f.produce(1) }
        #expect(f.replicas.partition("t", 0)?.log.logEndOffset == 0)
        try await f.produce(1, acks: 1)
    }

    @Test("invalid acks fail every partition with INVALID_REQUIRED_ACKS and append nothing")
    func invalidAcks() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1], replicas: [1])
        let results = await f.replicas.produce(
            [
                ProduceEntry(topic: "t", partition: 0, records: try batch(1)),
                ProduceEntry(topic: "missing", partition: 0, records: try batch(1)),
            ], acks: 2, timeout: .seconds(1), origin: .internal)
        #expect(results.map(\.error) == [.invalidRequiredAcks, .invalidRequiredAcks])
        #expect(results.map(\.logStartOffset) == [0, -1])
        #expect(f.replicas.partition("t", 0)?.log.logEndOffset == 0)
    }

    @Test("a produce to a partition without a local replica fails with UNKNOWN_TOPIC_OR_PARTITION")
    func unknownPartition() async throws {
        let f = try Fixture()
        await #expect(throws: ReplicationError.unknownTopicOrPartition) { try await f.produce(1) }
    }

    @Test("the origin decides who may write legacy message sets: old clients yes, new clients and internal writers no")
    func legacyMessageSetsByOrigin() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1], replicas: [1])
        let legacy = try LegacyMessageSet.downConvert(try batch(2), toMagic: 1)
        func produce(_ origin: ProduceOrigin) async -> ProduceResult? {
            await f.replicas.produce(
                [ProduceEntry(topic: "t", partition: 0, records: legacy)], acks: 1, timeout: .seconds(1),
                origin: origin
            ).first
        }
        let old = await produce(.client(ClientRecordFormats(zstd: false, legacyMagic: true)))
        #expect(old?.error == nil)
        #expect(old?.lastOffset == 1)
        let modern = await produce(.client(ClientRecordFormats(zstd: true, legacyMagic: false)))
        #expect(modern?.error == .legacyRecordFormatNotAccepted)
        #expect(await produce(.internal)?.error == .legacyRecordFormatNotAccepted)
        #expect(f.replicas.partition("t", 0)?.log.logEndOffset == 2)
    }

    @Test("zstd batches are refused from clients that may not write them and taken from internal writers")
    func zstdByOrigin() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1], replicas: [1])
        var builder = RecordBatchBuilder(codec: .zstd)
        builder.append(timestamp: 1_000, key: nil, value: Array("compressed".utf8))
        let zstd = try builder.build()
        func produce(_ origin: ProduceOrigin) async -> ProduceResult? {
            await f.replicas.produce(
                [ProduceEntry(topic: "t", partition: 0, records: zstd)], acks: 1, timeout: .seconds(1), origin: origin
            ).first
        }
        let old = await produce(.client(ClientRecordFormats(zstd: false, legacyMagic: false)))
        #expect(old?.error == .unsupportedCompressionType)
        #expect(await produce(.internal)?.error == nil)
        #expect(await produce(.client(ClientRecordFormats(zstd: true, legacyMagic: false)))?.error == nil)
    }

    @Test("a waiting acks=all produce fails when this broker becomes follower")
    func leadershipLostWhileWaiting() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1, 2], replicas: [1, 2])
        let produce = Task { () -> ReplicationError? in
            do {
                try await f.produce(1, acks: -1, timeout: .seconds(10))
                return nil
            } catch {
                return error as? ReplicationError
            }
        }
        try await f.waitForLogEnd(1)
        _ = await f.leaderAndIsr(leader: 2, epoch: 1, isr: [2], replicas: [1, 2])
        #expect(await produce.value == .notLeaderOrFollower)
        await #expect(throws: ReplicationError.notLeaderOrFollower) { try await f.produce(1) }
    }
}

@Suite("replica manager: fetch")
struct ReplicaManagerFetchTests {
    @Test("a consumer fetch long-polls until an append brings its minBytes")
    func longPollWakesOnAppend() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1], replicas: [1])
        // A long maxWait, so a missed wake-up (the fetch answering only at its deadline) stands out from a slow
        // scheduler on a loaded machine.
        let fetch = Task { await f.fetch(offset: 0, minBytes: 1, maxWait: .seconds(120)) }
        try await Task.sleep(for: .milliseconds(20))
        try await f.produce(2, acks: 1)
        let started = ContinuousClock.now
        let read = try await fetch.value.get()
        #expect(ContinuousClock.now - started < .seconds(60))
        #expect(read.size > 0)
        #expect(read.highWatermark == 2)
    }

    @Test("a consumer fetch answers empty once maxWait passes without data")
    func longPollTimesOut() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1], replicas: [1])
        let read = try await f.fetch(offset: 0, minBytes: 1, maxWait: .milliseconds(30)).get()
        #expect(read.size == 0)
    }

    @Test("a consumer reads only up to the high watermark, a follower up to the log end")
    func readLimits() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1, 2], replicas: [1, 2])
        try await f.produce(3, acks: 1)
        #expect(try await f.fetch(offset: 0).get().size == 0)
        #expect(try await f.fetch(offset: 0, replicaId: 2).get().size > 0)
    }

    @Test("the leader answers a follower with a diverging epoch instead of data")
    func divergingEpoch() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 1, epoch: 0, isr: [1], replicas: [1, 2])
        try await f.produce(5)
        _ = await f.leaderAndIsr(leader: 1, epoch: 2, isr: [1], replicas: [1, 2])
        try await f.produce(1)
        // The follower wrote epoch 1 (never on this leader) up to offset 8.
        let read = try await f.fetch(offset: 8, replicaId: 2, currentLeaderEpoch: 2, lastFetchedEpoch: 1).get()
        #expect(read.divergingEpoch?.epoch == 0)
        #expect(read.divergingEpoch?.endOffset == 5)
        #expect(read.size == 0)
        let consistent = try await f.fetch(offset: 5, replicaId: 2, currentLeaderEpoch: 2, lastFetchedEpoch: 0).get()
        #expect(consistent.divergingEpoch == nil)
        #expect(consistent.size > 0)
    }

    @Test("a consumer fetching from a follower gets NOT_LEADER_OR_FOLLOWER at once")
    func fetchFromFollower() async throws {
        let f = try Fixture()
        _ = await f.leaderAndIsr(leader: 2, epoch: 0, isr: [1, 2], replicas: [1, 2])
        let started = ContinuousClock.now
        #expect(await f.fetch(offset: 0, minBytes: 1, maxWait: .seconds(10)).failure == .notLeaderOrFollower)
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}

@Suite("state change lock")
struct StateChangeLockTests {
    private final class Trace: Sendable {
        private let events = Mutex<[String]>([])
        func add(_ e: String) { events.withLock { $0.append(e) } }
        var all: [String] { events.withLock { $0 } }
    }

    @Test("controller requests run one at a time in arrival order")
    func oneAtATime() async {
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

// MARK: port stubs

private struct AcceptingIsrWriter: LeaderIsrWriter {
    func write(_ proposal: Partition.IsrProposal) async -> Partition.IsrWriteResult { .written(zkVersion: 1) }
    func publish(_ changed: [TopicPartition]) async -> Bool { true }
}

private struct NoLeaders: LeaderConnector {
    struct Unreachable: Error {}
    func connect(to source: FetchSource, clientId: String, connectTimeoutMs: Int, requestTimeoutMs: Int) async throws
        -> any LeaderConnection
    { throw Unreachable() }
}

private struct AllAlive: LiveBrokers {
    func isAlive(_ broker: Int32) -> Bool { true }
    func interBrokerAddress(of broker: Int32) -> (host: String, port: Int)? { nil }
}

private final class RecordingListener: PartitionLeadershipListener {
    private let recorded = Mutex<[String]>([])
    var watchedTopic: String { "__consumer_offsets" }
    var events: [String] { recorded.withLock { $0 } }

    func partitionLeadershipChanged(partition: Int32, isLeader: Bool, leaderEpoch: Int32) async {
        recorded.withLock { $0.append("\(isLeader ? "leader" : "follower") \(partition) @\(leaderEpoch)") }
    }

    func partitionRemoved(partition: Int32) async {
        recorded.withLock { $0.append("removed \(partition)") }
    }
}
