import KafkaProtocol

/// A group as ListGroups reports it.
public struct ListedGroup: Sendable, Equatable {
    public var groupId: String
    public var protocolType: String
    /// Empty when the broker's ListGroups version has no states (v3 and older).
    public var state: String
}

/// One member of a described group, with its consumer-protocol assignment decoded when possible.
public struct GroupMemberDescription: Sendable, Equatable {
    public var memberId: String
    public var groupInstanceId: String?
    public var clientId: String
    public var clientHost: String
    public var assignment: [TopicPartition]
}

/// A DescribeGroups answer for one group.
public struct GroupDescription: Sendable, Equatable {
    public var groupId: String
    public var errorCode: Int16
    public var state: String
    public var protocolType: String
    /// The assignor in use ("range", "roundrobin", …).
    public var protocolName: String
    public var members: [GroupMemberDescription]
}

/// Group administration and the coordinator requests a group consumer uses.
extension KafkaClient {
    /// The id of the broker coordinating `group`, retrying while the coordinator is loading or unavailable.
    public func findCoordinator(group: String) async throws -> Int32 {
        try await retrying("coordinator for group \(group)") {
            let conn = try await self.anyConnection()
            let version = try conn.version(for: FindCoordinatorRequest.self)
            var request = FindCoordinatorRequest(key: group, keyType: 0)
            if version >= 4 { request.coordinatorKeys = [group] }
            let response = try await self.send(request, on: conn)
            if version >= 4 {
                guard let c = response.coordinators.first else {
                    throw KafkaClientError.malformedResponse(api: .findCoordinator, reason: "no coordinator in answer")
                }
                try KafkaClientError.check(
                    c.errorCode, message: c.errorMessage, context: "find coordinator for \(group)")
                return c.nodeId
            }
            try KafkaClientError.check(
                response.errorCode, message: response.errorMessage, context: "find coordinator for \(group)")
            return response.nodeId
        }
    }

    /// Sends `request` to the coordinator of `group` (found afresh each time; an unreachable coordinator fails
    /// retriably).
    public func sendToCoordinator<R: KafkaRequest>(_ request: R, group: String) async throws -> R.Response {
        let id = try await findCoordinator(group: group)
        return try await send(request, toRoleHolder: id)
    }

    /// True for the answers that mean "ask FindCoordinator again and retry": the group's coordinator moved with its
    /// `__consumer_offsets` partition, is not elected yet, or is still loading the partition.
    public static func isCoordinatorError(_ code: Int16) -> Bool {
        ErrorCode(rawValue: code)?.asksForCoordinatorAgain ?? false
    }

    /// Every group known to every broker. A broker that just died (or is still loading its offsets partitions)
    /// makes the whole listing retry after a metadata refresh.
    public func listGroups() async throws -> [ListedGroup] {
        try await retrying("ListGroups") {
            let md = try await self.metadata(topics: [])
            var out: [ListedGroup] = []
            for id in md.brokers.keys.sorted() {
                let response = try await self.send(ListGroupsRequest(), toRoleHolder: id)
                try KafkaClientError.check(response.errorCode, context: "list groups on broker \(id)")
                out += response.groups.map {
                    ListedGroup(groupId: $0.groupId, protocolType: $0.protocolType, state: $0.groupState)
                }
            }
            return out
        }
    }

    /// DescribeGroups for each group (asked of its coordinator).
    public func describeGroups(_ groups: [String]) async throws -> [GroupDescription] {
        var out: [GroupDescription] = []
        for group in groups {
            var request = DescribeGroupsRequest()
            request.groups = [group]
            let response = try await retrying("describe group \(group)") { [request] in
                let r = try await self.sendToCoordinator(request, group: group)
                if let g = r.groups.first, Self.isCoordinatorError(g.errorCode) {
                    try KafkaClientError.check(g.errorCode, context: "describe group \(group)")
                }
                return r
            }
            for g in response.groups {
                let members = g.members.map { m in
                    var tps: [TopicPartition] = []
                    if g.protocolType == "consumer" || g.protocolType.isEmpty,
                        let a = try? ConsumerProtocolAssignment.decode(m.memberAssignment).value
                    {
                        for t in a.assignedPartitions { tps += t.partitions.map { TopicPartition(t.topic, $0) } }
                    }
                    return GroupMemberDescription(
                        memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId,
                        clientHost: m.clientHost, assignment: tps)
                }
                out.append(
                    GroupDescription(
                        groupId: g.groupId, errorCode: g.errorCode, state: g.groupState, protocolType: g.protocolType,
                        protocolName: g.protocolData, members: members))
            }
        }
        return out
    }

    /// Deletes groups; returns each group's error code (0 = deleted).
    public func deleteGroups(_ groups: [String]) async throws -> [String: Int16] {
        var out: [String: Int16] = [:]
        for group in groups {
            var request = DeleteGroupsRequest()
            request.groupsNames = [group]
            let response = try await retrying("delete group \(group)") { [request] in
                let r = try await self.sendToCoordinator(request, group: group)
                if let g = r.results.first, Self.isCoordinatorError(g.errorCode) {
                    try KafkaClientError.check(g.errorCode, context: "delete group \(group)")
                }
                return r
            }
            for r in response.results { out[r.groupId] = r.errorCode }
        }
        return out
    }

    /// The committed offsets of `group` (all partitions when `partitions` is nil). Partitions with no commit are
    /// left out.
    public func fetchCommittedOffsets(group: String, partitions: [TopicPartition]? = nil) async throws
        -> [TopicPartition: Int64]
    {
        try await retrying("committed offsets of \(group)") {
            let coordinator = try await self.findCoordinator(group: group)
            let conn = try await self.connection(toRoleHolder: coordinator)
            let version = try conn.version(for: OffsetFetchRequest.self)
            var request = OffsetFetchRequest()
            let byTopic = partitions.map { Dictionary(grouping: $0, by: \.topic) }
            if version >= 8 {
                var g = OffsetFetchRequest.OffsetFetchRequestGroup()
                g.groupId = group
                g.topics = byTopic.map { bt in
                    bt.keys.sorted().map { t in
                        var x = OffsetFetchRequest.OffsetFetchRequestTopics()
                        x.name = t
                        x.partitionIndexes = bt[t, default: []].map(\.partition)
                        return x
                    }
                }
                request.groups = [g]
            } else {
                request.groupId = group
                request.topics = byTopic.map { bt in
                    bt.keys.sorted().map { t in
                        var x = OffsetFetchRequest.OffsetFetchRequestTopic()
                        x.name = t
                        x.partitionIndexes = bt[t, default: []].map(\.partition)
                        return x
                    }
                }
            }
            let response = try await self.send(request, on: conn)
            var out: [TopicPartition: Int64] = [:]
            if version >= 8 {
                for g in response.groups {
                    try KafkaClientError.check(g.errorCode, context: "offset fetch for \(group)")
                    for t in g.topics {
                        for p in t.partitions {
                            try KafkaClientError.check(
                                p.errorCode, context: "offset fetch \(t.name)-\(p.partitionIndex)")
                            if p.committedOffset >= 0 {
                                out[TopicPartition(t.name, p.partitionIndex)] = p.committedOffset
                            }
                        }
                    }
                }
            } else {
                try KafkaClientError.check(response.errorCode, context: "offset fetch for \(group)")
                for t in response.topics {
                    for p in t.partitions {
                        try KafkaClientError.check(p.errorCode, context: "offset fetch \(t.name)-\(p.partitionIndex)")
                        if p.committedOffset >= 0 { out[TopicPartition(t.name, p.partitionIndex)] = p.committedOffset }
                    }
                }
            }
            return out
        }
    }

    /// Commits offsets for `group`. With `generation` -1 and an empty member id this is an admin commit (allowed
    /// only while the group has no members). Throws the first partition error.
    public func commitOffsets(
        group: String, offsets: [TopicPartition: Int64], generation: Int32 = -1, memberId: String = "",
        groupInstanceId: String? = nil
    ) async throws {
        guard !offsets.isEmpty else { return }
        var request = OffsetCommitRequest()
        request.groupId = group
        request.generationIdOrMemberEpoch = generation
        request.memberId = memberId
        request.groupInstanceId = groupInstanceId
        let byTopic = Dictionary(grouping: offsets.keys, by: \.topic)
        request.topics = byTopic.keys.sorted().map { t in
            var topic = OffsetCommitRequest.OffsetCommitRequestTopic()
            topic.name = t
            topic.partitions = byTopic[t, default: []].sorted { $0.partition < $1.partition }.map { tp in
                var p = OffsetCommitRequest.OffsetCommitRequestPartition()
                p.partitionIndex = tp.partition
                p.committedOffset = offsets[tp] ?? 0
                p.committedMetadata = ""
                return p
            }
            return topic
        }
        // Only coordinator moves and lost connections are retried here: a member's REBALANCE_IN_PROGRESS or
        // ILLEGAL_GENERATION must reach the caller, which rejoins first.
        let response = try await retrying("offset commit for \(group)") { [request] in
            let r = try await self.sendToCoordinator(request, group: group)
            if let bad = r.topics.lazy.flatMap(\.partitions).first(where: { Self.isCoordinatorError($0.errorCode) }) {
                try KafkaClientError.check(bad.errorCode, context: "offset commit for \(group)")
            }
            return r
        }
        for t in response.topics {
            for p in t.partitions {
                try KafkaClientError.check(p.errorCode, context: "offset commit \(t.name)-\(p.partitionIndex)")
            }
        }
    }
}

extension ErrorCode {
    /// NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS: the group's coordinator moved with
    /// its `__consumer_offsets` partition, is not elected yet, or is still loading it. FindCoordinator again, retry.
    var asksForCoordinatorAgain: Bool {
        self == .notCoordinator || self == .coordinatorNotAvailable || self == .coordinatorLoadInProgress
    }
}
