import KRaftController
import KafkaProtocol

/// AllocateProducerIds (67, KIP-730) on the controller listener (`ControllerApis.handleAllocateProducerIdsRequest`):
/// the active controller hands a registered broker the next block of producer ids, made durable by a
/// ProducerIdsRecord first. STALE_BROKER_EPOCH for a broker whose registration is not the one it names;
/// NOT_CONTROLLER when this node is not the active controller.
struct AllocateProducerIdsHandler: APIHandler {
    typealias Request = AllocateProducerIdsRequest
    let versions: ClosedRange<Int16> = 0...0
    let controller: KRaftActiveController

    func handle(_ request: AllocateProducerIdsRequest, context: RequestContext) async
        -> AllocateProducerIdsResponse?
    {
        let brokerId = request.brokerId
        let epoch = request.brokerEpoch
        do {
            let reply = try await controller.decide { c, _, _ in
                c.allocateProducerIds(brokerId: brokerId, brokerEpoch: epoch)
            }
            return AllocateProducerIdsResponse(
                errorCode: reply.errorCode.rawValue, producerIdStart: reply.start, producerIdLen: reply.length)
        } catch {
            return AllocateProducerIdsResponse(errorCode: ErrorCode(error).rawValue, producerIdStart: -1)
        }
    }
}
