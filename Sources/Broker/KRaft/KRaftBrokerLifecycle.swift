import Foundation
import KRaftController
import KafkaProtocol
import Logging
import MetadataImage

/// The broker's registration with the active KRaft controller and its heartbeats (Kafka's
/// `BrokerLifecycleManager`), over the wire through ``ControllerLink`` to whichever voter is the active
/// controller (this node's own controller listener when it is): BrokerRegistration once a controller answers (the
/// broker epoch is the registration's offset), then a BrokerHeartbeat every `broker.heartbeat.interval.ms` carrying
/// the metadata offset this broker has replayed, so the controller unfences it once it has caught up with its own
/// registration. A heartbeat refused for a stale epoch (a controller that lost the registration) registers again.
/// Controlled shutdown heartbeats with `wantShutDown` until the controller has moved every leadership away.
struct KRaftBrokerLifecycle: Sendable {
    let nodeId: Int32
    let clusterId: String
    let link: ControllerLink
    let publisher: KRaftMetadataPublisher
    /// The broker's listeners as it advertises them (the controller listeners excluded).
    let endpoints: [(name: String, host: String, port: Int, securityProtocol: Int16)]
    let rack: String?
    let logDirIds: [UUIDValue]
    let heartbeatIntervalMs: Int
    let brokerEpoch: Shared<Int64>
    let logger: Logger
    /// One incarnation per process: a restart is a new incarnation, which the controller tells apart from a
    /// duplicate broker id.
    let incarnation = UUIDValue.randomTopicId()

    /// Registers and heartbeats until cancelled.
    func run() async {
        var fenced = true
        while !Task.isCancelled {
            if brokerEpoch.value < 0 {
                await register()
            } else {
                fenced = await heartbeat(wasFenced: fenced, wantShutDown: false)?.isFenced ?? fenced
            }
            // While fenced, heartbeat often so the broker is unfenced as soon as it has caught up.
            let wait = brokerEpoch.value < 0 || fenced ? min(200, heartbeatIntervalMs) : heartbeatIntervalMs
            try? await Task.sleep(for: .milliseconds(wait))
        }
    }

    /// Controlled shutdown (KIP-631): heartbeats with `wantShutDown` until the controller answers
    /// `shouldShutDown` (it has moved this broker's leaderships away and taken it out of every ISR) or
    /// `timeoutMs` passes. Returns whether the controller agreed.
    func controlledShutdown(timeoutMs: Int) async -> Bool {
        guard brokerEpoch.value >= 0 else { return true }
        logger.info("[BrokerLifecycleManager id=\(nodeId)] Beginning controlled shutdown.")
        let deadline = ContinuousClock.now + .milliseconds(timeoutMs)
        while ContinuousClock.now < deadline {
            if let reply = await heartbeat(wasFenced: false, wantShutDown: true), reply.shouldShutDown {
                logger.info(
                    "[BrokerLifecycleManager id=\(nodeId)] The controller has asked us to exit controlled shutdown.")
                return true
            }
            try? await Task.sleep(for: .milliseconds(min(200, heartbeatIntervalMs)))
        }
        logger.warning(
            "[BrokerLifecycleManager id=\(nodeId)] Controlled shutdown not confirmed within \(timeoutMs) ms; shutting down anyway."
        )
        return false
    }

    private func register() async {
        let request = BrokerRegistrationRequest(
            brokerId: nodeId, clusterId: clusterId, incarnationId: incarnation,
            listeners: endpoints.map {
                .init(
                    name: $0.name, host: $0.host, port: UInt16(clamping: $0.port), securityProtocol: $0.securityProtocol
                )
            },
            features: [
                .init(
                    name: "metadata.version", minSupportedVersion: 1,
                    maxSupportedVersion: KRaftActiveController.metadataVersion)
            ],
            rack: rack, logDirs: logDirIds)
        do {
            let reply = try await link.send(request) { $0.errorCode == ErrorCode.notController.rawValue }
            guard reply.errorCode == ErrorCode.noError.rawValue else {
                logger.warning(
                    "[BrokerLifecycleManager id=\(nodeId)] Registration refused: \(ErrorCode(rawValue: reply.errorCode).map { "\($0)" } ?? "\(reply.errorCode)")"
                )
                return
            }
            brokerEpoch.withLock { $0 = reply.brokerEpoch }
            let controllerId = await link.activeControllerId.map(String.init) ?? "unknown"
            logger.info(
                "[BrokerLifecycleManager id=\(nodeId)] Successfully registered broker \(nodeId) with broker epoch \(reply.brokerEpoch) (controller \(controllerId))"
            )
        } catch {
            logger.debug("[BrokerLifecycleManager id=\(nodeId)] Registration not accepted yet: \(error)")
        }
    }

    /// One heartbeat; nil when no controller answered.
    private func heartbeat(wasFenced: Bool, wantShutDown: Bool) async -> BrokerHeartbeatResponse? {
        let request = BrokerHeartbeatRequest(
            brokerId: nodeId, brokerEpoch: brokerEpoch.value, currentMetadataOffset: publisher.appliedOffset - 1,
            wantFence: false, wantShutDown: wantShutDown)
        do {
            let reply = try await link.send(request) { $0.errorCode == ErrorCode.notController.rawValue }
            if reply.errorCode == ErrorCode.staleBrokerEpoch.rawValue {
                logger.info(
                    "[BrokerLifecycleManager id=\(nodeId)] Broker epoch \(request.brokerEpoch) is stale; registering again"
                )
                brokerEpoch.withLock { $0 = -1 }
                return nil
            }
            guard reply.errorCode == ErrorCode.noError.rawValue else { return nil }
            if wasFenced && !reply.isFenced {
                logger.info(
                    "[BrokerLifecycleManager id=\(nodeId)] The broker has been unfenced. Transitioning to RUNNING.")
            } else if !wasFenced && reply.isFenced && !wantShutDown {
                logger.warning("[BrokerLifecycleManager id=\(nodeId)] The controller has fenced this broker.")
            }
            return reply
        } catch {
            return nil
        }
    }
}
