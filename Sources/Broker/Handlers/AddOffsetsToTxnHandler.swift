import KafkaProtocol
import TransactionCoordinator

/// AddOffsetsToTxn: adds the group's `__consumer_offsets` partition to the transaction, so the COMMIT or ABORT marker
/// reaches the group coordinator that holds the TxnOffsetCommit offsets.
struct AddOffsetsToTxnHandler: APIHandler {
    typealias Request = AddOffsetsToTxnRequest
    let versions: ClosedRange<Int16> = 0...4
    let core: BrokerCore

    func handle(_ request: AddOffsetsToTxnRequest, context: RequestContext) async -> AddOffsetsToTxnResponse? {
        let partition = await core.transactions.offsetsPartition(for: request.groupId, groups: core.groups)
        var code = await core.transactions.runtime.addPartitions(
            transactionalId: request.transactionalId, producerId: request.producerId,
            producerEpoch: request.producerEpoch, partitions: [partition])
        if code == .producerFenced && context.apiVersion < 2 { code = .invalidProducerEpoch }
        return AddOffsetsToTxnResponse(errorCode: code.rawValue)
    }
}
