import Authorization
import KafkaProtocol

/// What each API checks, as Kafka 3.9's `KafkaApis` (and `AuthHelper`) does, in one table.
///
/// `.cluster` rows are whole-request checks the router enforces before the handler runs (Kafka's
/// `authorizeClusterOperation`): a refusal is the request's own error response. `.perResource` rows are checked by
/// the handler, per topic or group, because Kafka answers those per resource (TOPIC_AUTHORIZATION_FAILED on one
/// partition, the rest served). Rows exist for APIs not served yet (transactions, SCRAM, quotas, reassignments)
/// so they are enforced the day their handler lands.
enum AccessRule: Sendable, Equatable {
    /// No check (ApiVersions, SASL).
    case none
    /// The whole request needs this operation on the cluster; without it, CLUSTER_AUTHORIZATION_FAILED.
    case cluster(AclOperation)
    /// The handler checks each named resource; the error is the resource type's authorization error.
    case perResource([ResourceCheck])
}

/// One check a handler performs: `operation` on a resource of `type`, and when.
struct ResourceCheck: Sendable, Equatable, CustomStringConvertible {
    var operation: AclOperation
    var type: ResourceType
    /// When the check applies, or the alternative Kafka accepts (empty: always).
    var when: String = ""

    var description: String {
        "\(type.pascalName) \(operation.pascalName)\(when.isEmpty ? "" : " (\(when))")"
    }
}

enum AuthorizationTable {
    private static func check(_ op: AclOperation, _ type: ResourceType, _ when: String = "") -> ResourceCheck {
        ResourceCheck(operation: op, type: type, when: when)
    }

    /// Every API key Kafka 3.9 serves in ZooKeeper mode that Needletail serves or will serve, with its rule.
    static let rules: [Int16: (name: String, rule: AccessRule)] = [
        0: (
            "Produce", .perResource([check(.write, .topic), check(.write, .transactionalId, "transactional batches")])
        ),
        1: (
            "Fetch",
            .perResource([check(.read, .topic, "consumers"), check(.clusterAction, .cluster, "followers")])
        ),
        2: ("ListOffsets", .perResource([check(.describe, .topic)])),
        3: (
            "Metadata",
            .perResource([
                check(.describe, .topic),
                check(.create, .cluster, "auto-creation; else Topic Create"),
            ])
        ),
        4: ("LeaderAndIsr", .cluster(.clusterAction)),
        5: ("StopReplica", .cluster(.clusterAction)),
        6: ("UpdateMetadata", .cluster(.clusterAction)),
        7: ("ControlledShutdown", .cluster(.clusterAction)),
        8: ("OffsetCommit", .perResource([check(.read, .group), check(.read, .topic)])),
        9: ("OffsetFetch", .perResource([check(.describe, .group), check(.describe, .topic)])),
        10: (
            "FindCoordinator",
            .perResource([check(.describe, .group, "group key"), check(.describe, .transactionalId, "transaction key")])
        ),
        11: ("JoinGroup", .perResource([check(.read, .group)])),
        12: ("Heartbeat", .perResource([check(.read, .group)])),
        13: ("LeaveGroup", .perResource([check(.read, .group)])),
        14: ("SyncGroup", .perResource([check(.read, .group)])),
        15: ("DescribeGroups", .perResource([check(.describe, .group)])),
        16: (
            "ListGroups",
            .perResource([check(.describe, .cluster, "else each group filtered by Group Describe")])
        ),
        17: ("SaslHandshake", .none),
        18: ("ApiVersions", .none),
        19: ("CreateTopics", .perResource([check(.create, .cluster, "else Topic Create")])),
        20: ("DeleteTopics", .perResource([check(.delete, .topic)])),
        21: ("DeleteRecords", .perResource([check(.delete, .topic)])),
        22: (
            "InitProducerId",
            .perResource([
                check(.write, .transactionalId, "transactional"),
                check(.idempotentWrite, .cluster, "idempotent; else Write on any topic"),
            ])
        ),
        23: (
            "OffsetForLeaderEpoch",
            .perResource([check(.clusterAction, .cluster, "replicas"), check(.describe, .topic, "otherwise")])
        ),
        24: ("AddPartitionsToTxn", .perResource([check(.write, .transactionalId), check(.write, .topic)])),
        25: ("AddOffsetsToTxn", .perResource([check(.write, .transactionalId), check(.read, .group)])),
        26: ("EndTxn", .perResource([check(.write, .transactionalId)])),
        27: ("WriteTxnMarkers", .cluster(.clusterAction)),
        28: ("TxnOffsetCommit", .perResource([check(.read, .group), check(.read, .topic)])),
        29: ("DescribeAcls", .cluster(.describe)),
        30: ("CreateAcls", .cluster(.alter)),
        31: ("DeleteAcls", .cluster(.alter)),
        32: (
            "DescribeConfigs",
            .perResource([check(.describeConfigs, .cluster, "broker resources"), check(.describeConfigs, .topic)])
        ),
        33: (
            "AlterConfigs",
            .perResource([check(.alterConfigs, .cluster, "broker resources"), check(.alterConfigs, .topic)])
        ),
        34: ("AlterReplicaLogDirs", .cluster(.alter)),
        35: ("DescribeLogDirs", .perResource([check(.describe, .cluster, "else an empty answer")])),
        36: ("SaslAuthenticate", .none),
        37: ("CreatePartitions", .perResource([check(.alter, .topic)])),
        42: ("DeleteGroups", .perResource([check(.delete, .group)])),
        43: ("ElectLeaders", .cluster(.alter)),
        44: (
            "IncrementalAlterConfigs",
            .perResource([check(.alterConfigs, .cluster, "broker resources"), check(.alterConfigs, .topic)])
        ),
        45: ("AlterPartitionReassignments", .cluster(.alter)),
        46: ("ListPartitionReassignments", .cluster(.describe)),
        47: ("OffsetDelete", .perResource([check(.delete, .group), check(.read, .topic)])),
        48: ("DescribeClientQuotas", .cluster(.describeConfigs)),
        49: ("AlterClientQuotas", .cluster(.alterConfigs)),
        50: ("DescribeUserScramCredentials", .cluster(.describe)),
        51: ("AlterUserScramCredentials", .cluster(.alter)),
        // KRaft quorum APIs (controller listener in Kafka): ClusterAction, DescribeQuorum Cluster Describe.
        52: ("Vote", .cluster(.clusterAction)),
        53: ("BeginQuorumEpoch", .cluster(.clusterAction)),
        54: ("EndQuorumEpoch", .cluster(.clusterAction)),
        55: ("DescribeQuorum", .cluster(.describe)),
        // KRaft controller APIs a broker sends to the active controller (`ControllerApis`): ClusterAction.
        56: ("AlterPartition", .cluster(.clusterAction)),
        59: ("FetchSnapshot", .cluster(.clusterAction)),
        60: ("DescribeCluster", .perResource([check(.describe, .cluster, "only for the authorized-operations field")])),
        61: ("DescribeProducers", .perResource([check(.read, .topic)])),
        62: ("BrokerRegistration", .cluster(.clusterAction)),
        63: ("BrokerHeartbeat", .cluster(.clusterAction)),
        65: ("DescribeTransactions", .perResource([check(.describe, .transactionalId)])),
        66: ("ListTransactions", .perResource([check(.describe, .transactionalId, "filters the list")])),
    ]

    /// The router's verdict on a whole request.
    enum Verdict<Response> {
        case allowed
        /// Answer this instead of running the handler.
        case refused(Response)
        /// Refused, but the request type cannot build its error response: close the connection rather than run
        /// the handler unchecked (add an `AuthorizationRefusable` conformance for the API).
        case refusedWithoutResponse
    }

    /// Checks a `.cluster` rule for `request`; every other rule is the handler's business.
    static func verdict<R: KafkaRequest>(for request: R, context: RequestContext) -> Verdict<R.Response> {
        guard context.authority != nil, case .cluster(let operation)? = rules[R.apiKey.rawValue]?.rule else {
            return .allowed
        }
        if context.authorize(operation, .cluster) { return .allowed }
        guard let refusable = request as? any AuthorizationRefusable,
            let response = refusable.refusal(.clusterAuthorizationFailed, version: context.apiVersion) as? R.Response
        else { return .refusedWithoutResponse }
        return .refused(response)
    }
}

/// A request that can answer "not authorized" as a whole (Kafka's `AbstractRequest.getErrorResponse`).
protocol AuthorizationRefusable {
    func refusal(_ code: ErrorCode, version: Int16) -> any KafkaMessage
}

extension LeaderAndIsrRequest: AuthorizationRefusable {
    func refusal(_ code: ErrorCode, version: Int16) -> any KafkaMessage {
        var r = LeaderAndIsrResponse()
        r.errorCode = code.rawValue
        return r
    }
}

extension StopReplicaRequest: AuthorizationRefusable {
    func refusal(_ code: ErrorCode, version: Int16) -> any KafkaMessage {
        var r = StopReplicaResponse()
        r.errorCode = code.rawValue
        return r
    }
}

extension UpdateMetadataRequest: AuthorizationRefusable {
    func refusal(_ code: ErrorCode, version: Int16) -> any KafkaMessage {
        var r = UpdateMetadataResponse()
        r.errorCode = code.rawValue
        return r
    }
}

extension ControlledShutdownRequest: AuthorizationRefusable {
    func refusal(_ code: ErrorCode, version: Int16) -> any KafkaMessage {
        var r = ControlledShutdownResponse()
        r.errorCode = code.rawValue
        return r
    }
}

extension DescribeAclsRequest: AuthorizationRefusable {
    func refusal(_ code: ErrorCode, version: Int16) -> any KafkaMessage {
        var r = DescribeAclsResponse()
        r.errorCode = code.rawValue
        r.errorMessage = code == .clusterAuthorizationFailed ? "Cluster authorization failed." : nil
        return r
    }
}

extension CreateAclsRequest: AuthorizationRefusable {
    func refusal(_ code: ErrorCode, version: Int16) -> any KafkaMessage {
        var r = CreateAclsResponse()
        r.results = creations.map { _ in
            .init(errorCode: code.rawValue, errorMessage: "Cluster authorization failed.")
        }
        return r
    }
}

extension DeleteAclsRequest: AuthorizationRefusable {
    func refusal(_ code: ErrorCode, version: Int16) -> any KafkaMessage {
        var r = DeleteAclsResponse()
        r.filterResults = filters.map { _ in
            .init(errorCode: code.rawValue, errorMessage: "Cluster authorization failed.", matchingAcls: [])
        }
        return r
    }
}

extension ElectLeadersRequest: AuthorizationRefusable {
    func refusal(_ code: ErrorCode, version: Int16) -> any KafkaMessage {
        var r = ElectLeadersResponse()
        r.errorCode = code.rawValue
        r.replicaElectionResults = (topicPartitions ?? []).map { t in
            .init(
                topic: t.topic,
                partitionResult: t.partitions.map {
                    .init(partitionId: $0, errorCode: code.rawValue, errorMessage: "Cluster authorization failed.")
                })
        }
        return r
    }
}

extension WriteTxnMarkersRequest: AuthorizationRefusable {
    func refusal(_ code: ErrorCode, version: Int16) -> any KafkaMessage {
        var r = WriteTxnMarkersResponse()
        r.markers = markers.map { m in
            .init(
                producerId: m.producerId,
                topics: m.topics.map { t in
                    .init(
                        name: t.name,
                        partitions: t.partitionIndexes.map { .init(partitionIndex: $0, errorCode: code.rawValue) })
                })
        }
        return r
    }
}

extension DescribeClientQuotasRequest: AuthorizationRefusable {
    func refusal(_ code: ErrorCode, version: Int16) -> any KafkaMessage {
        var r = DescribeClientQuotasResponse()
        r.errorCode = code.rawValue
        r.errorMessage = "Cluster authorization failed."
        return r
    }
}

extension AlterClientQuotasRequest: AuthorizationRefusable {
    func refusal(_ code: ErrorCode, version: Int16) -> any KafkaMessage {
        var r = AlterClientQuotasResponse()
        r.entries = entries.map { e in
            .init(
                errorCode: code.rawValue, errorMessage: "Cluster authorization failed.",
                entity: e.entity.map { .init(entityType: $0.entityType, entityName: $0.entityName) })
        }
        return r
    }
}
