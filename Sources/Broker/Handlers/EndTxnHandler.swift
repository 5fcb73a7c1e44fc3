import KafkaProtocol

/// EndTxn: the coordinator writes PrepareCommit or PrepareAbort, answers, then writes the markers and the Complete
/// state. v5 (KIP-890 part 2, an epoch bump per transaction) is not served: clients stay on the v0–4 flow.
struct EndTxnHandler: APIHandler {
    typealias Request = EndTxnRequest
    let versions: ClosedRange<Int16> = 0...4
    let core: BrokerCore

    func handle(_ request: EndTxnRequest, context: RequestContext) async -> EndTxnResponse? {
        var code = await core.transactions.runtime.endTransaction(
            transactionalId: request.transactionalId, producerId: request.producerId,
            producerEpoch: request.producerEpoch, commit: request.committed)
        if code == .producerFenced && context.apiVersion < 2 { code = .invalidProducerEpoch }
        return EndTxnResponse(errorCode: code.rawValue)
    }
}
