import GroupCoordinator
import KafkaProtocol

/// OffsetFetch v0–8: unknown groups and partitions answer offset −1, metadata "", error 0. v2+ null topics ask
/// for every committed partition; v8+ batch several groups. v0 (ZooKeeper-backed in Kafka) is served as v1.
struct OffsetFetchHandler: APIHandler {
    typealias Request = OffsetFetchRequest
    let versions: ClosedRange<Int16> = 0...8
    let groups: GroupService

    private func lookup(
        _ groupId: String, _ topics: [(name: String, partitions: [Int32])]?, requireStable: Bool
    ) async -> (ErrorCode, [(TopicPartitionKey, CommittedOffset?)], unstable: Set<TopicPartitionKey>) {
        let wanted = topics.map { ts in
            ts.flatMap { t in t.partitions.map { TopicPartitionKey(topic: t.name, partition: $0) } }
        }
        let r = await groups.runtime.fetchOffsets(groupId: groupId, partitions: wanted)
        guard requireStable, r.error == .noError else { return (r.error, r.offsets, []) }
        // KIP-447: a partition with a transactional offset commit still pending answers UNSTABLE_OFFSET_COMMIT
        // (the client retries until the transaction is decided).
        var unstable = Set<TopicPartitionKey>()
        for (tp, _) in r.offsets {
            if await groups.runtime.hasPendingTransactionalOffsets(groupId: groupId, partitions: [tp]) {
                unstable.insert(tp)
            }
        }
        return (r.error, r.offsets.map { unstable.contains($0.0) ? ($0.0, nil) : $0 }, unstable)
    }

    private func stabilityError(_ unstable: Set<TopicPartitionKey>, _ topic: String, _ partition: Int32) -> Int16 {
        unstable.contains(TopicPartitionKey(topic: topic, partition: partition))
            ? ErrorCode.unstableOffsetCommit.rawValue : 0
    }

    /// Groups entries by topic, keeping first-appearance order.
    private func byTopic(_ entries: [(TopicPartitionKey, CommittedOffset?)]) -> [(String, [(Int32, CommittedOffset?)])]
    {
        var order: [String] = []
        var map: [String: [(Int32, CommittedOffset?)]] = [:]
        for (tp, o) in entries {
            if map[tp.topic] == nil { order.append(tp.topic) }
            map[tp.topic, default: []].append((tp.partition, o))
        }
        return order.map { ($0, map[$0] ?? []) }
    }

    func handle(_ request: OffsetFetchRequest, context: RequestContext) async -> OffsetFetchResponse? {
        let version = context.apiVersion
        var response = OffsetFetchResponse()
        if version >= 8 {
            for g in request.groups {
                let (error, entries, unstable) = await lookup(
                    g.groupId, g.topics.map { $0.map { ($0.name, $0.partitionIndexes) } },
                    requireStable: request.requireStable)
                var group = OffsetFetchResponse.OffsetFetchResponseGroup(groupId: g.groupId, errorCode: error.rawValue)
                group.topics = byTopic(entries).map { name, parts in
                    .init(
                        name: name,
                        partitions: parts.map { p, o in
                            .init(
                                partitionIndex: p, committedOffset: o?.offset ?? -1,
                                committedLeaderEpoch: o?.leaderEpoch ?? -1,
                                metadata: o?.metadata ?? "", errorCode: stabilityError(unstable, name, p))
                        })
                }
                response.groups.append(group)
            }
            return response
        }
        let topics = version >= 2 ? request.topics : (request.topics ?? [])
        let (error, entries, unstable) = await lookup(
            request.groupId, topics.map { $0.map { ($0.name, $0.partitionIndexes) } },
            requireStable: version >= 7 && request.requireStable)
        let partitionError: Int16 = version < 2 ? error.rawValue : 0
        if version >= 2 { response.errorCode = error.rawValue }
        if error != .noError, let topics {
            // Keep the asked partitions in the answer so v0–1 clients see the error per partition.
            response.topics = topics.map { t in
                .init(
                    name: t.name,
                    partitions: t.partitionIndexes.map {
                        .init(partitionIndex: $0, committedOffset: -1, metadata: "", errorCode: partitionError)
                    })
            }
            return response
        }
        response.topics = byTopic(entries).map { name, parts in
            .init(
                name: name,
                partitions: parts.map { p, o in
                    .init(
                        partitionIndex: p, committedOffset: o?.offset ?? -1, committedLeaderEpoch: o?.leaderEpoch ?? -1,
                        metadata: o?.metadata ?? "", errorCode: stabilityError(unstable, name, p))
                })
        }
        return response
    }
}
