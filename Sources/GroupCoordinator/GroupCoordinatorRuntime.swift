import KafkaProtocol
import KafkaRecords

/// Appends one record batch to a `__consumer_offsets` partition as leader and returns once it is acknowledged
/// (`.noError`) or failed (the Kafka error of the append).
public typealias OffsetsAppender = @Sendable (_ partition: Int32, _ batch: [UInt8]) async -> ErrorCode
/// The append of a transactional offset commit with its KIP-890 verification guard (nil: not verified; 0: it
/// continues the producer's open transaction): the log refuses it INVALID_TXN_STATE when a marker ended the
/// transaction after the verification.
public typealias GuardedOffsetsAppender =
    @Sendable (_ partition: Int32, _ batch: [UInt8], _ verificationGuard: UInt64?) async -> ErrorCode

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
        var offsets: [String: [TopicPartitionKey: LoadedOffset]] = [:]
        /// Transactional offset commits per producer id, until their marker (Kafka's loader's `pendingOffsets`).
        var pending: [Int64: LoadedPendingOffsets] = [:]
        var markerEpochs: [Int64: Int16] = [:]
    }

    /// Who this broker is for an offsets partition, as the replica manager last said (with the leader epoch).
    private struct Ownership {
        var leaderEpoch: Int32
        var isLeader: Bool
    }

    public let config: GroupConfig
    let clock: @Sendable () -> Int64
    private let newId: @Sendable () -> String
    let log: @Sendable (String) -> Void
    private let appender: OffsetsAppender
    private let guardedAppender: GuardedOffsetsAppender?

    public private(set) var partitionCount: Int32
    private var partitions: [Int32: PartitionStatus] = [:]
    private var ownership: [Int32: Ownership] = [:]
    /// The ticket of the load in progress per partition; replays and finishes with another ticket are stale.
    private var loadTickets: [Int32: UInt64] = [:]
    private var nextLoadTicket: UInt64 = 0
    private var scratch: [Int32: LoadScratch] = [:]
    var groups: [String: ClassicGroup] = [:]
    /// Offsets committed inside open transactions (TxnOffsetCommit), visible at COMMIT only.
    var pendingTransactionalOffsets = PendingTransactionalOffsets()
    /// The rebalance history on disk per group (GroupCoordinatorRuntime+RebalanceHistory).
    var rebalanceHistory = RebalanceHistoryBook()
    private var nextToken: UInt64 = 0
    private var waiters: [UInt64: CheckedContinuation<Outcome, Never>] = [:]
    private var early: [UInt64: Outcome] = [:]

    public init(
        config: GroupConfig, partitionCount: Int32, clock: @escaping @Sendable () -> Int64,
        newId: @escaping @Sendable () -> String, log: @escaping @Sendable (String) -> Void,
        appender: @escaping OffsetsAppender, guardedAppender: GuardedOffsetsAppender? = nil
    ) {
        self.config = config
        self.partitionCount = partitionCount
        self.clock = clock
        self.newId = newId
        self.log = log
        self.appender = appender
        self.guardedAppender = guardedAppender
    }

    // MARK: partitions

    public func setPartitionCount(_ count: Int32) { if count > 0 { partitionCount = count } }

    public func partition(for groupId: String) -> Int32 {
        GroupPlacement.partition(for: groupId, partitionCount: partitionCount)
    }

    public func status(of partition: Int32) -> PartitionStatus? { partitions[partition] }

    /// The leader epoch and role last recorded for a partition (nil: never told).
    public func ownership(of partition: Int32) -> (leaderEpoch: Int32, isLeader: Bool)? {
        ownership[partition].map { ($0.leaderEpoch, $0.isLeader) }
    }

    /// NOT_COORDINATOR when another broker owns the group, COORDINATOR_LOAD_IN_PROGRESS while loading.
    public func coordinatorError(for groupId: String) -> ErrorCode {
        switch partitions[partition(for: groupId)] {
        case nil: return .notCoordinator
        case .loading: return .coordinatorLoadInProgress
        case .loaded: return .noError
        }
    }

    /// Starts loading a partition this broker now leads at `leaderEpoch`; its groups answer
    /// COORDINATOR_LOAD_IN_PROGRESS meanwhile. Returns the load's ticket, or nil (nothing to do) when
    /// - the epoch is older than one already recorded, or equal to it while this broker is follower or already
    ///   loading/serving at that epoch (a stale or repeated notification),
    /// - the partition is already loaded: the in-memory state is at least as new as the log (a re-election of this
    ///   broker with a higher epoch keeps its groups and members).
    /// A load in progress at an older epoch is abandoned and restarted.
    @discardableResult
    public func beginLoading(partition p: Int32, leaderEpoch: Int32 = -1) -> UInt64? {
        if let o = ownership[p] {
            if leaderEpoch < o.leaderEpoch { return nil }
            if leaderEpoch == o.leaderEpoch && (!o.isLeader || partitions[p] != nil) { return nil }
        }
        ownership[p] = Ownership(leaderEpoch: leaderEpoch, isLeader: true)
        if partitions[p] == .loaded { return nil }
        nextLoadTicket &+= 1
        partitions[p] = .loading
        loadTickets[p] = nextLoadTicket
        scratch[p] = LoadScratch()
        rebalanceHistory.loading[p] = nil
        return nextLoadTicket
    }

    /// Replays stored bytes (whole record batches, as read from the log) of a partition being loaded. The last
    /// record for a key wins; tombstones remove. Returns the offset after the last complete batch, or nil when the
    /// bytes are unreadable or the load is no longer current (`ticket` superseded or the partition unloaded).
    @discardableResult
    public func replay(partition: Int32, batches bytes: [UInt8], ticket: UInt64? = nil) -> Int64? {
        if let ticket, loadTickets[partition] != ticket { return nil }
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
            if entry.header.magic != 2 { continue }
            let batch: RecordBatch
            do {
                batch = try RecordBatch(parsing: Array(bytes[entry.range]))
            } catch {
                log(
                    "Skipping unreadable batch at offset \(entry.header.baseOffset) of __consumer_offsets-\(partition): \(error)"
                )
                continue
            }
            let header = entry.header
            if header.isControl {
                // A transaction marker decides the producer's pending offsets: COMMIT keeps each one unless a later
                // commit of the partition is already loaded.
                guard let record = batch.records.first,
                    let marker = try? ControlRecord(key: record.key, value: record.value)
                else { continue }
                s.markerEpochs[header.producerId] = max(s.markerEpochs[header.producerId] ?? -1, header.producerEpoch)
                guard let decided = s.pending.removeValue(forKey: header.producerId), marker.type == .commit else {
                    continue
                }
                for (group, offsets) in decided.offsets {
                    for (tp, o) in offsets {
                        if let current = s.offsets[group]?[tp], current.batchOffset > o.batchOffset { continue }
                        s.offsets[group, default: [:]][tp] = o
                    }
                }
                continue
            }
            for record in batch.records {
                guard let key = record.key else { continue }
                do {
                    switch try OffsetsTopicRecord(key: key, value: record.value) {
                    case .offset(let k, let v):
                        let tp = TopicPartitionKey(topic: k.topic, partition: k.partition)
                        let loaded = LoadedOffset(
                            value: v.map {
                                CommittedOffset(
                                    offset: $0.offset, leaderEpoch: $0.leaderEpoch, metadata: $0.metadata,
                                    commitTimestamp: $0.commitTimestamp,
                                    expireTimestamp: $0.expireTimestamp >= 0 ? $0.expireTimestamp : nil)
                            }, batchOffset: header.baseOffset)
                        if header.isTransactional {
                            s.pending[
                                header.producerId, default: LoadedPendingOffsets(producerEpoch: header.producerEpoch)
                            ]
                            .offsets[k.group, default: [:]][tp] = loaded
                            s.pending[header.producerId]?.producerEpoch = header.producerEpoch
                        } else {
                            s.offsets[k.group, default: [:]][tp] = loaded
                        }
                    case .group(let g, let v):
                        s.groups[g] = .some(v)
                        if v == nil { s.offsets[g] = nil }
                    case .unknown:
                        replayRebalanceHistory(partition: partition, key: key, value: record.value)
                    }
                } catch {
                    log("Skipping unreadable record in __consumer_offsets-\(partition): \(error)")
                }
            }
        }
        return nextOffset
    }

    /// Materializes the loaded groups and offsets and starts serving the partition (ignored when `ticket` is no
    /// longer the partition's current load).
    public func finishLoading(partition: Int32, ticket: UInt64? = nil) {
        if let ticket, loadTickets[partition] != ticket { return }
        guard partitions[partition] == .loading else { return }
        loadTickets[partition] = nil
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
                if let value = offset.value { group.offsets[tp] = value }
            }
            let groupDeleted = s.groups[name].map { $0 == nil } ?? false
            if groupDeleted && group.offsets.isEmpty { continue }
            if s.groups[name] == nil && group.offsets.isEmpty { continue }
            groups[name] = group
            loaded += 1
        }
        restoreRebalanceHistory(partition: partition)
        partitions[partition] = .loaded
        adoptLoadedTransactions(partition: partition, pending: s.pending, markerEpochs: s.markerEpochs)
        log("Finished loading offsets and group metadata from __consumer_offsets-\(partition): \(loaded) groups")
    }

    /// Gives up a load that could not read its log (no local replica): the partition is not served, and a later
    /// notification or lazy load may try again.
    public func abandonLoading(partition: Int32, ticket: UInt64) {
        guard loadTickets[partition] == ticket else { return }
        loadTickets[partition] = nil
        scratch[partition] = nil
        partitions[partition] = nil
        dropTransactionalState(partition: partition)
        rebalanceHistory.loading[partition] = nil
    }

    /// Stops serving a partition (this broker became follower at `leaderEpoch`, or the replica went away): its
    /// groups are dropped and parked JoinGroup/SyncGroup requests complete with NOT_COORDINATOR, so members
    /// rediscover the coordinator. A notification older than the one recorded is ignored; a nil epoch (replica
    /// removed) keeps the recorded epoch.
    public func unload(partition: Int32, leaderEpoch: Int32? = nil) {
        if let o = ownership[partition], let leaderEpoch, leaderEpoch < o.leaderEpoch { return }
        if let epoch = leaderEpoch ?? ownership[partition]?.leaderEpoch {
            ownership[partition] = Ownership(leaderEpoch: epoch, isLeader: false)
        }
        let wasServing = partitions[partition] != nil
        partitions[partition] = nil
        loadTickets[partition] = nil
        scratch[partition] = nil
        dropTransactionalState(partition: partition)
        dropRebalanceHistory(partition: partition)
        var dropped = 0
        for (name, group) in groups where group.partition == partition {
            for m in group.members.values {
                if let t = m.awaitingJoin { deliver(t, .join(.failure(.notCoordinator, memberId: m.memberId))) }
                if let t = m.awaitingSync { deliver(t, .sync(.failure(.notCoordinator))) }
            }
            groups[name] = nil
            dropped += 1
        }
        guard wasServing else { return }
        log(
            "Unloaded __consumer_offsets-\(partition) (leader epoch \(leaderEpoch.map(String.init) ?? "-")): \(dropped) groups removed from cache"
        )
    }

    // MARK: group APIs

    public func join(groupId: String, _ input: JoinGroupInput) async -> JoinGroupResult {
        guard !groupId.isEmpty else { return .failure(.invalidGroupId, memberId: input.memberId) }
        let status = coordinatorError(for: groupId)
        guard status == .noError else { return .failure(status, memberId: input.memberId) }
        if groups[groupId] == nil {
            guard input.memberId.isEmpty else { return .failure(.unknownMemberId, memberId: input.memberId) }
            groups[groupId] = ClassicGroup(
                groupId: groupId, partition: partition(for: groupId), config: config, now: clock())
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

    public func heartbeat(groupId: String, memberId: String, groupInstanceId: String?, generationId: Int32) -> ErrorCode
    {
        guard !groupId.isEmpty else { return .invalidGroupId }
        let status = coordinatorError(for: groupId)
        // Kafka answers heartbeats during a load with NONE so members do not rejoin needlessly.
        if status == .coordinatorLoadInProgress { return .noError }
        guard status == .noError else { return status }
        guard groups[groupId] != nil else { return .unknownMemberId }
        return groups[groupId]?.heartbeat(
            memberId: memberId, groupInstanceId: groupInstanceId, generationId: generationId, now: clock())
            ?? .unknownMemberId
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
            groups[groupId] = ClassicGroup(
                groupId: groupId, partition: partition(for: groupId), config: config, now: now)
        }
        let verdict =
            groups[groupId]?.validateCommit(
                memberId: memberId, groupInstanceId: groupInstanceId, generationId: generationId, now: now)
            ?? .unknownMemberId
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
                offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, commitTimestamp: o.commitTimestamp,
                expireTimestamp: o.expireTimestamp ?? -1)
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
                    timestamp: now,
                    key: OffsetCommitKey(group: groupId, topic: tp.topic, partition: tp.partition).encoded(),
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
                timestamp: now,
                key: OffsetCommitKey(group: groupId, topic: tp.topic, partition: tp.partition).encoded(),
                value: nil)
        }
        appendRebalanceHistoryTombstones(groupId, to: &builder, now: now)
        builder.append(timestamp: now, key: GroupMetadataValue.key(group: groupId), value: nil)
        let appended = await append(groupId: groupId, builder)
        guard appended == .noError else { return appended }
        let actions = groups[groupId]?.markDead(now: now) ?? []
        groups[groupId] = nil
        await perform(groupId, actions)
        return .noError
    }

    // MARK: offset retention

    /// Kafka's (≥ 2.1) offset expiry, run every `offsets.retention.check.interval.ms`:
    /// - an Empty group with a protocol type: its offsets expire `offsets.retention.minutes` after the group became
    ///   empty;
    /// - a Stable consumer group: offsets of topics no member subscribes to any more expire that long after their
    ///   commit;
    /// - standalone commits (no protocol type): that long after their commit;
    /// - an offset with an explicit expire timestamp (old v1 record) expires at it.
    /// Expired offsets get tombstones; an Empty group left without offsets becomes Dead and gets a group tombstone.
    /// Returns the number of offsets removed.
    @discardableResult
    public func expireOffsets() async -> Int {
        let now = clock()
        let retention = config.offsetsRetentionMs
        var removedTotal = 0
        for name in groups.keys.sorted() {
            guard let group = groups[name], partitions[group.partition] == .loaded, group.state != .dead else {
                continue
            }
            func expired(base: (CommittedOffset) -> Int64, skipping topics: Set<String> = []) -> [TopicPartitionKey] {
                group.offsets.filter { tp, o in
                    if topics.contains(tp.topic) { return false }
                    if let at = o.expireTimestamp { return now >= at }
                    return now - base(o) >= retention
                }.keys.sorted()
            }
            var doomed: [TopicPartitionKey] = []
            switch (group.protocolType, group.state) {
            case (.some, .empty):
                doomed = expired(base: { _ in group.stateTimestamp })
            case (.some("consumer"), .stable):
                if let topics = group.subscribedTopics() {
                    doomed = expired(base: { $0.commitTimestamp }, skipping: topics)
                }
            case (nil, _):
                doomed = expired(base: { $0.commitTimestamp })
            default:
                break
            }
            let becomesDead = group.state == .empty && group.offsets.count == doomed.count
            guard !doomed.isEmpty || becomesDead else { continue }
            var builder = RecordBatchBuilder()
            for tp in doomed {
                builder.append(
                    timestamp: now,
                    key: OffsetCommitKey(group: name, topic: tp.topic, partition: tp.partition).encoded(),
                    value: nil)
            }
            if becomesDead {
                appendRebalanceHistoryTombstones(name, to: &builder, now: now)
                builder.append(timestamp: now, key: GroupMetadataValue.key(group: name), value: nil)
            }
            let appended = await append(groupId: name, builder)
            guard appended == .noError else {
                log("Failed to write tombstones for expired offsets of group \(name): \(appended)")
                continue
            }
            // The group may have changed while the tombstones were being written: re-check before removing.
            guard var current = groups[name] else { continue }
            for tp in doomed where current.offsets[tp] == group.offsets[tp] { current.offsets[tp] = nil }
            groups[name] = current
            removedTotal += doomed.count
            if becomesDead, current.state == .empty, current.offsets.isEmpty {
                let actions = groups[name]?.markDead(now: now) ?? []
                groups[name] = nil
                await perform(name, actions)
            }
        }
        if removedTotal > 0 { log("Removed \(removedTotal) expired offsets") }
        return removedTotal
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

    /// Runs `tick()` every `intervalMs` and `expireOffsets()` every `expiryIntervalMs` until the task is
    /// cancelled (production).
    public nonisolated func startTimers(intervalMs: UInt64 = 100, expiryIntervalMs: UInt64 = 600_000) -> Task<
        Void, Never
    > {
        Task {
            await withTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    while !Task.isCancelled {
                        await self.tick()
                        try? await Task.sleep(nanoseconds: intervalMs * 1_000_000)
                    }
                }
                tasks.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(nanoseconds: max(expiryIntervalMs, 1) * 1_000_000)
                        if Task.isCancelled { return }
                        await self.expireOffsets()
                    }
                }
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
        await persistRebalanceHistory(groupId)
    }

    /// Appends a batch to the group's partition and maps log errors the way Kafka's coordinator does.
    func append(groupId: String, _ builder: RecordBatchBuilder, verificationGuard: UInt64? = nil) async -> ErrorCode {
        let batch: [UInt8]
        do {
            batch = try builder.build()
        } catch {
            return .unknownServerError
        }
        let code: ErrorCode
        if let verificationGuard, let guardedAppender {
            code = await guardedAppender(partition(for: groupId), batch, verificationGuard)
        } else {
            code = await appender(partition(for: groupId), batch)
        }
        switch code {
        case .noError: return .noError
        case .unknownTopicOrPartition, .notEnoughReplicas, .notEnoughReplicasAfterAppend, .requestTimedOut:
            return .coordinatorNotAvailable
        case .notLeaderOrFollower, .kafkaStorageError:
            return .notCoordinator
        case .messageTooLarge, .recordListTooLarge, .invalidFetchSize:
            return .invalidCommitOffsetSize
        case .invalidProducerEpoch, .producerFenced:
            // A transactional offset commit from an epoch the partition's producer state has fenced.
            return .producerFenced
        case .invalidTxnState:
            // The transaction ended between its verification and this append (the guard was voided).
            return .invalidTxnState
        default:
            return .unknownServerError
        }
    }
}
