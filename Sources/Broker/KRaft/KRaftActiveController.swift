import Foundation
import KRaft
import KRaftController
import KafkaProtocol
import Logging
import MetadataImage
import Synchronization

/// The active KRaft controller of this node (Kafka's `QuorumController` event loop, reduced to one node's needs).
/// While this node's Raft node leads, a `QuorumController` value built from the committed image decides every
/// admin write, broker registration, heartbeat and ISR change; its records are appended through
/// `RaftDriver.appendAsLeader` in the same step (so they reach the log in decision order), and the caller is
/// answered once they commit. When leadership is lost the value is dropped; the next leader rebuilds one from the
/// committed image, as Kafka's standby controllers do.
final class KRaftActiveController: Sendable {
    private let driver: RaftDriver
    private let publisher: KRaftMetadataPublisher
    private let config: QuorumControllerConfig
    private let nodeId: Int32
    private let logger: Logger
    private let active = Mutex<Active?>(nil)

    private struct Active {
        var epoch: Int32
        var controller: QuorumController
    }

    /// Kafka 3.9's `metadata.version` 3.9-IV0, finalized by the first active controller of a new cluster (Kafka's
    /// bootstrap metadata written by `kafka-storage format`).
    static let metadataVersion: Int16 = 21

    init(
        driver: RaftDriver, publisher: KRaftMetadataPublisher, config: QuorumControllerConfig, nodeId: Int32,
        logger: Logger
    ) {
        self.driver = driver
        self.publisher = publisher
        self.config = config
        self.nodeId = nodeId
        self.logger = logger
    }

    /// True while this node is the active controller.
    var isActive: Bool { active.withLock { $0 != nil } }

    /// Decides one event on the active controller, appends its records and returns its response once they are
    /// committed and this node's broker has applied them (so the caller reads its own write: a DescribeConfigs
    /// right after an AlterConfigs sees the new value). NOT_CONTROLLER when this node is not the active controller.
    func decide<T: Sendable>(
        _ decision:
            @escaping @Sendable (inout QuorumController, _ logEndOffset: Int64, _ now: Int64) -> ControllerResult<
                T
            >
    ) async throws(BrokerError) -> T {
        let outcome: (value: T?, lastOffset: Int64?)
        do {
            outcome = try await driver.appendAsLeader { [self] logEndOffset in
                active.withLock { state -> (records: [[UInt8]], value: T?) in
                    guard state != nil else { return ([], nil) }
                    let result = decision(&state!.controller, logEndOffset, RaftDriver.now())
                    return (result.records.map { $0.encoded() }, result.response)
                }
            }
        } catch {
            throw .notController
        }
        guard let value = outcome.value else { throw .notController }
        if let last = outcome.lastOffset { try await waitCommitted(last) }
        return value
    }

    /// Waits until the metadata log has committed `offset` (a single voter commits at once; a quorum when a
    /// majority has it) and the broker has published it.
    private func waitCommitted(_ offset: Int64) async throws(BrokerError) {
        let deadline = ContinuousClock.now + .seconds(30)
        while publisher.appliedOffset <= offset {
            guard ContinuousClock.now < deadline, !Task.isCancelled else { throw .requestTimedOut }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Follows this node's Raft leadership until cancelled: becomes the active controller once it leads and the
    /// broker has replayed every committed record (the controller starts from that image), resigns when it stops
    /// leading, and fences brokers whose session expired.
    func run() async {
        while !Task.isCancelled {
            let (leads, epoch) = await driver.leadership
            let current = active.withLock { $0?.epoch }
            if leads, current != epoch {
                await activate(epoch: epoch)
            } else if !leads, current != nil {
                active.withLock { $0 = nil }
                logger.info(
                    "[QuorumController id=\(nodeId)] Renouncing leadership: this node no longer leads the quorum")
            } else if current != nil {
                _ = try? await decide { c, _, now in ControllerResult(records: c.tick(now: now), response: ()) }
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    private func activate(epoch: Int32) async {
        // Everything committed before this epoch must be in the image the controller starts from.
        let end = await driver.logEndOffset
        guard await driver.highWatermark >= end, publisher.appliedOffset >= end else { return }
        let image = publisher.image
        let controller = QuorumController(config: config, image: image, now: RaftDriver.now())
        active.withLock { $0 = Active(epoch: epoch, controller: controller) }
        logger.info(
            "[QuorumController id=\(nodeId)] Becoming the active controller at epoch \(epoch), committed offset \(end)"
        )
        if image.features["metadata.version"] == nil {
            let record = MetadataRecord.featureLevel(
                FeatureLevelRecord(name: "metadata.version", featureLevel: Self.metadataVersion))
            do {
                try await decide { c, offset, now in
                    try? c.replay(record, offset: offset, now: now)
                    return ControllerResult(records: [record], response: ())
                }
                logger.info(
                    "[QuorumController id=\(nodeId)] Finalized metadata.version \(KRaftStorage.metadataVersion) (level \(Self.metadataVersion))"
                )
            } catch {
                logger.warning("[QuorumController id=\(nodeId)] Cannot write the bootstrap metadata.version: \(error)")
            }
        }
    }
}
