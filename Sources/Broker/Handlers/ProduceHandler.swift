import Authorization
import KafkaProtocol
import Replication
import TransactionCoordinator

/// Produce: maps the request to one `ReplicaManager.produce` call and its results back to the response (nothing
/// for acks=0). The path: ProduceHandler → `Replication.ReplicaManager.produce` (acks, min.insync, append, the
/// acks=all wait) → `Partition.appendAsLeader` (validation, recompression) → `LogStorage.PartitionLog`.
/// Transactional batches are appended like idempotent ones (producer epoch and sequence checks in the log's
/// producer state) and open the producer's transaction in the partition until a WriteTxnMarkers ends it; the first
/// one of a transaction in a partition is first checked with the coordinator (`TransactionVerifier`, KIP-890 part 1).
/// v12 comes from a transaction version 2 producer (KIP-890 part 2), which never sends AddPartitionsToTxn: with
/// `transaction.version` 2 the leader adds the partition to the transaction through the coordinator instead.
/// v10–11 are v9 with optional tagged fields; ApiVersions advertises them only with transaction version 2.
struct ProduceHandler: APIHandler {
    typealias Request = ProduceRequest
    let versions: ClosedRange<Int16> = 0...12
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
        if let transactionalId = request.transactionalId, !context.authorize(.write, .transactionalId, transactionalId)
        {
            return request.acks == 0 ? nil : Self.refusingEverything(request, code: .transactionalIdAuthorizationFailed)
        }
        // Kafka checks Topic Write per topic before existence; an unauthorized topic's partitions are answered
        // TOPIC_AUTHORIZATION_FAILED and the rest are written.
        let writable = context.authorized(.write, .topic, request.topicData.map(\.name))
        // KIP-890 part 1: a transactional batch opening its transaction here must belong to it at the coordinator.
        var verdict = TransactionVerifier.Verdict()
        if let transactionalId = request.transactionalId {
            let verifier = core.transactions.verifier
            verdict = await verifier.verify(
                transactionalId: transactionalId,
                entries: request.topicData.filter { writable.contains($0.name) }.flatMap { topic in
                    topic.partitionData.map { (TxnTopicPartition(topic: topic.name, partition: $0.index), $0.records) }
                }, addImplicitly: version >= 12 && verifier.servesTransactionVersion2)
        }
        var entries: [ProduceEntry] = []
        for topic in request.topicData where writable.contains(topic.name) {
            for partitionData in topic.partitionData {
                let tp = TxnTopicPartition(topic: topic.name, partition: partitionData.index)
                guard verdict.refused[tp] == nil else { continue }
                entries.append(
                    ProduceEntry(
                        topic: topic.name, partition: partitionData.index, records: partitionData.records ?? [],
                        verificationGuard: verdict.guards[tp]))
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
                if !writable.contains(topic.name) {
                    result.errorCode = ErrorCode.topicAuthorizationFailed.rawValue
                } else if let code = verdict.refused[
                    TxnTopicPartition(topic: topic.name, partition: partitionData.index)]
                {
                    result.errorCode = code.rawValue
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
