import Coordination
import Foundation
import Logging
import NIOConcurrencyHelpers

/// Keeps the metadata cache's broker list and controller id in step with ZooKeeper, runs the controller
/// election (`/controller`, `/controller_epoch`), and re-registers after a session expiry.
final class ClusterMembership: Sendable {
    private let zk: KafkaZkClient
    private let brokerId: Int32
    private let metadata: MetadataCache
    private let election: NIOLockedValueBox<ControllerElection?>
    private let registration: BrokerRegistration
    private let logger: Logger

    init(
        zk: KafkaZkClient, brokerId: Int32, clusterId: String, metadata: MetadataCache,
        election: NIOLockedValueBox<ControllerElection?>, registration: BrokerRegistration, logger: Logger
    ) {
        self.zk = zk
        self.brokerId = brokerId
        self.metadata = metadata
        self.election = election
        self.registration = registration
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

    /// Tries to become controller; otherwise records who is.
    func electIfPossible() async throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        if let won = try await zk.electController(brokerId: brokerId, timestamp: now) {
            election.withLockedValue { $0 = won }
            metadata.update { $0.controllerId = brokerId }
            logger.info("[Controller id=\(brokerId)] \(brokerId) successfully elected as the controller. Epoch incremented to \(won.epoch)")
        } else {
            let current = try await zk.controllerId() ?? -1
            if current != brokerId { election.withLockedValue { $0 = nil } }
            metadata.update { $0.controllerId = current }
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
                _ = try await watch.wait()
                try await electIfPossible()
            } catch {
                if Task.isCancelled { return }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func watchSession() async {
        for await event in zk.session.events {
            if Task.isCancelled { return }
            guard event == .expired else { continue }
            logger.warning("ZooKeeper session expired; re-registering broker \(brokerId)")
            while !Task.isCancelled {
                do {
                    try await zk.session.reconnect()
                    _ = try await zk.registerBroker(registration)
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
