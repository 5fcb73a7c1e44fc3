import Foundation
import KafkaConfig
import KafkaProtocol
import LogStorage
import Replication
import Testing

@testable import Broker

@Suite("LeaderAndIsr when a log cannot be opened")
struct LeaderAndIsrStorageErrorTests {
    @Test("a log that cannot be opened answers KAFKA_STORAGE_ERROR for its partition; later ones are applied")
    func storageErrorPerPartition() async throws {
        let dir = NSTemporaryDirectory() + "leader-and-isr-storage-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let logs = try LogManager(logDirs: [dir], brokerId: 1, clusterId: "test-cluster")
        defer { try? logs.shutdown() }
        // A plain file where t-0's directory belongs: opening that log fails with an I/O error.
        #expect(FileManager.default.createFile(atPath: dir + "/t-0", contents: Data()))
        let replicas = ReplicaManager(logManager: logs, brokerId: 1)
        let config = try EffectiveTopicConfig(
            topicOverrides: [:],
            broker: BrokerConfig(properties: ["broker.id": "1", "zookeeper.connect": "localhost:2181"]))
        let request = LeaderAndIsrRequest(
            controllerId: 9, controllerEpoch: 1, brokerEpoch: -1,
            topicStates: [
                .init(
                    topicName: "t", topicId: UUIDValue(bytes: [UInt8](repeating: 0, count: 15) + [7]),
                    partitionStates: (0..<3).map {
                        .init(
                            partitionIndex: $0, controllerEpoch: 1, leader: 1, leaderEpoch: 0, isr: [1],
                            partitionEpoch: 0, replicas: [1])
                    })
            ])
        let results = await replicas.becomeLeaderOrFollower(
            LeaderAndIsrHandler.partitionStates(request, version: 5), liveLeaders: [:]
        ) { _ in config }
        #expect(results.map(\.partition) == [0, 1, 2])
        #expect(results.map { $0.error.map { ErrorCode($0) } } == [.kafkaStorageError, nil, nil])
        #expect(replicas.partition("t", 0) == nil)
        #expect(replicas.partition("t", 1)?.isLeader == true && replicas.partition("t", 2)?.isLeader == true)
    }

    @Test("running out of file descriptors is a storage error whose message names ulimit -n")
    func tooManyOpenFiles() {
        let error = BrokerError(
            ReplicationError(LogError.tooManyOpenFiles("open /d/t-0/00000000000000000000.log: Too many open files")))
        #expect(ErrorCode(error) == .kafkaStorageError)
        #expect(error.message?.contains("ulimit -n") == true)
    }
}
