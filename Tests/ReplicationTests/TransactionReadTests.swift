import Foundation
import KafkaConfig
import KafkaProtocol
import KafkaRecords
import LogStorage
import Testing

@testable import Replication

/// A sole-replica leader of t-0 over a temporary log directory; no sockets, no ZooKeeper.
private final class SoleLeader: Sendable {
    let dir: String
    let logs: LogManager
    let replicas: ReplicaManager

    init() async throws {
        dir = NSTemporaryDirectory() + "txn-read-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        logs = try LogManager(logDirs: [dir], brokerId: 1, clusterId: "test-cluster")
        replicas = ReplicaManager(logManager: logs, brokerId: 1)
        let broker = try BrokerConfig(properties: ["broker.id": "1", "zookeeper.connect": "localhost:2181"])
        let config = try EffectiveTopicConfig(topicOverrides: [:], broker: broker)
        let state = LeaderAndIsrPartition(
            topic: "t", topicId: UUIDValue(bytes: [UInt8](repeating: 3, count: 16)), partition: 0,
            state: Partition.LeaderAndIsrState(
                leader: 1, leaderEpoch: 1, isr: [1], replicas: [1], partitionEpoch: 0, controllerEpoch: 1))
        _ = await replicas.becomeLeaderOrFollower([state], liveLeaders: [:]) { _ in config }
    }

    deinit {
        try? logs.shutdown()
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// A transactional produce of `count` records as a client sends it.
    func produce(pid: Int64, epoch: Int16 = 0, sequence: Int32, count: Int = 2) async throws -> ProduceResult {
        var b = RecordBatchBuilder(producerId: pid, producerEpoch: epoch, baseSequence: sequence, isTransactional: true)
        for i in 0..<count { b.append(timestamp: 1_000, key: nil, value: Array("p\(pid)-\(i)".utf8)) }
        let results = await replicas.produce(
            [ProduceEntry(topic: "t", partition: 0, records: try b.build())], acks: -1, timeout: .seconds(1),
            origin: .client(ClientRecordFormats(zstd: true, legacyMagic: false)))
        return try #require(results.first)
    }

    func marker(pid: Int64, epoch: Int16 = 0, commit: Bool, coordinatorEpoch: Int32 = 0) async -> ReplicationError? {
        await replicas.appendTxnMarkers(
            topic: "t", partitions: [0], producerId: pid, producerEpoch: epoch, committed: commit,
            coordinatorEpoch: coordinatorEpoch, timeout: .seconds(1)
        ).first ?? .unknownServerError("no result")
    }

    func fetch(readCommitted: Bool) async throws -> ReplicaManager.PartitionRead {
        let reads = await replicas.fetch(
            FetchParameters(
                replicaId: -1, readCommitted: readCommitted, minBytes: 0, maxWait: .zero, responseMaxBytes: 1 << 20,
                downConvertToMagic: nil,
                partitions: [FetchPartitionSpec(topic: "t", partition: 0, fetchOffset: 0, maxBytes: 1 << 20)]))
        return try #require(reads.first).get()
    }
}

@Suite("Transactions through the replica manager: markers, read_committed fetch, ListOffsets")
struct TransactionReadTests {
    @Test("read_committed fetches stop at the LSO and list the aborted transactions of the data returned")
    func readCommittedFetch() async throws {
        let f = try await SoleLeader()
        #expect(try await f.produce(pid: 7, sequence: 0).error == nil)  // 0-1
        #expect(await f.marker(pid: 7, commit: false) == nil)  // 2
        #expect(try await f.produce(pid: 8, sequence: 0).error == nil)  // 3-4, open
        let committed = try await f.fetch(readCommitted: true)
        #expect(committed.lastStableOffset == 3)
        #expect(committed.highWatermark == 5)
        #expect(
            committed.abortedTransactions == [
                AbortedTransaction(producerId: 7, firstOffset: 0, lastOffset: 2, lastStableOffset: 3)
            ])
        #expect(committed.size < (try await f.fetch(readCommitted: false)).size)
        let uncommitted = try await f.fetch(readCommitted: false)
        #expect(uncommitted.abortedTransactions == nil)
        #expect(uncommitted.lastStableOffset == 3)
        #expect(await f.marker(pid: 8, commit: true) == nil)  // 5
        #expect(try await f.fetch(readCommitted: true).lastStableOffset == 6)
    }

    @Test("ListOffsets latest is the LSO for read_committed and the high watermark otherwise")
    func listOffsetsLatest() async throws {
        let f = try await SoleLeader()
        _ = try await f.produce(pid: 7, sequence: 0)
        let committed = try f.replicas.offsetLookup(
            topic: "t", partition: 0, timestamp: -1, readCommitted: true, currentLeaderEpoch: -1, fromReplica: false)
        let uncommitted = try f.replicas.offsetLookup(
            topic: "t", partition: 0, timestamp: -1, readCommitted: false, currentLeaderEpoch: -1, fromReplica: false)
        #expect(committed.offset == 0)
        #expect(uncommitted.offset == 2)
    }

    @Test("markers from an older coordinator or producer epoch are refused per partition")
    func markerFencing() async throws {
        let f = try await SoleLeader()
        _ = try await f.produce(pid: 7, epoch: 1, sequence: 0)
        #expect(await f.marker(pid: 7, epoch: 1, commit: true, coordinatorEpoch: 2) == nil)
        #expect(await f.marker(pid: 7, epoch: 1, commit: true, coordinatorEpoch: 1) == .transactionCoordinatorFenced)
        #expect(await f.marker(pid: 7, epoch: 0, commit: true, coordinatorEpoch: 3) == .invalidProducerEpoch)
        let stale = await f.replicas.appendTxnMarkers(
            topic: "other", partitions: [0], producerId: 7, producerEpoch: 1, committed: true, coordinatorEpoch: 3,
            timeout: .seconds(1))
        #expect(stale == [.unknownTopicOrPartition])
    }

    @Test("DescribeProducers' view shows an open transaction's start offset and the last marker's epoch")
    func activeProducers() async throws {
        let f = try await SoleLeader()
        _ = try await f.produce(pid: 7, sequence: 0)
        _ = await f.marker(pid: 7, commit: true, coordinatorEpoch: 4)
        _ = try await f.produce(pid: 7, sequence: 2)
        let producers = try f.replicas.activeProducers(topic: "t", partition: 0)
        #expect(producers.count == 1)
        #expect(producers.first?.currentTxnStartOffset == 3)
        #expect(producers.first?.coordinatorEpoch == 4)
        #expect(producers.first?.lastSequence == 3)
    }
}
