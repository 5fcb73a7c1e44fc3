import KRaftController
import KafkaProtocol

/// BrokerHeartbeat (63), controller listener: a registered broker renews its session, reports the metadata offset
/// it has replayed and asks for controlled shutdown (`ControllerApis.handleBrokerHeartbeatRequest` →
/// `QuorumController.processBrokerHeartbeat`). NOT_CONTROLLER when this node's controller is not the active one.
struct BrokerHeartbeatHandler: APIHandler {
    typealias Request = BrokerHeartbeatRequest
    let versions: ClosedRange<Int16> = 0...1
    let controller: KRaftActiveController

    func handle(_ request: Request, context: RequestContext) async -> Request.Response? {
        let input = BrokerHeartbeatInput(
            brokerId: request.brokerId, brokerEpoch: request.brokerEpoch,
            currentMetadataOffset: request.currentMetadataOffset, wantFence: request.wantFence,
            wantShutDown: request.wantShutDown)
        do {
            let reply = try await controller.decide { c, _, now in c.heartbeat(input, now: now) }
            return Request.Response(
                errorCode: reply.errorCode.rawValue, isCaughtUp: reply.isCaughtUp, isFenced: reply.isFenced,
                shouldShutDown: reply.shouldShutDown)
        } catch {
            return Request.Response(errorCode: ErrorCode(error).rawValue)
        }
    }
}
