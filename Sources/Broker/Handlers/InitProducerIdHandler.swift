import KafkaProtocol

/// InitProducerId. Idempotent producers (no transactional id) get a fresh producer id from this broker's block of
/// `/latest_producer_id_block`, epoch 0, or a bumped epoch when re-initialising (KIP-360). Transactional producers go
/// to the transaction coordinator of their id (epoch bump, fencing of an ongoing transaction, KIP-360 recovery).
struct InitProducerIdHandler: APIHandler {
    typealias Request = InitProducerIdRequest
    let versions: ClosedRange<Int16> = 0...5
    let core: BrokerCore

    func handle(_ request: InitProducerIdRequest, context: RequestContext) async -> InitProducerIdResponse? {
        if let transactionalId = request.transactionalId {
            let expected =
                request.producerId >= 0 ? (producerId: request.producerId, epoch: request.producerEpoch) : nil
            let answer = await core.transactions.runtime.initProducerId(
                transactionalId: transactionalId, timeoutMs: request.transactionTimeoutMs, expected: expected)
            // KIP-588: clients before v4 know PRODUCER_FENCED as INVALID_PRODUCER_EPOCH.
            let error = answer.error == .producerFenced && context.apiVersion < 4 ? .invalidProducerEpoch : answer.error
            return InitProducerIdResponse(
                errorCode: error.rawValue, producerId: error == .noError ? answer.producerId : -1,
                producerEpoch: error == .noError ? answer.producerEpoch : -1)
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
