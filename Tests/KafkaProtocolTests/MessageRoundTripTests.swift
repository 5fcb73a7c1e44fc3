import Testing

@testable import KafkaProtocol

/// Fully populated values (every field away from its default, tagged fields included) for every API in this part.
/// Round-tripped at every version of the API; each encoding's prefixes must also all throw.
enum Samples {
    static let uuid = sampleTopicId

    static let produceRequest = ProduceRequest(
        transactionalId: "tx-1", acks: -1, timeoutMs: 1500,
        topicData: [
            .init(
                name: "orders", partitionData: [.init(index: 0, records: [1, 2, 3]), .init(index: 1, records: nil)]),
            .init(name: "empty", partitionData: []),
        ])

    static let produceResponse = ProduceResponse(
        responses: [
            .init(
                name: "orders",
                partitionResponses: [
                    .init(
                        index: 3, errorCode: 87, baseOffset: 1000, logAppendTimeMs: 1_700_000_000_000,
                        logStartOffset: 5, recordErrors: [.init(batchIndex: 2, batchIndexErrorMessage: "bad")],
                        errorMessage: "invalid record", currentLeader: .init(leaderId: 4, leaderEpoch: 9))
                ])
        ], throttleTimeMs: 7, nodeEndpoints: [.init(nodeId: 4, host: "b4", port: 9094, rack: "r1")])

    static let fetchRequest = FetchRequest(
        clusterId: "cid", replicaId: 2, replicaState: .init(replicaId: 2, replicaEpoch: 77), maxWaitMs: 500,
        minBytes: 1, maxBytes: 1 << 20, isolationLevel: 1, sessionId: 12, sessionEpoch: 3,
        topics: [
            .init(
                topic: "orders", topicId: uuid,
                partitions: [
                    .init(
                        partition: 1, currentLeaderEpoch: 4, fetchOffset: 99, lastFetchedEpoch: 3, logStartOffset: 10,
                        partitionMaxBytes: 65536, replicaDirectoryId: UUIDValue(bytes: Array(repeating: 7, count: 16)))
                ])
        ], forgottenTopicsData: [.init(topic: "old", topicId: uuid, partitions: [0, 5])], rackId: "rack-a")

    static let fetchResponse = FetchResponse(
        throttleTimeMs: 3, errorCode: 0, sessionId: 12,
        responses: [
            .init(
                topic: "orders", topicId: uuid,
                partitions: [
                    .init(
                        partitionIndex: 1, errorCode: 0, highWatermark: 500, lastStableOffset: 490, logStartOffset: 2,
                        divergingEpoch: .init(epoch: 3, endOffset: 400),
                        currentLeader: .init(leaderId: 1, leaderEpoch: 4),
                        snapshotId: .init(endOffset: 300, epoch: 2),
                        abortedTransactions: [.init(producerId: 9, firstOffset: 450)],
                        preferredReadReplica: -1, records: .bytes([0, 1, 2, 3, 4])),
                    .init(partitionIndex: 2, errorCode: 1, highWatermark: 0),
                ])
        ], nodeEndpoints: [.init(nodeId: 1, host: "h1", port: 9092, rack: nil)])

    static let listOffsetsRequest = ListOffsetsRequest(
        replicaId: -1, isolationLevel: 1,
        topics: [
            .init(
                name: "orders",
                partitions: [.init(partitionIndex: 0, currentLeaderEpoch: 5, timestamp: -2, maxNumOffsets: 3)])
        ])

    static let listOffsetsResponse = ListOffsetsResponse(
        throttleTimeMs: 1,
        topics: [
            .init(
                name: "orders",
                partitions: [
                    .init(
                        partitionIndex: 0, errorCode: 0, oldStyleOffsets: [10, 0], timestamp: 123, offset: 10,
                        leaderEpoch: 5)
                ])
        ])

    static let metadataRequest = MetadataRequest(
        topics: [.init(topicId: uuid, name: "orders"), .init(topicId: .zero, name: "x")], allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true)

    static let metadataResponse = MetadataResponse(
        throttleTimeMs: 2,
        brokers: [.init(nodeId: 1, host: "h1", port: 9092, rack: "r1"), .init(nodeId: 2, host: "h2", port: 9093)],
        clusterId: "cluster-x", controllerId: 1,
        topics: [
            .init(
                errorCode: 0, name: "orders", topicId: uuid, isInternal: true,
                partitions: [
                    .init(
                        errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 3, replicaNodes: [1, 2],
                        isrNodes: [1],
                        offlineReplicas: [2])
                ], topicAuthorizedOperations: 248)
        ], clusterAuthorizedOperations: 3000)

    static let createTopicsRequest = CreateTopicsRequest(
        topics: [
            .init(
                name: "orders", numPartitions: -1, replicationFactor: -1,
                assignments: [.init(partitionIndex: 0, brokerIds: [1, 2])],
                configs: [.init(name: "cleanup.policy", value: "compact"), .init(name: "x", value: nil)])
        ], timeoutMs: 1000, validateOnly: true)

    static let createTopicsResponse = CreateTopicsResponse(
        throttleTimeMs: 4,
        topics: [
            .init(
                name: "orders", topicId: uuid, errorCode: 36, errorMessage: "exists", topicConfigErrorCode: 29,
                numPartitions: 3, replicationFactor: 2,
                configs: [.init(name: "a", value: "b", readOnly: true, configSource: 5, isSensitive: true)])
        ])

    static let deleteTopicsRequest = DeleteTopicsRequest(
        topics: [.init(name: "orders", topicId: uuid), .init(name: nil, topicId: uuid)], topicNames: ["orders", "b"],
        timeoutMs: 3000)

    static let deleteTopicsResponse = DeleteTopicsResponse(
        throttleTimeMs: 5, responses: [.init(name: "orders", topicId: uuid, errorCode: 3, errorMessage: "unknown")])

    static let initProducerIdRequest = InitProducerIdRequest(
        transactionalId: "tx", transactionTimeoutMs: 60000, producerId: 1000, producerEpoch: 2)

    static let initProducerIdResponse = InitProducerIdResponse(
        throttleTimeMs: 1, errorCode: 0, producerId: 1000, producerEpoch: 3)

    static let describeConfigsRequest = DescribeConfigsRequest(
        resources: [.init(resourceType: 2, resourceName: "orders", configurationKeys: ["retention.ms"])],
        includeSynonyms: true, includeDocumentation: true)

    static let describeConfigsResponse = DescribeConfigsResponse(
        throttleTimeMs: 6,
        results: [
            .init(
                errorCode: 0, errorMessage: nil, resourceType: 2, resourceName: "orders",
                configs: [
                    .init(
                        name: "retention.ms", value: "1000", readOnly: false, isDefault: true, configSource: 1,
                        isSensitive: false, synonyms: [.init(name: "log.retention.ms", value: "1000", source: 4)],
                        configType: 5, documentation: "how long")
                ])
        ])

    static let alterConfigsRequest = AlterConfigsRequest(
        resources: [.init(resourceType: 2, resourceName: "orders", configs: [.init(name: "a", value: nil)])],
        validateOnly: true)

    static let alterConfigsResponse = AlterConfigsResponse(
        throttleTimeMs: 1,
        responses: [.init(errorCode: 40, errorMessage: "bad", resourceType: 2, resourceName: "orders")])

    static let incrementalAlterConfigsRequest = IncrementalAlterConfigsRequest(
        resources: [
            .init(
                resourceType: 4, resourceName: "1",
                configs: [.init(name: "log.cleaner.threads", configOperation: 1, value: nil)])
        ], validateOnly: true)

    static let incrementalAlterConfigsResponse = IncrementalAlterConfigsResponse(
        throttleTimeMs: 1, responses: [.init(errorCode: 0, errorMessage: nil, resourceType: 4, resourceName: "1")])

    static let createPartitionsRequest = CreatePartitionsRequest(
        topics: [
            .init(name: "orders", count: 4, assignments: [.init(brokerIds: [1, 2])]),
            .init(name: "b", count: 2, assignments: nil),
        ], timeoutMs: 100, validateOnly: true)

    static let createPartitionsResponse = CreatePartitionsResponse(
        throttleTimeMs: 2, results: [.init(name: "orders", errorCode: 37, errorMessage: "too few")])

    static let deleteRecordsRequest = DeleteRecordsRequest(
        topics: [.init(name: "orders", partitions: [.init(partitionIndex: 1, offset: 50)])], timeoutMs: 100)

    static let deleteRecordsResponse = DeleteRecordsResponse(
        throttleTimeMs: 2,
        topics: [.init(name: "orders", partitions: [.init(partitionIndex: 1, lowWatermark: 50, errorCode: 0)])])

    static let describeClusterRequest = DescribeClusterRequest(
        includeClusterAuthorizedOperations: true, endpointType: 2)

    static let describeClusterResponse = DescribeClusterResponse(
        throttleTimeMs: 1, errorCode: 0, errorMessage: "m", endpointType: 2, clusterId: "c", controllerId: 3,
        brokers: [.init(brokerId: 3, host: "h", port: 1, rack: "r")], clusterAuthorizedOperations: 7)

    static let saslHandshakeRequest = SaslHandshakeRequest(mechanism: "SCRAM-SHA-512")
    static let saslHandshakeResponse = SaslHandshakeResponse(errorCode: 33, mechanisms: ["PLAIN", "SCRAM-SHA-256"])
    static let saslAuthenticateRequest = SaslAuthenticateRequest(authBytes: [0, 1, 2, 0xFF])
    static let saslAuthenticateResponse = SaslAuthenticateResponse(
        errorCode: 58, errorMessage: "no", authBytes: [9, 9], sessionLifetimeMs: 3_600_000)
}

@Suite("every message round-trips at every version")
struct MessageRoundTripTests {
    @Test("Produce round-trips at versions 0-11") func produce() throws {
        try expectRoundTrips(Samples.produceRequest, versions: ProduceRequest.versions)
        try expectRoundTrips(Samples.produceResponse, versions: ProduceRequest.versions)
    }

    @Test("Fetch round-trips at versions 0-17") func fetch() throws {
        try expectRoundTrips(Samples.fetchRequest, versions: FetchRequest.versions)
        try expectRoundTrips(Samples.fetchResponse, versions: FetchRequest.versions)
    }

    @Test("ListOffsets round-trips at versions 0-9") func listOffsets() throws {
        try expectRoundTrips(Samples.listOffsetsRequest, versions: ListOffsetsRequest.versions)
        try expectRoundTrips(Samples.listOffsetsResponse, versions: ListOffsetsRequest.versions)
    }

    @Test("Metadata round-trips at versions 0-12") func metadata() throws {
        try expectRoundTrips(Samples.metadataRequest, versions: MetadataRequest.versions)
        try expectRoundTrips(MetadataRequest(topics: nil), versions: 1...12)
        try expectRoundTrips(Samples.metadataResponse, versions: MetadataRequest.versions)
    }

    @Test("CreateTopics round-trips at versions 0-7") func createTopics() throws {
        try expectRoundTrips(Samples.createTopicsRequest, versions: CreateTopicsRequest.versions)
        try expectRoundTrips(Samples.createTopicsResponse, versions: CreateTopicsRequest.versions)
    }

    @Test("DeleteTopics round-trips at versions 0-6") func deleteTopics() throws {
        try expectRoundTrips(Samples.deleteTopicsRequest, versions: DeleteTopicsRequest.versions)
        try expectRoundTrips(Samples.deleteTopicsResponse, versions: DeleteTopicsRequest.versions)
    }

    @Test("InitProducerId round-trips at versions 0-5") func initProducerId() throws {
        try expectRoundTrips(Samples.initProducerIdRequest, versions: InitProducerIdRequest.versions)
        try expectRoundTrips(Samples.initProducerIdResponse, versions: InitProducerIdRequest.versions)
    }

    @Test("DescribeConfigs round-trips at versions 0-4") func describeConfigs() throws {
        try expectRoundTrips(Samples.describeConfigsRequest, versions: DescribeConfigsRequest.versions)
        try expectRoundTrips(Samples.describeConfigsResponse, versions: DescribeConfigsRequest.versions)
    }

    @Test("AlterConfigs and IncrementalAlterConfigs round-trip at every version") func alterConfigs() throws {
        try expectRoundTrips(Samples.alterConfigsRequest, versions: AlterConfigsRequest.versions)
        try expectRoundTrips(Samples.alterConfigsResponse, versions: AlterConfigsRequest.versions)
        try expectRoundTrips(Samples.incrementalAlterConfigsRequest, versions: IncrementalAlterConfigsRequest.versions)
        try expectRoundTrips(Samples.incrementalAlterConfigsResponse, versions: IncrementalAlterConfigsRequest.versions)
    }

    @Test("CreatePartitions and DeleteRecords round-trip at every version") func partitionsAndRecords() throws {
        try expectRoundTrips(Samples.createPartitionsRequest, versions: CreatePartitionsRequest.versions)
        try expectRoundTrips(Samples.createPartitionsResponse, versions: CreatePartitionsRequest.versions)
        try expectRoundTrips(Samples.deleteRecordsRequest, versions: DeleteRecordsRequest.versions)
        try expectRoundTrips(Samples.deleteRecordsResponse, versions: DeleteRecordsRequest.versions)
    }

    @Test("DescribeCluster and SASL messages round-trip at every version") func clusterAndSasl() throws {
        try expectRoundTrips(Samples.describeClusterRequest, versions: DescribeClusterRequest.versions)
        try expectRoundTrips(Samples.describeClusterResponse, versions: DescribeClusterRequest.versions)
        try expectRoundTrips(Samples.saslHandshakeRequest, versions: SaslHandshakeRequest.versions)
        try expectRoundTrips(Samples.saslHandshakeResponse, versions: SaslHandshakeRequest.versions)
        try expectRoundTrips(Samples.saslAuthenticateRequest, versions: SaslAuthenticateRequest.versions)
        try expectRoundTrips(Samples.saslAuthenticateResponse, versions: SaslAuthenticateRequest.versions)
    }

    @Test("at the newest version a populated value survives the round trip unchanged")
    func newestVersionPreservesEveryField() throws {
        // Fields that exist at the newest version keep their values; ones retired earlier fall back to defaults.
        var fetch = Samples.fetchRequest
        fetch.replicaId = -1
        fetch.topics[0].topic = ""
        fetch.forgottenTopicsData[0].topic = ""
        #expect(try FetchRequest(decoding: fetch.encoded(version: 17), version: 17) == fetch)
        var fetchResponse = Samples.fetchResponse
        fetchResponse.responses[0].topic = ""
        #expect(try FetchResponse(decoding: fetchResponse.encoded(version: 17), version: 17) == fetchResponse)
        #expect(
            try ProduceResponse(decoding: Samples.produceResponse.encoded(version: 11), version: 11)
                == Samples.produceResponse)
        #expect(
            try CreateTopicsResponse(decoding: Samples.createTopicsResponse.encoded(version: 7), version: 7)
                == Samples.createTopicsResponse)
    }
}
