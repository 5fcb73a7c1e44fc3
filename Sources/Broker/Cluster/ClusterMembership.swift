import Controller
import Coordination
import Foundation
import Logging
import Replication

/// Keeps the metadata cache's broker list and controller id in step with ZooKeeper, runs the controller
/// election (`/controller`, `/controller_epoch`) and the controller runtime while this broker holds it, and after
/// a session expiry fences local leaders, re-registers (a new broker epoch) and re-elects.
final class ClusterMembership: Sendable {
    private let zk: KafkaZkClient
    private let brokerId: Int32
    private let metadata: MetadataCache
    private let election: Shared<ControllerElection?>
    private let registration: BrokerRegistration
    private let controller: ControllerHost
    private let replicas: ReplicaManager
    /// This broker's epoch: the czxid of its current `/brokers/ids/<id>` znode (updated on re-registration; the
    /// box is shared with whoever checks controller requests against it).
    let brokerEpoch: Shared<Int64>
    private let logger: Logger
    /// Called after an expired session was replaced (the broker records the new session's credentials).
    private let onNewSession: @Sendable (ZooKeeperSession) -> Void

    init(
        zk: KafkaZkClient, brokerId: Int32, clusterId: String, metadata: MetadataCache,
        election: Shared<ControllerElection?>, registration: BrokerRegistration,
        brokerEpoch: Shared<Int64>,
        controller: ControllerHost, replicas: ReplicaManager, logger: Logger,
        onNewSession: @escaping @Sendable (ZooKeeperSession) -> Void = { _ in }
    ) {
        self.onNewSession = onNewSession
        self.zk = zk
        self.brokerId = brokerId
        self.metadata = metadata
        self.election = election
        self.registration = registration
        self.brokerEpoch = brokerEpoch
        self.controller = controller
        self.replicas = replicas
        self.logger = logger
        metadata.update { $0.clusterId = clusterId }
    }

    func refreshBrokers() async throws {
        let brokers = try await zk.liveBrokers()
        var endpoints: [Int32: BrokerEndpoint] = [:]
        for live in brokers {
            let b = live.registration
            var addresses: [String: BrokerEndpoint.Address] = [:]
            for e in b.endpoints { addresses[e.listenerName] = .init(host: e.host ?? "", port: e.port) }
            endpoints[b.brokerId] = BrokerEndpoint(id: b.brokerId, addresses: addresses, rack: b.rack)
        }
        metadata.update { $0.brokers = endpoints }
    }

    /// Tries to become controller (starting the controller runtime on a win); otherwise records who is and stops
    /// a runtime this broker may still run.
    func electIfPossible() async throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        if let won = try await zk.electController(brokerId: brokerId, timestamp: now) {
            let isNew = election.withLock { current in
                defer { current = won }
                return current != won
            }
            metadata.update { $0.controllerId = brokerId }
            if isNew {
                logger.info(
                    "[Controller id=\(brokerId)] \(brokerId) successfully elected as the controller. Epoch incremented to \(won.epoch)"
                )
            }
            await controller.start(won) { [weak self] reason in self?.controllerResigned(reason) }
        } else {
            let current = try await zk.controllerId() ?? -1
            if current != brokerId {
                election.withLock { $0 = nil }
                await controller.stop()
            }
            metadata.update { $0.controllerId = current }
        }
    }

    /// The runtime stopped by itself. After a failed failover it tried to delete `/controller` (the controller
    /// watch then re-runs the election); after a fencing failure someone else holds it. Either way the election
    /// is re-checked after a second, which also restarts a controller whose `/controller` could not be deleted
    /// (e.g. on a connection loss). Session loss is handled by the session watch.
    private func controllerResigned(_ reason: ControllerResignation) {
        logger.warning("[Controller id=\(brokerId)] controller stopped: \(reason)")
        election.withLock { $0 = nil }
        guard reason != .sessionLost else { return }
        Task {
            try? await Task.sleep(for: .seconds(1))
            try? await self.electIfPossible()
        }
    }

    /// Follows broker membership, controller changes and session expiry until cancelled.
    func watch() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.watchBrokers() }
            group.addTask { await self.watchController() }
            group.addTask { await self.watchSession() }
        }
    }

    /// Stops the controller runtime (broker shutdown).
    func shutdown() async {
        await controller.stop()
        election.withLock { $0 = nil }
    }

    private func watchBrokers() async {
        while !Task.isCancelled {
            do {
                let (_, watch) = try await zk.watchBrokerIds()
                try await refreshBrokers()
                _ = try await watch.wait()
            } catch {
                if Task.isCancelled { return }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func watchController() async {
        while !Task.isCancelled {
            do {
                let (_, watch) = try await zk.watchController()
                // Covers a change between the last election attempt and this watch (e.g. a resignation).
                try await electIfPossible()
                _ = try await watch.wait()
            } catch {
                if Task.isCancelled { return }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func watchSession() async {
        var connectionLost = false
        for await event in zk.session.events {
            if Task.isCancelled { return }
            switch event {
            case .disconnected:
                if !connectionLost {
                    logger.warning(
                        "ZooKeeper connection lost; reconnecting (the session survives if a server answers within zookeeper.session.timeout.ms)"
                    )
                }
                connectionLost = true
                continue
            case .connected(let sessionId), .connectedReadOnly(let sessionId):
                if connectionLost {
                    logger.info(
                        "ZooKeeper connection re-established (session 0x\(String(UInt64(bitPattern: sessionId), radix: 16)))"
                    )
                }
                connectionLost = false
                continue
            case .expired:
                connectionLost = false
            default:
                continue
            }
            logger.warning("ZooKeeper session expired; fencing local leaders and re-registering broker \(brokerId)")
            // The ephemeral /controller and /brokers/ids/<id> are gone: stop controlling and leading at once.
            await controller.stop()
            election.withLock { $0 = nil }
            replicas.resignAllLeadership()
            while !Task.isCancelled {
                do {
                    try await zk.session.reconnect()
                    onNewSession(zk.session)
                    brokerEpoch.withLock { $0 = -1 }
                    let epoch = try await zk.registerBroker(registration)
                    brokerEpoch.withLock { $0 = epoch }
                    try await refreshBrokers()
                    try await electIfPossible()
                    break
                } catch {
                    logger.error("re-registration failed: \(error); retrying")
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }
}
