import Testing

@testable import KafkaProtocol

@Suite("ListOffsets and Metadata wire vectors")
struct ListOffsetsMetadataVectorTests {
    @Test("ListOffsets v0 request and response use MaxNumOffsets and OldStyleOffsets")
    func listOffsetsV0() throws {
        let request = hex(
            """
            ffffffff                    # replica_id -1
            00000001                    # topics: 1
            0006 6f7264657273           #   name "orders"
            00000001                    #   partitions: 1
            00000000                    #     partition_index 0
            ffffffffffffffff            #     timestamp -1 (latest)
            00000001                    #     max_num_offsets 1
            """)
        try checkVector(ListOffsetsRequest.self, version: 0, request) { r in
            #expect(r.replicaId == -1)
            #expect(r.topics.first?.name == "orders")
            #expect(r.topics.first?.partitions == [.init(partitionIndex: 0, timestamp: -1, maxNumOffsets: 1)])
        }
        let response = hex(
            """
            00000001                    # topics: 1
            0006 6f7264657273           #   name "orders"
            00000001                    #   partitions: 1
            00000000                    #     partition_index 0
            0000                        #     error_code 0
            00000001 00000000000000c8   #     old_style_offsets [200]
            """)
        try checkVector(ListOffsetsResponse.self, version: 0, response) { r in
            let p = r.topics.first?.partitions.first
            #expect(p?.oldStyleOffsets == [200])
            #expect(p?.offset == -1)
            #expect(p?.timestamp == -1)
        }
    }

    @Test("ListOffsets v7 request and response decode with compact fields")
    func listOffsetsV7() throws {
        let request = hex(
            """
            ffffffff                    # replica_id -1
            01                          # isolation_level read_committed
            02                          # topics: 1
            07 6f7264657273             #   name "orders"
            02                          #   partitions: 1
            00000000                    #     partition_index
            ffffffff                    #     current_leader_epoch -1
            fffffffffffffffd            #     timestamp -3 (max timestamp)
            00 00 00                    # tags (partition, topic, top)
            """)
        try checkVector(ListOffsetsRequest.self, version: 7, request) { r in
            #expect(r.isolationLevel == 1)
            #expect(r.topics.first?.partitions.first?.timestamp == -3)
            #expect(r.topics.first?.partitions.first?.currentLeaderEpoch == -1)
        }
        let response = hex(
            """
            00000000                    # throttle_time_ms
            02                          # topics: 1
            07 6f7264657273             #   name "orders"
            02                          #   partitions: 1
            00000000                    #     partition_index
            0000                        #     error_code
            0000000000000064            #     timestamp 100
            000000000000000a            #     offset 10
            00000000                    #     leader_epoch 0
            00 00 00                    # tags
            """)
        try checkVector(ListOffsetsResponse.self, version: 7, response) { r in
            #expect(
                r.topics.first?.partitions == [.init(partitionIndex: 0, timestamp: 100, offset: 10, leaderEpoch: 0)])
        }
    }

    @Test("Metadata v0 empty topic list and v1 null topic list decode faithfully")
    func metadataRequestAllTopics() throws {
        try checkVector(MetadataRequest.self, version: 0, hex("00000000")) { r in #expect(r.topics == []) }
        try checkVector(MetadataRequest.self, version: 1, hex("ffffffff")) { r in #expect(r.topics == nil) }
        try checkVector(MetadataRequest.self, version: 1, hex("00000000")) { r in #expect(r.topics == []) }
    }

    @Test("Metadata v9 request decodes flags and compact topic names")
    func metadataRequestV9() throws {
        let bytes = hex(
            """
            02                          # topics: 1
            07 6f7264657273 00          #   name "orders", tags
            00                          # allow_auto_topic_creation false
            00                          # include_cluster_authorized_operations (v8-10)
            01                          # include_topic_authorized_operations
            00                          # tags
            """)
        try checkVector(MetadataRequest.self, version: 9, bytes) { r in
            #expect(r.topics == [.init(name: "orders")])
            #expect(r.allowAutoTopicCreation == false)
            #expect(r.includeClusterAuthorizedOperations == false)
            #expect(r.includeTopicAuthorizedOperations == true)
        }
    }

    @Test("Metadata v1 response decodes brokers, controller and partitions")
    func metadataResponseV1() throws {
        let bytes = hex(
            """
            00000001                    # brokers: 1
            00000001                    #   node_id 1
            0009 6c6f63616c686f7374     #   host "localhost"
            00002384                    #   port 9092
            ffff                        #   rack: null
            00000001                    # controller_id 1
            00000001                    # topics: 1
            0000                        #   error_code
            0006 6f7264657273           #   name "orders"
            00                          #   is_internal false
            00000001                    #   partitions: 1
            0000                        #     error_code
            00000000                    #     partition_index 0
            00000001                    #     leader_id 1
            00000001 00000001           #     replica_nodes [1]
            00000001 00000001           #     isr_nodes [1]
            """)
        try checkVector(MetadataResponse.self, version: 1, bytes) { r in
            #expect(r.brokers == [.init(nodeId: 1, host: "localhost", port: 9092, rack: nil)])
            #expect(r.controllerId == 1)
            #expect(r.clusterId == nil)
            let t = r.topics.first
            #expect(t?.name == "orders")
            #expect(t?.isInternal == false)
            #expect(t?.partitions == [.init(partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1])])
        }
    }

    @Test("Metadata v12 response decodes cluster id, topic id and authorized operations")
    func metadataResponseV12() throws {
        let bytes = hex(
            """
            00000000                    # throttle_time_ms
            02                          # brokers: 1
            00000001                    #   node_id 1
            0a 6c6f63616c686f7374       #   host "localhost"
            00002384                    #   port 9092
            00                          #   rack: null
            00                          #   tags
            08 636c7573746572           # cluster_id "cluster"
            00000001                    # controller_id 1
            02                          # topics: 1
            0000                        #   error_code
            07 6f7264657273             #   name "orders"
            000102030405060708090a0b0c0d0e0f  # topic_id
            00                          #   is_internal
            02                          #   partitions: 1
            0000                        #     error_code
            00000000                    #     partition_index
            00000001                    #     leader_id 1
            00000000                    #     leader_epoch 0
            02 00000001                 #     replica_nodes [1]
            02 00000001                 #     isr_nodes [1]
            01                          #     offline_replicas []
            00                          #     tags
            80000000                    #   topic_authorized_operations (unset)
            00                          #   tags
            00                          # tags
            """)
        try checkVector(MetadataResponse.self, version: 12, bytes) { r in
            #expect(r.clusterId == "cluster")
            #expect(r.controllerId == 1)
            #expect(r.brokers.first?.host == "localhost")
            let t = r.topics.first
            #expect(t?.topicId == sampleTopicId)
            #expect(t?.topicAuthorizedOperations == Int32.min)
            #expect(t?.partitions.first?.leaderEpoch == 0)
            #expect(t?.partitions.first?.offlineReplicas == [])
        }
    }
}
