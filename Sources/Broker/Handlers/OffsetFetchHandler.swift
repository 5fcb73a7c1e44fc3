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
        _ groupId: String, _ topics: [(name: String, partitions: [Int32])]?, context: RequestContext
    ) async -> (ErrorCode, [(TopicPartitionKey, CommittedOffset?)], denied: Set<String>) {
        guard context.authorize(.describe, .group, groupId) else { return (.groupAuthorizationFailed, [], []) }
        let (error, entries) = await lookup(groupId, topics)
        let names = entries.map(\.0.topic)
        let describable = context.authorized(.describe, .topic, names, logIfDenied: topics != nil)
        if topics == nil { return (error, entries.filter { describable.contains($0.0.topic) }, []) }
        return (error, entries, Set(names).subtracting(describable))
    }

    private func lookup(
        _ groupId: String, _ topics: [(name: String, partitions: [Int32])]?
    ) async -> (ErrorCode, [(TopicPartitionKey, CommittedOffset?)]) {
        let wanted = topics.map { ts in
            ts.flatMap { t in t.partitions.map { TopicPartitionKey(topic: t.name, partition: $0) } }
        }
        let r = await groups.runtime.fetchOffsets(groupId: groupId, partitions: wanted)
        return (r.error, r.offsets)
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
                let (error, entries, denied) = await lookup(
                    g.groupId, g.topics.map { $0.map { ($0.name, $0.partitionIndexes) } }, context: context)
                var group = OffsetFetchResponse.OffsetFetchResponseGroup(groupId: g.groupId, errorCode: error.rawValue)
                group.topics = byTopic(entries).map { name, parts in
                    .init(
                        name: name,
                        partitions: parts.map { p, o in
                            denied.contains(name)
                                ? .init(
                                    partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: "",
                                    errorCode: ErrorCode.topicAuthorizationFailed.rawValue)
                                : .init(
                                    partitionIndex: p, committedOffset: o?.offset ?? -1,
                                    committedLeaderEpoch: o?.leaderEpoch ?? -1,
                                    metadata: o?.metadata ?? "", errorCode: 0)
                        })
                }
                response.groups.append(group)
            }
            return response
        }
        let topics = version >= 2 ? request.topics : (request.topics ?? [])
        let (error, entries, denied) = await lookup(
            request.groupId, topics.map { $0.map { ($0.name, $0.partitionIndexes) } }, context: context)
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
                    denied.contains(name)
                        ? .init(
                            partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: "",
                            errorCode: ErrorCode.topicAuthorizationFailed.rawValue)
                        : .init(
                            partitionIndex: p, committedOffset: o?.offset ?? -1,
                            committedLeaderEpoch: o?.leaderEpoch ?? -1, metadata: o?.metadata ?? "", errorCode: 0)
                })
        }
        return response
    }
}
