import Controller
import KafkaProtocol

/// ControlledShutdown (controller side): a stopping broker asks the controller to move its leaderships away.
/// Answered only by the controller (NOT_CONTROLLER elsewhere); a broker epoch other than the broker's registration
/// (including none, v0-1) gets STALE_BROKER_EPOCH.
/// The remaining partitions are those the broker still leads (RF=1 ones, or no other eligible ISR member).
struct ControlledShutdownHandler: APIHandler {
    typealias Request = ControlledShutdownRequest
    let versions: ClosedRange<Int16> = 0...3
    let core: BrokerCore

    func handle(_ request: ControlledShutdownRequest, context: RequestContext) async -> ControlledShutdownResponse? {
        guard let controller = core.topics.controller?.runtime else {
            return ControlledShutdownResponse(errorCode: ErrorCode.notController.rawValue)
        }
        let epoch = context.apiVersion >= 2 ? request.brokerEpoch : -1
        return ControlledShutdownResponse(
            await controller.controlledShutdown(brokerId: request.brokerId, brokerEpoch: epoch))
    }
}

extension ControlledShutdownResponse {
    /// The controller's answer on the wire (the handler, and a stopping broker that is itself the controller).
    init(_ outcome: ControlledShutdownOutcome) {
        switch outcome {
        case .accepted(let remaining):
            self.init(
                errorCode: 0,
                remainingPartitions: remaining.map { .init(topicName: $0.topic, partitionIndex: $0.partition) })
        case .staleBrokerEpoch: self.init(errorCode: ErrorCode.staleBrokerEpoch.rawValue)
        case .brokerNotAvailable: self.init(errorCode: ErrorCode.brokerNotAvailable.rawValue)
        case .notController: self.init(errorCode: ErrorCode.notController.rawValue)
        }
    }
}
