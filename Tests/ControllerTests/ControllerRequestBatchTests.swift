import KafkaProtocol
import Testing

@testable import Controller

@Suite("Controller request builders") struct ControllerRequestBatchTests {
    typealias F = Fixtures

    func threeBrokerState() -> ControllerState {
        F.state(
            brokers: [1, 2, 3], assignment: [0: [1, 2, 3], 1: [2, 3, 1]],
            states: [
                0: LeaderAndIsr(leader: 1, leaderEpoch: 4, isr: [1, 2]),
                1: LeaderAndIsr(leader: 2, leaderEpoch: 2, isr: [2, 3, 1]),
            ])
    }

    @Test func leaderAndIsrV5CarriesTopicIdsPartitionEpochsFullReplicasAndLeadersOnTheInterBrokerListener() throws {
        let s = threeBrokerState()
        var batch = ControllerRequestBatch()
        batch.addLeaderAndIsr(brokers: [3], partition: F.tp(0), isNew: true, state: s)
        batch.addLeaderAndIsr(brokers: [3], partition: F.tp(1), isNew: false, state: s)
        let requests = batch.build(s, interBrokerListener: "INTERNAL")
        guard case .leaderAndIsr(let lai) = try #require(requests.first { $0.broker == 3 }?.request) else {
            Issue.record("first request to broker 3 is not LeaderAndIsr")
            return
        }
        #expect(lai.controllerId == 1 && lai.controllerEpoch == 7 && lai.brokerEpoch == 103 && lai.type == 0)
        #expect(lai.topicStates.count == 1)
        #expect(lai.topicStates[0].topicName == "t" && lai.topicStates[0].topicId == F.topicId)
        let p0 = lai.topicStates[0].partitionStates[0]
        #expect(p0.partitionIndex == 0 && p0.leader == 1 && p0.leaderEpoch == 4 && p0.isr == [1, 2])
        #expect(p0.partitionEpoch == 10 && p0.replicas == [1, 2, 3] && p0.isNew && p0.controllerEpoch == 6)
        #expect(!lai.topicStates[0].partitionStates[1].isNew)
        #expect(
            lai.liveLeaders == [
                .init(brokerId: 1, hostName: "i1", port: 19091), .init(brokerId: 2, hostName: "i2", port: 19092),
            ])

        // It survives the wire at v5.
        var w = ProtocolWriter()
        lai.write(to: &w, version: ControllerRequest.leaderAndIsrVersion)
        var r = ProtocolReader(w.bytes)
        var decoded = try LeaderAndIsrRequest(reading: &r, version: 5)
        // v5 groups partitions by topic: the per-partition topic name is not on the wire.
        for i in decoded.topicStates[0].partitionStates.indices {
            decoded.topicStates[0].partitionStates[i].topicName = "t"
        }
        #expect(decoded == lai)
    }

    @Test func aLeaderAndIsrAlsoQueuesUpdateMetadataForThePartitionToEveryBrokerInKafkasOrder() {
        let s = threeBrokerState()
        var batch = ControllerRequestBatch()
        batch.addLeaderAndIsr(brokers: [2], partition: F.tp(0), isNew: false, state: s)
        batch.addStopReplica(broker: 2, partition: F.tp(1), delete: false)
        let requests = batch.build(s, interBrokerListener: "PLAINTEXT")
        let kinds = requests.map { r -> String in
            switch r.request {
            case .leaderAndIsr: "\(r.broker):LAI"
            case .updateMetadata: "\(r.broker):UM"
            case .stopReplica: "\(r.broker):SR"
            }
        }
        #expect(kinds == ["1:UM", "2:LAI", "2:UM", "2:SR", "3:UM"])
    }

    @Test func updateMetadataV7ListsEveryRegisteredBrokerWithAllEndpointsAndOfflineReplicas() throws {
        var s = threeBrokerState()
        s.brokers[3] = nil
        s.shuttingDown = [2]
        var batch = ControllerRequestBatch()
        batch.addUpdateMetadata(brokers: [1], partitions: [F.tp(0)])
        let requests = batch.build(s, interBrokerListener: "PLAINTEXT")
        guard case .updateMetadata(let um) = try #require(requests.first?.request) else {
            Issue.record("not UpdateMetadata")
            return
        }
        #expect(um.brokerEpoch == 101 && um.controllerId == 1 && um.controllerEpoch == 7)
        #expect(um.liveBrokers.map(\.id) == [1, 2])
        #expect(
            um.liveBrokers[0].endpoints == [
                .init(port: 9091, host: "h1", listener: "PLAINTEXT", securityProtocol: 0),
                .init(port: 19091, host: "i1", listener: "INTERNAL", securityProtocol: 3),
            ])
        #expect(um.topicStates.map(\.topicId) == [F.topicId])
        let p = um.topicStates[0].partitionStates[0]
        #expect(p.leader == 1 && p.zkVersion == 10 && p.replicas == [1, 2, 3] && p.offlineReplicas == [2, 3])

        var w = ProtocolWriter()
        um.write(to: &w, version: ControllerRequest.updateMetadataVersion)
        var r = ProtocolReader(w.bytes)
        var decoded = try UpdateMetadataRequest(reading: &r, version: 7)
        for i in decoded.topicStates[0].partitionStates.indices {
            decoded.topicStates[0].partitionStates[i].topicName = "t"
        }
        #expect(decoded == um)
    }

    @Test func partitionsOfATopicBeingDeletedAreAnnouncedWithLeaderMinusTwoAndStoppedWithEpochMinusTwo() throws {
        var s = threeBrokerState()
        s.topicsToDelete = ["t"]
        var batch = ControllerRequestBatch()
        batch.addUpdateMetadata(brokers: [1], partitions: [F.tp(0), F.tp(1)])
        batch.addStopReplica(broker: 1, partition: F.tp(0), delete: true)
        let requests = batch.build(s, interBrokerListener: "PLAINTEXT")
        #expect(requests.count == 2)
        guard case .updateMetadata(let um) = requests[0].request, case .stopReplica(let sr) = requests[1].request else {
            Issue.record("unexpected requests \(requests)")
            return
        }
        #expect(um.topicStates[0].partitionStates.map(\.leader) == [-2, -2])
        #expect(sr.brokerEpoch == 101)
        #expect(
            sr.topicStates == [
                .init(
                    topicName: "t", partitionStates: [.init(partitionIndex: 0, leaderEpoch: -2, deletePartition: true)])
            ])

        var w = ProtocolWriter()
        sr.write(to: &w, version: ControllerRequest.stopReplicaVersion)
        var r = ProtocolReader(w.bytes)
        #expect(try StopReplicaRequest(reading: &r, version: 3) == sr)
    }

    @Test func aStopReplicaOutsideDeletionCarriesTheCurrentLeaderEpoch() {
        let s = threeBrokerState()
        var batch = ControllerRequestBatch()
        batch.addStopReplica(broker: 2, partition: F.tp(0), delete: false)
        guard case .stopReplica(let sr) = batch.build(s, interBrokerListener: "PLAINTEXT")[0].request else {
            Issue.record("not StopReplica")
            return
        }
        #expect(sr.topicStates[0].partitionStates == [.init(partitionIndex: 0, leaderEpoch: 4, deletePartition: false)])
    }

    @Test func requestsToBrokersThatAreNotRegisteredAreDropped() {
        let s = threeBrokerState()
        var batch = ControllerRequestBatch()
        batch.addLeaderAndIsr(brokers: [9], partition: F.tp(0), isNew: false, state: s)
        batch.addStopReplica(broker: 9, partition: F.tp(0), delete: true)
        #expect(!batch.build(s, interBrokerListener: "PLAINTEXT").contains { $0.broker == 9 })
    }
}
