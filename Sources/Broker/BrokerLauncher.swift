import Controller
import Coordination
import Dispatch
import Foundation
import KafkaClient
import KafkaConfig
import KafkaProtocol
import LogStorage
import Logging
import NIOCore
import NIOPosix
import Observability
import Replication

/// A startup failure, printed as one line by the CLI.
public struct BrokerStartupError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Starts a broker: ZooKeeper session, cluster id, log recovery, listener (bound and serving, so the controller can
/// reach it as soon as it registers), registration, membership and controller election, background maintenance.
/// Nothing is opened from the topic znodes: local replicas wait for the controller's LeaderAndIsr. On
/// SIGTERM/SIGINT it asks the controller to move its leaderships away (controlled shutdown), then stops.
public enum BrokerLauncher {
    /// Loads server.properties + KAFKA_* environment + overrides. Warnings go to stdout; errors throw one line.
    public static func loadConfig(file: String, environment: [String: String], overrides: [String]) throws
        -> BrokerConfig
    {
        guard FileManager.default.fileExists(atPath: file) else {
            throw BrokerStartupError("Properties file \(file) does not exist")
        }
        let loaded = try BrokerConfig.load(propertiesFile: file, environment: environment, overrides: overrides)
        let logger = Logger(label: "needletail.config")
        for warning in loaded.warnings { logger.warning("\(warning)") }
        return loaded.config
    }

    /// Raises the soft descriptor limit to the hard one, logs it, and refuses to start (one line, before any log is
    /// opened) when the partitions already on disk need more than it allows.
    static func checkDescriptorBudget(logDirs: [String], logger: Logger) throws {
        let limit = FileDescriptorBudget.raiseSoftLimit()
        let partitions = FileDescriptorBudget.partitionDirectories(in: logDirs)
        let needed = FileDescriptorBudget.required(partitions: partitions)
        logger.info(
            "File descriptor limit \(limit.soft) (hard \(limit.hard)); \(partitions) partition logs need about \(needed)"
        )
        guard needed <= limit.soft else {
            throw BrokerStartupError(
                "Too few file descriptors: the \(partitions) partitions in \(logDirs.joined(separator: ",")) need about \(needed) open files but the limit is \(limit.soft) (hard \(limit.hard)); raise it with `ulimit -n \(needed)` or LimitNOFILE=\(needed) in the systemd unit"
            )
        }
        DescriptorCache.shared.descriptorLimit = limit.soft
        DescriptorCache.shared.fitCapacity(partitions: partitions)
    }

    public static func run(config initial: BrokerConfig) async throws {
        // process.roles set: KRaft mode, no ZooKeeper (Kafka's KafkaRaftServer instead of KafkaServer).
        if initial.kraft != nil { return try await KRaftLauncher.run(config: initial) }
        let waitForTermination = installTerminationHandlers()
        MallocTuning.apply(environment: ProcessInfo.processInfo.environment)
        let logger = Logger(label: "needletail.broker")
        let brokerId = initial.brokerId
        logger.info("[KafkaServer id=\(brokerId)] starting")
        try checkDescriptorBudget(
            logDirs: initial.resolvedLogDirs(workingDirectory: FileManager.default.currentDirectoryPath), logger: logger
        )

        // TLS and SASL settings are checked before anything else starts.
        let scramCredentials = ScramCredentialCache()
        let listenerSecurity = try ListenerAuthentication.forListeners(
            initial, scram: scramCredentials, environment: ProcessInfo.processInfo.environment, logger: logger)
        let interBroker = try InterBrokerSecurity.clientSecurity(
            config: initial, listeners: listenerSecurity,
            jaasFile: try ListenerAuthentication.jaasFile(environment: ProcessInfo.processInfo.environment))
        InterBrokerSecurity.current.withLock { $0 = interBroker }

        // ZooKeeper session and cluster identity. libzookeeper's own lines (reconnect failures) join the broker log,
        // throttled.
        let zooKeeperLogger = Logger(label: "needletail.zookeeper")
        ZooKeeperLogging.route { line in zooKeeperLogger.warning("\(line)") }
        let startupLogDirs = initial.resolvedLogDirs(workingDirectory: FileManager.default.currentDirectoryPath)
        let sessionFile = startupLogDirs.first.map { ZooKeeperSessionFile(logDir: $0) }
        await sessionFile?.closeAbandonedSession(
            connectString: initial.zookeeperConnect, sessionTimeoutMs: initial.zookeeperSessionTimeoutMs,
            logger: logger)
        let zk: KafkaZkClient
        do {
            let session = try await ZooKeeperSession.connect(
                initial.zookeeperConnect, sessionTimeout: .milliseconds(initial.zookeeperSessionTimeoutMs),
                connectTimeout: .milliseconds(initial.zookeeperConnectionTimeoutMs))
            zk = KafkaZkClient(session: session)
        } catch {
            throw BrokerStartupError("Cannot connect to ZooKeeper at \(initial.zookeeperConnect): \(error)")
        }
        try await zk.ensureTopLevelPaths()
        let clusterId = try await zk.getOrCreateClusterId()
        logger.info("Cluster ID = \(clusterId)")
        try? await scramCredentials.reload(zk: zk)

        // Dynamic broker configs from ZooKeeper over the static file.
        var effectiveConfig = initial
        do {
            let dynDefault = try await zk.brokerConfig(nil)
            let dynBroker = try await zk.brokerConfig(brokerId)
            if !dynDefault.isEmpty || !dynBroker.isEmpty {
                effectiveConfig = try initial.withDynamicConfigs(default: dynDefault, broker: dynBroker)
            }
        } catch {
            logger.warning("ignoring dynamic broker configs from ZooKeeper: \(error)")
        }
        let config = Shared(effectiveConfig)

        // Logs: meta.properties check and recovery.
        let logDirs = effectiveConfig.resolvedLogDirs(workingDirectory: FileManager.default.currentDirectoryPath)
        let logManager: LogManager
        do {
            logManager = try LogManager(
                logDirs: logDirs, brokerId: brokerId, clusterId: clusterId,
                defaultConfig: LogConfig(try EffectiveTopicConfig(topicOverrides: [:], broker: effectiveConfig)))
        } catch {
            throw BrokerStartupError("Cannot open log directories \(logDirs.joined(separator: ",")): \(error)")
        }
        sessionFile?.save(zk.session.credentials, logger: logger)
        logger.info("Loaded \(logManager.allLogs.count) logs from \(logDirs.joined(separator: ","))")
        await StrayLogs.remove(from: logManager, zk: zk, logger: logger)

        // Listener first, so a port clash fails before we register.
        guard !effectiveConfig.listeners.isEmpty else {
            throw BrokerStartupError("No listener configured (listeners)")
        }
        let metadata = MetadataCache()
        let replicas = ReplicaManager(logManager: logManager, brokerId: brokerId)
        let election = Shared<ControllerElection?>(nil)
        let group = MultiThreadedEventLoopGroup(
            numberOfThreads: max(1, min(effectiveConfig.numNetworkThreads, System.coreCount)))
        let controllerHost = ControllerHost(
            zk: zk, brokerId: brokerId, brokerConfig: { config.value }, group: group, logger: logger)
        let writer = ZooKeeperMetadataWriter(zk: zk)
        let topics = TopicAdmin(
            writer: writer, metadata: metadata, replicas: replicas, brokerConfig: { config.value },
            controller: controllerHost, logger: logger)
        let configs = ConfigService(writer: writer, topics: topics, brokerConfig: config, brokerId: brokerId)
        // Consumer groups: coordinator for the __consumer_offsets partitions this broker leads.
        let groups = GroupService(
            brokerId: brokerId, metadata: metadata, replicas: replicas, topics: topics,
            brokerConfig: { config.value }, logger: logger)
        let core = BrokerCore(
            brokerId: brokerId, config: config, metadata: metadata, replicas: replicas, topics: topics,
            configs: configs, producerIds: ProducerIdManager(writer: writer, brokerId: brokerId), groups: groups,
            logger: logger
        )
        let metrics = BrokerMetrics(metadata: metadata)
        metrics.tlsListeners.withLock { $0 = listenerSecurity.compactMapValues(\.tls) }
        // authorizer.class.name: ACLs from ZooKeeper, loaded before the listener opens so no request slips through
        // an empty cache.
        let authority = try AclAuthority.configured(by: effectiveConfig, zk: zk, logger: logger)
        if let authority {
            do {
                try await authority.reload()
            } catch {
                throw BrokerStartupError("Cannot load ACLs from ZooKeeper: \(error)")
            }
        }
        let aclListener = authority.map { a in Task { await a.run() } }
        let quotas = QuotaManager(zk: zk)
        metrics.quotas.withLock { $0 = quotas }
        let configChanges = DynamicConfigManager(
            zk: zk,
            targets: .init(
                scram: scramCredentials, quotas: quotas, topics: topics, brokerConfig: config, brokerId: brokerId),
            logger: logger)
        let configListener = Task { await configChanges.run() }
        let routerBox = Shared<RequestRouter?>(nil)
        let router = RequestRouter(
            routes: core.routes(advertised: { routerBox.value?.advertisedVersions ?? [] }) + [
                Route(handler: DescribeClientQuotasHandler(quotas: quotas)),
                Route(handler: AlterClientQuotasHandler(quotas: quotas)),
            ] + ScramCredentialAdmin(zk: zk).routes,
            logger: logger, metrics: metrics, authority: authority, quotas: quotas)
        routerBox.withLock { $0 = router }

        // Replication (fetchers, ISR writes) is wired before the listener opens: the controller sends LeaderAndIsr
        // the moment this broker registers, and a follower set up before this would never start fetching.
        let brokerConfig: @Sendable () -> BrokerConfig = { config.value }
        let replication = replicas.startReplication(
            writer: ZooKeeperIsrWriter(zk: zk, logger: logger), connector: ClientLeaderConnector(),
            brokers: MetadataLiveBrokers(metadata: metadata, config: brokerConfig),
            leadershipListeners: [groups, core.transactions],
            config: brokerConfig, logger: logger)
        let server: KafkaServer
        do {
            server = try await KafkaServer.start(
                listeners: effectiveConfig.listeners.map {
                    (
                        name: $0.listenerName, host: $0.host.isEmpty ? "0.0.0.0" : $0.host, port: $0.port,
                        security: listenerSecurity[$0.listenerName]
                    )
                },
                maxFrameSize: effectiveConfig.socketRequestMaxBytes, router: router, logger: logger, group: group)
        } catch {
            replication.cancel()
            try? logManager.shutdown()
            throw BrokerStartupError(
                "Cannot listen on \(effectiveConfig.listeners.map(\.description).joined(separator: ",")): \(error)")
        }
        let metricsListener: MetricsHTTPServer?
        do {
            metricsListener = try await startMetricsListener(
                effectiveConfig.httpListeners,
                observability: BrokerObservability(
                    brokerId: brokerId, metrics: metrics, replicas: replicas, metadata: metadata, groups: groups,
                    controller: controllerHost, zk: zk, config: brokerConfig),
                group: group, logger: logger)
        } catch {
            replication.cancel()
            await server.close()
            try? logManager.shutdown()
            throw error
        }
        var boundPorts: [String: Int] = [:]
        for (l, port) in zip(effectiveConfig.listeners, server.boundPorts) { boundPorts[l.listenerName] = port }

        // Registration: ephemeral /brokers/ids/<id>.
        let advertised = effectiveConfig.advertisedListeners.map { e -> Coordination.BrokerEndpoint in
            let host = e.host.isEmpty ? ProcessInfo.processInfo.hostName : e.host
            return .init(
                listenerName: e.listenerName, host: host,
                port: Int32(e.port == 0 ? (boundPorts[e.listenerName] ?? 0) : e.port),
                securityProtocol: e.securityProtocol.rawValue)
        }
        let registration = BrokerRegistration(
            brokerId: brokerId, endpoints: advertised, rack: effectiveConfig.brokerRack,
            timestamp: Int64(Date().timeIntervalSince1970 * 1000))
        do {
            core.brokerEpoch.withLock { $0 = -1 }
            let epoch = try await register(
                registration, zk: zk, sessionTimeoutMs: effectiveConfig.zookeeperSessionTimeoutMs, logger: logger)
            core.brokerEpoch.withLock { $0 = epoch }
        } catch {
            replication.cancel()
            await server.close()
            try? await group.shutdownGracefully()
            try? logManager.shutdown()
            throw error
        }
        logger.info(
            "Registered broker \(brokerId) at path /brokers/ids/\(brokerId) with addresses: \(advertised.map { "\($0.listenerName)://\($0.host ?? ""):\($0.port)" }.joined(separator: ","))"
        )

        let cluster = ClusterMembership(
            zk: zk, brokerId: brokerId, clusterId: clusterId, metadata: metadata, election: election,
            registration: registration, brokerEpoch: core.brokerEpoch, controller: controllerHost, replicas: replicas,
            logger: logger, onNewSession: { session in sessionFile?.save(session.credentials, logger: logger) })
        try await cluster.refreshBrokers()
        try await cluster.electIfPossible()
        let groupTimers = await groups.start()  // loads __consumer_offsets partitions led here
        let transactionTimers = await core.transactions.start()

        let maintenance = Task {
            await Maintenance.run(logManager: logManager, replicas: replicas, config: config, logger: logger)
        }
        let watcher = Task { await cluster.watch() }
        logger.info(
            "[KafkaServer id=\(brokerId)] started (listening on \(server.boundPorts.map(String.init).joined(separator: ",")))"
        )

        await waitForTermination()
        logger.info("[KafkaServer id=\(brokerId)] shutting down")
        if config.withLock({ $0.controlledShutdownEnable }) {
            await controlledShutdown(
                brokerId: brokerId, brokerEpoch: cluster.brokerEpoch.value,
                config: config.value, zk: zk, metadata: metadata, controller: controllerHost,
                group: group, logger: logger)
        }
        watcher.cancel()
        aclListener?.cancel()
        configListener.cancel()
        await cluster.shutdown()
        maintenance.cancel()
        replication.cancel()
        groupTimers.cancel()
        transactionTimers.cancel()
        await metricsListener?.close()
        await server.close()
        try? await group.shutdownGracefully()
        do {
            try logManager.shutdown()
        } catch {
            logger.error("log shutdown failed: \(error)")
        }
        await zk.session.close()
        sessionFile?.remove()
        logger.info("[KafkaServer id=\(brokerId)] shut down completed")
    }

    /// Registers `/brokers/ids/<id>`. A node left by this broker's previous process (killed without closing its
    /// session) vanishes when that session times out, so the broker waits up to one session timeout for it; a node
    /// still held after that belongs to a live broker with the same id, and startup fails with one clear line.
    private static func register(
        _ registration: BrokerRegistration, zk: KafkaZkClient, sessionTimeoutMs: Int, logger: Logger
    ) async throws -> Int64 {
        let id = registration.brokerId
        let deadline = ContinuousClock.now + .milliseconds(sessionTimeoutMs + 2000)
        var warned = false
        while true {
            do {
                return try await zk.registerBroker(registration)
            } catch KafkaZkError.brokerIdAlreadyRegistered {
                guard ContinuousClock.now < deadline else {
                    throw BrokerStartupError(
                        "Broker id \(id) is already registered in ZooKeeper (/brokers/ids/\(id)) by a live session; is another broker running with broker.id=\(id)?"
                    )
                }
                if !warned {
                    warned = true
                    logger.warning(
                        "/brokers/ids/\(id) exists (a previous process of this broker, or another broker with broker.id=\(id)); waiting up to \(sessionTimeoutMs) ms for its session to expire"
                    )
                }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    /// Kafka's `KafkaServer.controlledShutdown`: ControlledShutdown v3 {brokerId, brokerEpoch} to the current
    /// controller (answered in-process when this broker is the controller), retried up to
    /// `controlled.shutdown.max.retries` times `controlled.shutdown.retry.backoff.ms` apart while it reports an
    /// error or partitions that could still move. Partitions nobody else can lead (RF 1, or no other live ISR
    /// member) do not count, so a sole broker stops at once instead of waiting out the retries.
    private static func controlledShutdown(
        brokerId: Int32, brokerEpoch: Int64, config: BrokerConfig, zk: KafkaZkClient, metadata: MetadataCache,
        controller: ControllerHost, group: any EventLoopGroup, logger: Logger
    ) async {
        let attempts = max(config.controlledShutdownMaxRetries, 1)
        for attempt in 1...attempts {
            var stuck: [String] = []
            var succeeded = false
            do {
                let response = try await askController(
                    brokerId: brokerId, brokerEpoch: brokerEpoch, config: config, zk: zk, metadata: metadata,
                    controller: controller, group: group)
                if response.errorCode == ErrorCode.noError.rawValue {
                    let snapshot = metadata.snapshot
                    // Only a partition with another live ISR member can still move on a retry.
                    let movable = response.remainingPartitions.filter { p in
                        let isr =
                            snapshot.topics[p.topicName]?.partitions.first { $0.partition == p.partitionIndex }?.isr
                            ?? []
                        return isr.contains { $0 != brokerId && snapshot.brokers[$0] != nil }
                    }
                    stuck = movable.map { "\($0.topicName)-\($0.partitionIndex)" }
                    succeeded = movable.isEmpty
                } else {
                    stuck = [
                        "error \(ErrorCode(rawValue: response.errorCode).map { "\($0)" } ?? "\(response.errorCode)")"
                    ]
                }
            } catch {
                stuck = ["\(error)"]
            }
            if succeeded {
                logger.info("[KafkaServer id=\(brokerId)] controlled shutdown succeeded")
                return
            }
            logger.warning(
                "[KafkaServer id=\(brokerId)] controlled shutdown attempt \(attempt)/\(attempts) incomplete: \(stuck.joined(separator: ", "))"
            )
            if attempt < attempts { try? await Task.sleep(for: .milliseconds(config.controlledShutdownRetryBackoffMs)) }
        }
        logger.warning(
            "[KafkaServer id=\(brokerId)] proceeding to do an unclean shutdown as all the controlled shutdown attempts failed"
        )
    }

    private static func askController(
        brokerId: Int32, brokerEpoch: Int64, config: BrokerConfig, zk: KafkaZkClient, metadata: MetadataCache,
        controller: ControllerHost, group: any EventLoopGroup
    ) async throws -> ControlledShutdownResponse {
        let controllerId = (try? await zk.controllerId()) ?? metadata.snapshot.controllerId
        if controllerId == brokerId, let runtime = controller.runtime {
            return ControlledShutdownResponse(
                await runtime.controlledShutdown(brokerId: brokerId, brokerEpoch: brokerEpoch))
        }
        guard controllerId >= 0 else { return ControlledShutdownResponse(errorCode: ErrorCode.notController.rawValue) }
        let live = try await zk.broker(controllerId)
        guard
            let endpoint = live?.registration.endpoints.first(where: {
                $0.listenerName == config.interBrokerListenerName
            })
        else { return ControlledShutdownResponse(errorCode: ErrorCode.brokerNotAvailable.rawValue) }
        let connection = try await BrokerConnection.connect(
            to: BrokerAddress(host: endpoint.host ?? "127.0.0.1", port: Int(endpoint.port)),
            clientId: "broker-\(brokerId)-controlled-shutdown", connectTimeoutMs: 5000,
            requestTimeoutMs: config.controllerSocketTimeoutMs, security: InterBrokerSecurity.current.value,
            group: group)
        do {
            let response = try await connection.send(
                ControlledShutdownRequest(brokerId: brokerId, brokerEpoch: brokerEpoch))
            await connection.close()
            return response
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Takes over SIGTERM and SIGINT at once (a signal during startup is remembered, so a broker stopped just as it
    /// becomes ready still shuts down cleanly instead of dying with the default action) and returns the wait that
    /// resolves when one arrives.
    static func installTerminationHandlers() -> @Sendable () async -> Void {
        let gate = WakeGate()
        let queue = DispatchQueue(label: "needletail.signals")
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { gate.fire() }
            source.resume()
            sources.append(source)
        }
        let keep = SignalSources(sources: sources)
        return {
            await gate.wait()
            _ = keep
        }
    }
}

/// Keeps the signal sources alive for as long as the broker waits on them.
/// `@unchecked`: Dispatch boundary — `DispatchSourceSignal` is not `Sendable`; the array is never mutated.
private final class SignalSources: @unchecked Sendable {
    let sources: [DispatchSourceSignal]
    init(sources: [DispatchSourceSignal]) { self.sources = sources }
}
