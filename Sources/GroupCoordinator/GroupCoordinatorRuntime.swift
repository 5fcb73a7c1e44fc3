import KafkaProtocol
import KafkaRecords

/// Appends one record batch to a `__consumer_offsets` partition as leader and returns once it is acknowledged
/// (`.noError`) or failed (the Kafka error of the append).
public typealias OffsetsAppender = @Sendable (_ partition: Int32, _ batch: [UInt8]) async -> ErrorCode

/// The group coordinator: owns every group of the `__consumer_offsets` partitions this broker leads, performs
/// the actions the `ClassicGroup` state machines return (answers parked JoinGroup/SyncGroup requests, appends
/// records, logs) and fires their timers from `tick()`.
///
/// Threading: an actor. The clock, the id source, the log sink and the appender are injected so tests run without
/// sockets or sleeps; production passes the wall clock and calls `tick()` from a timer loop.
public actor GroupCoordinatorRuntime {
    public enum PartitionStatus: Sendable, Equatable {
        case loading
        case loaded
    }

    private enum Outcome: Sendable {
        case join(JoinGroupResult)
        case sync(SyncGroupResult)
    }

    private struct LoadScratch {
        var groups: [String: GroupMetadataValue?] = [:]
        var offsets: [String: [TopicPartitionKey: CommittedOffset?]] = [:]
    }

    public let config: GroupConfig
    private let clock: @Sendable () -> Int64
    private let newId: @Sendable () -> String
    private let log: @Sendable (String) -> Void
    private let appender: OffsetsAppender

    public private(set) var partitionCount: Int32
    private var partitions: [Int32: PartitionStatus] = [:]
    private var scratch: [Int32: LoadScratch] = [:]
    private var groups: [String: ClassicGroup] = [:]
    private var nextToken: UInt64 = 0
    private var waiters: [UInt64: CheckedContinuation<Outcome, Never>] = [:]
    private var early: [UInt64: Outcome] = [:]

    public init(
        config: GroupConfig, partitionCount: Int32, clock: @escaping @Sendable () -> Int64,
        newId: @escaping @Sendable () -> String, log: @escaping @Sendable (String) -> Void,
        appender: @escaping OffsetsAppender
    ) {
        self.config = config
        self.partitionCount = partitionCount
        self.clock = clock
        self.newId = newId
        self.log = log
        self.appender = appender
    }

    // MARK: partitions

    public func setPartitionCount(_ count: Int32) { if count > 0 { partitionCount = count } }

    public func partition(for groupId: String) -> Int32 {
        GroupPlacement.partition(for: groupId, partitionCount: partitionCount)
    }

    public func status(of partition: Int32) -> PartitionStatus? { partitions[partition] }

    /// NOT_COORDINATOR when another broker owns the group, COORDINATOR_LOAD_IN_PROGRESS while loading.
    public func coordinatorError(for groupId: String) -> ErrorCode {
        switch partitions[partition(for: groupId)] {
        case nil: return .notCoordinator
        case .loading: return .coordinatorLoadInProgress
        case .loaded: return .noError
        }
    }

    /// Starts loading a partition this broker now leads; its groups answer COORDINATOR_LOAD_IN_PROGRESS meanwhile.
    /// Returns false (and does nothing) when the partition is already loading or loaded.
    @discardableResult
    public func beginLoading(partition: Int32) -> Bool {
        guard partitions[partition] == nil else { return false }
        partitions[partition] = .loading
        scratch[partition] = LoadScratch()
        return true
    }

    /// Replays stored bytes (whole record batches, as read from the log) of a partition being loaded. The last
    /// record for a key wins; tombstones remove. Returns the offset after the last complete batch.
    @discardableResult
    public func replay(partition: Int32, batches bytes: [UInt8]) -> Int64? {
        guard var s = scratch[partition] else { return nil }
        defer { scratch[partition] = s }
        var nextOffset: Int64?
        let entries: [RecordBatchIterator.Entry]
        do {
            entries = try RecordBatchIterator.batches(in: bytes).entries
        } catch {
            log("Cannot read batches of __consumer_offsets-\(partition) while loading: \(error)")
            return nil
        }
        for entry in entries {
            nextOffset = entry.header.lastOffset + 1
            if entry.header.isControl { continue }
            let batch: RecordBatch
            do {
                batch = try RecordBatch(parsing: Array(bytes[entry.range]))
            } catch {
                log("Skipping unreadable batch at offset \(entry.header.baseOffset) of __consumer_offsets-\(partition): \(error)")
                continue
            }
            for record in batch.records {
                guard let key = record.key else { continue }
                do {
                    switch try OffsetsTopicRecord(key: key, value: record.value) {
                    case .offset(let k, let v):
                        s.offsets[k.group, default: [:]][TopicPartitionKey(topic: k.topic, partition: k.partition)] =
                            .some(v.map { CommittedOffset(offset: $0.offset, leaderEpoch: $0.leaderEpoch, metadata: $0.metadata, commitTimestamp: $0.commitTimestamp) })
                    case .group(let g, let v):
                        s.groups[g] = .some(v)
                        if v == nil { s.offsets[g] = nil }
                    case .unknown:
                        continue
                    }
                } catch {
                    log("Skipping unreadable record in __consumer_offsets-\(partition): \(error)")
                }
            }
        }
        return nextOffset
    }

    /// Materializes the loaded groups and offsets and starts serving the partition.
    public func finishLoading(partition: Int32) {
        let s = scratch.removeValue(forKey: partition) ?? LoadScratch()
        let now = clock()
        var loaded = 0
        for name in Set(s.groups.keys).union(s.offsets.keys) {
            var group: ClassicGroup
            if case .some(.some(let value)) = s.groups[name] {
                group = ClassicGroup(groupId: name, partition: partition, config: config, loaded: value, now: now)
            } else {
                group = ClassicGroup(groupId: name, partition: partition, config: config, now: now)
            }
            for (tp, offset) in s.offsets[name] ?? [:] {
                if let offset { group.offsets[tp] = offset }
            }
            let groupDeleted = s.groups[name].map { $0 == nil } ?? false
            if groupDeleted && group.offsets.isEmpty { continue }
            if s.groups[name] == nil && group.offsets.isEmpty { continue }
            groups[name] = group
            loaded += 1
        }
        partitions[partition] = .loaded
        log("Finished loading offsets and group metadata from __consumer_offsets-\(partition): \(loaded) groups")
    }

    /// Stops serving a partition (leadership moved): its groups are dropped and parked requests told NOT_COORDINATOR.
    public func unload(partition: Int32) {
        partitions[partition] = nil
        scratch[partition] = nil
        for (name, group) in groups where group.partition == partition {
            for m in group.members.values {
                if let t = m.awaitingJoin { deliver(t, .join(.failure(.notCoordinator, memberId: m.memberId))) }
                if let t = m.awaitingSync { deliver(t, .sync(.failure(.notCoordinator))) }
            }
            groups[name] = nil
        }
    }

    // MARK: group APIs

    public func join(groupId: String, _ input: JoinGroupInput) async -> JoinGroupResult {
        guard !groupId.isEmpty else { return .failure(.invalidGroupId, memberId: input.memberId) }
        let status = coordinatorError(for: groupId)
        guard status == .noError else { return .failure(status, memberId: input.memberId) }
        if groups[groupId] == nil {
            guard input.memberId.isEmpty else { return .failure(.unknownMemberId, memberId: input.memberId) }
            groups[groupId] = ClassicGroup(groupId: groupId, partition: partition(for: groupId), config: config, now: clock())
        }
        let token = makeToken()
        let actions = groups[groupId]?.join(input, token: token, freshId: newId(), now: clock()) ?? []
        await perform(groupId, actions)
        if case .join(let result) = await outcome(token) { return result }
        return .failure(.unknownServerError, memberId: input.memberId)
    }

    public func sync(groupId: String, _ input: ClassicGroup.SyncInput) async -> SyncGroupResult {
        guard !groupId.isEmpty else { return .failure(.invalidGroupId) }
        let status = coordinatorError(for: groupId)
        guard status == .noError else { return .failure(status) }
        guard groups[groupId] != nil else { return .failure(.unknownMemberId) }
        let token = makeToken()
        let actions = groups[groupId]?.sync(input, token: token, now: clock()) ?? []
        await perform(groupId, actions)
        if case .sync(let result) = await outcome(token) { return result }
        return .failure(.unknownServerError)
    }

    public func heartbeat(groupId: String, memberId: String, groupInstanceId: String?, generationId: Int32) -> ErrorCode {
        guard !groupId.isEmpty else { return .invalidGroupId }
        let status = coordinatorError(for: groupId)
        // Kafka answers heartbeats during a load with NONE so members do not rejoin needlessly.
        if status == .coordinatorLoadInProgress { return .noError }
        guard status == .noError else { return status }
        guard groups[groupId] != nil else { return .unknownMemberId }
        return groups[groupId]?.heartbeat(
            memberId: memberId, groupInstanceId: groupInstanceId, generationId: generationId, now: clock()) ?? .unknownMemberId
    }

    /// Returns a top-level error (when the whole request fails) and one error per member.
    public func leave(
        groupId: String, members: [(memberId: String, groupInstanceId: String?)]
    ) async -> (error: ErrorCode, members: [ErrorCode]) {
        guard !groupId.isEmpty else { return (.invalidGroupId, []) }
        let status = coordinatorError(for: groupId)
        guard status == .noError else { return (status, []) }
        guard groups[groupId] != nil else { return (.noError, members.map { _ in .unknownMemberId }) }
        let result = groups[groupId]?.leave(members, now: clock()) ?? (errors: [], actions: [])
        await perform(groupId, result.actions)
        return (.noError, result.errors)
    }

    // MARK: offsets

    /// Commits offsets: validates against the group, appends the records, then applies them. Returns one error per
    /// input entry, in order.
    public func commit(
        groupId: String, memberId: String, groupInstanceId: String?, generationId: Int32,
        offsets: [(TopicPartitionKey, CommittedOffset)]
    ) async -> [ErrorCode] {
        func all(_ code: ErrorCode) -> [ErrorCode] { offsets.map { _ in code } }
        let status = coordinatorError(for: groupId)
        guard status == .noError else { return all(status) }
        let now = clock()
        if groups[groupId] == nil {
            guard generationId < 0 else { return all(.illegalGeneration) }
            groups[groupId] = ClassicGroup(groupId: groupId, partition: partition(for: groupId), config: config, now: now)
        }
        let verdict = groups[groupId]?.validateCommit(
            memberId: memberId, groupInstanceId: groupInstanceId, generationId: generationId, now: now) ?? .unknownMemberId
        guard verdict == .noError else { return all(verdict) }
        var errors: [ErrorCode] = []
        var builder = RecordBatchBuilder()
        var accepted: [(TopicPartitionKey, CommittedOffset)] = []
        for (tp, o) in offsets {
            if o.metadata.utf8.count > config.offsetMetadataMaxBytes {
                errors.append(.offsetMetadataTooLarge)
                continue
            }
            errors.append(.noError)
            accepted.append((tp, o))
            let key = OffsetCommitKey(group: groupId, topic: tp.topic, partition: tp.partition).encoded()
            let value = OffsetCommitValue(
                offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, commitTimestamp: o.commitTimestamp)
            builder.append(timestamp: now, key: key, value: value.encoded())
        }
        guard !accepted.isEmpty else { return errors }
        let appended = await append(groupId: groupId, builder)
        guard appended == .noError else {
            return errors.map { $0 == .noError ? appended : $0 }
        }
        for (tp, o) in accepted { groups[groupId]?.offsets[tp] = o }
        return errors
    }

    /// Committed offsets; nil `partitions` asks for all of them. Unknown group or partition → nil offset.
    public func fetchOffsets(
        groupId: String, partitions wanted: [TopicPartitionKey]?
    ) -> (error: ErrorCode, offsets: [(TopicPartitionKey, CommittedOffset?)]) {
        let status = coordinatorError(for: groupId)
        guard status == .noError else { return (status, []) }
        let stored = groups[groupId]?.offsets ?? [:]
        if let wanted { return (.noError, wanted.map { ($0, stored[$0]) }) }
        return (.noError, stored.keys.sorted().map { ($0, stored[$0]) })
    }

    /// Deletes committed offsets of a group (OffsetDelete). Partitions of topics the group still consumes get
    /// GROUP_SUBSCRIBED_TO_TOPIC; a group with members whose subscriptions are unknown gets NON_EMPTY_GROUP.
    public func deleteOffsets(
        groupId: String, partitions: [TopicPartitionKey]
    ) async -> (error: ErrorCode, partitions: [ErrorCode]) {
        let status = coordinatorError(for: groupId)
        guard status == .noError else { return (status, []) }
        guard let group = groups[groupId], group.state != .dead else { return (.groupIdNotFound, []) }
        var subscribed = Set<String>()
        if group.state != .empty {
            guard let topics = group.subscribedTopics() else { return (.nonEmptyGroup, []) }
            subscribed = topics
        }
        var errors: [ErrorCode] = []
        var builder = RecordBatchBuilder()
        var removed: [TopicPartitionKey] = []
        let now = clock()
        for tp in partitions {
            if subscribed.contains(tp.topic) {
                errors.append(.groupSubscribedToTopic)
                continue
            }
            errors.append(.noError)
            if group.offsets[tp] != nil {
                removed.append(tp)
                builder.append(
                    timestamp: now, key: OffsetCommitKey(group: groupId, topic: tp.topic, partition: tp.partition).encoded(),
                    value: nil)
            }
        }
        if !removed.isEmpty {
            let appended = await append(groupId: groupId, builder)
            guard appended == .noError else { return (appended, []) }
            for tp in removed { groups[groupId]?.offsets[tp] = nil }
        }
        return (.noError, errors)
    }

    // MARK: admin

    public func listGroups() -> [(groupId: String, protocolType: String, state: GroupStateName)] {
        groups.values.filter { partitions[$0.partition] == .loaded && $0.state != .dead }
            .sorted { $0.groupId < $1.groupId }
            .map { ($0.groupId, $0.protocolType ?? "", $0.state) }
    }

    public func describe(groupId: String) -> (error: ErrorCode, group: GroupDescription) {
        let status = coordinatorError(for: groupId)
        guard status == .noError else { return (status, .dead) }
        return (.noError, groups[groupId]?.describe() ?? .dead)
    }

    /// DeleteGroups: only Empty groups; writes tombstones for the group and its offsets.
    public func deleteGroup(_ groupId: String) async -> ErrorCode {
        let status = coordinatorError(for: groupId)
        guard status == .noError else { return status }
        guard let group = groups[groupId], group.state != .dead else { return .groupIdNotFound }
        guard group.state == .empty else { return .nonEmptyGroup }
        var builder = RecordBatchBuilder()
        let now = clock()
        for tp in group.offsets.keys.sorted() {
            builder.append(
                timestamp: now, key: OffsetCommitKey(group: groupId, topic: tp.topic, partition: tp.partition).encoded(),
                value: nil)
        }
        builder.append(timestamp: now, key: GroupMetadataValue.key(group: groupId), value: nil)
        let appended = await append(groupId: groupId, builder)
        guard appended == .noError else { return appended }
        let actions = groups[groupId]?.markDead(now: now) ?? []
        groups[groupId] = nil
        await perform(groupId, actions)
        return .noError
    }

    /// A group's current state value (tests and tooling).
    public func group(_ groupId: String) -> ClassicGroup? { groups[groupId] }

    // MARK: timers

    /// Fires every due timer (session expiry, join deadlines, pending members).
    public func tick() async {
        let now = clock()
        for (name, group) in groups {
            guard let deadline = group.nextDeadline, deadline <= now else { continue }
            let actions = groups[name]?.tick(now: now) ?? []
            await perform(name, actions)
        }
    }

    /// Runs `tick()` every `intervalMs` until the task is cancelled (production).
    public nonisolated func startTimers(intervalMs: UInt64 = 100) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                await self.tick()
                try? await Task.sleep(nanoseconds: intervalMs * 1_000_000)
            }
        }
    }

    // MARK: plumbing

    private func makeToken() -> UInt64 {
        nextToken &+= 1
        return nextToken
    }

    private func deliver(_ token: UInt64, _ outcome: Outcome) {
        if let c = waiters.removeValue(forKey: token) {
            c.resume(returning: outcome)
        } else {
            early[token] = outcome
        }
    }

    private func outcome(_ token: UInt64) async -> Outcome {
        if let ready = early.removeValue(forKey: token) { return ready }
        return await withCheckedContinuation { (c: CheckedContinuation<Outcome, Never>) in
            if let ready = early.removeValue(forKey: token) {
                c.resume(returning: ready)
            } else {
                waiters[token] = c
            }
        }
    }

    private func perform(_ groupId: String, _ actions: [GroupAction]) async {
        for action in actions {
            switch action {
            case .log(let line):
                log(line)
            case .completeJoin(let token, let result):
                deliver(token, .join(result))
            case .completeSync(let token, let result):
                deliver(token, .sync(result))
            case .persist(let value):
                var builder = RecordBatchBuilder()
                builder.append(timestamp: clock(), key: GroupMetadataValue.key(group: groupId), value: value.encoded())
                let appended = await append(groupId: groupId, builder)
                if appended != .noError {
                    log("Failed to persist metadata of group \(groupId) generation \(value.generation): \(appended)")
                }
            }
        }
    }

    /// Appends a batch to the group's partition and maps log errors the way Kafka's coordinator does.
    private func append(groupId: String, _ builder: RecordBatchBuilder) async -> ErrorCode {
        let batch: [UInt8]
        do {
            batch = try builder.build()
        } catch {
            return .unknownServerError
        }
        let code = await appender(partition(for: groupId), batch)
        switch code {
        case .noError: return .noError
        case .unknownTopicOrPartition, .notEnoughReplicas, .notEnoughReplicasAfterAppend, .requestTimedOut:
            return .coordinatorNotAvailable
        case .notLeaderOrFollower, .kafkaStorageError:
            return .notCoordinator
        case .messageTooLarge, .recordListTooLarge, .invalidFetchSize:
            return .invalidCommitOffsetSize
        default:
            return .unknownServerError
        }
    }
}
