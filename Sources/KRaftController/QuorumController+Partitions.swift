import KafkaProtocol
import MetadataImage

/// One partition of an AlterPartition request (KIP-497, KIP-903), sent by its leader.
public struct AlterPartitionInput: Sendable, Equatable {
    public var topicId: UUIDValue
    public var partitionId: Int32
    /// The leader epoch the leader believes current.
    public var leaderEpoch: Int32
    public var newIsr: [Int32]
    /// 0 recovered, 1 recovering.
    public var leaderRecoveryState: Int8
    /// The partition epoch the leader believes current.
    public var partitionEpoch: Int32

    public init(
        topicId: UUIDValue, partitionId: Int32, leaderEpoch: Int32, newIsr: [Int32], leaderRecoveryState: Int8 = 0,
        partitionEpoch: Int32
    ) {
        self.topicId = topicId
        self.partitionId = partitionId
        self.leaderEpoch = leaderEpoch
        self.newIsr = newIsr
        self.leaderRecoveryState = leaderRecoveryState
        self.partitionEpoch = partitionEpoch
    }
}

/// The answer for one partition: the partition's state after the change, or an error.
public struct AlterPartitionReply: Sendable, Equatable {
    public var topicId: UUIDValue
    public var partitionId: Int32
    public var errorCode: ErrorCode
    public var leaderId: Int32
    public var leaderEpoch: Int32
    public var isr: [Int32]
    public var leaderRecoveryState: Int8
    public var partitionEpoch: Int32
}

public struct AlterPartitionResult: Sendable, Equatable {
    /// Top-level error: STALE_BROKER_EPOCH when the sender's registration is not the one it names.
    public var errorCode: ErrorCode
    public var partitions: [AlterPartitionReply]
}

/// One IncrementalAlterConfigs operation (`AlterConfigOp.OpType`).
public struct ConfigOperation: Sendable, Equatable {
    public enum Kind: Int8, Sendable {
        case set = 0
        case delete = 1
        case append = 2
        case subtract = 3
    }

    public var name: String
    public var kind: Kind
    public var value: String?

    public init(name: String, kind: Kind, value: String?) {
        self.name = name
        self.kind = kind
        self.value = value
    }
}

extension QuorumController {
    /// AlterPartition (`ReplicationControlManager.alterPartition`): the leader proposes a new ISR. Checks, in
    /// Kafka's order: the sender's broker epoch (top level, STALE_BROKER_EPOCH); the topic (UNKNOWN_TOPIC_ID) and
    /// partition (UNKNOWN_TOPIC_OR_PARTITION); the sender is the leader (INVALID_REQUEST); its leader epoch
    /// (FENCED_LEADER_EPOCH) and partition epoch (INVALID_UPDATE_VERSION); the ISR is a subset of the replicas
    /// holding the leader (INVALID_REQUEST); every member is an active broker (INELIGIBLE_REPLICA, or
    /// OPERATION_NOT_ATTEMPTED before AlterPartition v1). An accepted change is one PartitionChangeRecord, which bumps
    /// the partition epoch.
    public mutating func alterPartition(
        brokerId: Int32, brokerEpoch: Int64, partitions: [AlterPartitionInput], requestVersion: Int16 = 3
    ) -> ControllerResult<AlterPartitionResult> {
        guard registration(brokerId, epoch: brokerEpoch) != nil else {
            return ControllerResult(
                records: [], response: AlterPartitionResult(errorCode: .staleBrokerEpoch, partitions: []))
        }
        var records: [MetadataRecord] = []
        var replies: [AlterPartitionReply] = []
        for request in partitions {
            func fail(_ code: ErrorCode) {
                replies.append(
                    AlterPartitionReply(
                        topicId: request.topicId, partitionId: request.partitionId, errorCode: code, leaderId: -1,
                        leaderEpoch: -1, isr: [], leaderRecoveryState: 0, partitionEpoch: -1))
            }
            guard let topic = image.topics[request.topicId] else {
                fail(.unknownTopicId)
                continue
            }
            guard let p = topic.partitions[request.partitionId] else {
                fail(.unknownTopicOrPartition)
                continue
            }
            guard p.leader == brokerId else {
                fail(.invalidRequest)
                continue
            }
            guard request.leaderEpoch == p.leaderEpoch else {
                fail(.fencedLeaderEpoch)
                continue
            }
            guard request.partitionEpoch == p.partitionEpoch else {
                fail(.invalidUpdateVersion)
                continue
            }
            let isr = request.newIsr
            guard Set(isr).count == isr.count, isr.allSatisfy({ p.replicas.contains($0) }), isr.contains(brokerId)
            else {
                fail(.invalidRequest)
                continue
            }
            // A leader that is recovering from an unclean election may not grow the ISR until it has recovered.
            guard request.leaderRecoveryState == 0 || isr.count == 1,
                !(p.leaderRecoveryState == 0 && request.leaderRecoveryState == 1)
            else {
                fail(.invalidRequest)
                continue
            }
            guard isr.allSatisfy({ isActive($0) || ($0 == brokerId && image.brokers[$0]?.fenced == false) }) else {
                fail(requestVersion >= 1 ? .ineligibleReplica : .operationNotAttempted)
                continue
            }
            var change = PartitionChangeRecord(partitionId: request.partitionId, topicId: request.topicId)
            var changed = false
            if isr != p.isr {
                change.isr = isr
                changed = true
            }
            if request.leaderRecoveryState != p.leaderRecoveryState {
                change.leaderRecoveryState = request.leaderRecoveryState
                changed = true
            }
            if changed { emit(.partitionChange(change), into: &records) }
            let after = image.topics[request.topicId]!.partitions[request.partitionId]!
            replies.append(
                AlterPartitionReply(
                    topicId: request.topicId, partitionId: request.partitionId, errorCode: .noError,
                    leaderId: after.leader, leaderEpoch: after.leaderEpoch, isr: after.isr,
                    leaderRecoveryState: after.leaderRecoveryState, partitionEpoch: after.partitionEpoch))
        }
        return ControllerResult(
            records: records, response: AlterPartitionResult(errorCode: .noError, partitions: replies))
    }

    /// IncrementalAlterConfigs for topic and broker resources (`ConfigurationControlManager`): one ConfigRecord
    /// per changed key (a null value deletes). APPEND and SUBTRACT treat the value as Kafka's comma-separated list.
    public mutating func incrementalAlterConfigs(
        resource: ConfigResourceKey, operations: [ConfigOperation], validateOnly: Bool = false
    ) -> ControllerResult<TopicErrorReply> {
        func refuse(_ code: ErrorCode, _ message: String) -> ControllerResult<TopicErrorReply> {
            ControllerResult(
                records: [], response: TopicErrorReply(name: resource.name, errorCode: code, errorMessage: message))
        }
        switch resource.type {
        case ConfigResourceKey.topicType:
            guard image.topicIds[resource.name] != nil else {
                return refuse(.unknownTopicOrPartition, "Unknown topic: \(resource.name)")
            }
        case ConfigResourceKey.brokerType:
            guard resource.name.isEmpty || Int32(resource.name) != nil else {
                return refuse(.invalidRequest, "Illegal broker id \(resource.name)")
            }
        default:
            return refuse(.invalidRequest, "Unsupported resource type \(resource.type)")
        }
        var values = image.configs[resource] ?? [:]
        var changes: [(String, String?)] = []
        for op in operations {
            let current = values[op.name]
            let next: String?
            switch op.kind {
            case .set: next = op.value
            case .delete: next = nil
            case .append:
                let list = (current ?? "").split(separator: ",").map(String.init)
                let added = (op.value ?? "").split(separator: ",").map(String.init).filter { !list.contains($0) }
                next = (list + added).joined(separator: ",")
            case .subtract:
                let removed = Set((op.value ?? "").split(separator: ",").map(String.init))
                next = (current ?? "").split(separator: ",").map(String.init).filter { !removed.contains($0) }
                    .joined(separator: ",")
            }
            if next != current || op.kind == .set {
                values[op.name] = next
                changes.append((op.name, next))
            }
        }
        var records: [MetadataRecord] = []
        if !validateOnly {
            for (name, value) in changes {
                emit(
                    .config(
                        ConfigRecord(resourceType: resource.type, resourceName: resource.name, name: name, value: value)
                    ),
                    into: &records)
            }
        }
        return ControllerResult(
            records: records, response: TopicErrorReply(name: resource.name, errorCode: .noError, errorMessage: nil))
    }
}
