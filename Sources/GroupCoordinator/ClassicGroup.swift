import KafkaProtocol

/// One consumer group under Kafka's classic rebalance protocol, as a value.
///
/// Events (`join`, `sync`, `heartbeat`, `leave`, `tick`, …) are `mutating func`s that take the current time and
/// return `GroupAction`s; the coordinator actor performs them (answers parked requests, appends records, logs).
/// Deferred requests are named by opaque tokens the caller picks. Nothing here sleeps or does I/O.
///
/// States: Empty → PreparingRebalance → CompletingRebalance → Stable, back to PreparingRebalance on membership or
/// metadata changes, and Empty when the last member goes; Dead once deleted or unloaded.
public struct ClassicGroup: Sendable {
    public let groupId: String
    /// The `__consumer_offsets` partition that owns the group (for log lines).
    public let partition: Int32
    public let config: GroupConfig

    public private(set) var state: GroupStateName = .empty
    public private(set) var stateTimestamp: Int64
    public private(set) var generationId: Int32 = 0
    public private(set) var protocolType: String?
    public private(set) var protocolName: String?
    public private(set) var leaderId: String?
    public private(set) var members: [String: GroupMember] = [:]
    /// Join order: the first member is the initial leader, and listings are deterministic.
    public private(set) var memberOrder: [String] = []
    /// Members told MEMBER_ID_REQUIRED, with the deadline by which they must rejoin.
    public private(set) var pendingMembers: [String: Int64] = [:]
    /// group.instance.id → current member id.
    public private(set) var staticMembers: [String: String] = [:]
    /// Committed offsets.
    public var offsets: [TopicPartitionKey: CommittedOffset] = [:]
    /// Rebalances started per trigger and their durations, for the coordinator's metrics.
    public internal(set) var rebalances = RebalanceStats()

    /// When the current join phase ends (PreparingRebalance only).
    public private(set) var joinDeadline: Int64?
    private var initialDelayActive = false
    private var initialDelayRemaining: Int64 = 0
    /// When a member last joined during the initial delay (nil: nobody new since the delay started or was extended).
    private var lastMemberAddedAt: Int64?

    public init(groupId: String, partition: Int32, config: GroupConfig, now: Int64) {
        self.groupId = groupId
        self.partition = partition
        self.config = config
        self.stateTimestamp = now
    }

    // MARK: queries

    public var size: Int { members.count }
    public var isEmpty: Bool { members.isEmpty && pendingMembers.isEmpty }
    var tp: String { "__consumer_offsets-\(partition)" }
    var rebalanceTimeoutMs: Int64 { Int64(members.values.map(\.rebalanceTimeoutMs).max() ?? 0) }
    var staticMemberCount: Int { members.values.filter(\.isStatic).count }

    public func member(_ id: String) -> GroupMember? { members[id] }

    private func isFenced(memberId: String, instanceId: String?) -> Bool {
        guard let instanceId, let current = staticMembers[instanceId] else { return false }
        return current != memberId
    }

    /// Kafka's `supportsProtocols`: an empty group accepts any non-empty offer; otherwise the type must match and
    /// at least one offered protocol must be supported by every current member.
    func supportsProtocols(type: String, names: [String]) -> Bool {
        if members.isEmpty { return !type.isEmpty && !names.isEmpty }
        guard protocolType == type else { return false }
        return names.contains { name in members.values.allSatisfy { m in m.protocols.contains { $0.name == name } } }
    }

    /// The protocol vote: candidates are the protocols every member supports; each member votes for its first
    /// candidate; the most votes win (ties go to the candidate the leader prefers). nil when there is no candidate.
    public func selectProtocol() -> String? {
        let ordered = memberOrder.compactMap { members[$0] }
        guard let first = ordered.first else { return nil }
        let candidates = first.protocols.map(\.name).filter { name in
            ordered.allSatisfy { m in m.protocols.contains { $0.name == name } }
        }
        guard !candidates.isEmpty else { return nil }
        var votes: [String: Int] = [:]
        for m in ordered {
            if let vote = m.protocols.first(where: { candidates.contains($0.name) })?.name {
                votes[vote, default: 0] += 1
            }
        }
        let preference = (leaderId.flatMap { members[$0] } ?? first).protocols.map(\.name)
        let best = votes.values.max() ?? 0
        return preference.first { votes[$0] == best } ?? candidates.first { votes[$0] == best }
    }

    private func acceptsJoiningMember(_ memberId: String) -> Bool {
        switch state {
        case .empty, .dead:
            return true
        case .preparingRebalance:
            if let m = members[memberId], m.awaitingJoin != nil { return true }
            return members.values.filter { $0.awaitingJoin != nil }.count < config.maxSize
        case .completingRebalance, .stable:
            return members[memberId] != nil || members.count < config.maxSize
        }
    }

    private var allMembersJoined: Bool {
        pendingMembers.isEmpty && members.values.allSatisfy { $0.awaitingJoin != nil }
    }

    private func joinResult(for member: GroupMember, error: ErrorCode = .noError) -> JoinGroupResult {
        let isLeader = member.memberId == leaderId
        return JoinGroupResult(
            error: error, generationId: generationId, protocolType: protocolType, protocolName: protocolName,
            leaderId: leaderId ?? "", memberId: member.memberId,
            members: isLeader ? currentMemberMetadata() : [], skipAssignment: false)
    }

    private func currentMemberMetadata() -> [JoinGroupResult.Member] {
        memberOrder.compactMap { members[$0] }.map {
            .init(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, metadata: $0.metadata(for: protocolName))
        }
    }

    /// The group metadata record for the current state.
    public func metadataRecord() -> GroupMetadataValue {
        let empty = state == .empty || members.isEmpty
        return GroupMetadataValue(
            protocolType: protocolType ?? "", generation: generationId, protocolName: empty ? nil : protocolName,
            leader: empty ? nil : leaderId, currentStateTimestamp: stateTimestamp,
            members: empty
                ? []
                : memberOrder.compactMap { members[$0] }.map {
                    GroupMetadataMemberRecord(
                        memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, clientId: $0.clientId,
                        clientHost: $0.clientHost, rebalanceTimeoutMs: $0.rebalanceTimeoutMs,
                        sessionTimeoutMs: $0.sessionTimeoutMs, subscription: $0.metadata(for: protocolName),
                        assignment: $0.assignment)
                })
    }

    /// DescribeGroups: protocol, metadata and assignments only when Stable (Kafka's `GroupMetadata.summary`).
    public func describe() -> GroupDescription {
        let stable = state == .stable
        return GroupDescription(
            state: state, protocolType: protocolType ?? "", protocolName: stable ? (protocolName ?? "") : "",
            members: memberOrder.compactMap { members[$0] }.map {
                .init(
                    memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, clientId: $0.clientId,
                    clientHost: $0.clientHost, metadata: stable ? $0.metadata(for: protocolName) : [],
                    assignment: stable ? $0.assignment : [])
            })
    }

    /// Topics the members subscribe to, when the group is a consumer group with a chosen protocol.
    public func subscribedTopics() -> Set<String>? {
        guard protocolType == "consumer", let protocolName, !members.isEmpty else { return nil }
        var topics = Set<String>()
        for m in members.values {
            guard let decoded = try? ConsumerProtocolSubscription.decode(m.metadata(for: protocolName)) else {
                return nil
            }
            topics.formUnion(decoded.value.topics)
        }
        return topics
    }

    // MARK: transitions

    private mutating func transition(to next: GroupStateName, now: Int64) {
        state = next
        stateTimestamp = now
        if next == .stable || next == .empty { rebalances.settled(now: now, members: members.count) }
    }

    /// Moves to PreparingRebalance (from Empty, Stable or CompletingRebalance) and arms the join deadline.
    private mutating func prepareRebalance(
        reason: String, cause: RebalanceCause, now: Int64, actions: inout [GroupAction]
    ) {
        rebalances.began(cause, now: now)
        if state == .completingRebalance {
            // Pending SyncGroups of the abandoned generation learn that a new rebalance started.
            for id in memberOrder {
                members[id]?.assignment = []
                if let token = members[id]?.awaitingSync {
                    members[id]?.awaitingSync = nil
                    actions.append(.completeSync(token: token, .failure(.rebalanceInProgress)))
                }
            }
        }
        if state == .empty {
            // A new group waits group.initial.rebalance.delay.ms for more members, extended while they keep
            // coming, within the rebalance timeout (KIP-134, Kafka's InitialDelayedJoin).
            initialDelayActive = true
            lastMemberAddedAt = nil
            joinDeadline = now + config.initialRebalanceDelayMs
            initialDelayRemaining = max(rebalanceTimeoutMs - config.initialRebalanceDelayMs, 0)
        } else {
            initialDelayActive = false
            joinDeadline = now + rebalanceTimeoutMs
        }
        actions.append(
            .log(
                "Preparing to rebalance group \(groupId) in state PreparingRebalance with old generation \(generationId) (\(tp)) (reason: \(reason))"
            ))
        transition(to: .preparingRebalance, now: now)
        // Like Kafka's tryCompleteElseWatch: a join phase everyone has already entered completes at once.
        maybeCompleteJoin(now: now, actions: &actions)
    }

    private mutating func maybePrepareRebalance(
        reason: String, cause: RebalanceCause, now: Int64, actions: inout [GroupAction]
    ) {
        if state == .stable || state == .completingRebalance || state == .empty {
            prepareRebalance(reason: reason, cause: cause, now: now, actions: &actions)
        }
    }

    /// Completes the join phase early when every known member has rejoined (never during the initial delay).
    private mutating func maybeCompleteJoin(now: Int64, actions: inout [GroupAction]) {
        guard state == .preparingRebalance, !initialDelayActive, allMembersJoined else { return }
        completeJoin(now: now, actions: &actions)
    }

    /// Kafka's `onCompleteJoin`: drop dynamic members that did not rejoin, pick a leader among those that did,
    /// bump the generation, vote the protocol and answer every parked JoinGroup.
    private mutating func completeJoin(now: Int64, actions: inout [GroupAction]) {
        for id in memberOrder {
            guard let m = members[id], m.awaitingJoin == nil, !m.isStatic else { continue }
            actions.append(.log("Removing member \(id) from group \(groupId) (\(tp)): it did not rejoin in time"))
            rebalances.removedOnRebalanceTimeout(id)
            removeMember(id, actions: &actions)
        }
        if !members.isEmpty {
            let leaderRejoined = leaderId.flatMap { members[$0] }?.awaitingJoin != nil
            if !leaderRejoined {
                guard let newLeader = memberOrder.first(where: { members[$0]?.awaitingJoin != nil }) else {
                    // Only static members that have not rejoined: give them another rebalance timeout.
                    joinDeadline = now + rebalanceTimeoutMs
                    return
                }
                leaderId = newLeader
            }
        }
        joinDeadline = nil
        initialDelayActive = false
        lastMemberAddedAt = nil
        generationId += 1
        rebalances.joinCompleted(now: now, generation: generationId)
        if members.isEmpty {
            protocolName = nil
            leaderId = nil
            transition(to: .empty, now: now)
            actions.append(.log("Group \(groupId) with generation \(generationId) is now empty (\(tp))"))
            actions.append(.persist(metadataRecord()))
            return
        }
        protocolName = selectProtocol()
        transition(to: .completingRebalance, now: now)
        actions.append(
            .log("Stabilized group \(groupId) generation \(generationId) (\(tp)) with \(members.count) members"))
        for id in memberOrder {
            guard var m = members[id], let token = m.awaitingJoin else { continue }
            m.awaitingJoin = nil
            m.isNew = false
            m.latestHeartbeat = now
            members[id] = m
            actions.append(.completeJoin(token: token, joinResult(for: m)))
        }
    }

    /// Removes a member outright; its parked requests learn it is gone.
    private mutating func removeMember(_ id: String, actions: inout [GroupAction]) {
        guard let m = members.removeValue(forKey: id) else { return }
        memberOrder.removeAll { $0 == id }
        if let iid = m.groupInstanceId, staticMembers[iid] == id { staticMembers[iid] = nil }
        if let token = m.awaitingJoin { actions.append(.completeJoin(token: token, .failure(.unknownMemberId))) }
        if let token = m.awaitingSync { actions.append(.completeSync(token: token, .failure(.unknownMemberId))) }
        if leaderId == id { leaderId = memberOrder.first }
    }

    /// Removes a member and moves the group on (Kafka's `removeMemberAndUpdateGroup`).
    private mutating func removeMemberAndUpdateGroup(
        _ id: String, reason: String, trigger: RebalanceTrigger, now: Int64, actions: inout [GroupAction]
    ) {
        let cause = RebalanceCause(
            trigger: trigger, memberId: id, clientId: members[id]?.clientId ?? "",
            clientHost: members[id]?.clientHost ?? "")
        removeMember(id, actions: &actions)
        switch state {
        case .dead, .empty:
            break
        case .stable, .completingRebalance:
            prepareRebalance(reason: reason, cause: cause, now: now, actions: &actions)
        case .preparingRebalance:
            maybeCompleteJoin(now: now, actions: &actions)
        }
    }

    // MARK: JoinGroup

    /// Handles a JoinGroup. `token` names this request in the returned actions; `freshId` is a new random suffix
    /// used if the member needs an id. The request is answered by a `completeJoin` now or later.
    public mutating func join(_ input: JoinGroupInput, token: UInt64, freshId: String, now: Int64) -> [GroupAction] {
        var actions: [GroupAction] = []
        func reject(_ code: ErrorCode) -> [GroupAction] {
            [.completeJoin(token: token, .failure(code, memberId: input.memberId))]
        }
        if input.sessionTimeoutMs < config.minSessionTimeoutMs || input.sessionTimeoutMs > config.maxSessionTimeoutMs {
            return reject(.invalidSessionTimeout)
        }
        guard state != .dead else { return reject(.coordinatorNotAvailable) }
        guard acceptsJoiningMember(input.memberId) else {
            if pendingMembers.removeValue(forKey: input.memberId) != nil {
                maybeCompleteJoin(now: now, actions: &actions)
            }
            return actions + reject(.groupMaxSizeReached)
        }
        guard supportsProtocols(type: input.protocolType, names: input.protocols.map(\.name)) else {
            return reject(.inconsistentGroupProtocol)
        }
        if input.memberId.isEmpty {
            joinUnknownMember(input, token: token, freshId: freshId, now: now, actions: &actions)
        } else {
            joinKnownMember(input, token: token, now: now, actions: &actions)
        }
        return actions
    }

    private mutating func joinUnknownMember(
        _ input: JoinGroupInput, token: UInt64, freshId: String, now: Int64, actions: inout [GroupAction]
    ) {
        let newId = (input.groupInstanceId ?? input.clientId) + "-" + freshId
        if let iid = input.groupInstanceId {
            if staticMembers[iid] != nil {
                replaceStaticMember(input, newId: newId, token: token, now: now, actions: &actions)
            } else {
                addMemberAndRebalance(input, memberId: newId, token: token, now: now, actions: &actions)
            }
        } else if input.requiresKnownMemberId {
            // KIP-394: hand out the id first; the member rejoins with it within its session timeout.
            pendingMembers[newId] = now + Int64(input.sessionTimeoutMs)
            actions.append(
                .log(
                    "Dynamic member with unknown member id joins group \(groupId) in \(state.rawValue) state. Created a new member id \(newId) and request the member to rejoin with this id."
                ))
            actions.append(.completeJoin(token: token, .failure(.memberIdRequired, memberId: newId)))
        } else {
            addMemberAndRebalance(input, memberId: newId, token: token, now: now, actions: &actions)
        }
    }

    private mutating func joinKnownMember(
        _ input: JoinGroupInput, token: UInt64, now: Int64, actions: inout [GroupAction]
    ) {
        let id = input.memberId
        if pendingMembers.removeValue(forKey: id) != nil {
            addMemberAndRebalance(input, memberId: id, token: token, now: now, actions: &actions)
            return
        }
        if isFenced(memberId: id, instanceId: input.groupInstanceId) {
            actions.append(.completeJoin(token: token, .failure(.fencedInstanceId, memberId: id)))
            return
        }
        let instanceUnknown = input.groupInstanceId.map { staticMembers[$0] == nil } ?? false
        guard var member = members[id], !instanceUnknown else {
            actions.append(.completeJoin(token: token, .failure(.unknownMemberId, memberId: id)))
            return
        }
        switch state {
        case .preparingRebalance:
            updateMemberAndRebalance(input, token: token, now: now, actions: &actions)
        case .completingRebalance:
            if member.protocols == input.protocols {
                // A duplicate join (lost response): answer with the current generation.
                member.latestHeartbeat = now
                members[id] = member
                actions.append(.completeJoin(token: token, joinResult(for: member)))
            } else {
                updateMemberAndRebalance(input, token: token, now: now, actions: &actions)
            }
        case .stable:
            if id == leaderId || member.protocols != input.protocols {
                updateMemberAndRebalance(input, token: token, now: now, actions: &actions)
            } else {
                member.latestHeartbeat = now
                members[id] = member
                actions.append(.completeJoin(token: token, joinResult(for: member)))
            }
        case .empty, .dead:
            actions.append(.completeJoin(token: token, .failure(.unknownMemberId, memberId: id)))
        }
    }

    private mutating func addMemberAndRebalance(
        _ input: JoinGroupInput, memberId: String, token: UInt64, now: Int64, actions: inout [GroupAction]
    ) {
        let member = GroupMember(
            memberId: memberId, groupInstanceId: input.groupInstanceId, clientId: input.clientId,
            clientHost: input.clientHost, rebalanceTimeoutMs: input.rebalanceTimeoutMs,
            sessionTimeoutMs: input.sessionTimeoutMs, protocolType: input.protocolType, protocols: input.protocols,
            awaitingJoin: token, joinVersion: input.apiVersion, isNew: true, latestHeartbeat: now)
        if let iid = input.groupInstanceId { staticMembers[iid] = memberId }
        if leaderId == nil { leaderId = memberId }
        if members.isEmpty { protocolType = input.protocolType }
        members[memberId] = member
        memberOrder.append(memberId)
        if state == .preparingRebalance && initialDelayActive { lastMemberAddedAt = now }
        let reason =
            "Adding new member \(memberId) with group instance id \(input.groupInstanceId ?? "None")"
            + (input.reason.map { "; client reason: \($0)" } ?? "")
        if state == .preparingRebalance {
            maybeCompleteJoin(now: now, actions: &actions)
        } else {
            let cause = RebalanceCause(
                trigger: .memberJoined, memberId: memberId, clientId: input.clientId, clientHost: input.clientHost,
                clientReason: input.reason)
            maybePrepareRebalance(reason: reason, cause: cause, now: now, actions: &actions)
        }
    }

    private mutating func updateMemberAndRebalance(
        _ input: JoinGroupInput, token: UInt64, now: Int64, actions: inout [GroupAction]
    ) {
        guard var member = members[input.memberId] else { return }
        if let old = member.awaitingJoin, old != token {
            actions.append(.completeJoin(token: old, .failure(.rebalanceInProgress, memberId: member.memberId)))
        }
        member.protocols = input.protocols
        member.rebalanceTimeoutMs = input.rebalanceTimeoutMs
        member.sessionTimeoutMs = input.sessionTimeoutMs
        member.clientId = input.clientId
        member.clientHost = input.clientHost
        member.awaitingJoin = token
        member.joinVersion = input.apiVersion
        member.latestHeartbeat = now
        members[input.memberId] = member
        let reason =
            "Updating metadata for member \(member.memberId) during \(state.rawValue)"
            + (input.reason.map { "; client reason: \($0)" } ?? "")
        if state == .preparingRebalance {
            maybeCompleteJoin(now: now, actions: &actions)
        } else {
            let cause = RebalanceCause(
                trigger: .metadataChanged, memberId: member.memberId, clientId: input.clientId,
                clientHost: input.clientHost, clientReason: input.reason)
            prepareRebalance(reason: reason, cause: cause, now: now, actions: &actions)
        }
    }

    /// KIP-345: a static member rejoining with an unknown member id takes over its instance's slot under a new id;
    /// the old id is fenced. A Stable group whose protocol choice does not change skips the rebalance.
    private mutating func replaceStaticMember(
        _ input: JoinGroupInput, newId: String, token: UInt64, now: Int64, actions: inout [GroupAction]
    ) {
        guard let iid = input.groupInstanceId, let oldId = staticMembers[iid], var member = members[oldId] else {
            return
        }
        if let t = member.awaitingJoin {
            actions.append(.completeJoin(token: t, .failure(.fencedInstanceId, memberId: oldId)))
        }
        if let t = member.awaitingSync { actions.append(.completeSync(token: t, .failure(.fencedInstanceId))) }
        actions.append(
            .log(
                "Static member with groupInstanceId=\(iid) and unknown member id joins group \(groupId) in \(state.rawValue) state. Replacing previously mapped member \(oldId) with this groupInstanceId."
            ))
        let oldProtocols = member.protocols
        member.memberId = newId
        member.awaitingJoin = nil
        member.awaitingSync = nil
        member.protocols = input.protocols
        member.rebalanceTimeoutMs = input.rebalanceTimeoutMs
        member.sessionTimeoutMs = input.sessionTimeoutMs
        member.clientId = input.clientId
        member.clientHost = input.clientHost
        member.joinVersion = input.apiVersion
        member.latestHeartbeat = now
        members[oldId] = nil
        members[newId] = member
        if let i = memberOrder.firstIndex(of: oldId) { memberOrder[i] = newId }
        staticMembers[iid] = newId
        if leaderId == oldId { leaderId = newId }

        let staticCause = RebalanceCause(
            trigger: .staticMemberReplaced, memberId: newId, clientId: input.clientId, clientHost: input.clientHost,
            clientReason: input.reason)
        switch state {
        case .stable:
            if selectProtocol() == protocolName {
                let isLeader = newId == leaderId
                actions.append(.persist(metadataRecord()))
                var result = joinResult(for: member)
                result.skipAssignment = isLeader && input.apiVersion >= 9
                actions.append(.completeJoin(token: token, result))
            } else {
                members[newId]?.awaitingJoin = token
                prepareRebalance(
                    reason:
                        "Group's selectedProtocol will change because static member \(newId) with instance id \(iid) joined with change of protocol",
                    cause: staticCause, now: now, actions: &actions)
            }
            _ = oldProtocols
        case .completingRebalance:
            members[newId]?.awaitingJoin = token
            prepareRebalance(
                reason: "Updating metadata for static member \(newId) with instance id \(iid)",
                cause: staticCause, now: now,
                actions: &actions)
        case .preparingRebalance:
            members[newId]?.awaitingJoin = token
            maybeCompleteJoin(now: now, actions: &actions)
        case .empty, .dead:
            actions.append(.completeJoin(token: token, .failure(.unknownMemberId, memberId: newId)))
        }
    }

    // MARK: SyncGroup

    public struct SyncInput: Sendable, Equatable {
        public var memberId: String
        public var groupInstanceId: String?
        public var generationId: Int32
        public var protocolType: String?
        public var protocolName: String?
        public var assignments: [(memberId: String, assignment: [UInt8])]

        public init(
            memberId: String, groupInstanceId: String? = nil, generationId: Int32, protocolType: String? = nil,
            protocolName: String? = nil, assignments: [(memberId: String, assignment: [UInt8])] = []
        ) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.generationId = generationId
            self.protocolType = protocolType
            self.protocolName = protocolName
            self.assignments = assignments
        }

        public static func == (a: Self, b: Self) -> Bool {
            a.memberId == b.memberId && a.groupInstanceId == b.groupInstanceId && a.generationId == b.generationId
                && a.protocolType == b.protocolType && a.protocolName == b.protocolName
                && a.assignments.map(\.memberId) == b.assignments.map(\.memberId)
                && a.assignments.map(\.assignment) == b.assignments.map(\.assignment)
        }
    }

    /// Handles a SyncGroup. Followers wait for the leader's assignment; the leader's SyncGroup persists the group
    /// and then answers everyone (the `persist` action precedes the `completeSync`s).
    public mutating func sync(_ input: SyncInput, token: UInt64, now: Int64) -> [GroupAction] {
        func reply(_ code: ErrorCode) -> [GroupAction] { [.completeSync(token: token, .failure(code))] }
        guard state != .dead else { return reply(.coordinatorNotAvailable) }
        if isFenced(memberId: input.memberId, instanceId: input.groupInstanceId) { return reply(.fencedInstanceId) }
        guard var member = members[input.memberId] else { return reply(.unknownMemberId) }
        guard input.generationId == generationId else { return reply(.illegalGeneration) }
        if let t = input.protocolType, t != protocolType { return reply(.inconsistentGroupProtocol) }
        if let n = input.protocolName, n != protocolName { return reply(.inconsistentGroupProtocol) }
        switch state {
        case .empty, .dead:
            return reply(.unknownMemberId)
        case .preparingRebalance:
            return reply(.rebalanceInProgress)
        case .stable:
            member.latestHeartbeat = now
            members[input.memberId] = member
            return [
                .completeSync(
                    token: token,
                    SyncGroupResult(
                        error: .noError, protocolType: protocolType, protocolName: protocolName,
                        assignment: member.assignment))
            ]
        case .completingRebalance:
            var actions: [GroupAction] = []
            if let old = member.awaitingSync, old != token {
                actions.append(.completeSync(token: old, .failure(.rebalanceInProgress)))
            }
            member.awaitingSync = token
            member.latestHeartbeat = now
            members[input.memberId] = member
            guard input.memberId == leaderId else { return actions }
            actions.append(
                .log(
                    "Assignment received from leader \(input.memberId) for group \(groupId) for generation \(generationId). The group has \(members.count) members, \(staticMemberCount) of which are static."
                ))
            var given: [String: [UInt8]] = [:]
            for a in input.assignments { given[a.memberId] = a.assignment }
            for id in memberOrder { members[id]?.assignment = given[id] ?? [] }
            transition(to: .stable, now: now)
            actions.append(.persist(metadataRecord()))
            for id in memberOrder {
                guard let m = members[id], let t = m.awaitingSync else { continue }
                members[id]?.awaitingSync = nil
                actions.append(
                    .completeSync(
                        token: t,
                        SyncGroupResult(
                            error: .noError, protocolType: protocolType, protocolName: protocolName,
                            assignment: m.assignment)))
            }
            return actions
        }
    }

    // MARK: Heartbeat

    /// Handles a Heartbeat; resets the member's session timer when the member is valid.
    public mutating func heartbeat(memberId: String, groupInstanceId: String?, generationId gen: Int32, now: Int64)
        -> ErrorCode
    {
        guard state != .dead else { return .coordinatorNotAvailable }
        guard state != .empty else { return .unknownMemberId }
        if isFenced(memberId: memberId, instanceId: groupInstanceId) { return .fencedInstanceId }
        guard members[memberId] != nil else { return .unknownMemberId }
        guard gen == generationId else { return .illegalGeneration }
        members[memberId]?.latestHeartbeat = now
        return state == .preparingRebalance ? .rebalanceInProgress : .noError
    }

    // MARK: LeaveGroup

    /// Handles a LeaveGroup for one or more members; returns one error per member, in order.
    public mutating func leave(
        _ leaving: [(memberId: String, groupInstanceId: String?)], now: Int64
    ) -> (errors: [ErrorCode], actions: [GroupAction]) {
        guard state != .dead else { return (leaving.map { _ in .coordinatorNotAvailable }, []) }
        var actions: [GroupAction] = []
        var errors: [ErrorCode] = []
        for (memberId, instanceId) in leaving {
            var target = memberId
            if let instanceId {
                guard let current = staticMembers[instanceId] else { errors.append(.unknownMemberId); continue }
                if !memberId.isEmpty && memberId != current { errors.append(.fencedInstanceId); continue }
                target = current
            } else if pendingMembers.removeValue(forKey: memberId) != nil {
                errors.append(.noError)
                maybeCompleteJoin(now: now, actions: &actions)
                continue
            }
            guard members[target] != nil else { errors.append(.unknownMemberId); continue }
            actions.append(.log("Member \(target) in group \(groupId) has left, removing it from the group"))
            removeMemberAndUpdateGroup(
                target, reason: "removing member \(target) on LeaveGroup", trigger: .memberLeft, now: now,
                actions: &actions)
            errors.append(.noError)
        }
        return (errors, actions)
    }

    // MARK: timers

    /// The earliest time `tick` has something to do, if any.
    public var nextDeadline: Int64? {
        var next = joinDeadline
        func consider(_ t: Int64) { next = next.map { min($0, t) } ?? t }
        for d in pendingMembers.values { consider(d) }
        for m in members.values {
            if m.awaitingJoin != nil {
                if m.isNew { consider(m.latestHeartbeat + config.newMemberJoinTimeoutMs) }
            } else if m.awaitingSync == nil {
                consider(m.latestHeartbeat + Int64(m.sessionTimeoutMs))
            }
        }
        return next
    }

    /// Fires whatever is due at `now`: pending-member and session expiry, the end of the join phase.
    public mutating func tick(now: Int64) -> [GroupAction] {
        var actions: [GroupAction] = []
        guard state != .dead else { return actions }
        let expiredPending = pendingMembers.filter { $0.value <= now }.map(\.key)
        for id in expiredPending {
            pendingMembers[id] = nil
            actions.append(
                .log("Pending member \(id) in group \(groupId) has been removed after session timeout expiration."))
        }
        if !expiredPending.isEmpty { maybeCompleteJoin(now: now, actions: &actions) }
        for id in memberOrder {
            guard let m = members[id] else { continue }
            let keepAlive: Bool
            if m.awaitingJoin != nil {
                keepAlive = !m.isNew || m.latestHeartbeat + config.newMemberJoinTimeoutMs > now
            } else {
                keepAlive = m.awaitingSync != nil || m.latestHeartbeat + Int64(m.sessionTimeoutMs) > now
            }
            if keepAlive { continue }
            actions.append(.log("Member \(id) in group \(groupId) has failed, removing it from the group"))
            removeMemberAndUpdateGroup(
                id, reason: "removing member \(id) on heartbeat expiration", trigger: .sessionTimeout, now: now,
                actions: &actions)
        }
        if state == .preparingRebalance, let deadline = joinDeadline, deadline <= now {
            // The extension runs from the newest member's arrival, not from the end of the last delay (Kafka's
            // InitialDelayedJoin restarts the whole delay): the group still waits the full delay after every
            // joiner, but a burst of members starting together is Stable about one delay after the first, not two.
            let extended = lastMemberAddedAt.map {
                min($0 + config.initialRebalanceDelayMs, now + initialDelayRemaining)
            }
            if initialDelayActive, let extended, extended > now {
                initialDelayRemaining = max(initialDelayRemaining - (extended - now), 0)
                lastMemberAddedAt = nil
                joinDeadline = extended
            } else {
                completeJoin(now: now, actions: &actions)
            }
        }
        return actions
    }

    // MARK: offsets

    /// Kafka's `validateOffsetCommit` for classic groups. Generation −1 with no member id is a standalone commit,
    /// allowed while the group has no members.
    public mutating func validateCommit(
        memberId: String, groupInstanceId: String?, generationId gen: Int32, now: Int64
    ) -> ErrorCode {
        guard state != .dead else { return .coordinatorNotAvailable }
        if isFenced(memberId: memberId, instanceId: groupInstanceId) { return .fencedInstanceId }
        if gen < 0 && state == .empty { return .noError }
        if state == .completingRebalance { return .rebalanceInProgress }
        guard members[memberId] != nil else { return .unknownMemberId }
        guard gen == generationId else { return .illegalGeneration }
        members[memberId]?.latestHeartbeat = now
        return .noError
    }

    /// Marks the group deleted: it answers COORDINATOR_NOT_AVAILABLE until forgotten.
    public mutating func markDead(now: Int64) -> [GroupAction] {
        var actions: [GroupAction] = []
        for id in memberOrder { removeMember(id, actions: &actions) }
        pendingMembers = [:]
        joinDeadline = nil
        transition(to: .dead, now: now)
        return actions
    }

    // MARK: loading

    /// Rebuilds a group from its stored metadata record (coordinator load). A group with members comes back
    /// Stable with fresh session timers; one without comes back Empty.
    public init(groupId: String, partition: Int32, config: GroupConfig, loaded value: GroupMetadataValue, now: Int64) {
        self.init(groupId: groupId, partition: partition, config: config, now: now)
        protocolType = value.protocolType.isEmpty ? nil : value.protocolType
        generationId = value.generation
        protocolName = value.protocolName
        leaderId = value.leader
        stateTimestamp = value.currentStateTimestamp >= 0 ? value.currentStateTimestamp : now
        for m in value.members {
            members[m.memberId] = GroupMember(
                memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId,
                clientHost: m.clientHost, rebalanceTimeoutMs: m.rebalanceTimeoutMs,
                sessionTimeoutMs: m.sessionTimeoutMs,
                protocolType: value.protocolType,
                protocols: [GroupProtocol(name: value.protocolName ?? "", metadata: m.subscription)],
                assignment: m.assignment, isNew: false, latestHeartbeat: now)
            memberOrder.append(m.memberId)
            if let iid = m.groupInstanceId { staticMembers[iid] = m.memberId }
        }
        state = members.isEmpty ? .empty : .stable
        if leaderId.map({ members[$0] == nil }) ?? true { leaderId = memberOrder.first }
    }
}
