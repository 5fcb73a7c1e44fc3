import Authorization
import KafkaProtocol

/// InitProducerId for idempotent producers: a fresh producer id from this broker's block of
/// `/latest_producer_id_block`, epoch 0. Transactional ids need a transaction coordinator, which does not exist
/// yet: they get COORDINATOR_NOT_AVAILABLE.
struct InitProducerIdHandler: APIHandler {
    typealias Request = InitProducerIdRequest
    let versions: ClosedRange<Int16> = 0...4
    let core: BrokerCore

    func handle(_ request: InitProducerIdRequest, context: RequestContext) async -> InitProducerIdResponse? {
        // TransactionalId Write for a transactional producer; an idempotent one needs Cluster IdempotentWrite or
        // Write on at least one topic (KIP-679's authorizeByResourceType).
        if let transactionalId = request.transactionalId {
            guard context.authorize(.write, .transactionalId, transactionalId) else {
                return InitProducerIdResponse(
                    errorCode: ErrorCode.transactionalIdAuthorizationFailed.rawValue, producerId: -1, producerEpoch: -1)
            }
        } else if !context.authorize(.idempotentWrite, .cluster, Resource.clusterName, logIfDenied: false)
            && !context.authorizeAny(.write, .topic)
        {
            _ = context.authorize(.idempotentWrite, .cluster)
            return InitProducerIdResponse(
                errorCode: ErrorCode.clusterAuthorizationFailed.rawValue, producerId: -1, producerEpoch: -1)
        }
        if request.transactionalId != nil {
            return InitProducerIdResponse(
                errorCode: ErrorCode.coordinatorNotAvailable.rawValue, producerId: -1, producerEpoch: -1)
        }
        // A producer re-initialising (v3+ with its current id and epoch) gets a bumped epoch.
        if request.producerId >= 0 && request.producerEpoch >= 0 && request.producerEpoch < Int16.max - 1 {
            return InitProducerIdResponse(
                errorCode: 0, producerId: request.producerId, producerEpoch: request.producerEpoch + 1)
        }
        do {
            let id = try await core.producerIds.nextId()
            return InitProducerIdResponse(errorCode: 0, producerId: id, producerEpoch: 0)
        } catch {
            return InitProducerIdResponse(errorCode: ErrorCode(error).rawValue, producerId: -1, producerEpoch: -1)
        }
    }
}
