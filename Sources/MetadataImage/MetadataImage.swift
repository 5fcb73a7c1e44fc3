import KafkaProtocol

/// One partition as the metadata log describes it (Kafka's `PartitionRegistration`).
public struct PartitionImage: Sendable, Equatable {
    /// Replicas in preferred order; the first is the preferred leader.
    public var replicas: [Int32]
    public var isr: [Int32]
    public var removingReplicas: [Int32]
    public var addingReplicas: [Int32]
    /// The leader, or `PartitionImage.noLeader` (-1).
    public var leader: Int32
    /// 0 recovered, 1 recovering from an unclean election (`LeaderRecoveryState`).
    public var leaderRecoveryState: Int8
    public var leaderEpoch: Int32
    /// Bumped on every change, leader or not; AlterPartition must name the current one.
    public var partitionEpoch: Int32
    /// One log directory per replica (KIP-858); empty when not tracked.
    public var directories: [UUIDValue]
    /// KIP-966's eligible leader replicas; nil when the feature is not in use.
    public var eligibleLeaderReplicas: [Int32]?
    public var lastKnownElr: [Int32]?

    /// `PartitionRecord.leader` / `PartitionChangeRecord.leader` for "no leader".
    public static let noLeader: Int32 = -1
    /// `PartitionChangeRecord.leader` for "the leader did not change".
    public static let noLeaderChange: Int32 = -2

    public init(
        replicas: [Int32], isr: [Int32], leader: Int32, leaderEpoch: Int32 = 0, partitionEpoch: Int32 = 0,
        removingReplicas: [Int32] = [], addingReplicas: [Int32] = [], leaderRecoveryState: Int8 = 0,
        directories: [UUIDValue] = [], eligibleLeaderReplicas: [Int32]? = nil, lastKnownElr: [Int32]? = nil
    ) {
        self.replicas = replicas
        self.isr = isr
        self.removingReplicas = removingReplicas
        self.addingReplicas = addingReplicas
        self.leader = leader
        self.leaderRecoveryState = leaderRecoveryState
        self.leaderEpoch = leaderEpoch
        self.partitionEpoch = partitionEpoch
        self.directories = directories
        self.eligibleLeaderReplicas = eligibleLeaderReplicas
        self.lastKnownElr = lastKnownElr
    }

    public init(_ r: PartitionRecord) {
        self.init(
            replicas: r.replicas, isr: r.isr, leader: r.leader, leaderEpoch: r.leaderEpoch,
            partitionEpoch: r.partitionEpoch, removingReplicas: r.removingReplicas, addingReplicas: r.addingReplicas,
            leaderRecoveryState: r.leaderRecoveryState, directories: r.directories,
            eligibleLeaderReplicas: r.eligibleLeaderReplicas, lastKnownElr: r.lastKnownElr)
    }

    /// This partition after a PartitionChangeRecord, as Kafka's `PartitionRegistration.merge`: absent fields keep
    /// their value, a leader other than -2 starts a new leader epoch, and the partition epoch always grows.
    public func merging(_ c: PartitionChangeRecord) -> PartitionImage {
        var next = self
        if let isr = c.isr { next.isr = isr }
        if let replicas = c.replicas {
            next.replicas = replicas
            // Directories follow replicas; a replica set change without directories leaves them unassigned.
            if c.directories == nil && !directories.isEmpty {
                next.directories = replicas.map { r in
                    self.replicas.firstIndex(of: r).flatMap { $0 < directories.count ? directories[$0] : nil } ?? .zero
                }
            }
        }
        if let removing = c.removingReplicas { next.removingReplicas = removing }
        if let adding = c.addingReplicas { next.addingReplicas = adding }
        if c.leader != Self.noLeaderChange {
            next.leader = c.leader
            next.leaderEpoch = leaderEpoch + 1
        }
        if c.leaderRecoveryState >= 0 { next.leaderRecoveryState = c.leaderRecoveryState }
        if let directories = c.directories { next.directories = directories }
        if let elr = c.eligibleLeaderReplicas { next.eligibleLeaderReplicas = elr }
        if let lastKnown = c.lastKnownElr { next.lastKnownElr = lastKnown }
        next.partitionEpoch = partitionEpoch + 1
        return next
    }

    /// The PartitionRecord a snapshot holds for this partition.
    public func record(topicId: UUIDValue, partitionId: Int32) -> PartitionRecord {
        PartitionRecord(
            partitionId: partitionId, topicId: topicId, replicas: replicas, isr: isr,
            removingReplicas: removingReplicas, addingReplicas: addingReplicas, leader: leader,
            leaderRecoveryState: leaderRecoveryState, leaderEpoch: leaderEpoch, partitionEpoch: partitionEpoch,
            directories: directories, eligibleLeaderReplicas: eligibleLeaderReplicas, lastKnownElr: lastKnownElr)
    }
}

/// A topic: its id, name and partitions by index (Kafka's `TopicImage`).
public struct TopicImage: Sendable, Equatable {
    public var id: UUIDValue
    public var name: String
    public var partitions: [Int32: PartitionImage]

    public init(id: UUIDValue, name: String, partitions: [Int32: PartitionImage] = [:]) {
        self.id = id
        self.name = name
        self.partitions = partitions
    }
}

/// A listener a broker registered (`RegisterBrokerRecord.BrokerEndpoint`).
public struct BrokerEndpoint: Sendable, Equatable, Hashable {
    public var name: String
    public var host: String
    public var port: UInt16
    public var securityProtocol: Int16

    public init(name: String, host: String, port: UInt16, securityProtocol: Int16 = 0) {
        self.name = name
        self.host = host
        self.port = port
        self.securityProtocol = securityProtocol
    }
}

/// A feature range a broker or controller supports.
public struct SupportedFeature: Sendable, Equatable, Hashable {
    public var name: String
    public var minSupportedVersion: Int16
    public var maxSupportedVersion: Int16

    public init(name: String, minSupportedVersion: Int16, maxSupportedVersion: Int16) {
        self.name = name
        self.minSupportedVersion = minSupportedVersion
        self.maxSupportedVersion = maxSupportedVersion
    }
}

/// A broker registration (Kafka's `BrokerRegistration`).
public struct BrokerRegistration: Sendable, Equatable {
    public var id: Int32
    /// The epoch the controller gave this registration; heartbeats and AlterPartition must name it.
    public var epoch: Int64
    public var incarnationId: UUIDValue
    public var endpoints: [BrokerEndpoint]
    public var features: [SupportedFeature]
    public var rack: String?
    public var fenced: Bool
    public var inControlledShutdown: Bool
    public var isMigratingZkBroker: Bool
    public var logDirs: [UUIDValue]

    public init(
        id: Int32, epoch: Int64, incarnationId: UUIDValue, endpoints: [BrokerEndpoint] = [],
        features: [SupportedFeature] = [], rack: String? = nil, fenced: Bool = true, inControlledShutdown: Bool = false,
        isMigratingZkBroker: Bool = false, logDirs: [UUIDValue] = []
    ) {
        self.id = id
        self.epoch = epoch
        self.incarnationId = incarnationId
        self.endpoints = endpoints
        self.features = features
        self.rack = rack
        self.fenced = fenced
        self.inControlledShutdown = inControlledShutdown
        self.isMigratingZkBroker = isMigratingZkBroker
        self.logDirs = logDirs
    }

    public init(_ r: RegisterBrokerRecord) {
        self.init(
            id: r.brokerId, epoch: r.brokerEpoch, incarnationId: r.incarnationId,
            endpoints: r.endPoints.map {
                BrokerEndpoint(name: $0.name, host: $0.host, port: $0.port, securityProtocol: $0.securityProtocol)
            },
            features: r.features.map {
                SupportedFeature(
                    name: $0.name, minSupportedVersion: $0.minSupportedVersion,
                    maxSupportedVersion: $0.maxSupportedVersion)
            }, rack: r.rack, fenced: r.fenced, inControlledShutdown: r.inControlledShutdown,
            isMigratingZkBroker: r.isMigratingZkBroker, logDirs: r.logDirs)
    }

    /// The RegisterBrokerRecord that recreates this registration.
    public var record: RegisterBrokerRecord {
        RegisterBrokerRecord(
            brokerId: id, isMigratingZkBroker: isMigratingZkBroker, incarnationId: incarnationId, brokerEpoch: epoch,
            endPoints: endpoints.map {
                .init(name: $0.name, host: $0.host, port: $0.port, securityProtocol: $0.securityProtocol)
            },
            features: features.map {
                .init(
                    name: $0.name, minSupportedVersion: $0.minSupportedVersion,
                    maxSupportedVersion: $0.maxSupportedVersion)
            }, rack: rack, fenced: fenced, inControlledShutdown: inControlledShutdown, logDirs: logDirs)
    }
}

/// A registered controller (KIP-919's `ControllerRegistration`).
public struct ControllerRegistration: Sendable, Equatable {
    public var id: Int32
    public var incarnationId: UUIDValue
    public var zkMigrationReady: Bool
    public var endpoints: [BrokerEndpoint]
    public var features: [SupportedFeature]

    public init(_ r: RegisterControllerRecord) {
        id = r.controllerId
        incarnationId = r.incarnationId
        zkMigrationReady = r.zkMigrationReady
        endpoints = r.endPoints.map {
            BrokerEndpoint(name: $0.name, host: $0.host, port: $0.port, securityProtocol: $0.securityProtocol)
        }
        features = r.features.map {
            SupportedFeature(
                name: $0.name, minSupportedVersion: $0.minSupportedVersion, maxSupportedVersion: $0.maxSupportedVersion)
        }
    }

    public var record: RegisterControllerRecord {
        RegisterControllerRecord(
            controllerId: id, incarnationId: incarnationId, zkMigrationReady: zkMigrationReady,
            endPoints: endpoints.map {
                .init(name: $0.name, host: $0.host, port: $0.port, securityProtocol: $0.securityProtocol)
            },
            features: features.map {
                .init(
                    name: $0.name, minSupportedVersion: $0.minSupportedVersion,
                    maxSupportedVersion: $0.maxSupportedVersion)
            })
    }
}

/// A config resource as ConfigRecord names it: Kafka's `ConfigResource` type code and name.
public struct ConfigResourceKey: Sendable, Hashable, Comparable {
    /// 2 topic, 4 broker ("" is the cluster-wide default), 8 broker logger, 16 client metrics.
    public var type: Int8
    public var name: String

    public static let topicType: Int8 = 2
    public static let brokerType: Int8 = 4

    public init(type: Int8, name: String) {
        self.type = type
        self.name = name
    }

    public static func topic(_ name: String) -> ConfigResourceKey { .init(type: topicType, name: name) }
    public static func broker(_ name: String) -> ConfigResourceKey { .init(type: brokerType, name: name) }

    public static func < (a: Self, b: Self) -> Bool { (a.type, a.name) < (b.type, b.name) }
}

/// An ACL binding with the id the controller gave it (`StandardAclWithId`); codes are Kafka's enum codes.
public struct AclEntry: Sendable, Hashable {
    public var resourceType: Int8
    public var resourceName: String
    public var patternType: Int8
    public var principal: String
    public var host: String
    public var operation: Int8
    public var permissionType: Int8

    public init(_ r: AccessControlEntryRecord) {
        resourceType = r.resourceType
        resourceName = r.resourceName
        patternType = r.patternType
        principal = r.principal
        host = r.host
        operation = r.operation
        permissionType = r.permissionType
    }

    public func record(id: UUIDValue) -> AccessControlEntryRecord {
        AccessControlEntryRecord(
            id: id, resourceType: resourceType, resourceName: resourceName, patternType: patternType,
            principal: principal, host: host, operation: operation, permissionType: permissionType)
    }
}

/// A SCRAM credential for one user and mechanism (1 SCRAM-SHA-256, 2 SCRAM-SHA-512).
public struct ScramCredential: Sendable, Equatable {
    public var salt: [UInt8]
    public var storedKey: [UInt8]
    public var serverKey: [UInt8]
    public var iterations: Int32

    public init(salt: [UInt8], storedKey: [UInt8], serverKey: [UInt8], iterations: Int32) {
        self.salt = salt
        self.storedKey = storedKey
        self.serverKey = serverKey
        self.iterations = iterations
    }
}

/// A client quota entity: (entity type, name or nil for the default), sorted by type, as Kafka's
/// `ClientQuotaEntity` compares them.
public struct QuotaEntity: Sendable, Hashable, Comparable {
    public var parts: [Part]

    public struct Part: Sendable, Hashable {
        public var type: String
        public var name: String?
        public init(type: String, name: String?) {
            self.type = type
            self.name = name
        }
    }

    public init(_ parts: [Part]) { self.parts = parts.sorted { $0.type < $1.type } }

    public static func < (a: Self, b: Self) -> Bool {
        a.parts.map { "\($0.type)=\($0.name ?? "<default>")" }.joined(separator: ",")
            < b.parts.map { "\($0.type)=\($0.name ?? "<default>")" }.joined(separator: ",")
    }
}

/// The cluster's metadata as the KRaft log describes it: Kafka's `MetadataImage`, a value built by applying
/// metadata records in log order (or a snapshot's records). Followed by a KRaft broker (`KRaftMetadataPublisher`).
public struct MetadataImage: Sendable, Equatable {
    /// Finalized feature levels (`metadata.version`, `kraft.version`, ...); a level of 0 is never stored.
    public var features: [String: Int16] = [:]
    public var brokers: [Int32: BrokerRegistration] = [:]
    public var controllers: [Int32: ControllerRegistration] = [:]
    public var topics: [UUIDValue: TopicImage] = [:]
    /// Topic ids by name, kept in step with `topics`.
    public var topicIds: [String: UUIDValue] = [:]
    public var configs: [ConfigResourceKey: [String: String]] = [:]
    /// The next producer id the controller will hand out (the high mark of every block given), or 0.
    public var nextProducerId: Int64 = 0
    /// The broker and broker epoch that received the last producer id block.
    public var producerIdBlockOwner: ProducerIdBlockOwner?
    /// SCRAM credentials by user, then mechanism.
    public var scramCredentials: [String: [Int8: ScramCredential]] = [:]
    public var acls: [UUIDValue: AclEntry] = [:]
    public var quotas: [QuotaEntity: [String: Double]] = [:]

    /// Who received the last producer id block (`ProducerIdsRecord.brokerId`/`brokerEpoch`).
    public struct ProducerIdBlockOwner: Sendable, Equatable {
        public var brokerId: Int32
        public var brokerEpoch: Int64
    }

    public init() {}

    public func topic(named name: String) -> TopicImage? { topicIds[name].flatMap { topics[$0] } }

    public func partition(_ topicId: UUIDValue, _ partitionId: Int32) -> PartitionImage? {
        topics[topicId]?.partitions[partitionId]
    }
}
