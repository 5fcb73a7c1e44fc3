import KafkaProtocol
import Replication

/// DescribeProducers (KIP-664): the producers each requested partition's leader remembers, with their open
/// transaction's first offset (how `kafka-transactions.sh find-hanging` spots hanging transactions). Per partition
/// errors as Kafka: UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER.
struct DescribeProducersHandler: APIHandler {
    typealias Request = DescribeProducersRequest
    let versions: ClosedRange<Int16> = 0...0
    let core: BrokerCore

    func handle(_ request: DescribeProducersRequest, context: RequestContext) async -> DescribeProducersResponse? {
        var response = DescribeProducersResponse()
        for topic in request.topics {
            var topicResponse = DescribeProducersResponse.TopicResponse(name: topic.name, partitions: [])
            for index in topic.partitionIndexes {
                var partition = DescribeProducersResponse.PartitionResponse(partitionIndex: index)
                do {
                    partition.activeProducers = try core.replicas.activeProducers(topic: topic.name, partition: index)
                        .map {
                            .init(
                                producerId: $0.producerId, producerEpoch: Int32($0.producerEpoch),
                                lastSequence: $0.lastSequence, lastTimestamp: $0.lastTimestamp,
                                coordinatorEpoch: $0.coordinatorEpoch, currentTxnStartOffset: $0.currentTxnStartOffset)
                        }
                } catch {
                    let mapped = BrokerError(error)
                    partition.errorCode = ErrorCode(mapped).rawValue
                    partition.errorMessage = mapped.message
                }
                topicResponse.partitions.append(partition)
            }
            response.topics.append(topicResponse)
        }
        return response
    }
}
