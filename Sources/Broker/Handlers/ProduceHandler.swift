import KafkaProtocol

/// Produce: validate each partition's batch, append it as leader, answer with offsets (or nothing for acks=0).
/// The path: ProduceHandler → ReplicaManager.appendAsLeader → Partition (validation, recompression, offsets)
/// → LogStorage.PartitionLog. With acks=all the answer waits (no lock, no thread held) until the high watermark
/// covers each appended batch: `ReplicaManager.awaitReplication`.
struct ProduceHandler: APIHandler {
    typealias Request = ProduceRequest
    let versions: ClosedRange<Int16> = 0...9
    let core: BrokerCore

    func handle(_ request: ProduceRequest, context: RequestContext) async -> ProduceResponse? {
        let version = context.apiVersion
        var response = ProduceResponse()
        let transactional = request.transactionalId != nil
        // acks=all: partitions appended here, answered once the HW covers them (position in `response`).
        var ackWaits: [ReplicaManager.AckWait] = []
        var ackSlots: [(topic: Int, partition: Int)] = []
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
                        if request.acks == -1 {
                            ackWaits.append(
                                .init(
                                    topic: topic.name, partition: partitionData.index,
                                    requiredOffset: outcome.lastOffset + 1))
                            ackSlots.append((response.responses.count, topicResponse.partitionResponses.count))
                        }
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
        if !ackWaits.isEmpty {
            let outcomes = await core.replicas.awaitReplication(ackWaits, timeoutMs: request.timeoutMs)
            for (slot, error) in zip(ackSlots, outcomes) {
                guard let error else { continue }
                response.responses[slot.topic].partitionResponses[slot.partition].errorCode = ErrorCode(error).rawValue
            }
        }
        return request.acks == 0 ? nil : response
    }
}
