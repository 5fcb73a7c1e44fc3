import Testing

@testable import KafkaProtocol

// OffsetForLeaderEpoch, DescribeLogDirs and ElectLeaders. Strings used: "t" 74, "/d" 2f 64.

@Suite("OffsetForLeaderEpoch")
struct InterBrokerOffsetForLeaderEpochTests {
    @Test("v2 request carries the current leader epoch")
    func requestV2() throws {
        let wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x01,  // topics: 1
            0x00, 0x01, 0x74,  // topic
            0x00, 0x00, 0x00, 0x01,  // partitions: 1
            0x00, 0x00, 0x00, 0x00,  // partition
            0x00, 0x00, 0x00, 0x03,  // current_leader_epoch
            0x00, 0x00, 0x00, 0x02,  // leader_epoch
        ]
        let v = try GroupWire.vector(OffsetForLeaderEpochRequest.self, wire, version: 2)
        #expect(v.replicaId == -2)
        #expect(
            v.topics == [.init(topic: "t", partitions: [.init(partition: 0, currentLeaderEpoch: 3, leaderEpoch: 2)])])
    }

    @Test("v4 request is flexible and names the replica")
    func requestV4() throws {
        let wire: [UInt8] = [
            0xFF, 0xFF, 0xFF, 0xFF,  // replica_id -1 (consumer)
            0x02, 0x02, 0x74,  // topics: 1, topic
            0x02,  // partitions: 1
            0x00, 0x00, 0x00, 0x00,  // partition
            0x00, 0x00, 0x00, 0x03,  // current_leader_epoch
            0x00, 0x00, 0x00, 0x02,  // leader_epoch
            0x00, 0x00, 0x00,  // partition, topic, top-level tags
        ]
        let v = try GroupWire.vector(OffsetForLeaderEpochRequest.self, wire, version: 4)
        #expect(v.replicaId == -1)
        #expect(v.topics.first?.partitions.first?.leaderEpoch == 2)
    }

    @Test("v1 and v4 responses carry the epoch end offset")
    func responses() throws {
        let v1wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74,  // topics: 1, topic
            0x00, 0x00, 0x00, 0x01,  // partitions: 1
            0x00, 0x00,  // error_code
            0x00, 0x00, 0x00, 0x00,  // partition
            0x00, 0x00, 0x00, 0x02,  // leader_epoch
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64,  // end_offset 100
        ]
        let v1 = try GroupWire.vector(OffsetForLeaderEpochResponse.self, v1wire, version: 1)
        #expect(v1.topics.first?.partitions == [.init(errorCode: 0, partition: 0, leaderEpoch: 2, endOffset: 100)])
        let v4wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x00,  // throttle_time_ms
            0x02, 0x02, 0x74,  // topics: 1, topic
            0x02,  // partitions: 1
            0x00, 0x00,  // error_code
            0x00, 0x00, 0x00, 0x00,  // partition
            0x00, 0x00, 0x00, 0x02,  // leader_epoch
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64,  // end_offset
            0x00, 0x00, 0x00,  // tags
        ]
        let v4 = try GroupWire.vector(OffsetForLeaderEpochResponse.self, v4wire, version: 4)
        #expect(v4.topics.first?.partitions.first?.endOffset == 100)
    }

    @Test("round trips at every version 0–4")
    func roundTrips() {
        GroupWire.roundTrip(
            OffsetForLeaderEpochRequest(
                replicaId: 2,
                topics: [.init(topic: "t", partitions: [.init(partition: 1, currentLeaderEpoch: 4, leaderEpoch: 3)])]),
            versions: OffsetForLeaderEpochRequest.versions, exactAt: [3, 4])
        GroupWire.roundTrip(
            OffsetForLeaderEpochResponse(
                throttleTimeMs: 1,
                topics: [
                    .init(topic: "t", partitions: [.init(errorCode: 0, partition: 1, leaderEpoch: 3, endOffset: 9)])
                ]),
            versions: OffsetForLeaderEpochRequest.versions, exactAt: [2, 3, 4])
    }
}

@Suite("DescribeLogDirs")
struct InterBrokerDescribeLogDirsTests {
    @Test("v1 request with null topics and v2 request with a topic")
    func requests() throws {
        let v1 = try GroupWire.vector(DescribeLogDirsRequest.self, [0xFF, 0xFF, 0xFF, 0xFF], version: 1)
        #expect(v1.topics == nil)
        let v2wire: [UInt8] = [
            0x02, 0x02, 0x74,  // topics: 1, topic
            0x02, 0x00, 0x00, 0x00, 0x00,  // partitions [0]
            0x00, 0x00,  // topic and top-level tags
        ]
        let v2 = try GroupWire.vector(DescribeLogDirsRequest.self, v2wire, version: 2)
        #expect(v2.topics == [.init(topic: "t", partitions: [0])])
    }

    @Test("v1 response describes partitions per log dir")
    func responseV1() throws {
        let wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x00,  // throttle_time_ms
            0x00, 0x00, 0x00, 0x01,  // results: 1
            0x00, 0x00,  // error_code
            0x00, 0x02, 0x2F, 0x64,  // log_dir "/d"
            0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74,  // topics: 1, name
            0x00, 0x00, 0x00, 0x01,  // partitions: 1
            0x00, 0x00, 0x00, 0x00,  // partition_index
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,  // partition_size 1024
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // offset_lag
            0x00,  // is_future_key
        ]
        let v = try GroupWire.vector(DescribeLogDirsResponse.self, wire, version: 1)
        let result = try #require(v.results.first)
        #expect(result.logDir == "/d")
        #expect(result.topics == [.init(name: "t", partitions: [.init(partitionIndex: 0, partitionSize: 1024)])])
        #expect(result.totalBytes == -1)
    }

    @Test("v4 response carries total and usable bytes")
    func responseV4() throws {
        let wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x00,  // throttle_time_ms
            0x00, 0x00,  // error_code
            0x02,  // results: 1
            0x00, 0x00,  // error_code
            0x03, 0x2F, 0x64,  // log_dir
            0x02, 0x02, 0x74,  // topics: 1, name
            0x02,  // partitions: 1
            0x00, 0x00, 0x00, 0x00,  // partition_index
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,  // partition_size
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // offset_lag
            0x00,  // is_future_key
            0x00, 0x00,  // partition and topic tags
            0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,  // total_bytes
            0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00,  // usable_bytes
            0x00,  // result tags
            0x00,  // tags
        ]
        let v = try GroupWire.vector(DescribeLogDirsResponse.self, wire, version: 4)
        let result = try #require(v.results.first)
        #expect(result.totalBytes == 0x10_0000)
        #expect(result.usableBytes == 0x8_0000)
    }

    @Test("round trips at every version 0–4")
    func roundTrips() {
        GroupWire.roundTrip(
            DescribeLogDirsRequest(topics: [.init(topic: "t", partitions: [0, 1])]),
            versions: DescribeLogDirsRequest.versions, exactAt: [0, 1, 2, 3, 4])
        GroupWire.roundTrip(
            DescribeLogDirsRequest(topics: nil), versions: DescribeLogDirsRequest.versions, exactAt: [0, 4])
        GroupWire.roundTrip(
            DescribeLogDirsResponse(
                throttleTimeMs: 1, errorCode: 0,
                results: [
                    .init(
                        errorCode: 0, logDir: "/data",
                        topics: [
                            .init(
                                name: "t",
                                partitions: [
                                    .init(partitionIndex: 0, partitionSize: 10, offsetLag: 1, isFutureKey: true)
                                ])
                        ],
                        totalBytes: 100, usableBytes: 50)
                ]),
            versions: DescribeLogDirsRequest.versions, exactAt: [4])
    }
}

@Suite("ElectLeaders")
struct InterBrokerElectLeadersTests {
    @Test("v0 and v2 requests decode")
    func requests() throws {
        let v0wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74,  // topic_partitions: 1, topic
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,  // partitions [0]
            0x00, 0x00, 0xEA, 0x60,  // timeout_ms 60000
        ]
        let v0 = try GroupWire.vector(ElectLeadersRequest.self, v0wire, version: 0)
        #expect(v0.topicPartitions == [.init(topic: "t", partitions: [0])])
        #expect(v0.timeoutMs == 60000)
        let v2 = try GroupWire.vector(ElectLeadersRequest.self, [0x01, 0x00, 0x00, 0x00, 0xEA, 0x60, 0x00], version: 2)
        #expect(v2.electionType == 1)
        #expect(v2.topicPartitions == nil)
    }

    @Test("v0 and v2 responses carry per-partition results")
    func responses() throws {
        let v0wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x00,  // throttle_time_ms
            0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74,  // results: 1, topic
            0x00, 0x00, 0x00, 0x01,  // partition_result: 1
            0x00, 0x00, 0x00, 0x00,  // partition_id
            0x00, 0x54,  // error_code 84 ELECTION_NOT_NEEDED
            0xFF, 0xFF,  // error_message null
        ]
        let v0 = try GroupWire.vector(ElectLeadersResponse.self, v0wire, version: 0)
        #expect(
            v0.replicaElectionResults == [.init(topic: "t", partitionResult: [.init(partitionId: 0, errorCode: 84)])])
        let v2wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x00,  // throttle_time_ms
            0x00, 0x00,  // error_code
            0x02, 0x02, 0x74,  // results: 1, topic
            0x02,  // partition_result: 1
            0x00, 0x00, 0x00, 0x00,  // partition_id
            0x00, 0x00,  // error_code
            0x00,  // error_message null
            0x00, 0x00, 0x00,  // tags
        ]
        let v2 = try GroupWire.vector(ElectLeadersResponse.self, v2wire, version: 2)
        #expect(v2.replicaElectionResults.first?.partitionResult.first?.errorCode == 0)
    }

    @Test("round trips at every version 0–2")
    func roundTrips() {
        GroupWire.roundTrip(
            ElectLeadersRequest(
                electionType: 1, topicPartitions: [.init(topic: "t", partitions: [0, 2])], timeoutMs: 30000),
            versions: ElectLeadersRequest.versions, exactAt: [1, 2])
        GroupWire.roundTrip(
            ElectLeadersResponse(
                throttleTimeMs: 1, errorCode: 0,
                replicaElectionResults: [
                    .init(topic: "t", partitionResult: [.init(partitionId: 0, errorCode: 0, errorMessage: "ok")])
                ]),
            versions: ElectLeadersRequest.versions, exactAt: [1, 2])
    }
}
