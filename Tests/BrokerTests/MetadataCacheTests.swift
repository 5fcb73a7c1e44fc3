import Foundation
import KafkaProtocol
import LogStorage
import Replication
import Testing

@testable import Broker

private func uuid(_ n: UInt8) -> UUIDValue { UUIDValue(bytes: [UInt8](repeating: 0, count: 15) + [n]) }

@Suite("metadata cache")
struct MetadataCacheUpdateTests {
    private func state(_ topic: String, _ p: Int32, leader: Int32, epoch: Int32 = 0)
        -> UpdateMetadataRequest.UpdateMetadataPartitionState
    {
        .init(
            partitionIndex: p, controllerEpoch: 1, leader: leader, leaderEpoch: epoch, isr: [1, 2], zkVersion: 0,
            replicas: [1, 2])
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
            topicStates: [
                .init(topicName: "t", topicId: uuid(34), partitionStates: [state("t", 1, leader: 1, epoch: 1)])
            ],
            liveBrokers: [
                .init(
                    id: 1, endpoints: [.init(port: 9092, host: "a", listener: "PLAINTEXT", securityProtocol: 0)],
                    rack: nil),
                .init(
                    id: 2, endpoints: [.init(port: 9093, host: "b", listener: "INTERNAL", securityProtocol: 0)],
                    rack: "r"),
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
            topicStates: [
                .init(
                    topicName: "gone", topicId: uuid(11),
                    partitionStates: [state("gone", 0, leader: 1), state("gone", 1, leader: 2)])
            ])
        snapshot.apply(create, version: 7)
        #expect(snapshot.topics["gone"]?.partitions.count == 2)
        var delete = create
        delete.topicStates[0].partitionStates[0].leader = -2
        snapshot.apply(
            UpdateMetadataRequest(
                controllerId: 1, controllerEpoch: 1,
                topicStates: [.init(topicName: "gone", partitionStates: [delete.topicStates[0].partitionStates[0]])]),
            version: 7)
        #expect(snapshot.topics["gone"]?.partitions.map(\.partition) == [1])
        delete.topicStates[0].partitionStates[1].leader = -2
        snapshot.apply(
            UpdateMetadataRequest(
                controllerId: 1, controllerEpoch: 1,
                topicStates: [.init(topicName: "gone", partitionStates: [delete.topicStates[0].partitionStates[1]])]),
            version: 7)
        #expect(snapshot.topics["gone"] == nil)
    }

    @Test func offlineReplicasAreKeptForMetadataAnswers() {
        var snapshot = ClusterSnapshot()
        var s = state("t", 0, leader: 1)
        s.offlineReplicas = [2]
        snapshot.apply(
            UpdateMetadataRequest(
                controllerId: 1, controllerEpoch: 1, topicStates: [.init(topicName: "t", partitionStates: [s])]),
            version: 7)
        #expect(snapshot.topics["t"]?.partitions.first?.offlineReplicas == [2])
    }
}
