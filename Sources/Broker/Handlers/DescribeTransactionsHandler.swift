import KafkaProtocol
import TransactionCoordinator

/// DescribeTransactions (KIP-664): the coordinator's view of each transactional id it owns; others get
/// NOT_COORDINATOR, unknown ids TRANSACTIONAL_ID_NOT_FOUND.
struct DescribeTransactionsHandler: APIHandler {
    typealias Request = DescribeTransactionsRequest
    let versions: ClosedRange<Int16> = 0...0
    let core: BrokerCore

    func handle(_ request: DescribeTransactionsRequest, context: RequestContext) async
        -> DescribeTransactionsResponse?
    {
        var response = DescribeTransactionsResponse()
        for id in request.transactionalIds {
            let (error, m) = await core.transactions.runtime.describe(transactionalId: id)
            var state = DescribeTransactionsResponse.TransactionState(
                errorCode: error.rawValue, transactionalId: id, transactionState: "", transactionTimeoutMs: 0,
                transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [])
            if let m {
                state.transactionState = m.state.description
                state.transactionTimeoutMs = m.timeoutMs
                state.transactionStartTimeMs = m.startTimestampMs
                state.producerId = m.producerId
                state.producerEpoch = m.producerEpoch
                var byTopic: [String: [Int32]] = [:]
                for tp in m.partitions { byTopic[tp.topic, default: []].append(tp.partition) }
                state.topics = byTopic.keys.sorted().map { .init(topic: $0, partitions: byTopic[$0]!.sorted()) }
            }
            response.transactionStates.append(state)
        }
        return response
    }
}
