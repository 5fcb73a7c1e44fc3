// Hand-written beside the generated metadata record messages (MetadataRecords, RegisterBrokerRecord,
// PartitionRecord, PartitionChangeRecord, BrokerRegistrationChangeRecord).

/// The type of a KRaft metadata record: Kafka's `MetadataRecordType`, the api key written in the record's frame.
public enum MetadataRecordType: Int16, Sendable, CaseIterable {
    case registerBroker = 0
    case unregisterBroker = 1
    case topic = 2
    case partition = 3
    case config = 4
    case partitionChange = 5
    case fenceBroker = 7
    case unfenceBroker = 8
    case removeTopic = 9
    case userScramCredential = 11
    case featureLevel = 12
    case clientQuota = 14
    case producerIds = 15
    case brokerRegistrationChange = 17
    case accessControlEntry = 18
    case removeAccessControlEntry = 19
    case noOp = 20
    case removeUserScramCredential = 22
    case registerController = 27

    /// Kafka's enum constant, as `kafka-dump-log --cluster-metadata-decoder` prints it in `"type"`.
    public var kafkaName: String {
        switch self {
        case .registerBroker: "REGISTER_BROKER_RECORD"
        case .unregisterBroker: "UNREGISTER_BROKER_RECORD"
        case .topic: "TOPIC_RECORD"
        case .partition: "PARTITION_RECORD"
        case .config: "CONFIG_RECORD"
        case .partitionChange: "PARTITION_CHANGE_RECORD"
        case .fenceBroker: "FENCE_BROKER_RECORD"
        case .unfenceBroker: "UNFENCE_BROKER_RECORD"
        case .removeTopic: "REMOVE_TOPIC_RECORD"
        case .userScramCredential: "USER_SCRAM_CREDENTIAL_RECORD"
        case .featureLevel: "FEATURE_LEVEL_RECORD"
        case .clientQuota: "CLIENT_QUOTA_RECORD"
        case .producerIds: "PRODUCER_IDS_RECORD"
        case .brokerRegistrationChange: "BROKER_REGISTRATION_CHANGE_RECORD"
        case .accessControlEntry: "ACCESS_CONTROL_ENTRY_RECORD"
        case .removeAccessControlEntry: "REMOVE_ACCESS_CONTROL_ENTRY_RECORD"
        case .noOp: "NO_OP_RECORD"
        case .removeUserScramCredential: "REMOVE_USER_SCRAM_CREDENTIAL_RECORD"
        case .registerController: "REGISTER_CONTROLLER_RECORD"
        }
    }
}

/// One KRaft metadata record, typed. Its wire form is Kafka's `ApiMessageAndVersion` as
/// `AbstractApiMessageSerde` writes it into a record value: an unsigned varint frame version (1), an unsigned
/// varint api key (`MetadataRecordType`), an unsigned varint record version, then the message at that version.
public enum MetadataRecord: Sendable, Equatable {
    case registerBroker(RegisterBrokerRecord)
    case unregisterBroker(UnregisterBrokerRecord)
    case topic(MetadataTopicRecord)
    case partition(PartitionRecord)
    case config(ConfigRecord)
    case partitionChange(PartitionChangeRecord)
    case fenceBroker(FenceBrokerRecord)
    case unfenceBroker(UnfenceBrokerRecord)
    case removeTopic(RemoveTopicRecord)
    case userScramCredential(UserScramCredentialRecord)
    case featureLevel(FeatureLevelRecord)
    case clientQuota(ClientQuotaRecord)
    case producerIds(ProducerIdsRecord)
    case brokerRegistrationChange(BrokerRegistrationChangeRecord)
    case accessControlEntry(AccessControlEntryRecord)
    case removeAccessControlEntry(RemoveAccessControlEntryRecord)
    case noOp(NoOpRecord)
    case removeUserScramCredential(RemoveUserScramCredentialRecord)
    case registerController(RegisterControllerRecord)

    /// The only frame version Kafka writes or reads (`AbstractApiMessageSerde.DEFAULT_FRAME_VERSION`).
    public static let frameVersion: UInt32 = 1

    public var type: MetadataRecordType {
        switch self {
        case .registerBroker: .registerBroker
        case .unregisterBroker: .unregisterBroker
        case .topic: .topic
        case .partition: .partition
        case .config: .config
        case .partitionChange: .partitionChange
        case .fenceBroker: .fenceBroker
        case .unfenceBroker: .unfenceBroker
        case .removeTopic: .removeTopic
        case .userScramCredential: .userScramCredential
        case .featureLevel: .featureLevel
        case .clientQuota: .clientQuota
        case .producerIds: .producerIds
        case .brokerRegistrationChange: .brokerRegistrationChange
        case .accessControlEntry: .accessControlEntry
        case .removeAccessControlEntry: .removeAccessControlEntry
        case .noOp: .noOp
        case .removeUserScramCredential: .removeUserScramCredential
        case .registerController: .registerController
        }
    }

    /// The message inside, for code that handles every record alike (encoding, printing).
    public var message: any KafkaMessage {
        switch self {
        case .registerBroker(let m): m
        case .unregisterBroker(let m): m
        case .topic(let m): m
        case .partition(let m): m
        case .config(let m): m
        case .partitionChange(let m): m
        case .fenceBroker(let m): m
        case .unfenceBroker(let m): m
        case .removeTopic(let m): m
        case .userScramCredential(let m): m
        case .featureLevel(let m): m
        case .clientQuota(let m): m
        case .producerIds(let m): m
        case .brokerRegistrationChange(let m): m
        case .accessControlEntry(let m): m
        case .removeAccessControlEntry(let m): m
        case .noOp(let m): m
        case .removeUserScramCredential(let m): m
        case .registerController(let m): m
        }
    }

    /// The versions this module reads and writes for a record type (Kafka 3.9's).
    public static func versions(of type: MetadataRecordType) -> ClosedRange<Int16> {
        switch type {
        case .registerBroker: RegisterBrokerRecord.versions
        case .partition: PartitionRecord.versions
        case .partitionChange: PartitionChangeRecord.versions
        case .brokerRegistrationChange: BrokerRegistrationChangeRecord.versions
        default: 0...0
        }
    }

    /// The version a record is written at by default: the lowest that can carry what it holds, as Kafka's
    /// controller picks by `metadata.version` (ELR fields need v2, directories v1, log dirs v3/v2).
    public var defaultVersion: Int16 {
        switch self {
        case .registerBroker(let r): r.logDirs.isEmpty ? (r.isMigratingZkBroker ? 2 : 1) : 3
        case .partition(let r):
            r.eligibleLeaderReplicas != nil || r.lastKnownElr != nil ? 2 : (r.directories.isEmpty ? 0 : 1)
        case .partitionChange(let r):
            r.eligibleLeaderReplicas != nil || r.lastKnownElr != nil ? 2 : (r.directories == nil ? 0 : 1)
        case .brokerRegistrationChange(let r): r.logDirs.isEmpty ? 1 : 2
        default: 0
        }
    }

    /// The record value bytes: frame version, api key, version, message.
    public func encoded(version: Int16? = nil) -> [UInt8] {
        let v = version ?? defaultVersion
        var w = ProtocolWriter()
        w.writeUnsignedVarint(Self.frameVersion)
        w.writeUnsignedVarint(UInt32(type.rawValue))
        w.writeUnsignedVarint(UInt32(v))
        message.write(to: &w, version: v)
        return w.bytes
    }

    /// Decodes a record value. Throws on an unknown frame version, record type or version, and on trailing bytes.
    public static func decode(_ bytes: [UInt8]) throws(ProtocolError) -> (record: MetadataRecord, version: Int16) {
        var r = ProtocolReader(bytes)
        let frame = try r.readUnsignedVarint()
        guard frame == frameVersion else { throw .invalidField("metadata record frame version \(frame)") }
        let key = try r.readUnsignedVarint()
        guard key <= UInt32(Int16.max), let type = MetadataRecordType(rawValue: Int16(key)) else {
            throw .unknownAPIKey(Int16(truncatingIfNeeded: key))
        }
        let rawVersion = try r.readUnsignedVarint()
        guard rawVersion <= UInt32(Int16.max), versions(of: type).contains(Int16(rawVersion)) else {
            throw .unsupportedVersion(apiKey: type.rawValue, version: Int16(truncatingIfNeeded: rawVersion))
        }
        let v = Int16(rawVersion)
        let record: MetadataRecord
        switch type {
        case .registerBroker: record = .registerBroker(try .init(reading: &r, version: v))
        case .unregisterBroker: record = .unregisterBroker(try .init(reading: &r, version: v))
        case .topic: record = .topic(try .init(reading: &r, version: v))
        case .partition: record = .partition(try .init(reading: &r, version: v))
        case .config: record = .config(try .init(reading: &r, version: v))
        case .partitionChange: record = .partitionChange(try .init(reading: &r, version: v))
        case .fenceBroker: record = .fenceBroker(try .init(reading: &r, version: v))
        case .unfenceBroker: record = .unfenceBroker(try .init(reading: &r, version: v))
        case .removeTopic: record = .removeTopic(try .init(reading: &r, version: v))
        case .userScramCredential: record = .userScramCredential(try .init(reading: &r, version: v))
        case .featureLevel: record = .featureLevel(try .init(reading: &r, version: v))
        case .clientQuota: record = .clientQuota(try .init(reading: &r, version: v))
        case .producerIds: record = .producerIds(try .init(reading: &r, version: v))
        case .brokerRegistrationChange: record = .brokerRegistrationChange(try .init(reading: &r, version: v))
        case .accessControlEntry: record = .accessControlEntry(try .init(reading: &r, version: v))
        case .removeAccessControlEntry: record = .removeAccessControlEntry(try .init(reading: &r, version: v))
        case .noOp: record = .noOp(try .init(reading: &r, version: v))
        case .removeUserScramCredential: record = .removeUserScramCredential(try .init(reading: &r, version: v))
        case .registerController: record = .registerController(try .init(reading: &r, version: v))
        }
        guard r.isAtEnd else { throw .invalidField("\(r.remaining) bytes after a \(type.kafkaName)") }
        return (record, v)
    }
}

/// The control record types of the KRaft log (Kafka's `ControlRecordType`), carried in the record key
/// (int16 version 0, int16 type); 0 and 1 are the transaction markers.
public enum KRaftControlRecordType: Int16, Sendable, CaseIterable {
    case abort = 0
    case commit = 1
    case leaderChange = 2
    case snapshotHeader = 3
    case snapshotFooter = 4
    case kraftVersion = 5
    case kraftVoters = 6

    /// Kafka's enum constant, as `kafka-dump-log` prints it.
    public var kafkaName: String {
        switch self {
        case .abort: "ABORT"
        case .commit: "COMMIT"
        case .leaderChange: "LEADER_CHANGE"
        case .snapshotHeader: "SNAPSHOT_HEADER"
        case .snapshotFooter: "SNAPSHOT_FOOTER"
        case .kraftVersion: "KRAFT_VERSION"
        case .kraftVoters: "KRAFT_VOTERS"
        }
    }

    /// The control record key: version 0, then the type.
    public var keyBytes: [UInt8] {
        var w = ProtocolWriter()
        w.writeInt16(0)
        w.writeInt16(rawValue)
        return w.bytes
    }

    /// Reads the type from a control record key; nil for a key too short or a type Kafka does not define.
    public init?(key: [UInt8]) {
        guard key.count >= 4 else { return nil }
        var r = ProtocolReader(key)
        guard (try? r.readInt16()) != nil, let raw = try? r.readInt16() else { return nil }
        self.init(rawValue: raw)
    }
}
