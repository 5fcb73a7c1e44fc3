import KafkaProtocol
import MetadataImage
import Testing

let topicA = UUIDValue(bytes: Array(1...16))
let topicB = UUIDValue(bytes: Array(17...32))
let dirX = UUIDValue(bytes: Array(repeating: 5, count: 16))

func register(_ id: Int32, epoch: Int64, fenced: Bool = false) -> MetadataRecord {
    .registerBroker(
        RegisterBrokerRecord(
            brokerId: id, incarnationId: UUIDValue(bytes: Array(repeating: UInt8(id), count: 16)), brokerEpoch: epoch,
            endPoints: [.init(name: "PLAINTEXT", host: "b\(id)", port: UInt16(9091 + id), securityProtocol: 0)],
            rack: id == 1 ? "r1" : nil, fenced: fenced))
}

func partition(_ topic: UUIDValue, _ pid: Int32, replicas: [Int32], isr: [Int32], leader: Int32) -> MetadataRecord {
    .partition(
        PartitionRecord(
            partitionId: pid, topicId: topic, replicas: replicas, isr: isr, leader: leader, leaderEpoch: 0,
            partitionEpoch: 0))
}

/// A small cluster: three brokers, topic "a" with two partitions, topic "b" with one.
func sampleImage() throws -> MetadataImage {
    var image = MetadataImage()
    try image.apply([
        .featureLevel(FeatureLevelRecord(name: "metadata.version", featureLevel: 21)),
        register(1, epoch: 10), register(2, epoch: 11), register(3, epoch: 12),
        .topic(MetadataTopicRecord(name: "a", topicId: topicA)),
        partition(topicA, 0, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1),
        partition(topicA, 1, replicas: [2, 3, 1], isr: [2, 3, 1], leader: 2),
        .topic(MetadataTopicRecord(name: "b", topicId: topicB)),
        partition(topicB, 0, replicas: [3, 1], isr: [3, 1], leader: 3),
        .config(ConfigRecord(resourceType: 2, resourceName: "a", name: "retention.ms", value: "1000")),
    ])
    return image
}

@Suite("KRaft metadata image")
struct MetadataImageTests {
    @Test("a partition change with leader -2 keeps the leader and its epoch but bumps the partition epoch")
    func leaderUnchanged() throws {
        var image = try sampleImage()
        try image.apply(.partitionChange(PartitionChangeRecord(partitionId: 0, topicId: topicA, isr: [1, 2])))
        let p = try #require(image.partition(topicA, 0))
        #expect(p.leader == 1 && p.leaderEpoch == 0 && p.partitionEpoch == 1)
        #expect(p.isr == [1, 2] && p.replicas == [1, 2, 3])
    }

    @Test("a partition change naming a leader, or -1 for none, starts a new leader epoch") func leaderChanges() throws {
        var image = try sampleImage()
        try image.apply(.partitionChange(PartitionChangeRecord(partitionId: 0, topicId: topicA, leader: 2)))
        var p = try #require(image.partition(topicA, 0))
        #expect(p.leader == 2 && p.leaderEpoch == 1 && p.partitionEpoch == 1 && p.isr == [1, 2, 3])
        try image.apply(.partitionChange(PartitionChangeRecord(partitionId: 0, topicId: topicA, isr: [2], leader: -1)))
        p = try #require(image.partition(topicA, 0))
        #expect(p.leader == -1 && p.leaderEpoch == 2 && p.partitionEpoch == 2 && p.isr == [2])
    }

    @Test("replicas changed without directories keep the directories of the replicas that stay")
    func replicasAndDirectories() throws {
        var image = try sampleImage()
        try image.apply(
            .partition(
                PartitionRecord(
                    partitionId: 2, topicId: topicA, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0,
                    partitionEpoch: 0, directories: [dirX, dirX])))
        try image.apply(.partitionChange(PartitionChangeRecord(partitionId: 2, topicId: topicA, replicas: [2, 3])))
        let p = try #require(image.partition(topicA, 2))
        #expect(p.replicas == [2, 3] && p.directories == [dirX, .zero])
    }

    @Test("removing a topic removes its partitions, its name and its configs") func removeTopic() throws {
        var image = try sampleImage()
        try image.apply(.removeTopic(RemoveTopicRecord(topicId: topicA)))
        #expect(image.topics[topicA] == nil && image.topic(named: "a") == nil)
        #expect(image.configs[.topic("a")] == nil)
        #expect(image.topic(named: "b") != nil)
        #expect(throws: MetadataApplyError.unknownTopicId(topicA)) {
            try image.apply(.partitionChange(PartitionChangeRecord(partitionId: 0, topicId: topicA, leader: 2)))
        }
    }

    @Test("fencing, unfencing and controlled shutdown change the registration of the named epoch only")
    func brokerStates() throws {
        var image = try sampleImage()
        try image.apply(
            .brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: 2, brokerEpoch: 11, fenced: 1)))
        #expect(image.brokers[2]?.fenced == true)
        try image.apply(.unfenceBroker(UnfenceBrokerRecord(id: 2, epoch: 11)))
        #expect(image.brokers[2]?.fenced == false)
        try image.apply(
            .brokerRegistrationChange(
                BrokerRegistrationChangeRecord(brokerId: 2, brokerEpoch: 11, inControlledShutdown: 1)))
        #expect(image.brokers[2]?.inControlledShutdown == true && image.brokers[2]?.fenced == false)
        #expect(throws: MetadataApplyError.staleBrokerEpoch(brokerId: 2, recordEpoch: 3, registeredEpoch: 11)) {
            try image.apply(.fenceBroker(FenceBrokerRecord(id: 2, epoch: 3)))
        }
        try image.apply(.unregisterBroker(UnregisterBrokerRecord(brokerId: 2, brokerEpoch: 11)))
        #expect(image.brokers[2] == nil)
    }

    @Test("feature level 0, a null config value and a quota removal delete the entry") func removals() throws {
        var image = try sampleImage()
        let entity = [ClientQuotaRecord.EntityData(entityType: "user", entityName: "alice")]
        try image.apply([
            .featureLevel(FeatureLevelRecord(name: "metadata.version", featureLevel: 0)),
            .config(ConfigRecord(resourceType: 2, resourceName: "a", name: "retention.ms", value: nil)),
            .clientQuota(ClientQuotaRecord(entity: entity, key: "producer_byte_rate", value: 10, remove: false)),
            .clientQuota(ClientQuotaRecord(entity: entity, key: "producer_byte_rate", value: 0, remove: true)),
            .userScramCredential(
                UserScramCredentialRecord(
                    name: "alice", mechanism: 1, salt: [1], storedKey: [2], serverKey: [3], iterations: 4096)),
            .removeUserScramCredential(RemoveUserScramCredentialRecord(name: "alice", mechanism: 1)),
        ])
        #expect(image.features.isEmpty && image.configs.isEmpty && image.quotas.isEmpty)
        #expect(image.scramCredentials.isEmpty)
    }

    @Test("an image written as snapshot records and read back is the same image") func snapshotRoundTrip() throws {
        var image = try sampleImage()
        try image.apply([
            .registerController(
                RegisterControllerRecord(
                    controllerId: 3000, incarnationId: dirX,
                    endPoints: [.init(name: "CONTROLLER", host: "c", port: 9093, securityProtocol: 0)])),
            .brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: 3, brokerEpoch: 12, fenced: 1)),
            .partitionChange(PartitionChangeRecord(partitionId: 0, topicId: topicB, isr: [1], leader: 1)),
            .producerIds(ProducerIdsRecord(brokerId: 1, brokerEpoch: 10, nextProducerId: 3000)),
            .userScramCredential(
                UserScramCredentialRecord(
                    name: "alice", mechanism: 2, salt: [1], storedKey: [2], serverKey: [3], iterations: 8192)),
            .accessControlEntry(
                AccessControlEntryRecord(
                    id: dirX, resourceType: 2, resourceName: "a", patternType: 3, principal: "User:alice", host: "*",
                    operation: 3, permissionType: 3)),
            .clientQuota(
                ClientQuotaRecord(
                    entity: [.init(entityType: "client-id", entityName: nil)], key: "consumer_byte_rate", value: 2048,
                    remove: false)),
            .config(ConfigRecord(resourceType: 4, resourceName: "", name: "log.retention.ms", value: "5")),
        ])
        let records = image.snapshotRecords
        #expect(records.first?.type == .featureLevel)
        // Through the wire form too: every record encodes and decodes.
        let decoded = try records.map { try MetadataRecord.decode($0.encoded()).record }
        #expect(try MetadataImage(snapshot: decoded) == image)
    }

    @Test("local changes: a broker learns the partitions it now leads, follows, and must delete")
    func localChanges() throws {
        let before = try sampleImage()
        var after = before
        try after.apply([
            // Broker 1 loses leadership of a-0 to broker 2.
            .partitionChange(PartitionChangeRecord(partitionId: 0, topicId: topicA, leader: 2)),
            // Only the ISR of a-1 changes: no new leader epoch, so nothing for broker 3 to do.
            .partitionChange(PartitionChangeRecord(partitionId: 1, topicId: topicA, isr: [2, 3])),
            // Topic b goes; a new topic c arrives with broker 3 leading.
            .removeTopic(RemoveTopicRecord(topicId: topicB)),
            .topic(MetadataTopicRecord(name: "c", topicId: dirX)),
            partition(dirX, 0, replicas: [3, 2], isr: [3, 2], leader: 3),
        ])
        let b1 = LocalReplicaChanges(from: before, to: after, brokerId: 1)
        #expect(Set(b1.followers.keys) == [TopicIdPartition(topicA, 0)])
        #expect(b1.leaders.isEmpty)
        #expect(b1.deletes == [TopicIdPartition(topicB, 0): "b"])

        let b2 = LocalReplicaChanges(from: before, to: after, brokerId: 2)
        #expect(Set(b2.leaders.keys) == [TopicIdPartition(topicA, 0)])
        #expect(Set(b2.followers.keys) == [TopicIdPartition(dirX, 0)])
        #expect(b2.deletes.isEmpty)

        let b3 = LocalReplicaChanges(from: before, to: after, brokerId: 3)
        #expect(Set(b3.leaders.keys) == [TopicIdPartition(dirX, 0)] && b3.topicNames[dirX] == "c")
        #expect(Set(b3.followers.keys) == [TopicIdPartition(topicA, 0)])
        #expect(b3.deletes == [TopicIdPartition(topicB, 0): "b"])

        #expect(LocalReplicaChanges(from: after, to: after, brokerId: 1).isEmpty)
    }

    @Test("a first image makes a broker lead or follow every partition it hosts") func fromEmpty() throws {
        let changes = LocalReplicaChanges(from: MetadataImage(), to: try sampleImage(), brokerId: 1)
        #expect(Set(changes.leaders.keys) == [TopicIdPartition(topicA, 0)])
        #expect(Set(changes.followers.keys) == [TopicIdPartition(topicA, 1), TopicIdPartition(topicB, 0)])
    }
}

@Suite("KRaft metadata record JSON")
struct MetadataRecordJSONTests {
    @Test("a TopicRecord prints as kafka-dump-log's cluster metadata decoder prints it") func topicJSON() {
        let record = MetadataRecord.topic(MetadataTopicRecord(name: "orders", topicId: topicA))
        #expect(
            MetadataRecordJSON.payload(value: record.encoded(), offset: 3)
                == "{\"type\":\"TOPIC_RECORD\",\"version\":0,\"data\":{\"name\":\"orders\",\"topicId\":\"\(topicA.base64URL)\"}}"
        )
    }

    @Test("fields outside the record's version are left out; null and tagged fields are printed") func versionedJSON() {
        let p = MetadataRecord.partition(
            PartitionRecord(
                partitionId: 0, topicId: topicA, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0))
        #expect(
            MetadataRecordJSON.payload(value: p.encoded(version: 0), offset: 0)
                == "{\"type\":\"PARTITION_RECORD\",\"version\":0,\"data\":{\"partitionId\":0,\"topicId\":\"\(topicA.base64URL)\","
                + "\"replicas\":[1],\"isr\":[1],\"removingReplicas\":[],\"addingReplicas\":[],\"leader\":1,"
                + "\"leaderRecoveryState\":0,\"leaderEpoch\":0,\"partitionEpoch\":0}}")
        let c = MetadataRecord.config(ConfigRecord(resourceType: 2, resourceName: "t", name: "k", value: nil))
        #expect(MetadataRecordJSON.payload(value: c.encoded(), offset: 0).hasSuffix("\"name\":\"k\",\"value\":null}}"))
    }

    @Test("an unreadable value prints Kafka's skip message") func badValue() {
        #expect(MetadataRecordJSON.payload(value: [1, 99, 0], offset: 7).hasPrefix("Error at 7, skipping. "))
    }

    @Test("KRaft control records print as DumpLogSegments prints them") func controlJSON() {
        var w = ProtocolWriter()
        LeaderChangeMessage(
            recordVersion: 0, leaderId: 2, voters: [.init(voterId: 1), .init(voterId: 2)],
            grantingVoters: [.init(voterId: 2)]
        )
        .write(to: &w, version: 0)
        #expect(
            MetadataRecordJSON.controlRecordText(key: KRaftControlRecordType.leaderChange.keyBytes, value: w.bytes)
                == " LeaderChange: {\"version\":0,\"leaderId\":2,\"voters\":[{\"voterId\":1},{\"voterId\":2}],"
                + "\"grantingVoters\":[{\"voterId\":2}]}")
        #expect(MetadataRecordJSON.controlRecordText(key: KRaftControlRecordType.commit.keyBytes, value: []) == nil)
    }
}
