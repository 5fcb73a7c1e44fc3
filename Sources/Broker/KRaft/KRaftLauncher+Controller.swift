import Foundation
import KRaft
import KafkaConfig
import KafkaProtocol
import Logging

extension KRaftLauncher {
    /// A controller-only node (`process.roles=controller`, Kafka's `ControllerServer` without a `BrokerServer`): a
    /// voter of the metadata quorum and, while it leads, the active controller. It listens only on the controller
    /// listeners and answers only what Kafka's `ControllerApis` answers there — ApiVersions, the quorum RPCs,
    /// DescribeQuorum, DescribeCluster for controllers (KIP-919), broker registration and heartbeats, AlterPartition
    /// and the admin writes brokers forward —
    /// never a client's Produce, Fetch of data or Metadata. It opens no data log directory: the only log it keeps
    /// is `__cluster_metadata-0`.
    static func runController(
        _ initial: BrokerConfig, kraft: KRaftConfig, formatted: KRaftStorage.Formatted, metadataDir: String,
        logger: Logger, waitForTermination: @Sendable () async -> Void
    ) async throws {
        let nodeId = kraft.nodeId
        let config = Shared(initial)
        let quorum = try KRaftQuorumPart(
            config: initial, kraft: kraft, formatted: formatted, metadataDirectory: metadataDir, replicas: nil,
            brokerConfig: { config.value }, logger: logger)
        let listenerSecurity = try ListenerAuthentication.forListeners(
            initial, scram: ScramCredentialCache(), environment: ProcessInfo.processInfo.environment, logger: logger)
        let (controller, publisher) = (quorum.controller, quorum.publisher)
        let routerBox = Shared<RequestRouter?>(nil)
        let router = RequestRouter(
            routes: [
                Route(handler: ApiVersionsHandler(advertised: { routerBox.value?.advertisedVersions ?? [] })),
                Route(handler: quorum.raftFetch),
                Route(
                    handler: ControllerDescribeClusterHandler(
                        driver: quorum.driver, clusterId: quorum.clusterId, voters: kraft.voters)),
                Route(handler: ControllerCreateTopicsHandler(controller: controller)),
                Route(handler: ControllerDeleteTopicsHandler(controller: controller, publisher: publisher)),
                Route(handler: ControllerCreatePartitionsHandler(controller: controller)),
                Route(handler: ControllerAlterConfigsHandler(controller: controller)),
                Route(handler: ControllerIncrementalAlterConfigsHandler(controller: controller)),
                Route(handler: AllocateProducerIdsHandler(controller: controller)),
            ] + quorum.routes,
            logger: logger)
        routerBox.withLock { $0 = router }

        let quorumTasks = await quorum.start(logger: logger)
        let server: KafkaServer
        do {
            server = try await KafkaServer.start(
                listeners: initial.listeners.map {
                    (
                        name: $0.listenerName, host: $0.host.isEmpty ? "0.0.0.0" : $0.host, port: $0.port,
                        security: listenerSecurity[$0.listenerName]
                    )
                },
                maxFrameSize: initial.socketRequestMaxBytes, router: router, logger: logger, group: quorum.group)
        } catch {
            await quorum.stop(quorumTasks)
            throw BrokerStartupError(
                "Cannot listen on \(initial.listeners.map(\.description).joined(separator: ",")): \(error)")
        }
        logger.info(
            "[KafkaRaftServer nodeId=\(nodeId)] started as a controller (listening on \(server.boundPorts.map(String.init).joined(separator: ",")))"
        )
        await waitForTermination()
        logger.info("[KafkaRaftServer nodeId=\(nodeId)] shutting down")
        await server.close()
        await quorum.stop(quorumTasks)
        try? await quorum.group.shutdownGracefully()
        logger.info("[KafkaRaftServer nodeId=\(nodeId)] shut down completed")
    }
}
