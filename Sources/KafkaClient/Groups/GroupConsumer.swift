import KafkaProtocol

/// Group membership settings (names follow the Java client's).
public struct GroupConsumerConfiguration: Sendable {
    public var groupId: String
    public var groupInstanceId: String?
    /// `session.timeout.ms`.
    public var sessionTimeoutMs: Int32
    /// `max.poll.interval.ms`: how long the coordinator waits for members to rejoin. The client's request timeout
    /// should exceed it, because JoinGroup is held that long at most.
    public var rebalanceTimeoutMs: Int32
    /// `heartbeat.interval.ms`.
    public var heartbeatIntervalMs: Int
    /// `enable.auto.commit`.
    public var autoCommit: Bool
    /// `auto.commit.interval.ms`.
    public var autoCommitIntervalMs: Int
    /// Offered to the coordinator in preference order (`partition.assignment.strategy`).
    public var assignors: [any PartitionAssignor]

    public init(
        groupId: String, groupInstanceId: String? = nil, sessionTimeoutMs: Int32 = 45_000,
        rebalanceTimeoutMs: Int32 = 60_000, heartbeatIntervalMs: Int = 3_000, autoCommit: Bool = true,
        autoCommitIntervalMs: Int = 5_000, assignors: [any PartitionAssignor] = [RangeAssignor(), RoundRobinAssignor()]
    ) {
        self.groupId = groupId
        self.groupInstanceId = groupInstanceId
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.heartbeatIntervalMs = heartbeatIntervalMs
        self.autoCommit = autoCommit
        self.autoCommitIntervalMs = autoCommitIntervalMs
        self.assignors = assignors
    }
}

/// A consumer that is a member of a consumer group: JoinGroup / SyncGroup with client-side assignment (the leader
/// runs the chosen assignor), heartbeats in a background task, rejoin when the coordinator says the group is
/// rebalancing or the member is stale, starting positions from committed offsets (else `autoOffsetReset`),
/// auto commit every `autoCommitIntervalMs`, before a rejoin and on `close()`, and LeaveGroup on close.
///
/// Fetching is delegated to a `KafkaConsumer` whose assignment is replaced after each rebalance.
public actor GroupConsumer {
    public let client: KafkaClient
    public nonisolated let configuration: GroupConsumerConfiguration
    public nonisolated let consumerConfiguration: ConsumerConfiguration
    private let consumer: KafkaConsumer
    private var topics: [String] = []
    private var memberId = ""
    private var generation: Int32 = -1
    private var needsJoin = true
    private var coordinator: Int32?
    private var heartbeatTask: Task<Void, Never>?
    private var lastCommit = ContinuousClock.now
    private var lastCommitted: [TopicPartition: Int64] = [:]
    private var closed = false
    /// True while a JoinGroup/SyncGroup is outstanding: the broker answers a connection's requests in order, so
    /// anything else sent on the pooled connection would wait behind the held JoinGroup.
    private var joining = false

    public init(
        client: KafkaClient, configuration: GroupConsumerConfiguration,
        consumerConfiguration: ConsumerConfiguration = ConsumerConfiguration()
    ) {
        self.client = client
        self.configuration = configuration
        self.consumerConfiguration = consumerConfiguration
        self.consumer = KafkaConsumer(client: client, configuration: consumerConfiguration)
    }

    /// Sets the subscribed topics; the next poll (re)joins the group.
    public func subscribe(_ topics: [String]) {
        self.topics = topics
        needsJoin = true
    }

    /// The member id the coordinator gave this consumer ("" before the first join).
    public var currentMemberId: String { memberId }
    public var currentGeneration: Int32 { generation }

    /// The partitions currently assigned, with their next offsets.
    public func assignment() async -> [TopicPartition: Int64] { await consumer.assignment }

    /// Joins (or rejoins) when needed, auto-commits when the interval has passed, then fetches once.
    public func poll() async throws -> [ConsumerRecord] {
        guard !closed else { throw KafkaClientError.closed }
        if needsJoin {
            if configuration.autoCommit, generation >= 0 { try? await commit() }
            try await join()
        }
        // Like the Java client, auto commit runs at the start of a poll: it covers the records handed out by
        // earlier polls, never the ones this poll is about to return.
        if configuration.autoCommit,
            ContinuousClock.now - lastCommit >= .milliseconds(configuration.autoCommitIntervalMs)
        {
            try? await commit()
        }
        let assigned = await consumer.assignment
        let records: [ConsumerRecord]
        if assigned.isEmpty {
            try await Task.sleep(for: .milliseconds(Int(consumerConfiguration.maxWaitMs)))
            records = []
        } else {
            records = try await consumer.poll()
        }
        return records
    }

    /// Commits the current positions of every assigned partition (offsets already committed are skipped).
    public func commit() async throws {
        let positions = await consumer.assignment
        lastCommit = ContinuousClock.now
        let changed = positions.filter { lastCommitted[$0.key] != $0.value }
        guard !changed.isEmpty, generation >= 0 else { return }
        try await commit(changed)
    }

    /// Commits explicit offsets (the next offset to read) as this member.
    public func commit(_ offsets: [TopicPartition: Int64]) async throws {
        do {
            try await client.commitOffsets(
                group: configuration.groupId, offsets: offsets, generation: generation, memberId: memberId,
                groupInstanceId: configuration.groupInstanceId)
            for (tp, o) in offsets { lastCommitted[tp] = o }
        } catch let e as KafkaClientError {
            noteGroupError(e.errorCode)
            throw e
        }
    }

    /// Commits (when auto commit is on), leaves the group and stops heartbeats. Does not close the client.
    public func close() async {
        guard !closed else { return }
        // Positions were committed before the rejoin started and nothing was fetched since.
        if configuration.autoCommit, generation >= 0, !joining { try? await commit() }
        closed = true
        heartbeatTask?.cancel()
        heartbeatTask = nil
        if !memberId.isEmpty {
            var request = LeaveGroupRequest()
            request.groupId = configuration.groupId
            request.memberId = memberId
            var identity = LeaveGroupRequest.MemberIdentity()
            identity.memberId = memberId
            identity.groupInstanceId = configuration.groupInstanceId
            identity.reason = "the consumer is being closed"
            request.members = [identity]
            if joining {
                await leaveOnSeparateConnection(request)
            } else {
                _ = try? await client.sendToCoordinator(request, group: configuration.groupId)
            }
        }
        memberId = ""
        generation = -1
    }

    /// Sends LeaveGroup on a connection of its own (the pooled one is blocked by a held JoinGroup).
    private func leaveOnSeparateConnection(_ request: LeaveGroupRequest) async {
        guard let id = coordinator, let node = await client.cachedMetadata?.brokers[id] else { return }
        let config = client.configuration
        guard
            let conn = try? await BrokerConnection.connect(
                to: node.address, clientId: config.clientId, connectTimeoutMs: config.connectTimeoutMs,
                requestTimeoutMs: config.requestTimeoutMs, security: config.security)
        else { return }
        _ = try? await conn.send(request)
        await conn.close()
    }

    // MARK: Membership

    private func noteGroupError(_ code: ErrorCode?) {
        switch code {
        case .rebalanceInProgress?, .illegalGeneration?:
            needsJoin = true
        case .unknownMemberId?, .fencedInstanceId?:
            memberId = ""
            generation = -1
            needsJoin = true
        case let code? where code.asksForCoordinatorAgain:
            // The coordinator moved (its `__consumer_offsets` partition has a new leader) or is loading:
            // FindCoordinator again before the next group request.
            coordinator = nil
        default:
            break
        }
    }

    private func coordinatorId() async throws -> Int32 {
        if let coordinator { return coordinator }
        let id = try await client.findCoordinator(group: configuration.groupId)
        coordinator = id
        return id
    }

    private func sendToCoordinator<R: KafkaRequest>(_ request: R) async throws -> R.Response {
        let id = try await coordinatorId()
        do {
            return try await client.send(request, toRoleHolder: id)
        } catch {
            coordinator = nil
            throw error
        }
    }

    private func join() async throws {
        guard !topics.isEmpty else { throw KafkaClientError.invalidArgument("no topics subscribed") }
        let deadline =
            ContinuousClock.now
            + .milliseconds(Int(configuration.rebalanceTimeoutMs) + client.configuration.retryTimeoutMs)
        var backoff = client.configuration.retryBackoffMs
        joining = true
        defer { joining = false }
        while true {
            try Task.checkCancellation()
            guard !closed else { throw KafkaClientError.closed }
            // v2 carries what this member owns and since which generation: sticky assignors keep it in place, and
            // under the cooperative protocol the member keeps consuming it through the rebalance.
            let ownedNow = await consumer.assignment.keys.sorted()
            let subscription = ConsumerProtocolSubscription(
                topics: topics.sorted(), ownedPartitions: Self.protocolPartitions(ownedNow),
                generationId: generation
            ).encoded(version: 2)
            var request = JoinGroupRequest()
            request.groupId = configuration.groupId
            request.sessionTimeoutMs = configuration.sessionTimeoutMs
            request.rebalanceTimeoutMs = configuration.rebalanceTimeoutMs
            request.memberId = memberId
            request.groupInstanceId = configuration.groupInstanceId
            request.protocolType = "consumer"
            request.protocols = configuration.assignors.map { .init(name: $0.name, metadata: subscription) }
            let response: JoinGroupResponse
            do {
                response = try await sendToCoordinator(request)
            } catch let e as KafkaClientError where e.isRetriable {
                try await pause(&backoff, until: deadline)
                continue
            }
            guard !closed else { throw KafkaClientError.closed }
            switch ErrorCode(rawValue: response.errorCode) {
            case .noError?:
                break
            case .memberIdRequired?:
                memberId = response.memberId
                continue
            case .unknownMemberId?:
                memberId = ""
                continue
            case .rebalanceInProgress?, .illegalGeneration?:
                continue
            case let code? where code.asksForCoordinatorAgain:
                coordinator = nil
                try await pause(&backoff, until: deadline)
                continue
            default:
                try KafkaClientError.check(response.errorCode, context: "join group \(configuration.groupId)")
            }
            memberId = response.memberId
            generation = response.generationId
            let protocolName = response.protocolName ?? configuration.assignors.first?.name ?? "range"

            var sync = SyncGroupRequest()
            sync.groupId = configuration.groupId
            sync.generationId = generation
            sync.memberId = memberId
            sync.groupInstanceId = configuration.groupInstanceId
            sync.protocolType = "consumer"
            sync.protocolName = protocolName
            if response.leader == memberId && !response.skipAssignment {
                do {
                    sync.assignments = try await leaderAssignments(response.members, protocolName: protocolName)
                } catch let e as KafkaClientError where e.isRetriable {
                    try await pause(&backoff, until: deadline)
                    continue
                }
            }
            let synced: SyncGroupResponse
            do {
                synced = try await sendToCoordinator(sync)
            } catch let e as KafkaClientError where e.isRetriable {
                try await pause(&backoff, until: deadline)
                continue
            }
            switch ErrorCode(rawValue: synced.errorCode) {
            case .noError?:
                break
            case .unknownMemberId?:
                memberId = ""
                continue
            case .rebalanceInProgress?, .illegalGeneration?:
                continue
            case let code? where code.asksForCoordinatorAgain:
                coordinator = nil
                try await pause(&backoff, until: deadline)
                continue
            default:
                try KafkaClientError.check(synced.errorCode, context: "sync group \(configuration.groupId)")
            }
            let assignment: ConsumerProtocolAssignment
            do {
                assignment = try ConsumerProtocolAssignment.decode(synced.assignment).value
            } catch {
                throw KafkaClientError.malformedResponse(api: .syncGroup, reason: "assignment: \(error)")
            }
            var tps: [TopicPartition] = []
            for t in assignment.assignedPartitions { tps += t.partitions.map { TopicPartition(t.topic, $0) } }
            let cooperative = configuration.assignors.first { $0.name == protocolName }?.isCooperative ?? false
            let owned = Set(await consumer.assignment.keys)
            let change =
                cooperative
                ? CooperativeRebalance.reconcile(owned: owned, assigned: Set(tps))
                : (revoked: owned, added: Set(tps), rejoin: false)
            if cooperative, !change.revoked.isEmpty, configuration.autoCommit {
                // Commit what was consumed from the partitions this member gives up, before another takes them.
                let positions = await consumer.assignment.filter {
                    change.revoked.contains($0.key) && lastCommitted[$0.key] != $0.value
                }
                if !positions.isEmpty { try? await commit(positions) }
            }
            let fresh = change.added.sorted()
            let committed =
                fresh.isEmpty
                ? [:] : try await client.fetchCommittedOffsets(group: configuration.groupId, partitions: fresh)
            var starts: [TopicPartition: StartPosition] = [:]
            for tp in fresh {
                if let o = committed[tp] {
                    starts[tp] = .offset(o)
                } else {
                    starts[tp] = consumerConfiguration.autoOffsetReset == .earliest ? .earliest : .latest
                }
            }
            if cooperative {
                try await consumer.incrementalAssign(adding: starts, removing: change.revoked)
                for tp in change.revoked { lastCommitted[tp] = nil }
                lastCommitted.merge(committed) { _, new in new }
            } else {
                try await consumer.assign(starts)
                lastCommitted = committed
            }
            // Under the cooperative protocol a member that gave partitions up rejoins at once, so the follow-up
            // rebalance can hand them to their new owner.
            needsJoin = change.rejoin
            startHeartbeats()
            return
        }
    }

    static func protocolPartitions(_ tps: [TopicPartition]) -> [ConsumerProtocolSubscription.TopicPartition] {
        let byTopic = Dictionary(grouping: tps, by: \.topic)
        return byTopic.keys.sorted().map {
            .init(topic: $0, partitions: byTopic[$0, default: []].map(\.partition).sorted())
        }
    }

    /// Sleeps `backoff` ms and doubles it; throws once `deadline` has passed.
    private func pause(_ backoff: inout Int, until deadline: ContinuousClock.Instant) async throws {
        guard ContinuousClock.now < deadline else {
            throw KafkaClientError.timeout(
                ms: Int(configuration.rebalanceTimeoutMs), what: "joining group \(configuration.groupId)")
        }
        try await Task.sleep(for: .milliseconds(backoff))
        backoff = min(backoff * 2, client.configuration.retryBackoffMaxMs)
    }

    /// The leader's SyncGroup assignments: decode every member's subscription, look up partition counts, run
    /// the assignor the coordinator chose.
    private func leaderAssignments(_ members: [JoinGroupResponse.JoinGroupResponseMember], protocolName: String)
        async throws -> [SyncGroupRequest.SyncGroupRequestAssignment]
    {
        var subscriptions: [String: [String]] = [:]
        var memberStates: [String: MemberSubscription] = [:]
        for m in members {
            let decoded = try? ConsumerProtocolSubscription.decode(m.metadata).value
            let topics = decoded?.topics ?? []
            subscriptions[m.memberId] = topics
            var owned: [TopicPartition] = []
            for t in decoded?.ownedPartitions ?? [] { owned += t.partitions.map { TopicPartition(t.topic, $0) } }
            memberStates[m.memberId] = MemberSubscription(
                topics: topics, ownedPartitions: owned, generation: decoded?.generationId ?? -1)
        }
        let allTopics = Set(subscriptions.values.joined()).sorted()
        let md = try await client.metadata(topics: allTopics)
        var counts: [String: Int32] = [:]
        for t in allTopics { if let tm = md.topics[t], tm.errorCode == 0 { counts[t] = Int32(tm.partitions.count) } }
        let assignor = configuration.assignors.first { $0.name == protocolName } ?? RangeAssignor()
        var result = assignor.assign(members: memberStates, partitionCounts: counts)
        if assignor.isCooperative {
            result = CooperativeRebalance.withholdingTransfers(result, owned: memberStates.mapValues(\.ownedPartitions))
        }
        return subscriptions.keys.sorted().map { member in
            let tps = result[member] ?? []
            let byTopic = Dictionary(grouping: tps, by: \.topic)
            let a = ConsumerProtocolAssignment(
                assignedPartitions: byTopic.keys.sorted().map { t in
                    .init(topic: t, partitions: byTopic[t, default: []].map(\.partition).sorted())
                })
            return .init(memberId: member, assignment: a.encoded(version: 0))
        }
    }

    private func startHeartbeats() {
        guard heartbeatTask == nil else { return }
        let interval = configuration.heartbeatIntervalMs
        heartbeatTask = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(interval))
                guard let self, !Task.isCancelled else { return }
                await self.heartbeat()
            }
        }
    }

    private func heartbeat() async {
        guard !closed, !needsJoin, generation >= 0, !memberId.isEmpty else { return }
        var request = HeartbeatRequest()
        request.groupId = configuration.groupId
        request.generationId = generation
        request.memberId = memberId
        request.groupInstanceId = configuration.groupInstanceId
        guard let response = try? await sendToCoordinator(request) else { return }
        if response.errorCode != 0 { noteGroupError(ErrorCode(rawValue: response.errorCode)) }
    }
}
