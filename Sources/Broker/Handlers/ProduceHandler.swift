import Authorization
import KafkaProtocol
import Replication

/// Produce: maps the request to one `ReplicaManager.produce` call and its results back to the response (nothing
/// for acks=0). The path: ProduceHandler → `Replication.ReplicaManager.produce` (acks, min.insync, append, the
/// acks=all wait) → `Partition.appendAsLeader` (validation, recompression) → `LogStorage.PartitionLog`.
struct ProduceHandler: APIHandler {
    typealias Request = ProduceRequest
    let versions: ClosedRange<Int16> = 0...9
    let core: BrokerCore

    func handle(_ request: ProduceRequest, context: RequestContext) async -> ProduceResponse? {
        let version = context.apiVersion
        var response = ProduceResponse()
        let transactional = request.transactionalId != nil
        // Kafka checks Topic Write per topic before existence; an unauthorized topic's partitions are answered
        // TOPIC_AUTHORIZATION_FAILED and the rest are written.
        let writable = context.authorized(.write, .topic, request.topicData.map(\.name))
        var entries: [ProduceEntry] = []
        if !transactional {
            for topic in request.topicData where writable.contains(topic.name) {
                for partitionData in topic.partitionData {
                    entries.append(
                        ProduceEntry(
                            topic: topic.name, partition: partitionData.index, records: partitionData.records ?? []))
                }
            }
        }
        let origin = ProduceOrigin.client(ClientRecordFormats(zstd: version >= 7, legacyMagic: version <= 2))
        let results =
            entries.isEmpty
            ? []
            : await core.replicas.produce(
                entries, acks: request.acks, timeout: .milliseconds(Int(request.timeoutMs)), origin: origin)
        var next = results.makeIterator()
        for topic in request.topicData {
            var topicResponse = ProduceResponse.TopicProduceResponse(name: topic.name, partitionResponses: [])
            for partitionData in topic.partitionData {
                var result = ProduceResponse.PartitionProduceResponse(
                    index: partitionData.index, errorCode: 0, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1)
                if transactional {
                    result.errorCode = ErrorCode.transactionalIdAuthorizationFailed.rawValue
                } else if !writable.contains(topic.name) {
                    result.errorCode = ErrorCode.topicAuthorizationFailed.rawValue
                } else if let produced = next.next() {
                    result.baseOffset = produced.baseOffset
                    result.logAppendTimeMs = produced.logAppendTime
                    result.logStartOffset = produced.logStartOffset
                    if let error = produced.error {
                        let mapped =
                            error == .legacyRecordFormatNotAccepted
                            ? BrokerError.invalidRecord("Produce v\(version) requires record batch magic 2")
                            : BrokerError(error)
                        result.errorCode = ErrorCode(mapped).rawValue
                        result.errorMessage = mapped.message
                    }
                }
                topicResponse.partitionResponses.append(result)
            }
            response.responses.append(topicResponse)
        }
        return request.acks == 0 ? nil : response
    }
}
