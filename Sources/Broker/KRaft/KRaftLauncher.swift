import Foundation
import KRaft
import KafkaConfig
import KafkaProtocol
import Logging
import NIOPosix

/// Starts a node in KRaft mode (`process.roles` set; Kafka's `KafkaRaftServer`): checks the formatted storage, runs
/// the metadata quorum, and serves ApiVersions, Metadata and DescribeQuorum on every listener.
///
/// The quorum RPCs (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch of `__cluster_metadata`, FetchSnapshot) are
/// served on every listener and sent to the other voters' controller endpoints. What is not wired yet: the broker
/// data path (Produce, Fetch, groups, transactions), the KRaft controller's decisions and brokers applying the
/// metadata log. The node says so at startup.
enum KRaftLauncher {
    static func run(config: BrokerConfig) async throws {
        guard let kraft = config.kraft else { return }
        let waitForTermination = BrokerLauncher.installTerminationHandlers()
        let logger = Logger(label: "needletail.kraft")
        let cwd = FileManager.default.currentDirectoryPath
        for line in try KRaftStorage.formatOnFirstStart(
            config, environment: ProcessInfo.processInfo.environment, workingDirectory: cwd)
        {
            logger.info("[KafkaRaftServer nodeId=\(kraft.nodeId)] \(line)")
        }
        let formatted = try KRaftStorage.checkFormatted(config, workingDirectory: cwd)
        guard let metadataDir = KRaftStorage.metadataDirectory(config, workingDirectory: cwd) else {
            throw BrokerStartupError("No log directory configured (log.dirs)")
        }
        let roles = kraft.processRoles.map(\.rawValue).joined(separator: ",")
        logger.info(
            "[KafkaRaftServer nodeId=\(kraft.nodeId)] Starting in KRaft mode (process.roles=\(roles)), cluster ID = \(formatted.clusterId)"
        )
        logger.warning(
            "[KafkaRaftServer nodeId=\(kraft.nodeId)] KRaft mode is partial: this node runs the metadata quorum with its voters and answers ApiVersions, Metadata (no topics) and DescribeQuorum; the broker data path and the KRaft controller are not wired yet"
        )
        guard kraft.isController else {
            throw BrokerStartupError(
                "process.roles=broker (a broker without a controller) is not supported yet: it needs the quorum RPCs")
        }

        let driver = try RaftDriver(
            kraft: kraft, clusterId: formatted.clusterId, metadataDirectory: metadataDir, logger: logger)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let controllerListener = kraft.controllerListenerNames.first ?? "CONTROLLER"
        let ownVoter = kraft.voters.first { $0.id.rawValue == kraft.nodeId }
        await driver.start(
            peers: RaftPeers(
                voters: kraft.voters, localId: ReplicaID(kraft.nodeId), driver: driver, config: kraft.quorum,
                leaderEndpoint: ownVoter.map { (name: controllerListener, host: $0.host, port: $0.port) },
                group: group, logger: logger))

        let routerBox = Shared<RequestRouter?>(nil)
        var advertised: [String: (host: String, port: Int32)] = [:]
        for e in config.advertisedListeners {
            advertised[e.listenerName] = (e.host.isEmpty ? ProcessInfo.processInfo.hostName : e.host, Int32(e.port))
        }
        let voterNodes = kraft.voters.map { v in
            DescribeQuorumResponse.Node(
                nodeId: v.id.rawValue, listeners: [.init(name: controllerListener, host: v.host, port: UInt16(v.port))])
        }
        let directoryId = formatted.directoryIds[metadataDir].flatMap { UUIDValue(base64URL: $0) } ?? .zero
        let router = RequestRouter(
            routes: [
                Route(handler: ApiVersionsHandler(advertised: { routerBox.value?.advertisedVersions ?? [] })),
                Route(
                    handler: KRaftMetadataHandler(
                        nodeId: kraft.nodeId, clusterId: formatted.clusterId,
                        advertised: kraft.isBroker ? advertised : [:],
                        rack: config.brokerRack)),
                Route(handler: VoteHandler(driver: driver)),
                Route(handler: BeginQuorumEpochHandler(driver: driver)),
                Route(handler: EndQuorumEpochHandler(driver: driver)),
                Route(handler: FetchSnapshotHandler(driver: driver)),
                Route(handler: RaftFetchHandler(driver: driver)),
                Route(
                    handler: DescribeQuorumHandler(
                        driver: driver, directoryId: directoryId, nodeId: kraft.nodeId, voterNodes: voterNodes)),
            ], logger: logger)
        routerBox.withLock { $0 = router }
        let server: KafkaServer
        do {
            server = try await KafkaServer.start(
                listeners: config.listeners.map {
                    (name: $0.listenerName, host: $0.host.isEmpty ? "0.0.0.0" : $0.host, port: $0.port, security: nil)
                },
                maxFrameSize: config.socketRequestMaxBytes, router: router, logger: logger, group: group)
        } catch {
            await driver.stop()
            throw BrokerStartupError(
                "Cannot listen on \(config.listeners.map(\.description).joined(separator: ",")): \(error)")
        }
        logger.info("[KafkaRaftServer nodeId=\(kraft.nodeId)] started")
        await waitForTermination()
        logger.info("[KafkaRaftServer nodeId=\(kraft.nodeId)] shutting down")
        await server.close()
        await driver.stop()
        try? await group.shutdownGracefully()
        logger.info("[KafkaRaftServer nodeId=\(kraft.nodeId)] shut down completed")
    }
}
