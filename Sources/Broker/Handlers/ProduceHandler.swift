import KafkaProtocol
import Replication

/// Produce: maps the request to one `ReplicaManager.produce` call and its results back to the response (nothing
/// for acks=0). The path: ProduceHandler → `Replication.ReplicaManager.produce` (acks, min.insync, append, the
/// acks=all wait) → `Partition.appendAsLeader` (validation, recompression) → `LogStorage.PartitionLog`.
/// Transactional batches are appended like idempotent ones (producer epoch and sequence checks in the log's
/// producer state) and open the producer's transaction in the partition until a WriteTxnMarkers ends it.
struct ProduceHandler: APIHandler {
    typealias Request = ProduceRequest
    let versions: ClosedRange<Int16> = 0...9
    let core: BrokerCore

    func handle(_ request: ProduceRequest, context: RequestContext) async -> ProduceResponse? {
        let version = context.apiVersion
        var response = ProduceResponse()
        // Kafka's handleProduceRequest: transactional records need a transactional id (and, with an authorizer,
        // WRITE on it); otherwise the whole request is refused.
        if request.transactionalId == nil,
            request.topicData.contains(where: {
                $0.partitionData.contains { p in
                    Self.isTransactional(p.records)
                }
            })
        {
            return request.acks == 0 ? nil : Self.refusingEverything(request, code: .transactionalIdAuthorizationFailed)
        }
        var entries: [ProduceEntry] = []
        for topic in request.topicData {
            for partitionData in topic.partitionData {
                entries.append(
                    ProduceEntry(
                        topic: topic.name, partition: partitionData.index, records: partitionData.records ?? []))
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
                if let produced = next.next() {
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

    /// The transactional bit of a v2 batch's attributes (byte 22: the low byte of the int16 at offset 21).
    static func isTransactional(_ records: [UInt8]?) -> Bool {
        guard let records, records.count > 22, records[16] == 2 else { return false }
        return records[22] & 0x10 != 0
    }

    static func refusingEverything(_ request: ProduceRequest, code: ErrorCode) -> ProduceResponse {
        var response = ProduceResponse()
        for topic in request.topicData {
            response.responses.append(
                .init(
                    name: topic.name,
                    partitionResponses: topic.partitionData.map {
                        .init(
                            index: $0.index, errorCode: code.rawValue, baseOffset: -1, logAppendTimeMs: -1,
                            logStartOffset: -1)
                    }))
        }
        return response
    }
}
