import Coordination
import KafkaProtocol
import MetadataImage

/// One topic of a CreateTopics request.
public struct CreateTopicInput: Sendable, Equatable {
    public var name: String
    /// -1 for `num.partitions`.
    public var numPartitions: Int32
    /// -1 for `default.replication.factor`.
    public var replicationFactor: Int16
    /// Manual assignment by partition id; then both counts must be -1.
    public var assignments: [Int32: [Int32]]
    /// Topic configs; a nil value is skipped.
    public var configs: [String: String?]

    public init(
        name: String, numPartitions: Int32 = -1, replicationFactor: Int16 = -1, assignments: [Int32: [Int32]] = [:],
        configs: [String: String?] = [:]
    ) {
        self.name = name
        self.numPartitions = numPartitions
        self.replicationFactor = replicationFactor
        self.assignments = assignments
        self.configs = configs
    }
}

public struct CreateTopicReply: Sendable, Equatable {
    public var name: String
    public var topicId: UUIDValue
    public var errorCode: ErrorCode
    public var errorMessage: String?
    public var numPartitions: Int32
    public var replicationFactor: Int16
}

/// A topic-level result (DeleteTopics, CreatePartitions).
public struct TopicErrorReply: Sendable, Equatable {
    public var name: String
    public var errorCode: ErrorCode
    public var errorMessage: String?
}

extension QuorumController {
    /// CreateTopics (`ReplicationControlManager.createTopic`): a TopicRecord, its ConfigRecords, then one
    /// PartitionRecord per partition with the active replicas as ISR and the first of them as leader. Placement
    /// is Kafka's rack-unaware `assignReplicasToBrokers` over the active brokers, the same as the ZooKeeper
    /// controller's.
    public mutating func createTopics<R: RandomNumberGenerator>(
        _ topics: [CreateTopicInput], validateOnly: Bool = false, using rng: inout R
    ) -> ControllerResult<[CreateTopicReply]> {
        var records: [MetadataRecord] = []
        var replies: [CreateTopicReply] = []
        for t in topics {
            var reply = CreateTopicReply(
                name: t.name, topicId: .zero, errorCode: .noError, errorMessage: nil, numPartitions: -1,
                replicationFactor: -1)
            switch plan(t, using: &rng) {
            case .failure(let e):
                reply.errorCode = e.code
                reply.errorMessage = e.message
            case .success(let assignment):
                let id = Self.randomTopicId(using: &rng)
                reply.topicId = id
                reply.numPartitions = Int32(assignment.count)
                reply.replicationFactor = Int16(assignment[0]?.count ?? 0)
                if !validateOnly {
                    emit(.topic(MetadataTopicRecord(name: t.name, topicId: id)), into: &records)
                    for (name, value) in t.configs.sorted(by: { $0.key < $1.key }) {
                        guard let value else { continue }
                        emit(
                            .config(
                                ConfigRecord(
                                    resourceType: ConfigResourceKey.topicType, resourceName: t.name, name: name,
                                    value: value)), into: &records)
                    }
                    for (pid, replicas) in assignment.sorted(by: { $0.key < $1.key }) {
                        emit(.partition(newPartition(id, pid, replicas)), into: &records)
                    }
                }
            }
            replies.append(reply)
        }
        return ControllerResult(records: records, response: replies)
    }

    struct Refusal: Error {
        var code: ErrorCode
        var message: String
    }

    func newPartition(_ topicId: UUIDValue, _ pid: Int32, _ replicas: [Int32]) -> PartitionRecord {
        let isr = replicas.filter { isActive($0) }
        return PartitionRecord(
            partitionId: pid, topicId: topicId, replicas: replicas, isr: isr, leader: isr.first ?? -1, leaderEpoch: 0,
            partitionEpoch: 0)
    }

    var activeBrokers: [Int32] { image.brokers.keys.filter { isActive($0) }.sorted() }

    func plan<R: RandomNumberGenerator>(_ t: CreateTopicInput, using rng: inout R) -> Result<[Int32: [Int32]], Refusal>
    {
        if let problem = Self.invalidTopicName(t.name) {
            return .failure(Refusal(code: .invalidTopicException, message: problem))
        }
        if image.topicIds[t.name] != nil {
            return .failure(Refusal(code: .topicAlreadyExists, message: "Topic '\(t.name)' already exists."))
        }
        if !t.assignments.isEmpty {
            guard t.numPartitions == -1, t.replicationFactor == -1 else {
                return .failure(
                    Refusal(
                        code: .invalidRequest,
                        message: "A manual partition assignment was specified, but numPartitions or "
                            + "replicationFactor was not set to -1."))
            }
            if let refusal = validateManual(t.assignments, firstNewPartition: 0) { return .failure(refusal) }
            return .success(t.assignments)
        }
        let partitions = t.numPartitions == -1 ? config.defaultNumPartitions : t.numPartitions
        let factor = t.replicationFactor == -1 ? config.defaultReplicationFactor : t.replicationFactor
        guard partitions > 0 else {
            return .failure(
                Refusal(
                    code: .invalidPartitions, message: "Number of partitions was set to an invalid non-positive value.")
            )
        }
        guard factor > 0 else {
            return .failure(
                Refusal(
                    code: .invalidReplicationFactor,
                    message: "Replication factor must be larger than 0, or -1 to use the default value."))
        }
        let brokers = activeBrokers
        guard Int(factor) <= brokers.count else {
            return .failure(
                Refusal(
                    code: .invalidReplicationFactor,
                    message: "Unable to replicate the partition \(factor) time(s): The target replication factor of "
                        + "\(factor) cannot be reached because only \(brokers.count) broker(s) are registered."))
        }
        do {
            return .success(
                try ReplicaAssignment.assign(
                    brokers: brokers, partitionCount: partitions, replicationFactor: Int32(factor), using: &rng))
        } catch {
            return .failure(Self.refusal(error))
        }
    }

    static func refusal(_ e: ReplicaAssignmentError) -> Refusal {
        switch e {
        case .invalidPartitions(let m): Refusal(code: .invalidPartitions, message: m)
        case .invalidReplicationFactor(let m): Refusal(code: .invalidReplicationFactor, message: m)
        case .invalidReplicaAssignment(let m): Refusal(code: .invalidReplicaAssignment, message: m)
        }
    }

    /// Kafka's checks on a manual assignment: consecutive partition ids, no empty or duplicate replica lists,
    /// registered brokers, and at least one active replica per partition.
    func validateManual(_ assignments: [Int32: [Int32]], firstNewPartition: Int32) -> Refusal? {
        let ids = assignments.keys.sorted()
        for (i, id) in ids.enumerated() where id != firstNewPartition + Int32(i) {
            return Refusal(
                code: .invalidReplicaAssignment,
                message: "Partitions should be numbered consecutively, starting at \(firstNewPartition).")
        }
        for id in ids {
            let replicas = assignments[id]!
            if replicas.isEmpty {
                return Refusal(
                    code: .invalidReplicaAssignment,
                    message: "The manual partition assignment includes an empty replica list.")
            }
            if Set(replicas).count != replicas.count {
                return Refusal(
                    code: .invalidReplicaAssignment,
                    message:
                        "The manual partition assignment includes the broker \(replicas.first { r in replicas.filter { $0 == r }.count > 1 }!) more than once."
                )
            }
            if let unknown = replicas.first(where: { image.brokers[$0] == nil }) {
                return Refusal(
                    code: .invalidReplicaAssignment,
                    message:
                        "The manual partition assignment includes broker \(unknown), but no such broker is registered.")
            }
            if !replicas.contains(where: { isActive($0) }) {
                return Refusal(
                    code: .invalidReplicaAssignment,
                    message: "All brokers specified in the manual partition assignment for partition \(id) are fenced "
                        + "or in controlled shutdown.")
            }
        }
        return nil
    }

    /// Kafka's `Topic.validate`.
    static func invalidTopicName(_ name: String) -> String? {
        if name.isEmpty { return "Topic name is illegal, it can't be empty" }
        if name == "." || name == ".." { return "Topic name cannot be \".\" or \"..\"" }
        if name.utf8.count > 249 {
            return "Topic name is illegal, it can't be longer than 249 characters, topic name: \(name)"
        }
        let legal = name.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "." || $0 == "_"
                || $0 == "-"
        }
        return legal
            ? nil
            : "Topic name \"\(name)\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
    }

    /// A random (version 4) topic id that is neither zero nor Kafka's reserved METADATA_TOPIC_ID (1).
    static func randomTopicId<R: RandomNumberGenerator>(using rng: inout R) -> UUIDValue {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
        bytes[6] = (bytes[6] & 0x0f) | 0x40
        bytes[8] = (bytes[8] & 0x3f) | 0x80
        return UUIDValue(bytes: bytes)
    }

    /// DeleteTopics by name: one RemoveTopicRecord per topic; the partitions and topic configs go with it.
    public mutating func deleteTopics(_ names: [String]) -> ControllerResult<[TopicErrorReply]> {
        var records: [MetadataRecord] = []
        var replies: [TopicErrorReply] = []
        for name in names {
            guard let id = image.topicIds[name] else {
                replies.append(
                    TopicErrorReply(
                        name: name, errorCode: .unknownTopicOrPartition,
                        errorMessage: "This server does not host this topic-partition."))
                continue
            }
            emit(.removeTopic(RemoveTopicRecord(topicId: id)), into: &records)
            replies.append(TopicErrorReply(name: name, errorCode: .noError, errorMessage: nil))
        }
        return ControllerResult(records: records, response: replies)
    }

    /// CreatePartitions: new PartitionRecords for partitions `current..<count`, placed as the ZooKeeper
    /// controller places added partitions, or as assigned.
    public mutating func createPartitions(
        topic name: String, count: Int32, assignments: [[Int32]]? = nil, validateOnly: Bool = false
    ) -> ControllerResult<TopicErrorReply> {
        func refuse(_ code: ErrorCode, _ message: String) -> ControllerResult<TopicErrorReply> {
            ControllerResult(records: [], response: TopicErrorReply(name: name, errorCode: code, errorMessage: message))
        }
        guard let id = image.topicIds[name], let topic = image.topics[id] else {
            return refuse(.unknownTopicOrPartition, "This server does not host this topic-partition.")
        }
        let current = Int32(topic.partitions.count)
        if count < current {
            return refuse(
                .invalidPartitions,
                "The topic \(name) currently has \(current) partition(s); \(count) would not be an increase.")
        }
        if count == current { return refuse(.invalidPartitions, "Topic already has \(current) partition(s).") }
        var placement: [Int32: [Int32]]
        if let assignments {
            guard assignments.count == Int(count - current) else {
                return refuse(
                    .invalidReplicaAssignment,
                    "Attempted to add \(count - current) additional partition(s), but only \(assignments.count) "
                        + "assignment(s) were specified.")
            }
            placement = [:]
            for (i, replicas) in assignments.enumerated() { placement[current + Int32(i)] = replicas }
            if let refusal = validateManual(placement, firstNewPartition: current) {
                return refuse(refusal.code, refusal.message)
            }
        } else {
            do {
                placement = try ReplicaAssignment.assignAdditionalPartitions(
                    existing: topic.partitions.mapValues(\.replicas), brokers: activeBrokers, newPartitionCount: count)
            } catch {
                let r = Self.refusal(error)
                return refuse(r.code, r.message)
            }
        }
        var records: [MetadataRecord] = []
        if !validateOnly {
            for (pid, replicas) in placement.sorted(by: { $0.key < $1.key }) {
                emit(.partition(newPartition(id, pid, replicas)), into: &records)
            }
        }
        return ControllerResult(
            records: records, response: TopicErrorReply(name: name, errorCode: .noError, errorMessage: nil))
    }
}
