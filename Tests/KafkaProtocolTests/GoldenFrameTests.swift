import Testing

@testable import KafkaProtocol

/// Golden frames captured with `tools/capture-proxy` between real clients and a needletail broker (the table is in
/// GoldenFrameData.swift): kcat 1.7.1 / librdkafka 2.0.2, confluent-kafka 2.16.1 / librdkafka 2.16.0,
/// kafka-python 3.0.12 and aiokafka 0.14.0. Labels: `<client>-<run>`, e.g. `kcat-P-zstd`, `confluent-consume`.
///
/// How the table was made (regenerate rather than edit it):
/// 1. `tools/zookeeper start --dir /tmp/golden-zk --port 2194`, then the broker with
///    `--override advertised.listeners=PLAINTEXT://127.0.0.1:9196` (the proxy's port) and its listener on 9195.
/// 2. `tools/capture-proxy --listen 9196 --upstream localhost:9195 --out /tmp/golden-cap`; before each client run
///    `echo <label> > /tmp/golden-cap/label`.
/// 3. Runs: kcat `-L`, `-P -z <codec>` (repetitive 380-byte values so every codec really compresses), `-C -e`,
///    `-G kcat-group -e`; confluent-kafka AdminClient (create/list/describe configs/delete), an idempotent lz4
///    producer, a group consumer with a sync commit, list/describe consumer groups; kafka-python admin, gzip producer,
///    group consumer; aiokafka idempotent zstd producer, group consumer (and one with a 200 ms heartbeat); a raw
///    ApiVersions v5 and v4 probe for the KIP-511 downgrade answer.
/// 4. `tools/capture-proxy --emit-swift /tmp/golden-cap/frames.jsonl > GoldenFrameData.swift`.
@Suite("golden frames captured from real clients")
struct GoldenFrameTests {
    @Test(
        "every captured frame decodes at its captured version and re-encodes byte for byte",
        arguments: GoldenFrame.captured)
    func roundTrip(_ frame: GoldenFrame) throws {
        #expect(try checkGolden(frame), "no message type for \(frame)")
    }

    @Test(
        "every strict prefix of a captured body throws instead of trapping or succeeding",
        arguments: GoldenFrame.captured)
    func truncated(_ frame: GoldenFrame) throws {
        #expect(try checkGolden(frame, .everyPrefixThrows), "no message type for \(frame)")
    }

    @Test("the capture covers every API the brief names, for every client that uses it")
    func coverage() {
        let keys: Set<Int16> = Set(GoldenFrame.captured.map(\.apiKey))
        let wanted: [APIKey] = [
            .apiVersions, .metadata, .produce, .fetch, .listOffsets, .createTopics, .deleteTopics, .initProducerId,
            .describeConfigs, .findCoordinator, .joinGroup, .syncGroup, .heartbeat, .offsetCommit, .offsetFetch,
            .leaveGroup,
        ]
        for key in wanted { #expect(keys.contains(key.rawValue), "no captured \(key)") }
        for client in ["kcat", "confluent", "kafkapython", "aiokafka"] {
            for key in [APIKey.apiVersions, .metadata, .produce, .fetch, .joinGroup, .syncGroup, .offsetCommit] {
                #expect(!GoldenFrame.find(client, key, .request).isEmpty, "\(client) has no \(key) request")
                #expect(!GoldenFrame.find(client, key, .response).isEmpty, "\(client) has no \(key) response")
            }
        }
    }

    // MARK: ApiVersions

    @Test("librdkafka's ApiVersions v3 request names its client software and re-encodes byte for byte")
    func librdkafkaApiVersions() throws {
        let kcat = try decodeGolden(
            ApiVersionsRequest.self, try #require(GoldenFrame.find("kcat", .apiVersions, .request, version: 3).first))
        #expect(kcat.requestHeader?.clientId == "rdkafka")
        #expect(kcat.body.clientSoftwareName == "librdkafka")
        #expect(kcat.body.clientSoftwareVersion == "2.0.2")
        let confluent = try decodeGolden(
            ApiVersionsRequest.self,
            try #require(GoldenFrame.find("confluent", .apiVersions, .request, version: 3).first))
        #expect(confluent.body.clientSoftwareName == "confluent-kafka-python")
        #expect(confluent.body.clientSoftwareVersion == "2.16.1-rdkafka-2.16.0")
    }

    @Test("kafka-python's ApiVersions v4 request gets a v0 UNSUPPORTED_VERSION answer and it retries at v3")
    func kafkaPythonDowngrade() throws {
        let request = try decodeGolden(
            ApiVersionsRequest.self,
            try #require(GoldenFrame.find("kafkapython", .apiVersions, .request, version: 4).first))
        #expect(request.body.clientSoftwareName == "kafka-python")
        #expect(request.body.clientSoftwareVersion == "3.0.12")
        let refusal = try decodeGoldenResponse(
            ApiVersionsRequest.self,
            try #require(GoldenFrame.find("kafkapython", .apiVersions, .response, version: 4).first))
        #expect(refusal.correlationId == request.correlationId)
        #expect(refusal.body.errorCode == 35)
        let own = try #require(refusal.body.apiKeys.first { $0.apiKey == APIKey.apiVersions.rawValue })
        #expect(own.maxVersion == 3)
        let retry = try decodeGoldenResponse(
            ApiVersionsRequest.self,
            try #require(GoldenFrame.find("kafkapython", .apiVersions, .response, version: 3).first))
        #expect(retry.body.errorCode == 0)
        #expect(retry.body.apiKeys.count > 10)
    }

    @Test("an ApiVersions v5 request, above anything we know, is answered in v0 with UNSUPPORTED_VERSION")
    func probeDowngrade() throws {
        let frame = try #require(GoldenFrame.find("probe", .apiVersions, .response, version: 5).first)
        let response = try decodeGoldenResponse(ApiVersionsRequest.self, frame)
        #expect(response.body.errorCode == 35)
        #expect(response.body.apiKeys.contains { $0.apiKey == APIKey.apiVersions.rawValue && $0.minVersion == 0 })
    }

    @Test("aiokafka's ApiVersions v0 request has an empty body")
    func aiokafkaApiVersions() throws {
        let request = try decodeGolden(
            ApiVersionsRequest.self,
            try #require(GoldenFrame.find("aiokafka", .apiVersions, .request, version: 0).first))
        #expect(request.body == ApiVersionsRequest())
        #expect(request.requestHeader?.clientId?.hasPrefix("aiokafka") == true)
    }

    // MARK: Metadata

    @Test("kcat's Metadata v4 response lists the broker at its advertised address")
    func kcatMetadata() throws {
        let frames = GoldenFrame.find("kcat", .metadata, .response, version: 4)
        #expect(!frames.isEmpty)
        for frame in frames {
            let response = try decodeGoldenResponse(MetadataRequest.self, frame)
            #expect(response.body.brokers.map(\.port) == [9196])
            #expect(response.body.controllerId == 1)
            #expect(response.body.clusterId != nil)
        }
    }

    @Test("confluent-kafka and kafka-python send flexible Metadata v12 requests that re-encode byte for byte")
    func metadataV12() throws {
        for client in ["confluent", "kafkapython"] {
            let frames = GoldenFrame.find(client, .metadata, .request, version: 12)
            #expect(!frames.isEmpty, "\(client)")
            for frame in frames { _ = try decodeGolden(MetadataRequest.self, frame) }
            for frame in GoldenFrame.find(client, .metadata, .response, version: 12) {
                let response = try decodeGoldenResponse(MetadataRequest.self, frame)
                #expect(response.body.brokers.first?.host == "127.0.0.1")
                for topic in response.body.topics where topic.errorCode == 0 { #expect(topic.topicId != .zero) }
            }
        }
    }

    @Test("librdkafka 2.16's all-topics Metadata v12 request reads as a null topic list followed by 3 stray bytes")
    func librdkafkaAllTopicsQuirk() throws {
        // Finding, not a decoder bug: see GoldenFrame.librdkafkaAllTopicsMetadataV12.
        let frame = try #require(
            GoldenFrame.find("confluent", .metadata, .request, version: 12).first {
                GoldenFrame.knownTrailingBytes($0) == 3
            })
        let request = try decodeGolden(MetadataRequest.self, frame)
        #expect(request.body.topics == nil)
        #expect(request.body.allowAutoTopicCreation == false)
        #expect(frame.bytes.suffix(3) == [1, 0, 0])
    }

    // MARK: Produce and Fetch

    @Test("kcat's Produce v7 requests carry a v2 batch with the codec's attribute bits, one run per codec")
    func kcatProduceCodecs() throws {
        let codecs: [(String, Int16)] = [("none", 0), ("gzip", 1), ("snappy", 2), ("lz4", 3), ("zstd", 4)]
        for (name, bits) in codecs {
            let frame = try #require(
                GoldenFrame.captured.first {
                    $0.label == "kcat-P-\(name)" && $0.apiKey == APIKey.produce.rawValue && $0.direction == .request
                })
            #expect(frame.version == 7)
            let request = try decodeGolden(ProduceRequest.self, frame)
            let partition = try #require(request.body.topicData.first?.partitionData.first)
            #expect(request.body.topicData.first?.name == "kcat-topic")
            let records = try #require(partition.records)
            #expect(records.count > 61)
            #expect(records[16] == 2, "magic")
            #expect(Int16(records[21]) << 8 | Int16(records[22]) & 0x7 == bits, "\(name) attributes")
        }
    }

    @Test("idempotent producers send InitProducerId and stamp the producer id into their batches")
    func idempotentProduce() throws {
        for (client, version) in [("confluent", Int16(4)), ("aiokafka", 0)] {
            let initRequest = try decodeGolden(
                InitProducerIdRequest.self,
                try #require(GoldenFrame.find(client, .initProducerId, .request, version: version).first))
            #expect(initRequest.body.transactionalId == nil)
            let initResponse = try decodeGoldenResponse(
                InitProducerIdRequest.self, try #require(GoldenFrame.find(client, .initProducerId, .response).first))
            #expect(initResponse.body.errorCode == 0)
            #expect(initResponse.body.producerId >= 0)
            let produce = try decodeGolden(
                ProduceRequest.self, try #require(GoldenFrame.find(client, .produce, .request).first))
            let records = try #require(produce.body.topicData.first?.partitionData.first?.records)
            let producerId = records[43..<51].reduce(Int64(0)) { $0 << 8 | Int64($1) }
            #expect(producerId == initResponse.body.producerId, "\(client)")
            #expect(produce.body.acks == -1)
        }
    }

    @Test("Produce responses at v7 and v9 carry base offsets and no errors")
    func produceResponses() throws {
        for client in ["kcat", "confluent", "kafkapython", "aiokafka"] {
            for frame in GoldenFrame.find(client, .produce, .response) {
                let response = try decodeGoldenResponse(ProduceRequest.self, frame)
                let partition = try #require(response.body.responses.first?.partitionResponses.first)
                #expect(partition.errorCode == 0, "\(frame)")
                #expect(partition.baseOffset >= 0)
            }
        }
    }

    @Test("Fetch responses to kcat (v11) and confluent-kafka (v12) carry the produced record batches")
    func fetchResponses() throws {
        for (client, version) in [("kcat", Int16(11)), ("confluent", 12), ("kafkapython", 12), ("aiokafka", 11)] {
            let frames = GoldenFrame.find(client, .fetch, .response, version: version)
            #expect(!frames.isEmpty, "\(client)")
            var sawRecords = false
            for frame in frames {
                let response = try decodeGoldenResponse(FetchRequest.self, frame)
                #expect(response.body.errorCode == 0)
                for topic in response.body.responses {
                    for partition in topic.partitions where partition.records.length > 0 {
                        sawRecords = true
                        #expect(partition.highWatermark > 0)
                    }
                }
            }
            #expect(sawRecords, "\(client) fetched no records")
        }
    }

    // MARK: Admin

    @Test("confluent-kafka's CreateTopics v4 request carries partitions, replication factor and a config")
    func confluentCreateTopics() throws {
        let request = try decodeGolden(
            CreateTopicsRequest.self,
            try #require(GoldenFrame.find("confluent", .createTopics, .request, version: 4).first))
        let topic = try #require(request.body.topics.first)
        #expect(topic.name == "ck-admin")
        #expect(topic.numPartitions == 2)
        #expect(topic.replicationFactor == 1)
        #expect(topic.configs == [.init(name: "retention.ms", value: "3600000")])
        let response = try decodeGoldenResponse(
            CreateTopicsRequest.self, try #require(GoldenFrame.find("confluent", .createTopics, .response).first))
        #expect(response.body.topics.map(\.errorCode) == [0])
    }

    @Test("kafka-python's CreateTopics v7 and DeleteTopics v6 requests are flexible and name kp-admin")
    func kafkaPythonAdmin() throws {
        let create = try decodeGolden(
            CreateTopicsRequest.self,
            try #require(GoldenFrame.find("kafkapython", .createTopics, .request, version: 7).first))
        #expect(create.body.topics.map(\.name) == ["kp-admin"])
        let created = try decodeGoldenResponse(
            CreateTopicsRequest.self, try #require(GoldenFrame.find("kafkapython", .createTopics, .response).first))
        #expect(created.body.topics.first?.numPartitions == 2)
        let delete = try decodeGolden(
            DeleteTopicsRequest.self,
            try #require(GoldenFrame.find("kafkapython", .deleteTopics, .request, version: 6).first))
        #expect(delete.body.topics.map(\.name) == ["kp-admin"])
        let deleted = try decodeGoldenResponse(
            DeleteTopicsRequest.self, try #require(GoldenFrame.find("kafkapython", .deleteTopics, .response).first))
        #expect(deleted.body.responses.map(\.errorCode) == [0])
    }

    @Test("confluent-kafka's DeleteTopics v4 request names ck-admin")
    func confluentDeleteTopics() throws {
        let delete = try decodeGolden(
            DeleteTopicsRequest.self,
            try #require(GoldenFrame.find("confluent", .deleteTopics, .request, version: 4).first))
        #expect(delete.body.topicNames == ["ck-admin"])
    }

    @Test("DescribeConfigs v1 (confluent-kafka) and v4 (kafka-python) answer with the topic's configs")
    func describeConfigs() throws {
        for (client, version, topic) in [("confluent", Int16(1), "ck-admin"), ("kafkapython", 4, "kp-admin")] {
            let request = try decodeGolden(
                DescribeConfigsRequest.self,
                try #require(GoldenFrame.find(client, .describeConfigs, .request, version: version).first))
            #expect(request.body.resources.first?.resourceType == 2)
            #expect(request.body.resources.first?.resourceName == topic)
            let response = try decodeGoldenResponse(
                DescribeConfigsRequest.self, try #require(GoldenFrame.find(client, .describeConfigs, .response).first))
            let result = try #require(response.body.results.first)
            #expect(result.errorCode == 0)
            #expect(result.configs.contains { $0.name == "cleanup.policy" })
        }
    }

    // MARK: Groups

    @Test("each client's JoinGroup request names its group and the consumer protocol with its assignors")
    func joinGroups() throws {
        let expected: [(String, Int16, String, [String])] = [
            ("kcat-G", 5, "kcat-group", ["range", "roundrobin"]),
            ("confluent-consume", 5, "ck-group", ["range", "roundrobin"]),
            ("kafkapython-consume", 7, "kp-group", ["range", "roundrobin"]),
            ("aiokafka-consume", 5, "aio-group", ["roundrobin"]),
        ]
        for (client, version, group, assignors) in expected {
            let frames = GoldenFrame.find(label: client, .joinGroup, .request)
            #expect(frames.allSatisfy { $0.version == version })
            #expect(frames.count == 2, "\(client): an unknown-member join, then a join with the assigned member id")
            let first = try decodeGolden(JoinGroupRequest.self, try #require(frames.first))
            #expect(first.body.groupId == group)
            #expect(first.body.protocolType == "consumer")
            #expect(first.body.protocols.map(\.name) == assignors, "\(client)")
            #expect(first.body.memberId == "")
            let second = try decodeGolden(JoinGroupRequest.self, try #require(frames.last))
            #expect(second.body.memberId.isEmpty == false)
            let responses = GoldenFrame.find(label: client, .joinGroup, .response)
            let rejected = try decodeGoldenResponse(JoinGroupRequest.self, try #require(responses.first))
            #expect(rejected.body.errorCode == 79, "MEMBER_ID_REQUIRED")
            let accepted = try decodeGoldenResponse(JoinGroupRequest.self, try #require(responses.last))
            #expect(accepted.body.errorCode == 0)
            #expect(accepted.body.leader == second.body.memberId)
            #expect(accepted.body.members.map(\.memberId) == [second.body.memberId])
        }
    }

    @Test("the leader's SyncGroup request carries its own assignment and the response echoes it")
    func syncGroups() throws {
        for client in ["kcat", "confluent", "kafkapython", "aiokafka"] {
            let request = try decodeGolden(
                SyncGroupRequest.self, try #require(GoldenFrame.find(client, .syncGroup, .request).first))
            let assignment = try #require(request.body.assignments.first)
            #expect(assignment.memberId == request.body.memberId)
            let response = try decodeGoldenResponse(
                SyncGroupRequest.self, try #require(GoldenFrame.find(client, .syncGroup, .response).first))
            #expect(response.body.errorCode == 0)
            #expect(response.body.assignment == assignment.assignment, "\(client)")
        }
    }

    @Test("OffsetCommit requests commit offset 5 after five records; OffsetFetch answers without error")
    func offsets() throws {
        for client in ["confluent", "kafkapython", "aiokafka"] {
            let commit = try decodeGolden(
                OffsetCommitRequest.self, try #require(GoldenFrame.find(client, .offsetCommit, .request).first))
            let partition = try #require(commit.body.topics.first?.partitions.first)
            #expect(partition.committedOffset == 5, "\(client)")
            let committed = try decodeGoldenResponse(
                OffsetCommitRequest.self, try #require(GoldenFrame.find(client, .offsetCommit, .response).first))
            #expect(committed.body.topics.first?.partitions.first?.errorCode == 0)
            for frame in GoldenFrame.find(client, .offsetFetch, .response) {
                let fetched = try decodeGoldenResponse(OffsetFetchRequest.self, frame)
                #expect(fetched.body.errorCode == 0)
                #expect(fetched.body.groups.allSatisfy { $0.errorCode == 0 })
            }
        }
    }

    @Test("FindCoordinator v1, v2 and v4 answers point at the one broker")
    func findCoordinator() throws {
        for client in ["kcat", "confluent", "kafkapython", "aiokafka"] {
            for frame in GoldenFrame.find(client, .findCoordinator, .response) {
                let response = try decodeGoldenResponse(FindCoordinatorRequest.self, frame)
                if frame.version >= 4 {
                    #expect(response.body.coordinators.map(\.port) == [9196])
                } else {
                    #expect(response.body.port == 9196)
                    #expect(response.body.nodeId == 1)
                }
            }
        }
    }

    @Test("LeaveGroup v1 (librdkafka, aiokafka) names one member; v5 (kafka-python) uses the members array")
    func leaveGroups() throws {
        for client in ["kcat", "confluent", "aiokafka"] {
            let leave = try decodeGolden(
                LeaveGroupRequest.self, try #require(GoldenFrame.find(client, .leaveGroup, .request, version: 1).first))
            #expect(leave.body.memberId.isEmpty == false)
        }
        let leave = try decodeGolden(
            LeaveGroupRequest.self,
            try #require(GoldenFrame.find("kafkapython", .leaveGroup, .request, version: 5).first))
        #expect(leave.body.members.count == 1)
        let response = try decodeGoldenResponse(
            LeaveGroupRequest.self, try #require(GoldenFrame.find("kafkapython", .leaveGroup, .response).first))
        #expect(response.body.errorCode == 0)
        #expect(response.body.members.map(\.errorCode) == [0])
    }

    @Test("Heartbeat v3 from librdkafka carries the generation and member id")
    func heartbeats() throws {
        for client in ["kcat", "confluent"] {
            let beat = try decodeGolden(
                HeartbeatRequest.self, try #require(GoldenFrame.find(client, .heartbeat, .request, version: 3).first))
            #expect(beat.body.generationId >= 1)
            #expect(beat.body.memberId.hasPrefix("rdkafka-"))
            _ = try decodeGoldenResponse(
                HeartbeatRequest.self, try #require(GoldenFrame.find(client, .heartbeat, .response).first))
        }
    }

    @Test("ListOffsets v2, v3 and v7 requests ask for the earliest offset (-2)")
    func listOffsets() throws {
        for client in ["kcat", "confluent", "kafkapython", "aiokafka"] {
            for frame in GoldenFrame.find(client, .listOffsets, .request) {
                let request = try decodeGolden(ListOffsetsRequest.self, frame)
                #expect(request.body.topics.first?.partitions.first?.timestamp == -2, "\(frame)")
                #expect(request.body.replicaId == -1)
            }
        }
    }

    @Test("aiokafka's Heartbeat v1 requests name the generation it joined and get no error")
    func aiokafkaHeartbeat() throws {
        let join = try decodeGoldenResponse(
            JoinGroupRequest.self, try #require(GoldenFrame.find(label: "aiokafka-hb", .joinGroup, .response).last))
        let beats = GoldenFrame.find(label: "aiokafka-hb", .heartbeat, .request)
        #expect(!beats.isEmpty)
        for frame in beats {
            #expect(frame.version == 1)
            let beat = try decodeGolden(HeartbeatRequest.self, frame)
            #expect(beat.body.groupId == "aio-hb")
            #expect(beat.body.generationId == join.body.generationId)
            #expect(beat.body.memberId == join.body.memberId)
        }
        for frame in GoldenFrame.find(label: "aiokafka-hb", .heartbeat, .response) {
            #expect(try decodeGoldenResponse(HeartbeatRequest.self, frame).body.errorCode == 0)
        }
    }

    @Test("confluent-kafka's ListGroups v5 and DescribeGroups v5 see the consumer groups the other runs made")
    func confluentGroupAdmin() throws {
        let list = try decodeGoldenResponse(
            ListGroupsRequest.self,
            try #require(GoldenFrame.find(label: "confluent-groups", .listGroups, .response).first))
        #expect(list.body.errorCode == 0)
        #expect(Set(list.body.groups.map(\.groupId)).isSuperset(of: ["ck-group", "kp-group", "aio-group"]))
        #expect(list.body.groups.allSatisfy { $0.protocolType == "consumer" })
        let describe = try decodeGolden(
            DescribeGroupsRequest.self,
            try #require(GoldenFrame.find(label: "confluent-groups", .describeGroups, .request).first))
        #expect(describe.body.groups == ["ck-group"])
        let described = try decodeGoldenResponse(
            DescribeGroupsRequest.self,
            try #require(GoldenFrame.find(label: "confluent-groups", .describeGroups, .response).first))
        let group = try #require(described.body.groups.first)
        #expect(group.errorCode == 0)
        #expect(group.groupState == "Empty")
        #expect(group.members.isEmpty)
    }
}
