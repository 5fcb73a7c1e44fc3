import Testing

@testable import KafkaProtocol

// Controller → broker APIs. Strings used: "t" 74, "h" 68, "P" 50.

private let topicIdBytes: [UInt8] = Array(1...16)

@Suite("LeaderAndIsr")
struct InterBrokerLeaderAndIsrTests {
    @Test("v1 request carries ungrouped partition states")
    func requestV1() throws {
        let wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x01,  // controller_id
            0x00, 0x00, 0x00, 0x02,  // controller_epoch
            0x00, 0x00, 0x00, 0x01,  // ungrouped_partition_states: 1
            0x00, 0x01, 0x74,  // topic_name
            0x00, 0x00, 0x00, 0x00,  // partition_index
            0x00, 0x00, 0x00, 0x02,  // controller_epoch
            0x00, 0x00, 0x00, 0x01,  // leader
            0x00, 0x00, 0x00, 0x03,  // leader_epoch
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,  // isr [1]
            0x00, 0x00, 0x00, 0x04,  // partition_epoch
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,  // replicas [1]
            0x01,  // is_new
            0x00, 0x00, 0x00, 0x01,  // live_leaders: 1
            0x00, 0x00, 0x00, 0x01,  // broker_id
            0x00, 0x01, 0x68,  // host_name
            0x00, 0x00, 0x23, 0x84,  // port
        ]
        let v = try GroupWire.vector(LeaderAndIsrRequest.self, wire, version: 1)
        #expect(v.controllerId == 1)
        #expect(v.controllerEpoch == 2)
        #expect(
            v.ungroupedPartitionStates == [
                .init(
                    topicName: "t", partitionIndex: 0, controllerEpoch: 2, leader: 1, leaderEpoch: 3, isr: [1],
                    partitionEpoch: 4, replicas: [1], isNew: true)
            ])
        #expect(v.liveLeaders == [.init(brokerId: 1, hostName: "h", port: 9092)])
    }

    @Test("v7 request groups partition states by topic with topic ids")
    func requestV7() throws {
        let wire: [UInt8] =
            [
                0x00, 0x00, 0x00, 0x01,  // controller_id
                0x00,  // is_kraft_controller
                0x00, 0x00, 0x00, 0x02,  // controller_epoch
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07,  // broker_epoch
                0x00,  // type
                0x02,  // topic_states: 1
                0x02, 0x74,  // topic_name
            ] + topicIdBytes + [
                0x02,  // partition_states: 1
                0x00, 0x00, 0x00, 0x00,  // partition_index
                0x00, 0x00, 0x00, 0x02,  // controller_epoch
                0x00, 0x00, 0x00, 0x01,  // leader
                0x00, 0x00, 0x00, 0x03,  // leader_epoch
                0x02, 0x00, 0x00, 0x00, 0x01,  // isr [1]
                0x00, 0x00, 0x00, 0x04,  // partition_epoch
                0x02, 0x00, 0x00, 0x00, 0x01,  // replicas [1]
                0x01,  // adding_replicas []
                0x01,  // removing_replicas []
                0x00,  // is_new
                0x00,  // leader_recovery_state
                0x00,  // partition tags
                0x00,  // topic tags
                0x02,  // live_leaders: 1
                0x00, 0x00, 0x00, 0x01, 0x02, 0x68, 0x00, 0x00, 0x23, 0x84,  // broker_id, host_name, port
                0x00,  // leader tags
                0x00,  // tags
            ]
        let v = try GroupWire.vector(LeaderAndIsrRequest.self, wire, version: 7)
        #expect(v.brokerEpoch == 7)
        let topic = try #require(v.topicStates.first)
        #expect(topic.topicName == "t")
        #expect(topic.topicId == UUIDValue(bytes: topicIdBytes))
        #expect(topic.partitionStates.first?.isr == [1])
        #expect(topic.partitionStates.first?.topicName == "")
    }

    @Test("v1 and v5 responses carry partition errors")
    func responses() throws {
        let v1wire: [UInt8] = [
            0x00, 0x00,  // error_code
            0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74,  // partition_errors: 1, topic_name
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // partition_index, error_code
        ]
        let v1 = try GroupWire.vector(LeaderAndIsrResponse.self, v1wire, version: 1)
        #expect(v1.partitionErrors == [.init(topicName: "t", partitionIndex: 0, errorCode: 0)])
        let v5wire: [UInt8] =
            [0x00, 0x00, 0x02] + topicIdBytes + [
                0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // partition_errors: 1 (index 0, error 0, tags)
                0x00,  // topic tags
                0x00,  // tags
            ]
        let v5 = try GroupWire.vector(LeaderAndIsrResponse.self, v5wire, version: 5)
        #expect(
            v5.topics == [.init(topicId: UUIDValue(bytes: topicIdBytes), partitionErrors: [.init(partitionIndex: 0)])])
    }

    @Test("round trips at every version 0–7")
    func roundTrips() {
        let state = LeaderAndIsrRequest.LeaderAndIsrPartitionState(
            topicName: "t", partitionIndex: 1, controllerEpoch: 2, leader: 3, leaderEpoch: 4, isr: [3, 4],
            partitionEpoch: 5, replicas: [3, 4, 5], addingReplicas: [5], removingReplicas: [6], isNew: true,
            leaderRecoveryState: 1)
        GroupWire.roundTrip(
            LeaderAndIsrRequest(
                controllerId: 1, isKRaftController: false, controllerEpoch: 2, brokerEpoch: 3, type: 1,
                ungroupedPartitionStates: [state],
                topicStates: [.init(topicName: "t", topicId: UUIDValue(bytes: topicIdBytes), partitionStates: [state])],
                liveLeaders: [.init(brokerId: 3, hostName: "h", port: 9092)]),
            versions: LeaderAndIsrRequest.versions)
        GroupWire.roundTrip(
            LeaderAndIsrResponse(
                errorCode: 0, partitionErrors: [.init(topicName: "t", partitionIndex: 1, errorCode: 0)],
                topics: [.init(topicId: UUIDValue(bytes: topicIdBytes), partitionErrors: [.init(partitionIndex: 1)])]),
            versions: LeaderAndIsrRequest.versions)
    }
}

@Suite("UpdateMetadata")
struct InterBrokerUpdateMetadataTests {
    @Test("v0 request carries ungrouped states and v0 broker host/port")
    func requestV0() throws {
        let wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x01,  // controller_id
            0x00, 0x00, 0x00, 0x02,  // controller_epoch
            0x00, 0x00, 0x00, 0x01,  // ungrouped_partition_states: 1
            0x00, 0x01, 0x74,  // topic_name
            0x00, 0x00, 0x00, 0x00,  // partition_index
            0x00, 0x00, 0x00, 0x02,  // controller_epoch
            0x00, 0x00, 0x00, 0x01,  // leader
            0x00, 0x00, 0x00, 0x03,  // leader_epoch
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,  // isr [1]
            0x00, 0x00, 0x00, 0x04,  // zk_version
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,  // replicas [1]
            0x00, 0x00, 0x00, 0x01,  // live_brokers: 1
            0x00, 0x00, 0x00, 0x01,  // id
            0x00, 0x01, 0x68,  // v0_host
            0x00, 0x00, 0x23, 0x84,  // v0_port
        ]
        let v = try GroupWire.vector(UpdateMetadataRequest.self, wire, version: 0)
        #expect(
            v.ungroupedPartitionStates == [
                .init(
                    topicName: "t", partitionIndex: 0, controllerEpoch: 2, leader: 1, leaderEpoch: 3, isr: [1],
                    zkVersion: 4, replicas: [1])
            ])
        #expect(v.liveBrokers == [.init(id: 1, v0Host: "h", v0Port: 9092)])
    }

    @Test("v8 request decodes the tagged type field and re-encodes it")
    func requestV8() throws {
        let wire: [UInt8] =
            [
                0x00, 0x00, 0x00, 0x01,  // controller_id
                0x00,  // is_kraft_controller
                0x00, 0x00, 0x00, 0x02,  // controller_epoch
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07,  // broker_epoch
                0x02,  // topic_states: 1
                0x02, 0x74,  // topic_name
            ] + topicIdBytes + [
                0x02,  // partition_states: 1
                0x00, 0x00, 0x00, 0x00,  // partition_index
                0x00, 0x00, 0x00, 0x02,  // controller_epoch
                0x00, 0x00, 0x00, 0x01,  // leader
                0x00, 0x00, 0x00, 0x03,  // leader_epoch
                0x02, 0x00, 0x00, 0x00, 0x01,  // isr [1]
                0x00, 0x00, 0x00, 0x04,  // zk_version
                0x02, 0x00, 0x00, 0x00, 0x01,  // replicas [1]
                0x01,  // offline_replicas []
                0x00,  // partition tags
                0x00,  // topic tags
                0x02,  // live_brokers: 1
                0x00, 0x00, 0x00, 0x01,  // id
                0x02,  // endpoints: 1
                0x00, 0x00, 0x23, 0x84,  // port
                0x02, 0x68,  // host
                0x02, 0x50,  // listener "P"
                0x00, 0x00,  // security_protocol PLAINTEXT
                0x00,  // endpoint tags
                0x00,  // rack null
                0x00,  // broker tags
                0x01, 0x00, 0x01, 0x02,  // tags: type (tag 0) = 2
            ]
        let v = try GroupWire.vector(UpdateMetadataRequest.self, wire, version: 8)
        #expect(v.type == 2)
        #expect(v.topicStates.first?.topicId == UUIDValue(bytes: topicIdBytes))
        #expect(
            v.liveBrokers == [
                .init(id: 1, endpoints: [.init(port: 9092, host: "h", listener: "P", securityProtocol: 0)])
            ])
    }

    @Test("a default type is never written as a tagged field")
    func defaultTypeNotWritten() {
        let bytes = GroupWire.encode(UpdateMetadataRequest(controllerId: 1), version: 8)
        #expect(bytes.last == 0x00)
        #expect(bytes.count == 4 + 1 + 4 + 8 + 1 + 1 + 1)
    }

    @Test("responses decode at v0 and v6")
    func responses() throws {
        #expect(try GroupWire.vector(UpdateMetadataResponse.self, [0x00, 0x00], version: 0).errorCode == 0)
        #expect(try GroupWire.vector(UpdateMetadataResponse.self, [0x00, 0x0B, 0x00], version: 6).errorCode == 11)
    }

    @Test("round trips at every version 0–8")
    func roundTrips() {
        let state = UpdateMetadataRequest.UpdateMetadataPartitionState(
            topicName: "t", partitionIndex: 1, controllerEpoch: 2, leader: 3, leaderEpoch: 4, isr: [3], zkVersion: 5,
            replicas: [3, 4], offlineReplicas: [4])
        GroupWire.roundTrip(
            UpdateMetadataRequest(
                controllerId: 1, isKRaftController: true, type: 1, controllerEpoch: 2, brokerEpoch: 3,
                ungroupedPartitionStates: [state],
                topicStates: [.init(topicName: "t", topicId: UUIDValue(bytes: topicIdBytes), partitionStates: [state])],
                liveBrokers: [
                    .init(
                        id: 3, v0Host: "h", v0Port: 9092,
                        endpoints: [.init(port: 9092, host: "h", listener: "PLAINTEXT", securityProtocol: 0)],
                        rack: "r1")
                ]),
            versions: UpdateMetadataRequest.versions)
        GroupWire.roundTrip(
            UpdateMetadataResponse(errorCode: 0), versions: UpdateMetadataRequest.versions, exactAt: Set(0...8))
    }
}

@Suite("StopReplica")
struct InterBrokerStopReplicaTests {
    @Test("v0, v1 and v3 requests decode their partition layouts")
    func requests() throws {
        let v0wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x01,  // controller_id
            0x00, 0x00, 0x00, 0x02,  // controller_epoch
            0x01,  // delete_partitions
            0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74, 0x00, 0x00, 0x00, 0x00,  // ungrouped_partitions [t-0]
        ]
        let v0 = try GroupWire.vector(StopReplicaRequest.self, v0wire, version: 0)
        #expect(v0.deletePartitions)
        #expect(v0.ungroupedPartitions == [.init(topicName: "t", partitionIndex: 0)])
        let v1wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x01,  // controller_id
            0x00, 0x00, 0x00, 0x02,  // controller_epoch
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07,  // broker_epoch
            0x00,  // delete_partitions
            0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74,  // topics: 1, name
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,  // partition_indexes [0]
        ]
        let v1 = try GroupWire.vector(StopReplicaRequest.self, v1wire, version: 1)
        #expect(v1.brokerEpoch == 7)
        #expect(v1.topics == [.init(name: "t", partitionIndexes: [0])])
        let v3wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x01,  // controller_id
            0x00, 0x00, 0x00, 0x02,  // controller_epoch
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07,  // broker_epoch
            0x02, 0x02, 0x74,  // topic_states: 1, topic_name
            0x02,  // partition_states: 1
            0x00, 0x00, 0x00, 0x00,  // partition_index
            0x00, 0x00, 0x00, 0x05,  // leader_epoch
            0x01,  // delete_partition
            0x00, 0x00, 0x00,  // tags
        ]
        let v3 = try GroupWire.vector(StopReplicaRequest.self, v3wire, version: 3)
        #expect(
            v3.topicStates == [
                .init(
                    topicName: "t", partitionStates: [.init(partitionIndex: 0, leaderEpoch: 5, deletePartition: true)])
            ])
    }

    @Test("v0 and v2 responses carry partition errors")
    func responses() throws {
        let v0wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ]
        let v0 = try GroupWire.vector(StopReplicaResponse.self, v0wire, version: 0)
        #expect(v0.partitionErrors == [.init(topicName: "t", partitionIndex: 0, errorCode: 0)])
        let v2wire: [UInt8] = [0x00, 0x00, 0x02, 0x02, 0x74, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
        let v2 = try GroupWire.vector(StopReplicaResponse.self, v2wire, version: 2)
        #expect(v2.partitionErrors == [.init(topicName: "t", partitionIndex: 0, errorCode: 0)])
    }

    @Test("round trips at every version 0–4")
    func roundTrips() {
        GroupWire.roundTrip(
            StopReplicaRequest(
                controllerId: 1, isKRaftController: true, controllerEpoch: 2, brokerEpoch: 3, deletePartitions: true,
                ungroupedPartitions: [.init(topicName: "t", partitionIndex: 0)],
                topics: [.init(name: "t", partitionIndexes: [0, 1])],
                topicStates: [
                    .init(
                        topicName: "t",
                        partitionStates: [.init(partitionIndex: 0, leaderEpoch: 1, deletePartition: true)])
                ]),
            versions: StopReplicaRequest.versions)
        GroupWire.roundTrip(
            StopReplicaResponse(
                errorCode: 0, partitionErrors: [.init(topicName: "t", partitionIndex: 0, errorCode: 0)]),
            versions: StopReplicaRequest.versions, exactAt: Set(0...4))
    }
}

@Suite("ControlledShutdown")
struct InterBrokerControlledShutdownTests {
    @Test("v1 and v3 requests decode")
    func requests() throws {
        #expect(try GroupWire.vector(ControlledShutdownRequest.self, [0, 0, 0, 1], version: 1).brokerId == 1)
        let v3 = try GroupWire.vector(
            ControlledShutdownRequest.self, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7, 0x00], version: 3)
        #expect(v3 == ControlledShutdownRequest(brokerId: 1, brokerEpoch: 7))
    }

    @Test("v1 and v3 responses list remaining partitions")
    func responses() throws {
        let v1 = try GroupWire.vector(
            ControlledShutdownResponse.self, [0x00, 0x00, 0, 0, 0, 1, 0x00, 0x01, 0x74, 0, 0, 0, 0], version: 1)
        #expect(v1.remainingPartitions == [.init(topicName: "t", partitionIndex: 0)])
        let v3 = try GroupWire.vector(
            ControlledShutdownResponse.self, [0x00, 0x00, 0x02, 0x02, 0x74, 0, 0, 0, 0, 0x00, 0x00], version: 3)
        #expect(v3.remainingPartitions == [.init(topicName: "t", partitionIndex: 0)])
    }

    @Test("v0 uses request header v0, later versions the usual headers")
    func headerVersions() {
        #expect(ControlledShutdownRequest.requestHeaderVersion(0) == 0)
        #expect(ControlledShutdownRequest.requestHeaderVersion(1) == 1)
        #expect(ControlledShutdownRequest.requestHeaderVersion(3) == 2)
    }

    @Test("round trips at every version 0–3")
    func roundTrips() {
        GroupWire.roundTrip(
            ControlledShutdownRequest(brokerId: 2, brokerEpoch: 9), versions: ControlledShutdownRequest.versions,
            exactAt: [2, 3])
        GroupWire.roundTrip(
            ControlledShutdownResponse(errorCode: 0, remainingPartitions: [.init(topicName: "t", partitionIndex: 3)]),
            versions: ControlledShutdownRequest.versions, exactAt: Set(0...3))
    }
}
