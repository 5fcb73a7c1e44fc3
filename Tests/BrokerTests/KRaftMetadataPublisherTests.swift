import Foundation
import KRaft
import KRaftController
import KafkaConfig
import KafkaProtocol
import LogStorage
import Logging
import MetadataImage
import Replication
import Testing

@testable import Broker

@Suite("A KRaft broker following the metadata log")
struct KRaftMetadataPublisherTests {
    struct Harness {
        let dir: String
        let logs: LogManager
        let replicas: ReplicaManager
        let metadata = MetadataCache()
        let publisher: KRaftMetadataPublisher
        var controller = QuorumController(now: 0)
        var offset: Int64 = 0

        init() throws {
            dir = NSTemporaryDirectory() + "kraft-publisher-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            logs = try LogManager(logDirs: [dir], brokerId: 1, clusterId: "c", kraftMode: true)
            replicas = ReplicaManager(logManager: logs, brokerId: 1)
            let config = try BrokerConfig(
                properties: [
                    "process.roles": "broker,controller", "node.id": "1", "controller.quorum.voters": "1@h:9093",
                    "listeners": "PLAINTEXT://h:9092,CONTROLLER://h:9093", "controller.listener.names": "CONTROLLER",
                ])
            publisher = KRaftMetadataPublisher(
                nodeId: 1, clusterId: "c", metadata: metadata, replicas: replicas, brokerConfig: { config },
                logger: Logger(label: "test"))
        }

        /// Commits the controller's records as the Raft layer would hand them over.
        mutating func commit(_ records: [MetadataRecord]) async {
            let entries = records.map { r in
                defer { offset += 1 }
                return LogEntry(offset: offset, epoch: 1, record: .data(r.encoded()))
            }
            await publisher.apply(entries)
        }

        func close() {
            try? logs.shutdown()
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    @Test("a registered, unfenced broker leads the partitions of a created topic and Metadata shows them")
    func createdTopicIsLedHere() async throws {
        var h = try Harness()
        defer { h.close() }
        let registered = h.controller.registerBroker(
            BrokerRegistrationInput(
                brokerId: 1, incarnationId: UUIDValue.randomTopicId(),
                listeners: [.init(name: "PLAINTEXT", host: "h", port: 9092)]),
            logEndOffset: h.offset, now: 0)
        await h.commit(registered.records)
        #expect(h.metadata.snapshot.brokers.isEmpty, "a fenced broker is not listed")
        let unfenced = h.controller.heartbeat(
            BrokerHeartbeatInput(
                brokerId: 1, brokerEpoch: registered.response.brokerEpoch, currentMetadataOffset: h.offset - 1),
            now: 1)
        await h.commit(unfenced.records)
        var rng = SystemRandomNumberGenerator()
        let created = h.controller.createTopics(
            [CreateTopicInput(name: "t", numPartitions: 2, replicationFactor: 1)], using: &rng)
        await h.commit(created.records)

        #expect(h.replicas.partition("t", 0)?.isLeader == true)
        #expect(h.replicas.partition("t", 1)?.isLeader == true)
        let snapshot = h.metadata.snapshot
        #expect(snapshot.clusterId == "c")
        #expect(snapshot.controllerId == 1)
        #expect(snapshot.brokers[1]?.address(on: "PLAINTEXT") == .init(host: "h", port: 9092))
        #expect(snapshot.topics["t"]?.topicId == created.response.first?.topicId)
        #expect(snapshot.topics["t"]?.partitions.map(\.leader) == [1, 1])
        #expect(h.publisher.appliedOffset == h.offset)
    }

    @Test("a removed topic's local replicas are deleted and the topic leaves Metadata")
    func removedTopicIsDeleted() async throws {
        var h = try Harness()
        defer { h.close() }
        let registered = h.controller.registerBroker(
            BrokerRegistrationInput(
                brokerId: 1, incarnationId: UUIDValue.randomTopicId(),
                listeners: [.init(name: "PLAINTEXT", host: "h", port: 9092)]),
            logEndOffset: h.offset, now: 0)
        await h.commit(registered.records)
        await h.commit(
            h.controller.heartbeat(
                BrokerHeartbeatInput(
                    brokerId: 1, brokerEpoch: registered.response.brokerEpoch, currentMetadataOffset: 0),
                now: 1
            ).records)
        var rng = SystemRandomNumberGenerator()
        await h.commit(
            h.controller.createTopics([CreateTopicInput(name: "gone", numPartitions: 1)], using: &rng).records)
        #expect(h.replicas.partition("gone", 0) != nil)
        await h.commit(h.controller.deleteTopics(["gone"]).records)
        #expect(h.replicas.partition("gone", 0) == nil)
        #expect(h.metadata.snapshot.topics["gone"] == nil)
        #expect(!FileManager.default.fileExists(atPath: h.dir + "/gone-0"))
    }
}
