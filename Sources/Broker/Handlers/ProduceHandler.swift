import KafkaProtocol

/// Produce: validate each partition's batch, append it as leader, answer with offsets (or nothing for acks=0).
/// The path: ProduceHandler → ReplicaManager.appendAsLeader → Partition (validation, recompression, offsets)
/// → LogStorage.PartitionLog.
struct ProduceHandler: APIHandler {
    typealias Request = ProduceRequest
    let versions: ClosedRange<Int16> = 0...9
    let core: BrokerCore

    func handle(_ request: ProduceRequest, context: RequestContext) async -> ProduceResponse? {
        let version = context.apiVersion
        var response = ProduceResponse()
        let transactional = request.transactionalId != nil
        for topic in request.topicData {
            var topicResponse = ProduceResponse.TopicProduceResponse(name: topic.name, partitionResponses: [])
            for partitionData in topic.partitionData {
                var result = ProduceResponse.PartitionProduceResponse(
                    index: partitionData.index, errorCode: 0, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1)
                if transactional {
                    result.errorCode = ErrorCode.transactionalIdAuthorizationFailed.rawValue
                } else {
                    do {
                        let outcome = try await core.replicas.appendAsLeader(
                            topic: topic.name, partition: partitionData.index, records: partitionData.records ?? [],
                            produceVersion: version, requiredAcks: request.acks, timeoutMs: request.timeoutMs)
                        result.baseOffset = outcome.baseOffset
                        result.logAppendTimeMs = outcome.logAppendTime
                        result.logStartOffset = outcome.logStartOffset
                    } catch {
                        result.errorCode = ErrorCode(error).rawValue
                        result.errorMessage = error.message
                        if let start = core.replicas.logStartOffset(topic: topic.name, partition: partitionData.index) {
                            result.logStartOffset = start
                        }
                    }
                }
                topicResponse.partitionResponses.append(result)
            }
            response.responses.append(topicResponse)
        }
        return request.acks == 0 ? nil : response
    }
}
