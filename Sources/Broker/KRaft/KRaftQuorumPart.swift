import KRaft
import KRaftController
import KafkaConfig
import KafkaProtocol
import Logging
import NIOCore
import NIOPosix
import Replication

/// What every KRaft node runs whatever its `process.roles` (Kafka's `SharedServer`, plus the `ControllerServer`
/// pieces on a controller): the Raft driver of `__cluster_metadata-0` (a voter on a controller, an observer on a
/// broker-only node), the metadata publisher that follows its committed records, the node's one ``ControllerLink``
/// to the active controller, and — on a controller — the ``KRaftActiveController`` and the controller listener's
/// quorum and lifecycle APIs.
struct KRaftQuorumPart: Sendable {
    let kraft: KRaftConfig
    let nodeId: Int32
    let clusterId: String
    let driver: RaftDriver
    let group: MultiThreadedEventLoopGroup
    let link: ControllerLink
    let metadata: MetadataCache
    let publisher: KRaftMetadataPublisher
    /// Built on every role (the admin-write path asks it whether it is active); run only on a controller.
    let controller: KRaftActiveController
    let controllerConfig: QuorumControllerConfig
    /// This node's `directory.id` of the metadata log directory.
    let directoryId: UUIDValue

    /// `replicas` is the broker's (nil on a controller-only node, which hosts no partitions).
    init(
        config: BrokerConfig, kraft: KRaftConfig, formatted: KRaftStorage.Formatted, metadataDirectory: String,
        replicas: ReplicaManager?, brokerConfig: @escaping @Sendable () -> BrokerConfig, logger: Logger
    ) throws {
        self.kraft = kraft
        nodeId = kraft.nodeId
        clusterId = formatted.clusterId
        driver = try RaftDriver(
            kraft: kraft, clusterId: formatted.clusterId, metadataDirectory: metadataDirectory, logger: logger)
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, min(config.numNetworkThreads, System.coreCount)))
        link = ControllerLink(
            driver: driver, voters: kraft.voters, bootstrapServers: kraft.bootstrapServers, localId: kraft.nodeId,
            requestTimeoutMs: Int(kraft.quorum.requestTimeoutMs), retryBackoffMs: Int(kraft.quorum.retryBackoffMs),
            group: group, logger: logger)
        metadata = MetadataCache()
        publisher = KRaftMetadataPublisher(
            nodeId: kraft.nodeId, clusterId: formatted.clusterId, metadata: metadata, replicas: replicas,
            brokerConfig: brokerConfig, logger: logger)
        var controllerConfig = QuorumControllerConfig()
        controllerConfig.defaultNumPartitions = Int32(config.numPartitions)
        controllerConfig.defaultReplicationFactor = Int16(config.defaultReplicationFactor)
        if case .int(let ms) = config.value("broker.session.timeout.ms") {
            controllerConfig.brokerSessionTimeoutMs = Int64(ms)
        }
        self.controllerConfig = controllerConfig
        controller = KRaftActiveController(
            driver: driver, publisher: publisher, config: controllerConfig, nodeId: kraft.nodeId, logger: logger)
        directoryId = formatted.directoryIds[metadataDirectory].flatMap { UUIDValue(base64URL: $0) } ?? .zero
    }

    /// The quorum RPCs other voters and observers send (Fetch of the metadata partition is ``raftFetch``, combined
    /// with the data path on a broker) and the controller's lifecycle APIs, on a controller; DescribeQuorum on every
    /// node (a broker forwards it to the active controller).
    var routes: [any RouteEntry] {
        let link = link
        let controllerListener = kraft.controllerListenerNames.first ?? "CONTROLLER"
        let voterNodes = kraft.voters.map { v in
            DescribeQuorumResponse.Node(
                nodeId: v.id.rawValue, listeners: [.init(name: controllerListener, host: v.host, port: UInt16(v.port))])
        }
        let describe = Route(
            handler: DescribeQuorumHandler(
                driver: driver, directoryId: directoryId, nodeId: nodeId, voterNodes: voterNodes,
                controllerListeners: Set(kraft.controllerListenerNames),
                forward: { request in
                    // A voter that just lost the leadership answers NOT_LEADER_OR_FOLLOWER: look again.
                    try? await link.send(request) { response in
                        response.topics.contains {
                            $0.partitions.contains { $0.errorCode == ErrorCode.notLeaderOrFollower.rawValue }
                        }
                    }
                }))
        guard kraft.isController else { return [describe] }
        return [
            Route(handler: VoteHandler(driver: driver)),
            Route(handler: BeginQuorumEpochHandler(driver: driver)),
            Route(handler: EndQuorumEpochHandler(driver: driver)),
            Route(handler: FetchSnapshotHandler(driver: driver)),
            Route(handler: BrokerRegistrationHandler(controller: controller, clusterId: clusterId)),
            Route(handler: BrokerHeartbeatHandler(controller: controller)),
            Route(handler: AlterPartitionHandler(controller: controller)),
            describe,
        ]
    }

    /// Fetch of `__cluster_metadata-0` from other voters and observers.
    var raftFetch: RaftFetchHandler { RaftFetchHandler(driver: driver) }

    /// Starts the quorum: the driver's peers (every voter but this node), following the committed log and, on a
    /// controller, the active-controller loop. Returns the tasks ``stop(_:)`` cancels.
    func start(logger: Logger) async -> [Task<Void, Never>] {
        let controllerListener = kraft.controllerListenerNames.first ?? "CONTROLLER"
        let ownVoter = kraft.ownVoter
        await driver.start(
            peers: RaftPeers(
                voters: kraft.voters, localId: ReplicaID(nodeId), driver: driver, config: kraft.quorum,
                leaderEndpoint: ownVoter.map { (name: controllerListener, host: $0.host, port: $0.port) },
                group: group, logger: logger))
        let publisher = publisher
        let driver = driver
        var tasks = [Task { await publisher.run(driver: driver) }]
        if kraft.isController {
            let controller = controller
            tasks.append(Task { await controller.run() })
        }
        return tasks
    }

    /// Stops what ``start(logger:)`` started and the link; the event loop group last, after the server closed.
    func stop(_ tasks: [Task<Void, Never>]) async {
        await link.close()
        for task in tasks { task.cancel() }
        await driver.stop()
    }
}
