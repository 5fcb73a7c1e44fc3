import Coordination
import Dispatch
import Foundation
import KafkaConfig
import KafkaProtocol
import LogStorage
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A startup failure, printed as one line by the CLI.
public struct BrokerStartupError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Starts a broker: ZooKeeper session, cluster id, log recovery, listener, registration, controller election,
/// topic loading, background maintenance; then waits for SIGTERM/SIGINT and shuts down cleanly.
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

    public static func run(config initial: BrokerConfig) async throws {
        let logger = Logger(label: "needletail.broker")
        let brokerId = initial.brokerId
        logger.info("[KafkaServer id=\(brokerId)] starting")

        // ZooKeeper session and cluster identity.
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
        let config = NIOLockedValueBox(effectiveConfig)

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
        logger.info("Loaded \(logManager.allLogs.count) logs from \(logDirs.joined(separator: ","))")

        // Listener first, so a port clash fails before we register.
        guard !effectiveConfig.listeners.isEmpty else {
            throw BrokerStartupError("No listener configured (listeners)")
        }
        let metadata = MetadataCache()
        let replicas = ReplicaManager(logManager: logManager, brokerId: brokerId)
        let election = NIOLockedValueBox<ControllerElection?>(nil)
        let topics = TopicAdmin(
            zk: zk, metadata: metadata, replicas: replicas, brokerConfig: { config.withLockedValue { $0 } },
            election: { election.withLockedValue { $0 } }, logger: logger)
        let configs = ConfigService(zk: zk, topics: topics, brokerConfig: config, brokerId: brokerId)
        // Consumer groups: coordinator for the __consumer_offsets partitions this broker leads.
        let groups = GroupService(
            brokerId: brokerId, metadata: metadata, replicas: replicas, topics: topics,
            brokerConfig: { config.withLockedValue { $0 } }, logger: logger)
        let core = BrokerCore(
            brokerId: brokerId, config: config, metadata: metadata, replicas: replicas, topics: topics,
            configs: configs, producerIds: ProducerIdManager(zk: zk, brokerId: brokerId), groups: groups, logger: logger)
        let routerBox = NIOLockedValueBox<RequestRouter?>(nil)
        let router = RequestRouter(
            routes: core.routes(advertised: { routerBox.withLockedValue { $0 }?.advertisedVersions ?? [] }),
            logger: logger)
        routerBox.withLockedValue { $0 = router }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, min(effectiveConfig.numNetworkThreads, System.coreCount)))
        let server: KafkaServer
        do {
            server = try await KafkaServer.start(
                listeners: effectiveConfig.listeners.map {
                    (name: $0.listenerName, host: $0.host.isEmpty ? "0.0.0.0" : $0.host, port: $0.port)
                },
                maxFrameSize: effectiveConfig.socketRequestMaxBytes, router: router, logger: logger, group: group)
        } catch {
            try? logManager.shutdown()
            throw BrokerStartupError(
                "Cannot listen on \(effectiveConfig.listeners.map(\.description).joined(separator: ",")): \(error)")
        }
        var boundPorts: [String: Int] = [:]
        for (l, port) in zip(effectiveConfig.listeners, server.boundPorts) { boundPorts[l.listenerName] = port }

        // Registration: ephemeral /brokers/ids/<id>.
        let advertised = effectiveConfig.advertisedListeners.map { e -> Coordination.BrokerEndpoint in
            let host = e.host.isEmpty ? ProcessInfo.processInfo.hostName : e.host
            return .init(
                listenerName: e.listenerName, host: host, port: Int32(e.port == 0 ? (boundPorts[e.listenerName] ?? 0) : e.port),
                securityProtocol: e.securityProtocol.rawValue)
        }
        let registration = BrokerRegistration(
            brokerId: brokerId, endpoints: advertised, rack: effectiveConfig.brokerRack,
            timestamp: Int64(Date().timeIntervalSince1970 * 1000))
        do {
            core.brokerEpoch.withLockedValue { $0 = -1 }
            let epoch = try await register(registration, zk: zk, sessionTimeoutMs: effectiveConfig.zookeeperSessionTimeoutMs, logger: logger)
            core.brokerEpoch.withLockedValue { $0 = epoch }
        } catch {
            await server.close()
            try? await group.shutdownGracefully()
            try? logManager.shutdown()
            throw error
        }
        logger.info("Registered broker \(brokerId) at path /brokers/ids/\(brokerId) with addresses: \(advertised.map { "\($0.listenerName)://\($0.host ?? ""):\($0.port)" }.joined(separator: ","))")

        let cluster = ClusterMembership(
            zk: zk, brokerId: brokerId, clusterId: clusterId, metadata: metadata, election: election,
            registration: registration, logger: logger)
        try await cluster.refreshBrokers()
        try await cluster.electIfPossible()
        try await topics.loadAll()
        let groupTimers = await groups.start()  // loads __consumer_offsets partitions led here

        let replication = replicas.startReplication(zk: zk, metadata: metadata, config: config, logger: logger)
        let maintenance = Task { await Maintenance.run(logManager: logManager, replicas: replicas, config: config, logger: logger) }
        let watcher = Task { await cluster.watch() }
        logger.info("[KafkaServer id=\(brokerId)] started (listening on \(server.boundPorts.map(String.init).joined(separator: ",")))")

        await waitForTermination()
        logger.info("[KafkaServer id=\(brokerId)] shutting down")
        watcher.cancel()
        maintenance.cancel()
        replication.cancel()
        groupTimers.cancel()
        await server.close()
        try? await group.shutdownGracefully()
        do {
            try logManager.shutdown()
        } catch {
            logger.error("log shutdown failed: \(error)")
        }
        await zk.session.close()
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
                        "Broker id \(id) is already registered in ZooKeeper (/brokers/ids/\(id)) by a live session; is another broker running with broker.id=\(id)?")
                }
                if !warned {
                    warned = true
                    logger.warning("/brokers/ids/\(id) exists (a previous process of this broker, or another broker with broker.id=\(id)); waiting up to \(sessionTimeoutMs) ms for its session to expire")
                }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    /// Resolves on SIGTERM or SIGINT.
    private static func waitForTermination() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
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
            let keep = sources
            Task {
                await gate.wait()
                _ = keep
                c.resume()
            }
        }
    }
}
