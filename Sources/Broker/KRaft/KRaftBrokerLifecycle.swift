import Foundation
import KRaftController
import KafkaProtocol
import Logging
import MetadataImage

/// The broker's registration with the KRaft controller and its heartbeats (Kafka's `BrokerLifecycleManager`),
/// in process on a combined node: BrokerRegistration once a controller is active (the broker epoch is the
/// registration's offset), then a heartbeat every `broker.heartbeat.interval.ms` carrying the metadata offset
/// this broker has replayed, so the controller unfences it once it has caught up with its own registration. A
/// heartbeat refused for a stale epoch (a new controller that lost the session) registers again.
struct KRaftBrokerLifecycle: Sendable {
    let nodeId: Int32
    let controller: KRaftActiveController
    let publisher: KRaftMetadataPublisher
    /// The broker's listeners as it advertises them (the controller listeners excluded).
    let endpoints: [(name: String, host: String, port: Int, securityProtocol: Int16)]
    let rack: String?
    let logDirIds: [UUIDValue]
    let heartbeatIntervalMs: Int
    let brokerEpoch: Shared<Int64>
    let logger: Logger

    /// Registers and heartbeats until cancelled.
    func run() async {
        let incarnation = UUIDValue.randomTopicId()
        var fenced = true
        while !Task.isCancelled {
            if brokerEpoch.value < 0 {
                await register(incarnation: incarnation)
            } else {
                fenced = await heartbeat(wasFenced: fenced)
            }
            // While fenced, heartbeat often so the broker is unfenced as soon as it has caught up.
            let wait = brokerEpoch.value < 0 || fenced ? min(200, heartbeatIntervalMs) : heartbeatIntervalMs
            try? await Task.sleep(for: .milliseconds(wait))
        }
    }

    private func register(incarnation: UUIDValue) async {
        guard controller.isActive else { return }
        let input = BrokerRegistrationInput(
            brokerId: nodeId, incarnationId: incarnation,
            listeners: endpoints.map {
                .init(
                    name: $0.name, host: $0.host, port: UInt16(clamping: $0.port), securityProtocol: $0.securityProtocol
                )
            },
            features: [
                SupportedFeature(
                    name: "metadata.version", minSupportedVersion: 1,
                    maxSupportedVersion: KRaftActiveController.metadataVersion)
            ],
            rack: rack, logDirs: logDirIds)
        do {
            let reply = try await controller.decide { c, offset, now in
                c.registerBroker(input, logEndOffset: offset, now: now)
            }
            guard reply.errorCode == .noError else {
                logger.warning(
                    "[BrokerLifecycleManager id=\(nodeId)] Registration refused: \(reply.errorCode) \(reply.errorMessage ?? "")"
                )
                return
            }
            brokerEpoch.withLock { $0 = reply.brokerEpoch }
            logger.info(
                "[BrokerLifecycleManager id=\(nodeId)] Successfully registered broker \(nodeId) with broker epoch \(reply.brokerEpoch)"
            )
        } catch {
            logger.debug("[BrokerLifecycleManager id=\(nodeId)] Registration not accepted yet: \(error)")
        }
    }

    /// One heartbeat; returns whether the broker is still fenced.
    private func heartbeat(wasFenced: Bool) async -> Bool {
        let input = BrokerHeartbeatInput(
            brokerId: nodeId, brokerEpoch: brokerEpoch.value, currentMetadataOffset: publisher.appliedOffset - 1,
            wantFence: false, wantShutDown: false)
        do {
            let reply = try await controller.decide { c, _, now in c.heartbeat(input, now: now) }
            if reply.errorCode == .staleBrokerEpoch {
                brokerEpoch.withLock { $0 = -1 }
                return true
            }
            if wasFenced && !reply.isFenced {
                logger.info(
                    "[BrokerLifecycleManager id=\(nodeId)] The broker has been unfenced. Transitioning to RUNNING.")
            }
            return reply.isFenced
        } catch {
            return wasFenced
        }
    }
}
