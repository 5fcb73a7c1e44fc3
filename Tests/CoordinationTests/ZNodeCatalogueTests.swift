import Testing

@testable import Coordination

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
private func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

@Suite("znode catalogue")
struct ZNodeCatalogueTests {
    @Test("cluster id encodes with a string version and round-trips")
    func clusterId() throws {
        let raw = #"{"version":"1","id":"Sfr7YvlkRHSHrmSrwq9mug"}"#
        #expect(text(ClusterIdZNode.encode(clusterId: "Sfr7YvlkRHSHrmSrwq9mug")) == raw)
        #expect(try ClusterIdZNode.decode(bytes(raw)) == "Sfr7YvlkRHSHrmSrwq9mug")
    }

    @Test("generated cluster ids are 22 base64url characters and never start with a dash")
    func clusterIdGeneration() {
        for _ in 0..<200 {
            let id = ClusterIdZNode.generate()
            #expect(id.utf8.count == 22)
            #expect(!id.hasPrefix("-"))
            #expect(id.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        }
    }

    @Test("base64url matches Kafka's text form of known UUIDs")
    func base64url() {
        // 00000000-0000-0000-0000-000000000001 is Kafka's METADATA_TOPIC_ID, printed as AAAAAAAAAAAAAAAAAAAAAQ.
        #expect(Base64URL.encode([UInt8](repeating: 0, count: 15) + [1]) == "AAAAAAAAAAAAAAAAAAAAAQ")
        #expect(Base64URL.encode([0xFF, 0xFF, 0xFF]) == "____")
        #expect(Base64URL.encode([0xFB]) == "-w")
    }

    @Test("controller znode is written as Kafka 3.4+ v2 and v1 still decodes")
    func controller() throws {
        let v2 = #"{"version":2,"brokerid":1,"timestamp":"1689018188126","kraftControllerEpoch":-1}"#
        let reg = ControllerRegistration(brokerId: 1, timestamp: 1_689_018_188_126)
        #expect(text(ControllerZNode.encode(reg)) == v2)
        #expect(try ControllerZNode.decode(bytes(v2)) == reg)
        let v1 = #"{"version":1,"brokerid":0,"timestamp":"1643692590537"}"#
        #expect(
            try ControllerZNode.decode(bytes(v1)) == ControllerRegistration(brokerId: 0, timestamp: 1_643_692_590_537))
    }

    @Test("controller epoch is plain decimal text")
    func controllerEpoch() throws {
        #expect(ControllerEpochZNode.encode(5) == bytes("5"))
        #expect(try ControllerEpochZNode.decode(bytes("17")) == 17)
        #expect(throws: ZNodeDecodingError.self) { try ControllerEpochZNode.decode(bytes("x1")) }
    }

    @Test("broker registration v5 matches Kafka's bytes")
    func brokerV5() throws {
        let raw =
            #"{"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://192.168.1.21:9092"],"jmx_port":-1,"features":{},"host":"192.168.1.21","timestamp":"1779856878276","port":9092,"version":5}"#
        let reg = BrokerRegistration(
            brokerId: 0,
            endpoints: [
                BrokerEndpoint(
                    listenerName: "PLAINTEXT", host: "192.168.1.21", port: 9092, securityProtocol: "PLAINTEXT")
            ],
            timestamp: 1_779_856_878_276)
        #expect(text(BrokerIdZNode.encode(reg)) == raw)
        #expect(try BrokerIdZNode.decode(brokerId: 0, bytes(raw)) == reg)
        #expect(BrokerIdZNode.path(0) == "/brokers/ids/0")
    }

    @Test("broker registration with several listeners, a rack and features round-trips")
    func brokerMultiListener() throws {
        let reg = BrokerRegistration(
            brokerId: 3,
            endpoints: [
                BrokerEndpoint(listenerName: "INTERNAL", host: "kf01", port: 9092, securityProtocol: "PLAINTEXT"),
                BrokerEndpoint(listenerName: "EXTERNAL", host: nil, port: 19092, securityProtocol: "SSL"),
                BrokerEndpoint(listenerName: "V6", host: "::1", port: 29092, securityProtocol: "SASL_SSL"),
            ],
            rack: "r1", jmxPort: 9999, timestamp: 42,
            features: ["metadata.version": SupportedFeatureRange(minVersion: 1, maxVersion: 14)])
        let encoded = text(BrokerIdZNode.encode(reg))
        #expect(
            encoded
                == #"{"listener_security_protocol_map":{"INTERNAL":"PLAINTEXT","EXTERNAL":"SSL","V6":"SASL_SSL"},"endpoints":["INTERNAL://kf01:9092","EXTERNAL://:19092","V6://[::1]:29092"],"rack":"r1","jmx_port":9999,"features":{"metadata.version":{"min_version":1,"max_version":14}},"host":"kf01","timestamp":"42","port":9092,"version":5}"#
        )
        #expect(try BrokerIdZNode.decode(brokerId: 3, BrokerIdZNode.encode(reg)) == reg)
    }

    @Test("broker registration v4 from an older Kafka with a null host decodes")
    func brokerV4() throws {
        let raw =
            #"{"listener_security_protocol_map":{"SSL":"SSL"},"endpoints":["SSL://kafka-0-broker.example:9092"],"rack":"TC-I-2","jmx_port":9091,"host":null,"timestamp":"1537365146054","port":-1,"version":4}"#
        let reg = try BrokerIdZNode.decode(brokerId: 0, bytes(raw))
        #expect(reg.version == 4)
        #expect(reg.rack == "TC-I-2")
        #expect(reg.jmxPort == 9091)
        #expect(
            reg.endpoints == [
                BrokerEndpoint(
                    listenerName: "SSL", host: "kafka-0-broker.example", port: 9092, securityProtocol: "SSL")
            ])
        #expect(throws: ZNodeDecodingError.invalidField("endpoints")) {
            try BrokerIdZNode.decode(brokerId: 0, bytes(#"{"version":4,"endpoints":["nonsense"]}"#))
        }
    }

    @Test("topic assignment v3 matches Kafka's key order and round-trips")
    func topicV3() throws {
        let raw =
            #"{"removing_replicas":{},"partitions":{"0":[3,2],"1":[1,3],"2":[2,1]},"topic_id":"RSZ--odYRlSOPGRgukKnAQ","adding_replicas":{},"version":3}"#
        let a = TopicAssignment(topicId: "RSZ--odYRlSOPGRgukKnAQ", partitions: [0: [3, 2], 1: [1, 3], 2: [2, 1]])
        #expect(text(TopicZNode.encode(a)) == raw)
        // Kafka writes partitions in hash order; any order decodes.
        let kafka =
            #"{"removing_replicas":{},"partitions":{"2":[2,1],"1":[1,3],"0":[3,2]},"topic_id":"RSZ--odYRlSOPGRgukKnAQ","adding_replicas":{},"version":3}"#
        #expect(try TopicZNode.decode(bytes(kafka)) == a)
    }

    @Test("topic assignment v1 and v2 decode; reassignment entries survive")
    func topicOldVersions() throws {
        #expect(
            try TopicZNode.decode(bytes(#"{"version":1,"partitions":{"0":[1,2,3]}}"#))
                == TopicAssignment(topicId: nil, partitions: [0: [1, 2, 3]]))
        let v2 =
            #"{"version":2,"partitions":{"0":[1,2,4]},"adding_replicas":{"0":[4]},"removing_replicas":{"0":[3]}}"#
        let a = try TopicZNode.decode(bytes(v2))
        #expect(a.addingReplicas == [0: [4]] && a.removingReplicas == [0: [3]])
        #expect(try TopicZNode.decode(TopicZNode.encode(a)) == a)
        #expect(throws: ZNodeDecodingError.invalidField("partitions")) {
            try TopicZNode.decode(bytes(#"{"version":1,"partitions":{"x":[1]}}"#))
        }
    }

    @Test("partition state matches Kafka's bytes; recovery state only when recovering")
    func partitionState() throws {
        let raw = #"{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1,2,3]}"#
        let s = LeaderIsrState(leader: 1, leaderEpoch: 0, isr: [1, 2, 3], controllerEpoch: 1)
        #expect(text(TopicPartitionStateZNode.encode(s)) == raw)
        #expect(try TopicPartitionStateZNode.decode(bytes(raw)) == s)
        var r = s
        r.recovering = true
        r.leader = -1
        #expect(text(TopicPartitionStateZNode.encode(r)).hasSuffix(#""isr":[1,2,3],"leader_recovery_state":1}"#))
        #expect(try TopicPartitionStateZNode.decode(TopicPartitionStateZNode.encode(r)) == r)
        #expect(TopicPartitionStateZNode.path("t", 4) == "/brokers/topics/t/partitions/4/state")
    }

    @Test("entity configs hold string values; empty data is an empty config")
    func configs() throws {
        let raw = #"{"version":1,"config":{"cleanup.policy":"compact","retention.ms":"100000"}}"#
        #expect(text(ConfigEntityZNode.encode(["retention.ms": "100000", "cleanup.policy": "compact"])) == raw)
        #expect(try ConfigEntityZNode.decode(bytes(raw)) == ["retention.ms": "100000", "cleanup.policy": "compact"])
        #expect(try ConfigEntityZNode.decode([]) == [:])
        #expect(ConfigEntityZNode.path(.brokers, ConfigEntityZNode.defaultEntityName) == "/config/brokers/<default>")
        #expect(throws: ZNodeDecodingError.self) {
            try ConfigEntityZNode.decode(bytes(#"{"version":1,"config":{"a":1}}"#))
        }
    }

    @Test("config change notifications use entity_path (v2) and accept v1")
    func configChange() throws {
        #expect(
            text(ConfigEntityChangeNotificationZNode.encode(entityPath: "topics/customer-delete"))
                == #"{"version":2,"entity_path":"topics/customer-delete"}"#)
        #expect(
            try ConfigEntityChangeNotificationZNode.decode(
                bytes(#"{"version":1,"entity_type":"topics","entity_name":"t"}"#)) == "topics/t")
        #expect(ConfigEntityChangeNotificationZNode.sequentialPath == "/config/changes/config_change_")
        #expect(ConfigEntityChangeNotificationZNode.sequenceNumber(ofChild: "config_change_0000000042") == 42)
        #expect(ConfigEntityChangeNotificationZNode.sequenceNumber(ofChild: "other") == nil)
    }

    @Test("producer id block writes start and end as strings")
    func producerIdBlock() throws {
        let raw = #"{"version":1,"broker":0,"block_start":"8000","block_end":"8999"}"#
        let b = ProducerIdBlock(brokerId: 0, firstProducerId: 8000, lastProducerId: 8999)
        #expect(text(ProducerIdBlockZNode.encode(b)) == raw)
        #expect(try ProducerIdBlockZNode.decode(bytes(raw)) == b)
        #expect(try ProducerIdBlockZNode.decode([]) == nil)
        #expect(b.size == 1000)
    }

    @Test("ISR change and preferred election notifications list topic partitions")
    func partitionLists() throws {
        let raw = #"{"version":1,"partitions":[{"topic":"a","partition":0},{"topic":"b","partition":3}]}"#
        let parts = [ZkTopicPartition(topic: "a", partition: 0), ZkTopicPartition(topic: "b", partition: 3)]
        #expect(text(IsrChangeNotificationZNode.encode(parts)) == raw)
        #expect(try IsrChangeNotificationZNode.decode(bytes(raw)) == parts)
        #expect(try PreferredReplicaElectionZNode.decode(PreferredReplicaElectionZNode.encode(parts)) == parts)
    }

    @Test("top-level persistent paths match Kafka's list")
    func persistentPaths() {
        #expect(
            Set(ZkPaths.persistentPaths) == [
                "/consumers", "/brokers/ids", "/brokers/topics", "/config/changes", "/admin/delete_topics",
                "/brokers/seqid", "/isr_change_notification", "/latest_producer_id_block",
                "/log_dir_event_notification", "/config/topics", "/config/clients", "/config/users",
                "/config/brokers", "/config/ips",
            ])
        #expect(ZkPaths.parent(of: "/a/b") == "/a")
        #expect(ZkPaths.parent(of: "/a") == "/")
        #expect(ZkPaths.parent(of: "/") == nil)
    }
}

@Suite("znode JSON parser")
struct ZkJSONTests {
    @Test(
        "bad input throws instead of trapping",
        arguments: [
            "", "{", "{\"a\"", "{\"a\":}", "[1,]", "\"\\u12\"", "\"\\ud800\"", "01x", "-", "1.", "1e", "{\"a\":1}x",
            "\u{01}", "nul", "[\"\\q\"]", String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
        ])
    func malformed(input: String) {
        #expect(throws: ZNodeDecodingError.self) { try ZkJSON.parse(Array(input.utf8)) }
    }

    @Test("strings with escapes, unicode and huge numbers parse")
    func parsesEdgeCases() throws {
        let v = try ZkJSON.parse(
            bytes(
                #" {"s":"a\"b\\c\/\n\u00e9\ud83d\ude00","n":-9223372036854775808,"d":1.5e3,"big":123456789012345678901234} "#
            ))
        #expect(v["s"] == .string("a\"b\\c/\né😀"))
        #expect(v["n"] == .integer(Int64.min))
        #expect(v["d"] == .double(1500))
        if case .double = v["big"] {} else { Issue.record("an overflowing integer should become a double") }
        #expect(text(ZkJSON.string("q\"\u{01}").bytes) == #""q\"\u0001""#)
    }

    @Test("invalid UTF-8 inside a string is rejected")
    func invalidUTF8() {
        #expect(throws: ZNodeDecodingError.self) { try ZkJSON.parse([0x22, 0xFF, 0x22]) }
    }

    @Test("truncated or mistyped znodes raise typed errors")
    func typedErrors() {
        #expect(throws: ZNodeDecodingError.missingField("isr")) {
            try TopicPartitionStateZNode.decode(
                bytes(#"{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0}"#))
        }
        #expect(throws: ZNodeDecodingError.unsupportedVersion(9)) {
            try TopicPartitionStateZNode.decode(bytes(#"{"version":9}"#))
        }
        #expect(throws: ZNodeDecodingError.invalidField("leader")) {
            try TopicPartitionStateZNode.decode(
                bytes(#"{"controller_epoch":1,"leader":99999999999,"version":1,"leader_epoch":0,"isr":[]}"#))
        }
    }
}
