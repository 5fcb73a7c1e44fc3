import Authorization
import KafkaProtocol
import TransactionCoordinator

/// AddOffsetsToTxn: adds the group's `__consumer_offsets` partition to the transaction, so the COMMIT or ABORT marker
/// reaches the group coordinator that holds the TxnOffsetCommit offsets.
struct AddOffsetsToTxnHandler: APIHandler {
    typealias Request = AddOffsetsToTxnRequest
    let versions: ClosedRange<Int16> = 0...4
    let core: BrokerCore

    func handle(_ request: AddOffsetsToTxnRequest, context: RequestContext) async -> AddOffsetsToTxnResponse? {
        // Kafka's handleAddOffsetsToTxnRequest: TransactionalId Write, then Group Read.
        guard context.authorize(.write, .transactionalId, request.transactionalId) else {
            return AddOffsetsToTxnResponse(errorCode: ErrorCode.transactionalIdAuthorizationFailed.rawValue)
        }
        guard context.authorize(.read, .group, request.groupId) else {
            return AddOffsetsToTxnResponse(errorCode: ErrorCode.groupAuthorizationFailed.rawValue)
        }
        let partition = await core.transactions.offsetsPartition(for: request.groupId, groups: core.groups)
        var code = await core.transactions.runtime.addPartitions(
            transactionalId: request.transactionalId, producerId: request.producerId,
            producerEpoch: request.producerEpoch, partitions: [partition])
        if code == .producerFenced && context.apiVersion < 2 { code = .invalidProducerEpoch }
        return AddOffsetsToTxnResponse(errorCode: code.rawValue)
    }
}
