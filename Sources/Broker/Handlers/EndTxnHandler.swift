import Authorization
import KafkaProtocol

/// EndTxn: the coordinator writes PrepareCommit or PrepareAbort, answers, then writes the markers and the Complete
/// state. v5 is KIP-890 part 2 (transaction version 2, Kafka 4.0): the Prepare state bumps the producer epoch, the
/// markers carry the new one, and the answer tells the producer the producer id and epoch to continue with. v5 is
/// served only while `transaction.version` is 2 (UNSUPPORTED_VERSION otherwise, as it is not advertised).
struct EndTxnHandler: APIHandler {
    typealias Request = EndTxnRequest
    let versions: ClosedRange<Int16> = 0...5
    let core: BrokerCore

    func handle(_ request: EndTxnRequest, context: RequestContext) async -> EndTxnResponse? {
        guard context.authorize(.write, .transactionalId, request.transactionalId) else {
            return EndTxnResponse(errorCode: ErrorCode.transactionalIdAuthorizationFailed.rawValue)
        }
        let transactionVersion: Int16 = context.apiVersion >= 5 ? 2 : 0
        if transactionVersion >= 2 && core.settings.transactionVersion < 2 {
            return EndTxnResponse(errorCode: ErrorCode.unsupportedVersion.rawValue)
        }
        let result = await core.transactions.runtime.endTransaction(
            transactionalId: request.transactionalId, producerId: request.producerId,
            producerEpoch: request.producerEpoch, commit: request.committed, transactionVersion: transactionVersion)
        var code = result.error
        if code == .producerFenced && context.apiVersion < 2 { code = .invalidProducerEpoch }
        return EndTxnResponse(
            errorCode: code.rawValue, producerId: result.producerId, producerEpoch: result.producerEpoch)
    }
}
