import KafkaConfig
import KafkaProtocol
import Logging
import Replication

/// The services request handlers share. Built once at startup by `BrokerLauncher`.
final class BrokerCore: Sendable {
    let brokerId: Int32
    let metadata: MetadataCache
    let replicas: ReplicaManager
    let topics: TopicAdmin
    let configs: ConfigService
    let producerIds: ProducerIdManager
    /// Consumer groups and `__consumer_offsets`.
    let groups: GroupService
    /// The transaction coordinator and `__transaction_state`.
    let transactions: TransactionService
    let logger: Logger
    /// This broker's epoch: the czxid of its `/brokers/ids/<id>` registration (set by `BrokerLauncher` after each
    /// registration; -1 before). Controller requests carrying an older one are rejected with STALE_BROKER_EPOCH.
    let brokerEpoch = Shared<Int64>(-1)
    private let config: Shared<BrokerConfig>

    init(
        brokerId: Int32, config: Shared<BrokerConfig>, metadata: MetadataCache, replicas: ReplicaManager,
        topics: TopicAdmin, configs: ConfigService, producerIds: ProducerIdManager, groups: GroupService, logger: Logger
    ) {
        self.brokerId = brokerId
        self.config = config
        self.metadata = metadata
        self.replicas = replicas
        self.topics = topics
        self.configs = configs
        self.producerIds = producerIds
        self.groups = groups
        self.transactions = TransactionService(
            brokerId: brokerId, metadata: metadata, replicas: replicas, topics: topics, producerIds: producerIds,
            brokerConfig: { config.value }, logger: logger)
        self.logger = logger
    }

    /// The current broker configuration (static layers plus dynamic ones from ZooKeeper).
    var settings: BrokerConfig { config.value }

    /// Every handler, one per API. The router builds ApiVersions from this table.
    func routes(advertised: @escaping @Sendable () -> [ApiVersionsResponse.ApiVersion]) -> [any RouteEntry] {
        [
            Route(handler: ProduceHandler(core: self)),
            Route(handler: FetchHandler(core: self)),
            Route(handler: ListOffsetsHandler(core: self)),
            Route(handler: MetadataHandler(core: self)),
            Route(
                handler: ApiVersionsHandler(
                    advertised: advertised, transactionVersion: { self.settings.transactionVersion })),
            Route(handler: CreateTopicsHandler(core: self)),
            Route(handler: DeleteTopicsHandler(core: self)),
            Route(handler: DeleteRecordsHandler(core: self)),
            Route(handler: InitProducerIdHandler(core: self)),
            Route(handler: DescribeConfigsHandler(core: self)),
            Route(handler: AlterConfigsHandler(core: self)),
            Route(handler: CreatePartitionsHandler(core: self)),
            Route(handler: IncrementalAlterConfigsHandler(core: self)),
            Route(handler: DescribeClusterHandler(core: self)),
            Route(handler: ElectLeadersHandler(core: self)),
            Route(handler: ControlledShutdownHandler(core: self)),
            Route(handler: DescribeLogDirsHandler(core: self)),
            // The partition side of transactions.
            Route(handler: WriteTxnMarkersHandler(core: self, markerListener: groups)),
            Route(handler: DescribeProducersHandler(core: self)),
            // Controller-to-broker APIs and replication (replication branch).
            Route(handler: LeaderAndIsrHandler(core: self)),
            Route(handler: UpdateMetadataHandler(core: self)),
            Route(handler: StopReplicaHandler(core: self)),
            Route(handler: OffsetForLeaderEpochHandler(core: self)),
            // Group coordinator APIs.
            Route(handler: FindCoordinatorHandler(groups: groups, transactions: transactions)),
            Route(handler: JoinGroupHandler(groups: groups)),
            Route(handler: SyncGroupHandler(groups: groups)),
            Route(handler: HeartbeatHandler(groups: groups)),
            Route(handler: LeaveGroupHandler(groups: groups)),
            Route(handler: OffsetCommitHandler(groups: groups)),
            Route(handler: OffsetFetchHandler(groups: groups)),
            Route(handler: ListGroupsHandler(groups: groups)),
            Route(handler: DescribeGroupsHandler(groups: groups)),
            Route(handler: DeleteGroupsHandler(groups: groups)),
            Route(handler: OffsetDeleteHandler(groups: groups)),
            Route(handler: SaslHandshakeHandler()),
            Route(handler: SaslAuthenticateHandler()),
            // Transaction coordinator APIs.
            Route(handler: AddPartitionsToTxnHandler(core: self)),
            Route(handler: AddOffsetsToTxnHandler(core: self)),
            Route(handler: EndTxnHandler(core: self)),
            Route(handler: TxnOffsetCommitHandler(groups: groups, verifier: transactions.verifier)),
            Route(handler: DescribeTransactionsHandler(core: self)),
            Route(handler: ListTransactionsHandler(core: self)),
            // ACLs (AclAuthorizer in ZooKeeper; SECURITY_DISABLED without an authorizer).
            Route(handler: DescribeAclsHandler()),
            Route(handler: CreateAclsHandler()),
            Route(handler: DeleteAclsHandler()),
        ]
    }
}
