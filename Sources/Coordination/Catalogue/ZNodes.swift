// Kafka's ZooKeeper layout (ZooKeeper mode, Kafka 2.8 – 3.6): one type per znode with its path and, where the
// znode holds data, an encoder producing Kafka's bytes and a decoder accepting every version Kafka wrote.
// Key order follows what Kafka 3.x writes (as seen with zkCli); decoders accept any order.

/// A topic partition as named inside notification znodes.
public struct ZkTopicPartition: Sendable, Hashable, Comparable {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.topic, a.partition) < (b.topic, b.partition)
    }
}

/// Top-level paths.
public enum ZkPaths {
    /// Persistent paths every broker creates at startup when missing (`ZkData.PersistentZkPaths`), parents first.
    public static let persistentPaths: [String] =
        [
            "/consumers",
            BrokerIdsZNode.path,
            TopicsZNode.path,
            ConfigEntityChangeNotificationZNode.path,
            DeleteTopicsZNode.path,
            BrokerSequenceIdZNode.path,
            IsrChangeNotificationZNode.path,
            ProducerIdBlockZNode.path,
            LogDirEventNotificationZNode.path,
        ] + ConfigType.allCases.map { ConfigEntityTypeZNode.path($0) }

    /// The parent of a path (`/a/b` → `/a`, `/a` → `/`), or nil for `/`.
    public static func parent(of path: String) -> String? {
        guard path != "/", let slash = path.lastIndex(of: "/") else { return nil }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

// MARK: - Cluster id

/// `/cluster/id`: `{"version":"1","id":"<22-char base64url>"}` (the version is a string here).
public enum ClusterIdZNode {
    public static let path = "/cluster/id"

    public static func encode(clusterId: String) -> [UInt8] {
        ZkJSON.obj(["version": .string("1"), "id": .string(clusterId)]).bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(ZNodeDecodingError) -> String {
        try ZkJSON.parse(bytes).string("id")
    }

    /// A fresh cluster id: 16 random bytes as unpadded base64url (22 characters), like `Uuid.randomUuid()`:
    /// never all zeros, never the metadata topic id (0, 1), never starting with `-`.
    public static func generate<G: RandomNumberGenerator>(using rng: inout G) -> String {
        while true {
            var bytes = [UInt8](repeating: 0, count: 16)
            for i in 0..<16 { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
            let zero = bytes.allSatisfy { $0 == 0 }
            let metadataId = bytes[0..<15].allSatisfy { $0 == 0 } && bytes[15] == 1
            let text = Base64URL.encode(bytes)
            if !zero, !metadataId, !text.hasPrefix("-") { return text }
        }
    }

    public static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        return generate(using: &rng)
    }
}

/// Unpadded URL-safe base64, the text form of Kafka UUIDs.
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let n = b0 << 16 | b1 << 8 | b2
            let chars = min(4, (bytes.count - i) + 1)
            let sextets = [n >> 18, n >> 12 & 63, n >> 6 & 63, n & 63]
            for k in 0..<chars { out.append(alphabet[Int(sextets[k])]) }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}

// MARK: - Controller

/// The content of `/controller`.
public struct ControllerRegistration: Sendable, Equatable {
    public var brokerId: Int32
    /// Milliseconds since the epoch when the controller was elected.
    public var timestamp: Int64
    /// -1 in pure ZooKeeper mode (v2 field, for KRaft migration).
    public var kraftControllerEpoch: Int32

    public init(brokerId: Int32, timestamp: Int64, kraftControllerEpoch: Int32 = -1) {
        self.brokerId = brokerId
        self.timestamp = timestamp
        self.kraftControllerEpoch = kraftControllerEpoch
    }
}

/// `/controller` (ephemeral): `{"version":2,"brokerid":1,"timestamp":"…","kraftControllerEpoch":-1}` as Kafka 3.4+
/// writes it; v1 (no kraftControllerEpoch) is accepted.
public enum ControllerZNode {
    public static let path = "/controller"

    public static func encode(_ c: ControllerRegistration) -> [UInt8] {
        ZkJSON.obj([
            "version": .int(2), "brokerid": .int(c.brokerId), "timestamp": .string(String(c.timestamp)),
            "kraftControllerEpoch": .int(c.kraftControllerEpoch),
        ]).bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(ZNodeDecodingError) -> ControllerRegistration {
        let json = try ZkJSON.parse(bytes)
        let version = try json.version()
        guard version == 1 || version == 2 else { throw .unsupportedVersion(version) }
        let kraftEpoch: Int32 = json["kraftControllerEpoch"] == nil ? -1 : try json.int32("kraftControllerEpoch")
        return ControllerRegistration(
            brokerId: try json.int32("brokerid"), timestamp: try json.int64OrString("timestamp"),
            kraftControllerEpoch: kraftEpoch)
    }
}

/// `/controller_epoch`: the epoch as decimal ASCII text, e.g. `5`.
public enum ControllerEpochZNode {
    public static let path = "/controller_epoch"
    /// The epoch stored when the znode is first created; the first controller therefore gets epoch 1.
    public static let initialEpoch: Int32 = 0

    public static func encode(_ epoch: Int32) -> [UInt8] { Array(String(epoch).utf8) }

    public static func decode(_ bytes: [UInt8]) throws(ZNodeDecodingError) -> Int32 {
        let text = String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
        guard let v = Int32(text) else { throw .malformed("controller epoch is not a decimal integer") }
        return v
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}

// MARK: - Brokers

/// `/brokers/ids` (persistent, no data); children are broker ids.
public enum BrokerIdsZNode {
    public static let path = "/brokers/ids"
}

/// `/brokers/seqid`: only its zkVersion is used, to generate broker ids.
public enum BrokerSequenceIdZNode {
    public static let path = "/brokers/seqid"
}

/// One listener a broker advertises.
public struct BrokerEndpoint: Sendable, Hashable {
    public var listenerName: String
    /// nil renders as `LISTENER://:port` (bind to all interfaces).
    public var host: String?
    public var port: Int32
    /// `PLAINTEXT`, `SSL`, `SASL_PLAINTEXT` or `SASL_SSL`.
    public var securityProtocol: String

    public init(listenerName: String, host: String?, port: Int32, securityProtocol: String) {
        self.listenerName = listenerName
        self.host = host
        self.port = port
        self.securityProtocol = securityProtocol
    }

    /// `LISTENER://host:port`, with IPv6 hosts in brackets.
    public var connectionString: String {
        let h = host ?? ""
        let hostPart = h.contains(":") ? "[\(h)]" : h
        return "\(listenerName)://\(hostPart):\(port)"
    }

    /// Parses `LISTENER://host:port` (`[v6]:port` and an empty host are accepted).
    static func parse(_ text: String, protocols: [String: String]) -> BrokerEndpoint? {
        let chars = Array(text.utf8)
        guard
            let sep = (0..<max(0, chars.count - 2)).first(where: {
                chars[$0] == UInt8(ascii: ":") && chars[$0 + 1] == UInt8(ascii: "/")
                    && chars[$0 + 2] == UInt8(ascii: "/")
            })
        else { return nil }
        let name = String(decoding: chars[..<sep], as: UTF8.self)
        let rest = Substring(String(decoding: chars[(sep + 3)...], as: UTF8.self))
        guard !name.isEmpty, let colon = rest.lastIndex(of: ":"), let port = Int32(rest[rest.index(after: colon)...])
        else { return nil }
        var host = String(rest[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]"), host.count >= 2 { host = String(host.dropFirst().dropLast()) }
        // Without a listener map (v1-v3 data) the listener name is the security protocol's name.
        let proto = protocols[name] ?? name
        return BrokerEndpoint(listenerName: name, host: host.isEmpty ? nil : host, port: port, securityProtocol: proto)
    }
}

/// A feature version range a broker supports.
public struct SupportedFeatureRange: Sendable, Hashable {
    public var minVersion: Int16
    public var maxVersion: Int16
    public init(minVersion: Int16, maxVersion: Int16) {
        self.minVersion = minVersion
        self.maxVersion = maxVersion
    }
}

/// The content of `/brokers/ids/<id>`.
public struct BrokerRegistration: Sendable, Equatable {
    public var brokerId: Int32
    public var endpoints: [BrokerEndpoint]
    public var rack: String?
    public var jmxPort: Int32
    /// Registration time in ms since the epoch.
    public var timestamp: Int64
    public var features: [String: SupportedFeatureRange]
    /// The JSON version read (decoding) or written (always 5 when encoding).
    public var version: Int64

    public init(
        brokerId: Int32, endpoints: [BrokerEndpoint], rack: String? = nil, jmxPort: Int32 = -1, timestamp: Int64,
        features: [String: SupportedFeatureRange] = [:], version: Int64 = 5
    ) {
        self.brokerId = brokerId
        self.endpoints = endpoints
        self.rack = rack
        self.jmxPort = jmxPort
        self.timestamp = timestamp
        self.features = features
        self.version = version
    }
}

/// `/brokers/ids/<id>` (ephemeral), JSON v5:
/// `{"listener_security_protocol_map":{…},"endpoints":[…],"rack":"r","jmx_port":-1,"features":{},"host":"h",
/// "timestamp":"…","port":9092,"version":5}` (rack only when set). Decodes v1 to v5.
public enum BrokerIdZNode {
    public static func path(_ brokerId: Int32) -> String { "\(BrokerIdsZNode.path)/\(brokerId)" }

    public static func encode(_ b: BrokerRegistration) -> [UInt8] {
        var protocolMap: [ZkJSON.Member] = []
        for e in b.endpoints where !protocolMap.contains(where: { $0.key == e.listenerName }) {
            protocolMap.append(.init(e.listenerName, .string(e.securityProtocol)))
        }
        // Old clients read host/port: the first PLAINTEXT endpoint, else null and -1.
        let plaintext = b.endpoints.first { $0.securityProtocol == "PLAINTEXT" }
        var m: [ZkJSON.Member] = [
            .init("listener_security_protocol_map", .object(protocolMap)),
            .init("endpoints", .array(b.endpoints.map { .string($0.connectionString) })),
        ]
        if let rack = b.rack { m.append(.init("rack", .string(rack))) }
        m.append(.init("jmx_port", .int(b.jmxPort)))
        m.append(
            .init(
                "features",
                .object(
                    b.features.sorted { $0.key < $1.key }.map {
                        .init(
                            $0.key,
                            .obj(["min_version": .int($0.value.minVersion), "max_version": .int($0.value.maxVersion)]))
                    })))
        m.append(.init("host", plaintext?.host.map { .string($0) } ?? .null))
        m.append(.init("timestamp", .string(String(b.timestamp))))
        m.append(.init("port", .int(plaintext?.port ?? -1)))
        m.append(.init("version", .int(5)))
        return ZkJSON.object(m).bytes
    }

    public static func decode(brokerId: Int32, _ bytes: [UInt8]) throws(ZNodeDecodingError) -> BrokerRegistration {
        let json = try ZkJSON.parse(bytes)
        let version = try json.version()
        guard (1...5).contains(version) else { throw .unsupportedVersion(version) }
        var jmx: Int32 = -1
        if let j = json["jmx_port"], j != .null { jmx = try json.int32("jmx_port") }
        let timestamp: Int64 = json["timestamp"] == nil ? -1 : try json.int64OrString("timestamp")
        var endpoints: [BrokerEndpoint] = []
        if version == 1 {
            endpoints = [
                BrokerEndpoint(
                    listenerName: "PLAINTEXT", host: try json.string("host"), port: try json.int32("port"),
                    securityProtocol: "PLAINTEXT")
            ]
        } else {
            var protocols: [String: String] = [:]
            if let map = json["listener_security_protocol_map"], map != .null {
                for member in try map.members("listener_security_protocol_map") {
                    guard case .string(let p) = member.value else {
                        throw .invalidField("listener_security_protocol_map")
                    }
                    protocols[member.key] = p
                }
            }
            guard case .array(let items) = try json.field("endpoints") else { throw .invalidField("endpoints") }
            for item in items {
                guard case .string(let s) = item, let e = BrokerEndpoint.parse(s, protocols: protocols) else {
                    throw .invalidField("endpoints")
                }
                endpoints.append(e)
            }
        }
        var rack: String?
        if let r = json["rack"], r != .null {
            guard case .string(let s) = r else { throw .invalidField("rack") }
            rack = s
        }
        var features: [String: SupportedFeatureRange] = [:]
        if let f = json["features"], f != .null {
            for member in try f.members("features") {
                guard let minV = Int16(exactly: try member.value.int64("min_version")),
                    let maxV = Int16(exactly: try member.value.int64("max_version"))
                else { throw .invalidField("features") }
                features[member.key] = SupportedFeatureRange(minVersion: minV, maxVersion: maxV)
            }
        }
        return BrokerRegistration(
            brokerId: brokerId, endpoints: endpoints, rack: rack, jmxPort: jmx, timestamp: timestamp,
            features: features, version: version)
    }
}

// MARK: - Topics

/// `/brokers/topics` (persistent, no data); children are topic names.
public enum TopicsZNode {
    public static let path = "/brokers/topics"
}

/// The content of `/brokers/topics/<t>`: the replica assignment.
public struct TopicAssignment: Sendable, Equatable {
    /// The topic id in Kafka's text form (22-char base64url), nil for topics created before topic ids.
    public var topicId: String?
    /// Partition → ordered replicas (AR); the first replica is the preferred leader.
    public var partitions: [Int32: [Int32]]
    public var addingReplicas: [Int32: [Int32]]
    public var removingReplicas: [Int32: [Int32]]

    public init(
        topicId: String?, partitions: [Int32: [Int32]], addingReplicas: [Int32: [Int32]] = [:],
        removingReplicas: [Int32: [Int32]] = [:]
    ) {
        self.topicId = topicId
        self.partitions = partitions
        self.addingReplicas = addingReplicas
        self.removingReplicas = removingReplicas
    }
}

/// `/brokers/topics/<t>`: `{"removing_replicas":{},"partitions":{"0":[1,2]},"topic_id":"…","adding_replicas":{},
/// "version":3}`. Written as v3 (v2 when there is no topic id); decodes v1 to v3.
public enum TopicZNode {
    public static func path(_ topic: String) -> String { "\(TopicsZNode.path)/\(topic)" }

    static func partitionMap(_ map: [Int32: [Int32]]) -> ZkJSON {
        .object(map.sorted { $0.key < $1.key }.map { .init(String($0.key), .intArray($0.value)) })
    }

    public static func encode(_ a: TopicAssignment) -> [UInt8] {
        let nonEmpty = { (m: [Int32: [Int32]]) in m.filter { !$0.value.isEmpty } }
        var m: [ZkJSON.Member] = [
            .init("removing_replicas", partitionMap(nonEmpty(a.removingReplicas))),
            .init("partitions", partitionMap(a.partitions)),
        ]
        if let id = a.topicId { m.append(.init("topic_id", .string(id))) }
        m.append(.init("adding_replicas", partitionMap(nonEmpty(a.addingReplicas))))
        m.append(.init("version", .int(a.topicId == nil ? 2 : 3)))
        return ZkJSON.object(m).bytes
    }

    static func decodePartitionMap(_ json: ZkJSON?, field: String) throws(ZNodeDecodingError) -> [Int32: [Int32]] {
        guard let json, json != .null else { return [:] }
        var out: [Int32: [Int32]] = [:]
        for member in try json.members(field) {
            guard let p = Int32(member.key), p >= 0 else { throw .invalidField(field) }
            out[p] = try member.value.int32Array(field)
        }
        return out
    }

    public static func decode(_ bytes: [UInt8]) throws(ZNodeDecodingError) -> TopicAssignment {
        let json = try ZkJSON.parse(bytes)
        let version = try json.version()
        guard (1...3).contains(version) else { throw .unsupportedVersion(version) }
        var topicId: String?
        if let id = json["topic_id"], id != .null {
            guard case .string(let s) = id else { throw .invalidField("topic_id") }
            topicId = s
        }
        return TopicAssignment(
            topicId: topicId,
            partitions: try decodePartitionMap(try json.field("partitions"), field: "partitions"),
            addingReplicas: try decodePartitionMap(json["adding_replicas"], field: "adding_replicas"),
            removingReplicas: try decodePartitionMap(json["removing_replicas"], field: "removing_replicas"))
    }
}

/// `/brokers/topics/<t>/partitions` (no data).
public enum TopicPartitionsZNode {
    public static func path(_ topic: String) -> String { "\(TopicZNode.path(topic))/partitions" }
}

/// `/brokers/topics/<t>/partitions/<p>` (no data).
public enum TopicPartitionZNode {
    public static func path(_ topic: String, _ partition: Int32) -> String {
        "\(TopicPartitionsZNode.path(topic))/\(partition)"
    }
}

/// The content of a partition's `state` znode. Its zkVersion (not stored here) is the partition epoch.
public struct LeaderIsrState: Sendable, Equatable {
    /// -1 when there is no leader.
    public var leader: Int32
    public var leaderEpoch: Int32
    public var isr: [Int32]
    /// The epoch of the controller that made the leadership decision.
    public var controllerEpoch: Int32
    /// true after an unclean election until the new leader has recovered (`leader_recovery_state` = 1).
    public var recovering: Bool

    public static let noLeader: Int32 = -1

    public init(leader: Int32, leaderEpoch: Int32, isr: [Int32], controllerEpoch: Int32, recovering: Bool = false) {
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.isr = isr
        self.controllerEpoch = controllerEpoch
        self.recovering = recovering
    }
}

/// `/brokers/topics/<t>/partitions/<p>/state`:
/// `{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1,2,3]}`
/// (+ `"leader_recovery_state":1` only while recovering).
public enum TopicPartitionStateZNode {
    public static func path(_ topic: String, _ partition: Int32) -> String {
        "\(TopicPartitionZNode.path(topic, partition))/state"
    }

    public static func encode(_ s: LeaderIsrState) -> [UInt8] {
        var m: [ZkJSON.Member] = [
            .init("controller_epoch", .int(s.controllerEpoch)), .init("leader", .int(s.leader)),
            .init("version", .int(1)), .init("leader_epoch", .int(s.leaderEpoch)), .init("isr", .intArray(s.isr)),
        ]
        if s.recovering { m.append(.init("leader_recovery_state", .int(1))) }
        return ZkJSON.object(m).bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(ZNodeDecodingError) -> LeaderIsrState {
        let json = try ZkJSON.parse(bytes)
        let version = try json.version()
        guard version == 1 else { throw .unsupportedVersion(version) }
        var recovering = false
        if json["leader_recovery_state"] != nil {
            switch try json.int64("leader_recovery_state") {
            case 0: recovering = false
            case 1: recovering = true
            default: throw .invalidField("leader_recovery_state")
            }
        }
        return LeaderIsrState(
            leader: try json.int32("leader"), leaderEpoch: try json.int32("leader_epoch"),
            isr: try json.field("isr").int32Array("isr"), controllerEpoch: try json.int32("controller_epoch"),
            recovering: recovering)
    }
}

// MARK: - Configs

/// The entity types under `/config`.
public enum ConfigType: String, Sendable, CaseIterable {
    case topics, clients, users, brokers, ips
}

/// `/config/<type>` (no data).
public enum ConfigEntityTypeZNode {
    public static func path(_ type: ConfigType) -> String { "/config/\(type.rawValue)" }
}

/// `/config/<type>/<name>`: `{"version":1,"config":{"k":"v",…}}` (all values strings; keys written sorted).
/// The default broker entity is named `<default>`.
public enum ConfigEntityZNode {
    public static let defaultEntityName = "<default>"

    public static func path(_ type: ConfigType, _ name: String) -> String {
        "\(ConfigEntityTypeZNode.path(type))/\(name)"
    }

    public static func encode(_ config: [String: String]) -> [UInt8] {
        ZkJSON.obj([
            "version": .int(1),
            "config": .object(config.sorted { $0.key < $1.key }.map { .init($0.key, .string($0.value)) }),
        ]).bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(ZNodeDecodingError) -> [String: String] {
        // Kafka treats a null/empty znode as an empty config.
        if bytes.isEmpty { return [:] }
        let json = try ZkJSON.parse(bytes)
        if json == .null { return [:] }
        guard let config = json["config"], config != .null else { return [:] }
        var out: [String: String] = [:]
        for member in try config.members("config") {
            guard case .string(let v) = member.value else { throw .invalidField("config.\(member.key)") }
            out[member.key] = v
        }
        return out
    }
}

/// `/config/changes/config_change_<seq>` (persistent sequential): `{"version":2,"entity_path":"topics/<t>"}`.
/// v1 (`entity_type` + `entity_name`) is also decoded.
public enum ConfigEntityChangeNotificationZNode {
    public static let path = "/config/changes"
    public static let sequencePrefix = "config_change_"
    /// Pass this to a sequential create; ZooKeeper appends a 10-digit counter.
    public static var sequentialPath: String { "\(path)/\(sequencePrefix)" }

    public static func entityPath(_ type: ConfigType, _ name: String) -> String { "\(type.rawValue)/\(name)" }

    public static func encode(entityPath: String) -> [UInt8] {
        ZkJSON.obj(["version": .int(2), "entity_path": .string(entityPath)]).bytes
    }

    /// The entity path (`topics/orders`) the notification names.
    public static func decode(_ bytes: [UInt8]) throws(ZNodeDecodingError) -> String {
        let json = try ZkJSON.parse(bytes)
        switch try json.version() {
        case 1: return "\(try json.string("entity_type"))/\(try json.string("entity_name"))"
        case 2: return try json.string("entity_path")
        case let v: throw .unsupportedVersion(v)
        }
    }

    /// The sequence number of a child name like `config_change_0000000042`.
    public static func sequenceNumber(ofChild name: String) -> Int64? {
        guard name.hasPrefix(sequencePrefix) else { return nil }
        return Int64(name.dropFirst(sequencePrefix.count))
    }
}

// MARK: - Admin

/// `/admin/delete_topics` (no data); a child per topic queued for deletion.
public enum DeleteTopicsZNode {
    public static let path = "/admin/delete_topics"
}

/// `/admin/delete_topics/<t>`: a marker with no data.
public enum DeleteTopicsTopicZNode {
    public static func path(_ topic: String) -> String { "\(DeleteTopicsZNode.path)/\(topic)" }
}

/// Shared JSON shape `{"version":1,"partitions":[{"topic":"t","partition":0},…]}`.
enum PartitionListJSON {
    static func encode(_ partitions: [ZkTopicPartition]) -> [UInt8] {
        ZkJSON.obj([
            "version": .int(1),
            "partitions": .array(
                partitions.map { .obj(["topic": .string($0.topic), "partition": .int($0.partition)]) }),
        ]).bytes
    }

    static func decode(_ bytes: [UInt8]) throws(ZNodeDecodingError) -> [ZkTopicPartition] {
        let json = try ZkJSON.parse(bytes)
        let version = try json.version()
        guard version == 1 else { throw .unsupportedVersion(version) }
        guard case .array(let items) = try json.field("partitions") else { throw .invalidField("partitions") }
        var out: [ZkTopicPartition] = []
        out.reserveCapacity(items.count)
        for item in items {
            out.append(ZkTopicPartition(topic: try item.string("topic"), partition: try item.int32("partition")))
        }
        return out
    }
}

/// `/admin/preferred_replica_election`: `{"version":1,"partitions":[{"topic":"t","partition":0}]}`.
public enum PreferredReplicaElectionZNode {
    public static let path = "/admin/preferred_replica_election"
    public static func encode(_ partitions: [ZkTopicPartition]) -> [UInt8] { PartitionListJSON.encode(partitions) }
    public static func decode(_ bytes: [UInt8]) throws(ZNodeDecodingError) -> [ZkTopicPartition] {
        try PartitionListJSON.decode(bytes)
    }
}

/// `/isr_change_notification/isr_change_<seq>` (persistent sequential):
/// `{"version":1,"partitions":[{"topic":"t","partition":0}]}`.
public enum IsrChangeNotificationZNode {
    public static let path = "/isr_change_notification"
    public static let sequencePrefix = "isr_change_"
    public static var sequentialPath: String { "\(path)/\(sequencePrefix)" }
    public static func encode(_ partitions: [ZkTopicPartition]) -> [UInt8] { PartitionListJSON.encode(partitions) }
    public static func decode(_ bytes: [UInt8]) throws(ZNodeDecodingError) -> [ZkTopicPartition] {
        try PartitionListJSON.decode(bytes)
    }
}

/// `/log_dir_event_notification` (no data); children `log_dir_event_<seq>`.
public enum LogDirEventNotificationZNode {
    public static let path = "/log_dir_event_notification"
    public static let sequencePrefix = "log_dir_event_"
}

// MARK: - Producer ids

/// A block of producer ids claimed by one broker.
public struct ProducerIdBlock: Sendable, Equatable {
    public var brokerId: Int32
    public var firstProducerId: Int64
    public var lastProducerId: Int64

    /// `ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE`.
    public static let defaultSize: Int64 = 1000

    public init(brokerId: Int32, firstProducerId: Int64, lastProducerId: Int64) {
        self.brokerId = brokerId
        self.firstProducerId = firstProducerId
        self.lastProducerId = lastProducerId
    }

    public var size: Int64 { lastProducerId - firstProducerId + 1 }
}

/// `/latest_producer_id_block`: `{"version":1,"broker":1,"block_start":"0","block_end":"999"}`
/// (start and end are strings).
public enum ProducerIdBlockZNode {
    public static let path = "/latest_producer_id_block"

    public static func encode(_ b: ProducerIdBlock) -> [UInt8] {
        ZkJSON.obj([
            "version": .int(1), "broker": .int(b.brokerId), "block_start": .string(String(b.firstProducerId)),
            "block_end": .string(String(b.lastProducerId)),
        ]).bytes
    }

    /// nil for an empty znode (created at startup, never written).
    public static func decode(_ bytes: [UInt8]) throws(ZNodeDecodingError) -> ProducerIdBlock? {
        if bytes.isEmpty { return nil }
        let json = try ZkJSON.parse(bytes)
        let version = try json.version()
        guard version == 1 else { throw .unsupportedVersion(version) }
        return ProducerIdBlock(
            brokerId: try json.int32("broker"), firstProducerId: try json.int64OrString("block_start"),
            lastProducerId: try json.int64OrString("block_end"))
    }
}
