import Foundation
import KRaft
import KRaftController
import KafkaConfig
import KafkaProtocol
import LogStorage
import Logging
import NIOCore
import NIOPosix
import Replication

/// Starts a node in KRaft mode (`process.roles` set; Kafka's `KafkaRaftServer`): checks the formatted storage, then
/// assembles the part every role runs (``KRaftQuorumPart``: the metadata quorum, as a voter on a controller and as an
/// observer on a broker-only node, and the active controller on a controller) and, with the broker role, the broker:
/// the same request handlers, replica manager, group and transaction coordinators as ZooKeeper mode, with the
/// metadata log in place of ZooKeeper (`KRaftMetadataPublisher` feeds the metadata cache and the replicas;
/// `KRaftMetadataWriter` sends admin writes to the active controller, in process or over the ``ControllerLink``).
/// A controller-only node (`process.roles=controller`) runs no broker: see `KRaftLauncher+Controller.swift`.
///
/// The quorum RPCs (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch of `__cluster_metadata`, FetchSnapshot) are
/// served on every listener and sent to the other voters' controller endpoints; so are the controller RPCs
/// (BrokerRegistration, BrokerHeartbeat, AlterPartition) and the admin writes, which every broker sends to the
/// active controller through its one ``ControllerLink``. SCRAM credentials, ACLs and client quotas come from
/// the image too (``KRaftSecurity``); `/metrics`, the console and Burrow's API run on the broker's
/// `http.listeners` (``KRaftObservability``; not yet on a controller-only node).
enum KRaftLauncher {
    static func run(config initial: BrokerConfig) async throws {
        guard let kraft = initial.kraft else { return }
        let waitForTermination = BrokerLauncher.installTerminationHandlers()
        MallocTuning.apply(environment: ProcessInfo.processInfo.environment)
        let logger = Logger(label: "needletail.kraft")
        let cwd = FileManager.default.currentDirectoryPath
        for line in try KRaftStorage.formatOnFirstStart(
            initial, environment: ProcessInfo.processInfo.environment, workingDirectory: cwd)
        {
            logger.info("[KafkaRaftServer nodeId=\(kraft.nodeId)] \(line)")
        }
        let formatted = try KRaftStorage.checkFormatted(initial, workingDirectory: cwd)
        guard let metadataDir = KRaftStorage.metadataDirectory(initial, workingDirectory: cwd) else {
            throw BrokerStartupError("No log directory configured (log.dirs)")
        }
        let roles = kraft.processRoles.map(\.rawValue).joined(separator: ",")
        logger.info(
            "[KafkaRaftServer nodeId=\(kraft.nodeId)] Starting in KRaft mode (process.roles=\(roles)), cluster ID = \(formatted.clusterId)"
        )
        if kraft.isBroker {
            try await runBroker(
                initial, kraft: kraft, formatted: formatted, metadataDir: metadataDir, workingDirectory: cwd,
                logger: logger, waitForTermination: waitForTermination)
        } else {
            try await runController(
                initial, kraft: kraft, formatted: formatted, metadataDir: metadataDir, logger: logger,
                waitForTermination: waitForTermination)
        }
    }

    /// A node with the broker role: combined (`broker,controller`, also a voter and a controller) or broker-only
    /// (an observer of the quorum that sends every controller request over its ``ControllerLink``).
    private static func runBroker(
        _ initial: BrokerConfig, kraft: KRaftConfig, formatted: KRaftStorage.Formatted, metadataDir: String,
        workingDirectory cwd: String, logger: Logger, waitForTermination: @Sendable () async -> Void
    ) async throws {
        let nodeId = kraft.nodeId
        let logDirs = initial.resolvedLogDirs(workingDirectory: cwd)
        try BrokerLauncher.checkDescriptorBudget(logDirs: logDirs, logger: logger)
        let scramCredentials = ScramCredentialCache()
        let listenerSecurity = try ListenerAuthentication.forListeners(
            initial, scram: scramCredentials, environment: ProcessInfo.processInfo.environment, logger: logger)
        let config = Shared(initial)
        let brokerConfig: @Sendable () -> BrokerConfig = { config.value }

        let logManager: LogManager
        do {
            logManager = try LogManager(
                logDirs: logDirs, brokerId: nodeId, clusterId: formatted.clusterId, kraftMode: true,
                defaultConfig: LogConfig(try EffectiveTopicConfig(topicOverrides: [:], broker: initial)))
        } catch {
            throw BrokerStartupError("Cannot open log directories \(logDirs.joined(separator: ",")): \(error)")
        }
        logger.info("Loaded \(logManager.allLogs.count) logs from \(logDirs.joined(separator: ","))")

        let replicas = ReplicaManager(logManager: logManager, brokerId: nodeId)
        let quorum = try KRaftQuorumPart(
            config: initial, kraft: kraft, formatted: formatted, metadataDirectory: metadataDir, replicas: replicas,
            brokerConfig: brokerConfig, logger: logger)
        let (link, metadata, publisher, controller, group) = (
            quorum.link, quorum.metadata, quorum.publisher, quorum.controller, quorum.group
        )
        // SCRAM credentials, ACLs and client quotas from the metadata image; their writes go to the controller.
        let security = try KRaftSecurity(
            config: initial, scram: scramCredentials, controller: controller, publisher: publisher, link: link,
            logger: logger)
        let brokerEpoch = Shared<Int64>(-1)
        let writer = KRaftMetadataWriter(
            controller: controller, publisher: publisher, brokerEpoch: brokerEpoch, link: link)
        let topics = TopicAdmin(
            writer: writer, metadata: metadata, replicas: replicas, brokerConfig: brokerConfig, controller: nil,
            logger: logger)
        let configs = ConfigService(writer: writer, topics: topics, brokerConfig: config, brokerId: nodeId)
        let groups = GroupService(
            brokerId: nodeId, metadata: metadata, replicas: replicas, topics: topics, brokerConfig: brokerConfig,
            logger: logger)
        let core = BrokerCore(
            brokerId: nodeId, config: config, metadata: metadata, replicas: replicas, topics: topics,
            configs: configs, producerIds: ProducerIdManager(writer: writer, brokerId: nodeId), groups: groups,
            logger: logger)
        let metrics = BrokerMetrics(metadata: metadata)
        metrics.tlsListeners.withLock { $0 = listenerSecurity.compactMapValues(\.tls) }
        metrics.quotas.withLock { $0 = security.quotas }

        let routerBox = Shared<RequestRouter?>(nil)
        // On a combined node the metadata-partition fetches of other voters and observers go to the Raft driver;
        // a broker-only node serves the data path alone.
        let fetch: any RouteEntry =
            kraft.isController
            ? Route(handler: KRaftFetchHandler(data: FetchHandler(core: core), raft: quorum.raftFetch))
            : Route(handler: FetchHandler(core: core))
        let router = RequestRouter(
            routes: core.routes(advertised: { routerBox.value?.advertisedVersions ?? [] }) + [fetch] + quorum.routes
                + (kraft.isController
                    ? controllerApis(core: core, controller: controller, publisher: publisher, listeners: kraft) : [])
                + security.routes,
            logger: logger, metrics: metrics, authority: security.authority, quotas: security.quotas)
        routerBox.withLock { $0 = router }

        let replication = replicas.startReplication(
            writer: KRaftIsrWriter(link: link, publisher: publisher, brokerId: nodeId, brokerEpoch: brokerEpoch),
            connector: ClientLeaderConnector(), brokers: MetadataLiveBrokers(metadata: metadata, config: brokerConfig),
            leadershipListeners: [groups, core.transactions], config: brokerConfig, logger: logger)
        let quorumTasks = await quorum.start(logger: logger)
        let securing = Task { await security.run() }
        let server: KafkaServer
        do {
            server = try await KafkaServer.start(
                listeners: initial.listeners.map {
                    (
                        name: $0.listenerName, host: $0.host.isEmpty ? "0.0.0.0" : $0.host, port: $0.port,
                        security: listenerSecurity[$0.listenerName]
                    )
                },
                maxFrameSize: initial.socketRequestMaxBytes, router: router, logger: logger, group: group)
        } catch {
            replication.cancel()
            securing.cancel()
            await quorum.stop(quorumTasks)
            try? logManager.shutdown()
            throw BrokerStartupError(
                "Cannot listen on \(initial.listeners.map(\.description).joined(separator: ",")): \(error)")
        }
        let metricsListener = try await startMetricsListener(
            initial, nodeId: nodeId, metrics: metrics, replicas: replicas, metadata: metadata, groups: groups,
            quorum: quorum, brokerConfig: brokerConfig, logger: logger)
        var boundPorts: [String: Int] = [:]
        for (l, port) in zip(initial.listeners, server.boundPorts) { boundPorts[l.listenerName] = port }
        let controllerNames = Set(kraft.controllerListenerNames)
        let endpoints = initial.advertisedListeners.filter { !controllerNames.contains($0.listenerName) }.map {
            e -> (name: String, host: String, port: Int, securityProtocol: Int16) in
            (
                e.listenerName, e.host.isEmpty ? ProcessInfo.processInfo.hostName : e.host,
                e.port == 0 ? (boundPorts[e.listenerName] ?? 0) : e.port,
                Int16(SecurityProtocol.allCases.firstIndex(of: e.securityProtocol) ?? 0)
            )
        }
        let lifecycle = KRaftBrokerLifecycle(
            nodeId: nodeId, clusterId: formatted.clusterId, link: link, publisher: publisher, endpoints: endpoints,
            rack: initial.brokerRack,
            logDirIds: logDirs.compactMap { formatted.directoryIds[$0].flatMap { UUIDValue(base64URL: $0) } },
            heartbeatIntervalMs: {
                if case .int(let ms) = initial.value("broker.heartbeat.interval.ms") { return Int(ms) }
                return 2000
            }(), brokerEpoch: brokerEpoch, logger: logger)
        let registration = Task { await lifecycle.run() }
        let groupTimers = await groups.start()
        let transactionTimers = await core.transactions.start()
        let maintenance = Task {
            await Maintenance.run(logManager: logManager, replicas: replicas, config: config, logger: logger)
        }
        logger.info(
            "[KafkaRaftServer nodeId=\(nodeId)] started (listening on \(server.boundPorts.map(String.init).joined(separator: ",")))"
        )
        await waitForTermination()
        logger.info("[KafkaRaftServer nodeId=\(nodeId)] shutting down")
        registration.cancel()
        // Waiting longer than the session timeout buys nothing: by then the controller fences this broker anyway.
        _ = await lifecycle.controlledShutdown(timeoutMs: Int(quorum.controllerConfig.brokerSessionTimeoutMs))
        maintenance.cancel()
        replication.cancel()
        groupTimers.cancel()
        transactionTimers.cancel()
        securing.cancel()
        await server.close()
        await metricsListener?.close()
        await quorum.stop(quorumTasks)
        try? await group.shutdownGracefully()
        do {
            try logManager.shutdown()
        } catch {
            logger.error("log shutdown failed: \(error)")
        }
        logger.info("[KafkaRaftServer nodeId=\(nodeId)] shut down completed")
    }

    /// The admin writes other nodes forward to this node's controller listener (Kafka's `ControllerApis`), each
    /// beside the broker's handler of the same API for the client listeners, and AllocateProducerIds.
    private static func controllerApis(
        core: BrokerCore, controller: KRaftActiveController, publisher: KRaftMetadataPublisher, listeners: KRaftConfig
    ) -> [any RouteEntry] {
        let names = Set(listeners.controllerListenerNames)
        return [
            Route(
                handler: ListenerSplitHandler(
                    broker: CreateTopicsHandler(core: core),
                    controller: ControllerCreateTopicsHandler(controller: controller), controllerListeners: names)),
            Route(
                handler: ListenerSplitHandler(
                    broker: DeleteTopicsHandler(core: core),
                    controller: ControllerDeleteTopicsHandler(controller: controller, publisher: publisher),
                    controllerListeners: names)),
            Route(
                handler: ListenerSplitHandler(
                    broker: CreatePartitionsHandler(core: core),
                    controller: ControllerCreatePartitionsHandler(controller: controller), controllerListeners: names)),
            Route(
                handler: ListenerSplitHandler(
                    broker: AlterConfigsHandler(core: core),
                    controller: ControllerAlterConfigsHandler(controller: controller), controllerListeners: names)),
            Route(
                handler: ListenerSplitHandler(
                    broker: IncrementalAlterConfigsHandler(core: core),
                    controller: ControllerIncrementalAlterConfigsHandler(controller: controller),
                    controllerListeners: names)),
            Route(handler: AllocateProducerIdsHandler(controller: controller)),
        ]
    }
}
