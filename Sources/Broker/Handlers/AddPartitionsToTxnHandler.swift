import Authorization
import KafkaProtocol
import TransactionCoordinator

/// AddPartitionsToTxn. v0–3: a producer adds partitions to its transaction (one answer for all of them; unknown
/// partitions get UNKNOWN_TOPIC_OR_PARTITION and the rest OPERATION_NOT_ATTEMPTED, as Kafka answers). v4+: the
/// broker batch form; `verifyOnly` asks whether the partitions are already in the transaction (KIP-890 part 1),
/// without it a leader adds them for a transaction version 2 producer (KIP-890 part 2).
struct AddPartitionsToTxnHandler: APIHandler {
    typealias Request = AddPartitionsToTxnRequest
    let versions: ClosedRange<Int16> = 0...5
    let core: BrokerCore

    func handle(_ request: AddPartitionsToTxnRequest, context: RequestContext) async -> AddPartitionsToTxnResponse? {
        var response = AddPartitionsToTxnResponse()
        if context.apiVersion >= 4 {
            // The batch form is broker-to-broker (KIP-890): Cluster ClusterAction for the whole request.
            guard context.authorize(.clusterAction, .cluster) else {
                response.errorCode = ErrorCode.clusterAuthorizationFailed.rawValue
                return response
            }
            for txn in request.transactions {
                let results = await handle(
                    transactionalId: txn.transactionalId, producerId: txn.producerId, epoch: txn.producerEpoch,
                    topics: txn.topics, verifyOnly: txn.verifyOnly, version: context.apiVersion)
                response.resultsByTransaction.append(
                    .init(transactionalId: txn.transactionalId, topicResults: results))
            }
            return response
        }
        // Kafka's handleAddPartitionsToTxnRequest: TransactionalId Write for all, then Topic Write per topic; any
        // refusal answers the refused topics with their error and the rest OPERATION_NOT_ATTEMPTED.
        let topicNames = request.v3AndBelowTopics.map(\.name)
        let writable = context.authorized(.write, .topic, topicNames)
        let idAllowed = context.authorize(.write, .transactionalId, request.v3AndBelowTransactionalId)
        if !idAllowed || writable.count < Set(topicNames).count {
            response.resultsByTopicV3AndBelow = request.v3AndBelowTopics.map { topic in
                let code: ErrorCode =
                    !idAllowed
                    ? .transactionalIdAuthorizationFailed
                    : writable.contains(topic.name) ? .operationNotAttempted : .topicAuthorizationFailed
                return .init(
                    name: topic.name,
                    resultsByPartition: topic.partitions.map {
                        .init(partitionIndex: $0, partitionErrorCode: code.rawValue)
                    })
            }
            return response
        }
        response.resultsByTopicV3AndBelow = await handle(
            transactionalId: request.v3AndBelowTransactionalId, producerId: request.v3AndBelowProducerId,
            epoch: request.v3AndBelowProducerEpoch, topics: request.v3AndBelowTopics, verifyOnly: false,
            version: context.apiVersion)
        return response
    }

    private func handle(
        transactionalId: String, producerId: Int64, epoch: Int16,
        topics: [AddPartitionsToTxnRequest.AddPartitionsToTxnTopic], verifyOnly: Bool, version: Int16
    ) async -> [AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult] {
        var wanted: [TxnTopicPartition] = []
        var unknown = Set<TxnTopicPartition>()
        for topic in topics {
            let known = core.metadata.topic(topic.name)
            for p in topic.partitions {
                let tp = TxnTopicPartition(topic: topic.name, partition: p)
                wanted.append(tp)
                if known?.partitions.contains(where: { $0.partition == p }) != true { unknown.insert(tp) }
            }
        }
        var errors: [TxnTopicPartition: ErrorCode] = [:]
        if verifyOnly {
            let codes = await core.transactions.runtime.verify(
                transactionalId: transactionalId, producerId: producerId, producerEpoch: epoch, partitions: wanted)
            for (tp, code) in zip(wanted, codes) { errors[tp] = code }
        } else if !unknown.isEmpty {
            for tp in wanted { errors[tp] = unknown.contains(tp) ? .unknownTopicOrPartition : .operationNotAttempted }
        } else {
            // The batch form without verifyOnly comes from a leader or group coordinator adding a partition for
            // a transaction version 2 producer (KIP-890 part 2).
            var code = await core.transactions.runtime.addPartitions(
                transactionalId: transactionalId, producerId: producerId, producerEpoch: epoch,
                partitions: Set(wanted), transactionVersion: version >= 4 ? 2 : 0)
            if code == .producerFenced && version < 2 { code = .invalidProducerEpoch }
            for tp in wanted { errors[tp] = code }
        }
        return topics.map { topic in
            .init(
                name: topic.name,
                resultsByPartition: topic.partitions.map { p in
                    .init(
                        partitionIndex: p,
                        partitionErrorCode: (errors[TxnTopicPartition(topic: topic.name, partition: p)] ?? .noError)
                            .rawValue)
                })
        }
    }
}
