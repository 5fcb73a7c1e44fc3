import Testing

@testable import KafkaProtocol

/// The KRaft metadata records and control records: each round-trips at every version, and record values framed as
/// Kafka's `ApiMessageAndVersion` decode field by field and re-encode byte for byte.
@Suite("KRaft metadata records")
struct MetadataRecordTests {
    static let dir = UUIDValue(bytes: Array(repeating: 7, count: 16))

    static let everyRecord: [MetadataRecord] = [
        .registerBroker(
            RegisterBrokerRecord(
                brokerId: 1, isMigratingZkBroker: false, incarnationId: sampleTopicId, brokerEpoch: 12,
                endPoints: [.init(name: "PLAINTEXT", host: "kafka-1", port: 9092, securityProtocol: 0)],
                features: [.init(name: "metadata.version", minSupportedVersion: 1, maxSupportedVersion: 21)],
                rack: "r1", fenced: true, inControlledShutdown: false, logDirs: [dir])),
        .unregisterBroker(UnregisterBrokerRecord(brokerId: 1, brokerEpoch: 12)),
        .topic(MetadataTopicRecord(name: "orders", topicId: sampleTopicId)),
        .partition(
            PartitionRecord(
                partitionId: 0, topicId: sampleTopicId, replicas: [1, 2, 3], isr: [1, 2], removingReplicas: [],
                addingReplicas: [], leader: 1, leaderRecoveryState: 0, leaderEpoch: 4, partitionEpoch: 9,
                directories: [dir, dir, dir], eligibleLeaderReplicas: [3], lastKnownElr: [])),
        .config(ConfigRecord(resourceType: 2, resourceName: "orders", name: "retention.ms", value: nil)),
        .partitionChange(
            PartitionChangeRecord(
                partitionId: 2, topicId: sampleTopicId, isr: [2], leader: -1, replicas: nil, removingReplicas: [3],
                addingReplicas: nil, leaderRecoveryState: 1, directories: [dir], eligibleLeaderReplicas: [1],
                lastKnownElr: nil)),
        .fenceBroker(FenceBrokerRecord(id: 2, epoch: 40)),
        .unfenceBroker(UnfenceBrokerRecord(id: 2, epoch: 40)),
        .removeTopic(RemoveTopicRecord(topicId: sampleTopicId)),
        .userScramCredential(
            UserScramCredentialRecord(
                name: "alice", mechanism: 1, salt: [1, 2], storedKey: [3], serverKey: [4], iterations: 4096)),
        .featureLevel(FeatureLevelRecord(name: "metadata.version", featureLevel: 21)),
        .clientQuota(
            ClientQuotaRecord(
                entity: [.init(entityType: "user", entityName: nil), .init(entityType: "client-id", entityName: "c")],
                key: "producer_byte_rate", value: 1024.5, remove: false)),
        .producerIds(ProducerIdsRecord(brokerId: 1, brokerEpoch: 12, nextProducerId: 2000)),
        .brokerRegistrationChange(
            BrokerRegistrationChangeRecord(
                brokerId: 3, brokerEpoch: 8, fenced: -1, inControlledShutdown: 1, logDirs: [dir])),
        .accessControlEntry(
            AccessControlEntryRecord(
                id: dir, resourceType: 2, resourceName: "orders", patternType: 3, principal: "User:alice", host: "*",
                operation: 3, permissionType: 3)),
        .removeAccessControlEntry(RemoveAccessControlEntryRecord(id: dir)),
        .noOp(NoOpRecord()),
        .removeUserScramCredential(RemoveUserScramCredentialRecord(name: "alice", mechanism: 2)),
        .registerController(
            RegisterControllerRecord(
                controllerId: 3000, incarnationId: dir, zkMigrationReady: false,
                endPoints: [.init(name: "CONTROLLER", host: "kraft-1", port: 9093, securityProtocol: 0)],
                features: [.init(name: "kraft.version", minSupportedVersion: 0, maxSupportedVersion: 1)])),
    ]

    @Test("every metadata record type round-trips at each of its versions") func everyVersion() throws {
        #expect(Set(Self.everyRecord.map(\.type)) == Set(MetadataRecordType.allCases))
        for record in Self.everyRecord {
            for version in MetadataRecord.versions(of: record.type) {
                let bytes = record.encoded(version: version)
                let (decoded, decodedVersion) = try MetadataRecord.decode(bytes)
                #expect(decodedVersion == version)
                #expect(decoded.type == record.type)
                #expect(decoded.encoded(version: version) == bytes, "\(record.type) v\(version)")
                if version == MetadataRecord.versions(of: record.type).upperBound {
                    #expect(decoded == record, "\(record.type) loses nothing at its highest version")
                }
                for length in 0..<bytes.count {
                    #expect(throws: ProtocolError.self, "\(record.type) v\(version) prefix \(length)") {
                        _ = try MetadataRecord.decode(Array(bytes[0..<length]))
                    }
                }
            }
        }
    }

    @Test("the metadata.version FeatureLevelRecord value is Kafka's bytes") func featureLevelBytes() throws {
        // The first record `kafka-storage format` bootstraps: metadata.version at level 20 (3.8-IV0).
        let bytes = hex(
            """
            01                                  # frame version 1
            0c                                  # api key 12 FeatureLevelRecord
            00                                  # version 0
            11 6d657461646174612e76657273696f6e # compact string "metadata.version"
            0014                                # featureLevel 20
            00                                  # no tagged fields
            """)
        let (record, version) = try MetadataRecord.decode(bytes)
        #expect(version == 0)
        #expect(record == .featureLevel(FeatureLevelRecord(name: "metadata.version", featureLevel: 20)))
        #expect(record.encoded() == bytes)
    }

    @Test("a TopicRecord value is name then topic id") func topicBytes() throws {
        let bytes = hex(
            """
            01 02 00                            # frame 1, TopicRecord, v0
            04 73617a                           # compact string "saz"
            00000000000040008000000000000091    # topic id
            00                                  # no tagged fields
            """)
        let (record, _) = try MetadataRecord.decode(bytes)
        guard case .topic(let topic) = record else { Issue.record("not a topic record: \(record)"); return }
        #expect(topic.name == "saz")
        #expect(topic.topicId == UUIDValue(bytes: hex("00000000000040008000000000000091")))
        #expect(record.encoded() == bytes)
    }

    @Test("a PartitionRecord v1 value carries its directories after the epochs") func partitionBytes() throws {
        let bytes = hex(
            """
            01 03 01                            # frame 1, PartitionRecord, v1
            00000001                            # partitionId 1
            00000000000040008000000000000091    # topicId
            02 00000001                         # replicas [1]
            02 00000001                         # isr [1]
            01                                  # removingReplicas []
            01                                  # addingReplicas []
            00000001                            # leader 1
            00000000                            # leaderEpoch 0
            00000000                            # partitionEpoch 0
            02 10000000000040008000000000000001 # directories [one uuid]
            00                                  # no tagged fields (leaderRecoveryState 0 is the default)
            """)
        let (record, version) = try MetadataRecord.decode(bytes)
        #expect(version == 1)
        guard case .partition(let p) = record else { Issue.record("not a partition record"); return }
        #expect(p.partitionId == 1 && p.replicas == [1] && p.isr == [1] && p.leader == 1)
        #expect(p.leaderEpoch == 0 && p.partitionEpoch == 0 && p.directories.count == 1)
        #expect(p.eligibleLeaderReplicas == nil)
        #expect(record.encoded(version: 1) == bytes)
        #expect(record.defaultVersion == 1)
    }

    @Test("a PartitionChangeRecord writes only the changed fields, as tagged fields") func partitionChangeBytes() throws
    {
        let bytes = hex(
            """
            01 05 00                            # frame 1, PartitionChangeRecord, v0
            00000000                            # partitionId 0
            00000000000040008000000000000091    # topicId
            02                                  # two tagged fields
            00 05 02 00000002                   # tag 0 isr: size 5, [2]
            01 04 00000002                      # tag 1 leader: size 4, 2
            """)
        let (record, _) = try MetadataRecord.decode(bytes)
        guard case .partitionChange(let c) = record else { Issue.record("not a partition change"); return }
        #expect(c.isr == [2] && c.leader == 2 && c.replicas == nil && c.leaderRecoveryState == -1)
        #expect(record.encoded() == bytes)
        // Nothing changed: no tagged fields at all, and the leader reads back as "unchanged" (-2).
        let unchanged = MetadataRecord.partitionChange(PartitionChangeRecord(partitionId: 0, topicId: sampleTopicId))
        #expect(unchanged.encoded().count == 3 + 4 + 16 + 1)
        guard case .partitionChange(let u) = try MetadataRecord.decode(unchanged.encoded()).record else { return }
        #expect(u.leader == -2)
    }

    @Test("an unknown frame version, record type or version is an error, not a crash") func badFrames() {
        #expect(throws: ProtocolError.self) { _ = try MetadataRecord.decode(hex("00 02 00 04 73617a")) }
        #expect(throws: ProtocolError.unknownAPIKey(6)) { _ = try MetadataRecord.decode(hex("01 06 00")) }
        #expect(throws: ProtocolError.unsupportedVersion(apiKey: 2, version: 1)) {
            _ = try MetadataRecord.decode(hex("01 02 01 04 73617a 00000000000040008000000000000091 00"))
        }
        #expect(throws: ProtocolError.self) {
            _ = try MetadataRecord.decode(hex("01 14 00 00 ff"))  // a NoOpRecord with a trailing byte
        }
        #expect(throws: ProtocolError.self) { _ = try MetadataRecord.decode(hex("01 ffffffff0f 00")) }
    }

    @Test("the KRaft control records round-trip") func controlRecords() throws {
        try expectRoundTrips(
            LeaderChangeMessage(
                recordVersion: 0, leaderId: 2, voters: [.init(voterId: 1), .init(voterId: 2)],
                grantingVoters: [.init(voterId: 2)]), versions: 0...0)
        try expectRoundTrips(
            SnapshotHeaderRecord(recordVersion: 0, lastContainedLogTimestamp: 1_700_000_000_000),
            versions: 0...0)
        try expectRoundTrips(SnapshotFooterRecord(recordVersion: 0), versions: 0...0)
        try expectRoundTrips(KRaftVersionRecord(recordVersion: 0, kRaftVersion: 1), versions: 0...0)
        try expectRoundTrips(
            VotersRecord(
                recordVersion: 0,
                voters: [
                    .init(
                        voterId: 1, voterDirectoryId: Self.dir,
                        endpoints: [.init(name: "CONTROLLER", host: "kraft-1", port: 9093)],
                        kRaftVersionFeature: .init(minSupportedVersion: 0, maxSupportedVersion: 1))
                ]), versions: 0...0)
        #expect(KRaftControlRecordType.leaderChange.keyBytes == hex("0000 0002"))
        #expect(KRaftControlRecordType(key: hex("0000 0006")) == .kraftVoters)
        #expect(KRaftControlRecordType(key: hex("0000")) == nil)
    }
}
