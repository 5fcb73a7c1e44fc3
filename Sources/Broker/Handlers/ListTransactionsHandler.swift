import KafkaProtocol
import TransactionCoordinator

/// ListTransactions (KIP-664, v1 KIP-994): the transactions this broker coordinates, filtered by state, producer
/// id and (v1) minimum running time. Unknown state names come back in `unknownStateFilters`.
struct ListTransactionsHandler: APIHandler {
    typealias Request = ListTransactionsRequest
    let versions: ClosedRange<Int16> = 0...1
    let core: BrokerCore

    func handle(_ request: ListTransactionsRequest, context: RequestContext) async -> ListTransactionsResponse? {
        var response = ListTransactionsResponse()
        var states = Set<TransactionState>()
        for name in request.stateFilters {
            if let state = TransactionState(name: name) {
                states.insert(state)
            } else {
                response.unknownStateFilters.append(name)
            }
        }
        // Every filter named an unknown state: nothing can match.
        if !request.stateFilters.isEmpty && states.isEmpty { return response }
        let (loading, transactions) = await core.transactions.runtime.list(
            states: states, producerIds: Set(request.producerIdFilters), minDurationMs: request.durationFilter)
        if loading { response.errorCode = ErrorCode.coordinatorLoadInProgress.rawValue }
        response.transactionStates = transactions.map {
            .init(
                transactionalId: $0.transactionalId, producerId: $0.producerId, transactionState: $0.state.description)
        }
        return response
    }
}
