import Authorization
import GroupCoordinator
import KafkaProtocol

/// OffsetFetch v0–8: unknown groups and partitions answer offset −1, metadata "", error 0. v2+ null topics ask
/// for every committed partition; v8+ batch several groups. v0 (ZooKeeper-backed in Kafka) is served as v1.
struct OffsetFetchHandler: APIHandler {
    typealias Request = OffsetFetchRequest
    let versions: ClosedRange<Int16> = 0...8
    let groups: GroupService

    /// Group Describe (else GROUP_AUTHORIZATION_FAILED for the group), then Topic Describe: a topic asked for by
    /// name is answered TOPIC_AUTHORIZATION_FAILED per partition; a fetch of all offsets leaves such topics out.
    private func lookup(
        _ groupId: String, _ topics: [(name: String, partitions: [Int32])]?, requireStable: Bool,
        context: RequestContext
    ) async -> (
        ErrorCode, [(TopicPartitionKey, CommittedOffset?)], unstable: Set<TopicPartitionKey>, denied: Set<String>
    ) {
        guard context.authorize(.describe, .group, groupId) else { return (.groupAuthorizationFailed, [], [], []) }
        let (error, entries, unstable) = await lookup(groupId, topics, requireStable: requireStable)
        let names = entries.map(\.0.topic)
        let describable = context.authorized(.describe, .topic, names, logIfDenied: topics != nil)
        if topics == nil { return (error, entries.filter { describable.contains($0.0.topic) }, unstable, []) }
        return (error, entries, unstable, Set(names).subtracting(describable))
    }

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

    /// A partition's error: TOPIC_AUTHORIZATION_FAILED for a topic the principal can't describe, then
    /// UNSTABLE_OFFSET_COMMIT while a transactional commit is pending.
    private func partitionError(
        _ unstable: Set<TopicPartitionKey>, _ denied: Set<String>, _ topic: String, _ partition: Int32
    ) -> Int16 {
        if denied.contains(topic) { return ErrorCode.topicAuthorizationFailed.rawValue }
        return unstable.contains(TopicPartitionKey(topic: topic, partition: partition))
            ? ErrorCode.unstableOffsetCommit.rawValue : 0
    }

    /// A partition's answer; a topic the principal can't describe shows no offset.
    private func partitionAnswer(
        _ p: Int32, _ o: CommittedOffset?, topic: String, unstable: Set<TopicPartitionKey>, denied: Set<String>
    ) -> (offset: Int64, leaderEpoch: Int32, metadata: String, error: Int16) {
        let shown = denied.contains(topic) ? nil : o
        return (
            shown?.offset ?? -1, shown?.leaderEpoch ?? -1, shown?.metadata ?? "",
            partitionError(unstable, denied, topic, p)
        )
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
                let (error, entries, unstable, denied) = await lookup(
                    g.groupId, g.topics.map { $0.map { ($0.name, $0.partitionIndexes) } },
                    requireStable: request.requireStable, context: context)
                var group = OffsetFetchResponse.OffsetFetchResponseGroup(groupId: g.groupId, errorCode: error.rawValue)
                group.topics = byTopic(entries).map { name, parts in
                    .init(
                        name: name,
                        partitions: parts.map { p, o in
                            let a = partitionAnswer(p, o, topic: name, unstable: unstable, denied: denied)
                            return .init(
                                partitionIndex: p, committedOffset: a.offset, committedLeaderEpoch: a.leaderEpoch,
                                metadata: a.metadata, errorCode: a.error)
                        })
                }
                response.groups.append(group)
            }
            return response
        }
        let topics = version >= 2 ? request.topics : (request.topics ?? [])
        let (error, entries, unstable, denied) = await lookup(
            request.groupId, topics.map { $0.map { ($0.name, $0.partitionIndexes) } },
            requireStable: version >= 7 && request.requireStable, context: context)
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
                    let a = partitionAnswer(p, o, topic: name, unstable: unstable, denied: denied)
                    return .init(
                        partitionIndex: p, committedOffset: a.offset, committedLeaderEpoch: a.leaderEpoch,
                        metadata: a.metadata, errorCode: a.error)
                })
        }
        return response
    }
}
