import Testing

@testable import KafkaProtocol

@Suite("Produce and Fetch wire vectors")
struct ProduceFetchVectorTests {
    static let produceRequestV9 = hex(
        """
        00                              # transactional_id: null (compact)
        ffff                            # acks -1
        00001388                        # timeout_ms 5000
        02                              # topic_data: 1
        07 6f7264657273                 #   name "orders"
        02                              #   partition_data: 1
        00000002                        #     index 2
        05 0a0b0c0d                     #     records: 4 bytes
        00                              #     tags
        00                              #   tags
        00                              # tags
        """)

    @Test("Produce v3 request decodes field by field and re-encodes byte-exact")
    func produceRequestV3() throws {
        let bytes = hex(
            """
            ffff                        # transactional_id: null
            0001                        # acks 1
            00007530                    # timeout_ms 30000
            00000001                    # topic_data: 1
            0006 6f7264657273           #   name "orders"
            00000001                    #   partition_data: 1
            00000000                    #     index 0
            00000004 01020304           #     records: 4 bytes
            """)
        try checkVector(ProduceRequest.self, version: 3, bytes) { r in
            #expect(r.transactionalId == nil)
            #expect(r.acks == 1)
            #expect(r.timeoutMs == 30000)
            #expect(r.topicData.count == 1)
            #expect(r.topicData.first?.name == "orders")
            #expect(r.topicData.first?.partitionData == [.init(index: 0, records: [1, 2, 3, 4])])
        }
        expectEveryPrefixThrows(ProduceRequest.self, bytes, version: 3)
    }

    @Test("Produce v9 request decodes with compact fields and re-encodes byte-exact")
    func produceRequestV9() throws {
        try checkVector(ProduceRequest.self, version: 9, Self.produceRequestV9) { r in
            #expect(r.transactionalId == nil)
            #expect(r.acks == -1)
            #expect(r.timeoutMs == 5000)
            #expect(
                r.topicData == [.init(name: "orders", partitionData: [.init(index: 2, records: [10, 11, 12, 13])])])
        }
        expectEveryPrefixThrows(ProduceRequest.self, Self.produceRequestV9, version: 9)
    }

    @Test("Produce v2 response decodes field by field and re-encodes byte-exact")
    func produceResponseV2() throws {
        let bytes = hex(
            """
            00000001                    # responses: 1
            0006 6f7264657273           #   name "orders"
            00000001                    #   partition_responses: 1
            00000000                    #     index 0
            0000                        #     error_code 0
            000000000000002a            #     base_offset 42
            ffffffffffffffff            #     log_append_time_ms -1
            00000000                    # throttle_time_ms 0 (last in Produce)
            """)
        try checkVector(ProduceResponse.self, version: 2, bytes) { r in
            let p = r.responses.first?.partitionResponses.first
            #expect(r.responses.first?.name == "orders")
            #expect(p?.index == 0)
            #expect(p?.errorCode == 0)
            #expect(p?.baseOffset == 42)
            #expect(p?.logAppendTimeMs == -1)
            #expect(r.throttleTimeMs == 0)
        }
    }

    @Test("Produce v10 response carries current leader and node endpoints as tagged fields")
    func produceResponseV10() throws {
        let bytes = hex(
            """
            02                          # responses: 1
            07 6f7264657273             #   name "orders"
            02                          #   partition_responses: 1
            00000000                    #     index 0
            0006                        #     error_code 6 NOT_LEADER_OR_FOLLOWER
            ffffffffffffffff            #     base_offset -1
            ffffffffffffffff            #     log_append_time_ms -1
            0000000000000000            #     log_start_offset 0
            01                          #     record_errors: empty
            00                          #     error_message: null
            01 00 09                    #     tags: 1 field, tag 0 (current_leader), 9 bytes
            00000002 00000005 00        #       leader_id 2, leader_epoch 5, tags
            00                          #   tags
            00000000                    # throttle_time_ms
            01 00 14                    # tags: 1 field, tag 0 (node_endpoints), 20 bytes
            02                          #   1 endpoint
            00000002                    #     node_id 2
            09 62726f6b65722d32         #     host "broker-2"
            00002384                    #     port 9092
            00                          #     rack: null
            00                          #     tags
            """)
        try checkVector(ProduceResponse.self, version: 10, bytes) { r in
            let p = r.responses.first?.partitionResponses.first
            #expect(p?.errorCode == ErrorCode.notLeaderOrFollower.rawValue)
            #expect(p?.baseOffset == -1)
            #expect(p?.logStartOffset == 0)
            #expect(p?.recordErrors == [])
            #expect(p?.errorMessage == nil)
            #expect(p?.currentLeader == .init(leaderId: 2, leaderEpoch: 5))
            #expect(r.nodeEndpoints == [.init(nodeId: 2, host: "broker-2", port: 9092, rack: nil)])
        }
    }

    @Test("Fetch v4 request decodes field by field and re-encodes byte-exact")
    func fetchRequestV4() throws {
        let bytes = hex(
            """
            ffffffff                    # replica_id -1
            000001f4                    # max_wait_ms 500
            00000001                    # min_bytes 1
            03200000                    # max_bytes 52428800
            01                          # isolation_level read_committed
            00000001                    # topics: 1
            0006 6f7264657273           #   topic "orders"
            00000001                    #   partitions: 1
            00000000                    #     partition 0
            0000000000000064            #     fetch_offset 100
            00100000                    #     partition_max_bytes 1048576
            """)
        try checkVector(FetchRequest.self, version: 4, bytes) { r in
            #expect(r.replicaId == -1)
            #expect(r.effectiveReplicaId(version: 4) == -1)
            #expect(r.maxWaitMs == 500)
            #expect(r.minBytes == 1)
            #expect(r.maxBytes == 52_428_800)
            #expect(r.isolationLevel == 1)
            #expect(r.topics.first?.topic == "orders")
            #expect(r.topics.first?.partitions == [.init(partition: 0, fetchOffset: 100, partitionMaxBytes: 1_048_576)])
        }
    }

    @Test("Fetch v12 request decodes the cluster id tag and re-encodes byte-exact")
    func fetchRequestV12() throws {
        let bytes = hex(
            """
            ffffffff                    # replica_id -1
            000001f4                    # max_wait_ms 500
            00000001                    # min_bytes 1
            03200000                    # max_bytes
            00                          # isolation_level
            00000000                    # session_id 0
            ffffffff                    # session_epoch -1
            02                          # topics: 1
            07 6f7264657273             #   topic "orders"
            02                          #   partitions: 1
            00000000                    #     partition 0
            ffffffff                    #     current_leader_epoch -1
            0000000000000064            #     fetch_offset 100
            ffffffff                    #     last_fetched_epoch -1
            ffffffffffffffff            #     log_start_offset -1
            00100000                    #     partition_max_bytes
            00                          #     tags
            00                          #   tags
            01                          # forgotten_topics_data: empty
            01                          # rack_id ""
            01 00 04 04 616263          # tags: cluster_id (tag 0) = "abc"
            """)
        try checkVector(FetchRequest.self, version: 12, bytes) { r in
            #expect(r.clusterId == "abc")
            #expect(r.sessionId == 0)
            #expect(r.sessionEpoch == -1)
            #expect(r.topics.first?.partitions.first?.fetchOffset == 100)
            #expect(r.topics.first?.partitions.first?.lastFetchedEpoch == -1)
            #expect(r.forgottenTopicsData == [])
            #expect(r.rackId == "")
        }
    }

    @Test("Fetch v4 response decodes field by field and re-encodes byte-exact")
    func fetchResponseV4() throws {
        let bytes = hex(
            """
            00000000                    # throttle_time_ms
            00000001                    # responses: 1
            0006 6f7264657273           #   topic "orders"
            00000001                    #   partitions: 1
            00000000                    #     partition_index 0
            0000                        #     error_code 0
            00000000000000c8            #     high_watermark 200
            00000000000000c8            #     last_stable_offset 200
            ffffffff                    #     aborted_transactions: null
            00000003 aabbcc             #     records: 3 bytes
            """)
        try checkVector(FetchResponse.self, version: 4, bytes) { r in
            let p = r.responses.first?.partitions.first
            #expect(r.responses.first?.topic == "orders")
            #expect(p?.highWatermark == 200)
            #expect(p?.lastStableOffset == 200)
            #expect(p?.abortedTransactions == nil)
            #expect(p?.records == .bytes([0xAA, 0xBB, 0xCC]))
        }
    }

    @Test("Fetch v12 response decodes aborted transactions and the current-leader tag")
    func fetchResponseV12() throws {
        let bytes = hex(
            """
            00000000                    # throttle_time_ms
            0000                        # error_code
            00000000                    # session_id 0
            02                          # responses: 1
            07 6f7264657273             #   topic "orders"
            02                          #   partitions: 1
            00000000                    #     partition_index
            0000                        #     error_code
            00000000000000c8            #     high_watermark 200
            00000000000000c8            #     last_stable_offset 200
            0000000000000000            #     log_start_offset 0
            02                          #     aborted_transactions: 1
            0000000000000007            #       producer_id 7
            0000000000000032            #       first_offset 50
            00                          #       tags
            ffffffff                    #     preferred_read_replica -1
            04 aabbcc                   #     records: 3 bytes
            01 01 09                    #     tags: 1 field, tag 1 (current_leader), 9 bytes
            00000001 00000003 00        #       leader_id 1, leader_epoch 3, tags
            00                          #   tags
            00                          # tags
            """)
        try checkVector(FetchResponse.self, version: 12, bytes) { r in
            let p = r.responses.first?.partitions.first
            #expect(r.errorCode == 0)
            #expect(r.sessionId == 0)
            #expect(p?.logStartOffset == 0)
            #expect(p?.abortedTransactions == [.init(producerId: 7, firstOffset: 50)])
            #expect(p?.preferredReadReplica == -1)
            #expect(p?.records == .bytes([0xAA, 0xBB, 0xCC]))
            #expect(p?.currentLeader == .init(leaderId: 1, leaderEpoch: 3))
            #expect(p?.divergingEpoch == .init())
            #expect(p?.snapshotId == .init())
        }
    }

    @Test("external Fetch records write a length prefix and a splice point, not bytes")
    func externalRecords() {
        let partition = FetchResponse.PartitionData(
            highWatermark: 10, lastStableOffset: 10, records: .external(length: 300, id: 7))
        let response = FetchResponse(responses: [.init(topic: "orders", partitions: [partition])])
        var w = ProtocolWriter()
        response.write(to: &w, version: 12)
        #expect(w.externals.count == 1)
        let ext = w.externals[0]
        #expect(ext.length == 300)
        #expect(ext.id == 7)
        // The compact length 301 (uvarint ad 02) sits right before the splice point; the tag sections follow it.
        #expect(Array(w.bytes[ext.position - 2..<ext.position]) == [0xAD, 0x02])
        #expect(Array(w.bytes[ext.position...]) == [0x00, 0x00, 0x00])
        #expect(w.totalLength == w.bytes.count + 300)

        var classic = ProtocolWriter()
        response.write(to: &classic, version: 4)
        let pos = classic.externals[0].position
        #expect(Array(classic.bytes[pos - 4..<pos]) == [0x00, 0x00, 0x01, 0x2C])
        #expect(pos == classic.bytes.count)
    }

    @Test("empty Fetch records are written as size 0, never as null")
    func emptyRecordsNeverNull() {
        let response = FetchResponse(responses: [.init(topic: "t", partitions: [.init()])])
        let classic = response.encoded(version: 4)
        #expect(Array(classic.suffix(4)) == [0, 0, 0, 0])
        let flexible = response.encoded(version: 12)
        #expect(Array(flexible.suffix(4)) == [0x01, 0x00, 0x00, 0x00])  // records "", partition/topic/top tags
    }
}
