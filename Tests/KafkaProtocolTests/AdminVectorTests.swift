import Testing

@testable import KafkaProtocol

@Suite("Admin API wire vectors")
struct AdminVectorTests {
    @Test("CreateTopics v0 request decodes topics, assignments and configs")
    func createTopicsRequestV0() throws {
        let bytes = hex(
            """
            00000001                    # topics: 1
            0006 6f7264657273           #   name "orders"
            00000003                    #   num_partitions 3
            0001                        #   replication_factor 1
            00000000                    #   assignments: empty
            00000001                    #   configs: 1
            000e 636c65616e75702e706f6c696379  # name "cleanup.policy"
            0007 636f6d70616374         #     value "compact"
            00007530                    # timeout_ms 30000
            """)
        try checkVector(CreateTopicsRequest.self, version: 0, bytes) { r in
            #expect(r.topics.first?.name == "orders")
            #expect(r.topics.first?.numPartitions == 3)
            #expect(r.topics.first?.replicationFactor == 1)
            #expect(r.topics.first?.assignments == [])
            #expect(r.topics.first?.configs == [.init(name: "cleanup.policy", value: "compact")])
            #expect(r.timeoutMs == 30000)
            #expect(r.validateOnly == false)
        }
    }

    @Test("CreateTopics v5 response echoes configs and decodes the config error tag")
    func createTopicsResponseV5() throws {
        let bytes = hex(
            """
            00000000                    # throttle_time_ms
            02                          # topics: 1
            07 6f7264657273             #   name "orders"
            0000                        #   error_code
            00                          #   error_message: null
            00000003                    #   num_partitions 3
            0001                        #   replication_factor 1
            02                          #   configs: 1
            0f 636c65616e75702e706f6c696379  # name
            08 636f6d70616374           #     value "compact"
            00                          #     read_only
            01                          #     config_source 1
            00                          #     is_sensitive
            00                          #     tags
            01 00 02 001d               #   tags: topic_config_error_code (tag 0) = 29
            00                          # tags
            """)
        try checkVector(CreateTopicsResponse.self, version: 5, bytes) { r in
            let t = r.topics.first
            #expect(t?.name == "orders")
            #expect(t?.errorMessage == nil)
            #expect(t?.numPartitions == 3)
            #expect(t?.configs == [.init(name: "cleanup.policy", value: "compact", readOnly: false, configSource: 1)])
            #expect(t?.topicConfigErrorCode == ErrorCode.topicAuthorizationFailed.rawValue)
        }
    }

    @Test("DeleteTopics v1 request uses names; v6 response carries topic ids")
    func deleteTopics() throws {
        try checkVector(DeleteTopicsRequest.self, version: 1, hex("00000001 0006 6f7264657273 00007530")) { r in
            #expect(r.topicNames == ["orders"])
            #expect(r.timeoutMs == 30000)
        }
        let response = hex(
            """
            00000000                    # throttle_time_ms
            02                          # responses: 1
            07 6f7264657273             #   name "orders"
            000102030405060708090a0b0c0d0e0f  # topic_id
            0003                        #   error_code 3
            00                          #   error_message: null
            00                          #   tags
            00                          # tags
            """)
        try checkVector(DeleteTopicsResponse.self, version: 6, response) { r in
            #expect(r.responses == [.init(name: "orders", topicId: sampleTopicId, errorCode: 3, errorMessage: nil)])
        }
    }

    @Test("CreatePartitions v1 request and v2 response decode")
    func createPartitions() throws {
        let request = hex(
            """
            00000001                    # topics: 1
            0006 6f7264657273           #   name "orders"
            00000006                    #   count 6
            ffffffff                    #   assignments: null
            00007530                    # timeout_ms
            00                          # validate_only
            """)
        try checkVector(CreatePartitionsRequest.self, version: 1, request) { r in
            #expect(r.topics == [.init(name: "orders", count: 6, assignments: nil)])
            #expect(r.timeoutMs == 30000)
        }
        let response = hex("00000000 02 07 6f7264657273 0025 00 00 00")
        try checkVector(CreatePartitionsResponse.self, version: 2, response) { r in
            #expect(r.results == [.init(name: "orders", errorCode: ErrorCode.invalidPartitions.rawValue)])
        }
    }

    @Test("DeleteRecords v1 request and v2 response decode")
    func deleteRecords() throws {
        let request = hex(
            """
            00000001 0006 6f7264657273  # topics: 1, "orders"
            00000001 00000000           #   partitions: 1, index 0
            ffffffffffffffff            #     offset -1 (high watermark)
            00007530                    # timeout_ms
            """)
        try checkVector(DeleteRecordsRequest.self, version: 1, request) { r in
            #expect(r.topics == [.init(name: "orders", partitions: [.init(partitionIndex: 0, offset: -1)])])
        }
        let response = hex(
            """
            00000000                    # throttle_time_ms
            02 07 6f7264657273          # topics: 1, "orders"
            02 00000000                 #   partitions: 1, index 0
            0000000000000064 0000 00    #     low_watermark 100, error 0, tags
            00 00                       # tags
            """)
        try checkVector(DeleteRecordsResponse.self, version: 2, response) { r in
            #expect(r.topics.first?.partitions == [.init(partitionIndex: 0, lowWatermark: 100, errorCode: 0)])
        }
    }

    @Test("DescribeConfigs v1 request and v4 response decode")
    func describeConfigs() throws {
        let request = hex(
            """
            00000001                    # resources: 1
            02                          #   resource_type topic
            0006 6f7264657273           #   resource_name "orders"
            ffffffff                    #   configuration_keys: null (all)
            01                          # include_synonyms
            """)
        try checkVector(DescribeConfigsRequest.self, version: 1, request) { r in
            #expect(r.resources == [.init(resourceType: 2, resourceName: "orders", configurationKeys: nil)])
            #expect(r.includeSynonyms)
        }
        let response = hex(
            """
            00000000                    # throttle_time_ms
            02                          # results: 1
            0000 00                     #   error_code, error_message null
            02 07 6f7264657273          #   resource_type, resource_name
            02                          #   configs: 1
            0d 726574656e74696f6e2e6d73 #     name "retention.ms"
            0a 363034383030303030       #     value "604800000"
            00                          #     read_only
            05                          #     config_source DEFAULT_CONFIG
            00                          #     is_sensitive
            01                          #     synonyms: empty
            05                          #     config_type LONG
            00                          #     documentation: null
            00 00 00                    # tags
            """)
        try checkVector(DescribeConfigsResponse.self, version: 4, response) { r in
            let c = r.results.first?.configs.first
            #expect(r.results.first?.resourceName == "orders")
            #expect(c?.name == "retention.ms")
            #expect(c?.value == "604800000")
            #expect(c?.configSource == 5)
            #expect(c?.configType == 5)
            #expect(c?.documentation == nil)
        }
    }

    @Test("AlterConfigs v0 request and v2 response decode")
    func alterConfigs() throws {
        let request = hex(
            """
            00000001 02 0006 6f7264657273       # resources: 1, topic "orders"
            00000001                            #   configs: 1
            000c 726574656e74696f6e2e6d73       #     "retention.ms"
            0007 33363030303030                 #     "3600000"
            00                                  # validate_only
            """)
        try checkVector(AlterConfigsRequest.self, version: 0, request) { r in
            #expect(r.resources.first?.configs == [.init(name: "retention.ms", value: "3600000")])
        }
        try checkVector(AlterConfigsResponse.self, version: 2, hex("00000000 02 0000 00 02 07 6f7264657273 00 00")) {
            r in
            #expect(r.responses == [.init(errorCode: 0, errorMessage: nil, resourceType: 2, resourceName: "orders")])
        }
    }

    @Test("IncrementalAlterConfigs v0 request and v1 response decode")
    func incrementalAlterConfigs() throws {
        let request = hex(
            """
            00000001 02 0006 6f7264657273       # resources: 1, topic "orders"
            00000001                            #   configs: 1
            000c 726574656e74696f6e2e6d73       #     "retention.ms"
            00                                  #     config_operation SET
            0007 33363030303030                 #     "3600000"
            00                                  # validate_only
            """)
        try checkVector(IncrementalAlterConfigsRequest.self, version: 0, request) { r in
            #expect(r.resources.first?.configs == [.init(name: "retention.ms", configOperation: 0, value: "3600000")])
        }
        let response = hex(
            """
            00000000                            # throttle_time_ms
            02 0028                             # responses: 1, error 40 INVALID_CONFIG
            0e 696e76616c69642076616c7565       #   error_message "invalid value"
            02 07 6f7264657273 00               #   topic "orders", tags
            00                                  # tags
            """)
        try checkVector(IncrementalAlterConfigsResponse.self, version: 1, response) { r in
            #expect(r.responses.first?.errorCode == ErrorCode.invalidConfig.rawValue)
            #expect(r.responses.first?.errorMessage == "invalid value")
        }
    }

    @Test("InitProducerId v0 and v4 requests and responses decode")
    func initProducerId() throws {
        try checkVector(InitProducerIdRequest.self, version: 0, hex("ffff 0000ea60")) { r in
            #expect(r.transactionalId == nil)
            #expect(r.transactionTimeoutMs == 60000)
        }
        try checkVector(InitProducerIdResponse.self, version: 0, hex("00000000 0000 0000000000001000 0000")) { r in
            #expect(r.producerId == 4096)
            #expect(r.producerEpoch == 0)
        }
        try checkVector(InitProducerIdRequest.self, version: 4, hex("00 0000ea60 ffffffffffffffff ffff 00")) { r in
            #expect(r.transactionalId == nil)
            #expect(r.producerId == -1)
            #expect(r.producerEpoch == -1)
        }
        try checkVector(InitProducerIdResponse.self, version: 4, hex("00000000 0000 0000000000001000 0001 00")) { r in
            #expect(r.producerId == 4096)
            #expect(r.producerEpoch == 1)
        }
    }

    @Test("DescribeCluster v0 and v1 (always flexible) decode")
    func describeCluster() throws {
        try checkVector(DescribeClusterRequest.self, version: 0, hex("00 00")) { r in
            #expect(r.includeClusterAuthorizedOperations == false)
            #expect(r.endpointType == 1)
        }
        try checkVector(DescribeClusterRequest.self, version: 1, hex("01 02 00")) { r in
            #expect(r.includeClusterAuthorizedOperations)
            #expect(r.endpointType == 2)
        }
        let response = hex(
            """
            00000000                    # throttle_time_ms
            0000 00                     # error_code, error_message null
            01                          # endpoint_type brokers
            08 636c7573746572           # cluster_id "cluster"
            00000001                    # controller_id 1
            02                          # brokers: 1
            00000001                    #   broker_id 1
            0a 6c6f63616c686f7374       #   host "localhost"
            00002384 00 00              #   port 9092, rack null, tags
            80000000                    # cluster_authorized_operations
            00                          # tags
            """)
        try checkVector(DescribeClusterResponse.self, version: 1, response) { r in
            #expect(r.clusterId == "cluster")
            #expect(r.controllerId == 1)
            #expect(r.brokers == [.init(brokerId: 1, host: "localhost", port: 9092, rack: nil)])
            #expect(r.clusterAuthorizedOperations == Int32.min)
        }
    }

    @Test("SaslHandshake v1 and SaslAuthenticate v1/v2 decode")
    func sasl() throws {
        try checkVector(SaslHandshakeRequest.self, version: 1, hex("0005 504c41494e")) { r in
            #expect(r.mechanism == "PLAIN")
        }
        let handshake = hex("0000 00000002 0005 504c41494e 000d 534352414d2d5348412d323536")
        try checkVector(SaslHandshakeResponse.self, version: 1, handshake) { r in
            #expect(r.mechanisms == ["PLAIN", "SCRAM-SHA-256"])
        }
        let token = hex("00 75736572 00 70617373")  // PLAIN: authzid "", "user", "pass"
        try checkVector(SaslAuthenticateRequest.self, version: 1, hex("0000000a") + token) { r in
            #expect(r.authBytes == token)
        }
        try checkVector(SaslAuthenticateResponse.self, version: 1, hex("0000 ffff 00000000 0000000000000000")) { r in
            #expect(r.errorCode == 0)
            #expect(r.errorMessage == nil)
            #expect(r.authBytes == [])
        }
        try checkVector(SaslAuthenticateRequest.self, version: 2, hex("0b") + token + hex("00")) { r in
            #expect(r.authBytes == token)
        }
        let failure = hex("003a 10 6261642063726564656e7469616c73 01 0000000000000000 00")
        try checkVector(SaslAuthenticateResponse.self, version: 2, failure) { r in
            #expect(r.errorCode == ErrorCode.saslAuthenticationFailed.rawValue)
            #expect(r.errorMessage == "bad credentials")
        }
    }
}
