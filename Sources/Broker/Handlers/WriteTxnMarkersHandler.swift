import KafkaProtocol
import Replication

/// WriteTxnMarkers: the transaction coordinator (or the Admin client's abortTransaction) asks this leader to end a
/// producer's transaction in some partitions. Each marker becomes one control batch per partition, appended with
/// acks=all through `ReplicaManager.appendTxnMarkers` (Kafka's `handleWriteTxnMarkersRequest`). For
/// `__consumer_offsets` partitions whose marker was written, `markerListener` is told so the group coordinator can
/// materialise or drop the pending transactional offsets.
struct WriteTxnMarkersHandler: APIHandler {
    typealias Request = WriteTxnMarkersRequest
    let versions: ClosedRange<Int16> = 0...1
    let core: BrokerCore
    /// The group coordinator's hook (Kafka's `GroupCoordinator.onTransactionCompleted`); no-op until wired.
    var markerListener: any TransactionMarkerListener = NoTransactionMarkerListener()
    /// Kafka appends markers with the broker's `request.timeout.ms` (default 30 s) as the acks=all wait.
    var appendTimeout: Duration = .seconds(30)

    static let offsetsTopic = "__consumer_offsets"

    func handle(_ request: WriteTxnMarkersRequest, context: RequestContext) async -> WriteTxnMarkersResponse? {
        var response = WriteTxnMarkersResponse()
        for marker in request.markers {
            var result = WriteTxnMarkersResponse.WritableTxnMarkerResult(producerId: marker.producerId, topics: [])
            for topic in marker.topics {
                let errors = await core.replicas.appendTxnMarkers(
                    topic: topic.name, partitions: topic.partitionIndexes, producerId: marker.producerId,
                    producerEpoch: marker.producerEpoch, committed: marker.transactionResult,
                    coordinatorEpoch: marker.coordinatorEpoch, timeout: appendTimeout)
                var topicResult = WriteTxnMarkersResponse.WritableTxnMarkerTopicResult(name: topic.name, partitions: [])
                var written: [Int32] = []
                for (partition, error) in zip(topic.partitionIndexes, errors) {
                    topicResult.partitions.append(
                        .init(partitionIndex: partition, errorCode: error.map { ErrorCode($0).rawValue } ?? 0))
                    if error == nil { written.append(partition) }
                }
                if topic.name == Self.offsetsTopic, !written.isEmpty {
                    await markerListener.transactionCompleted(
                        producerId: marker.producerId, topic: topic.name, partitions: written,
                        committed: marker.transactionResult)
                }
                result.topics.append(topicResult)
            }
            response.markers.append(result)
        }
        return response
    }
}
