import KafkaProtocol
import Observability

/// What the router records per request (called once per handled request from `Route.handle`): request count by
/// version, total time, error codes (per partition for Produce and Fetch, the top-level code for the APIs in
/// `TopLevelErrorCode`), and for Produce and Fetch the `BrokerTopicMetrics` counters.
/// Produce counts messages from the batch headers (one read per batch, none per record).
extension BrokerMetrics {
    func observe<R: KafkaRequest>(_ request: R, response: R.Response?, version: Int16, elapsed: Duration) {
        let name: String
        switch R.apiKey {
        case .produce:
            name = R.apiKey.description
            if let produce = request as? ProduceRequest {
                recordProduce(produce, response: response as? ProduceResponse)
            }
        case .fetch:
            let fetch = request as? FetchRequest
            let follower = (fetch?.effectiveReplicaId(version: version) ?? -1) >= 0
            name = follower ? Self.fetchFollower : Self.fetchConsumer
            if let fetch, let response = response as? FetchResponse {
                recordFetch(fetch, response: response, follower: follower, requestName: name)
            }
        default:
            name = R.apiKey.description
            if let outcome = response as? any TopLevelErrorCode { countErrors(request: name, [outcome.errorCode: 1]) }
        }
        guard let counters = requests[name] else { return }
        if version >= 0, Int(version) <= RequestCounters.maxVersion { counters.perVersion[Int(version)].add() }
        let (seconds, attoseconds) = elapsed.components
        counters.totalTime.record(micros: seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
    }

    private func recordProduce(_ request: ProduceRequest, response: ProduceResponse?) {
        var errorCounts: [Int16: Int64] = [:]
        for (t, topicData) in request.topicData.enumerated() {
            let counters = topic(topicData.name)
            for (p, partition) in topicData.partitionData.enumerated() {
                counters.totalProduceRequests.add()
                allTopics.totalProduceRequests.add()
                // acks=0 has no response: the append outcome is unknown here, so it counts as appended.
                let code: Int16 =
                    response.flatMap { r in
                        r.responses.indices.contains(t) && r.responses[t].partitionResponses.indices.contains(p)
                            ? r.responses[t].partitionResponses[p].errorCode : nil
                    } ?? 0
                errorCounts[code, default: 0] += 1
                if code == 0 {
                    let bytes = Int64(partition.records?.count ?? 0)
                    let messages = Int64(Self.recordCount(partition.records ?? []))
                    counters.bytesIn.add(bytes)
                    allTopics.bytesIn.add(bytes)
                    counters.messagesIn.add(messages)
                    allTopics.messagesIn.add(messages)
                } else {
                    counters.failedProduceRequests.add()
                    allTopics.failedProduceRequests.add()
                }
            }
        }
        countErrors(request: APIKey.produce.description, errorCounts)
    }

    private func recordFetch(_ request: FetchRequest, response: FetchResponse, follower: Bool, requestName: String) {
        var errorCounts: [Int16: Int64] = [:]
        for topicResponse in response.responses {
            let name = topicName(topicResponse.topic, id: topicResponse.topicId) ?? "unknown"
            let counters = topic(name)
            var bytes: Int64 = 0
            for partition in topicResponse.partitions {
                counters.totalFetchRequests.add()
                allTopics.totalFetchRequests.add()
                errorCounts[partition.errorCode, default: 0] += 1
                if partition.errorCode != 0 {
                    counters.failedFetchRequests.add()
                    allTopics.failedFetchRequests.add()
                }
                bytes += Int64(partition.records.length)
            }
            // Kafka's BytesOut leaves replication traffic out (that is ReplicationBytesOut).
            if !follower, bytes > 0 {
                counters.bytesOut.add(bytes)
                allTopics.bytesOut.add(bytes)
            }
        }
        countErrors(request: requestName, errorCounts)
    }

    /// Records in a produce payload, read from each batch header: v2 batches carry `recordsCount` at byte 57; a
    /// legacy (magic 0/1) message set counts one per outer message.
    static func recordCount(_ bytes: [UInt8]) -> Int {
        var position = 0
        var total = 0
        while position + 17 <= bytes.count {
            let length = Int(readInt32(bytes, at: position + 8))
            guard length >= 0 else { break }
            let magic = bytes[position + 16]
            if magic >= 2 {
                guard position + 61 <= bytes.count else { break }
                total += Int(max(0, readInt32(bytes, at: position + 57)))
            } else {
                total += 1
            }
            position += 12 + length
        }
        return total
    }

    private static func readInt32(_ b: [UInt8], at i: Int) -> Int32 {
        Int32(bitPattern: UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3]))
    }
}
