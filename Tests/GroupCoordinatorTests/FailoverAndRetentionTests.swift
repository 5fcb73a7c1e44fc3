import KafkaProtocol
import KafkaRecords
import Testing

@testable import GroupCoordinator

/// The appended batches laid out as a log would store them (base offsets assigned in order).
private func storedLog(_ env: TestEnv) -> [UInt8] {
    var log: [UInt8] = []
    var next: Int64 = 0
    for (_, batch) in env.appended.withLock({ $0 }) {
        var b = batch
        let count = b.withUnsafeBytes { RecordBatchHeader(parsing: $0).recordsCount }
        for i in 0..<8 { b[i] = UInt8(truncatingIfNeeded: next >> (56 - 8 * i)) }
        next += Int64(count)
        log += b
    }
    return log
}

/// The records appended so far: (key kind, group, value is tombstone).
private func appendedRecords(_ env: TestEnv) throws -> [OffsetsTopicRecord] {
    var out: [OffsetsTopicRecord] = []
    for (_, batch) in env.appended.withLock({ $0 }) {
        for r in try RecordBatch(parsing: batch).records {
            out.append(try OffsetsTopicRecord(key: r.key ?? [], value: r.value))
        }
    }
    return out
}

private func joinInput(_ client: String, topics: [String] = ["t"]) -> JoinGroupInput {
    JoinGroupInput(
        apiVersion: 3, memberId: "", clientId: client, clientHost: "h", sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000, protocolType: "consumer",
        protocols: [.init(name: "range", metadata: ConsumerProtocolSubscription(topics: topics).encoded())])
}

private let tp0 = TopicPartitionKey(topic: "t", partition: 0)

private func offset(_ value: Int64, at time: Int64) -> CommittedOffset {
    CommittedOffset(offset: value, leaderEpoch: -1, metadata: "", commitTimestamp: time)
}

@Suite("Coordinator failover: loading and unloading offsets partitions")
struct FailoverTests {
    @Test("while a partition loads its groups answer COORDINATOR_LOAD_IN_PROGRESS, heartbeats answer NONE")
    func loadInProgress() async {
        let env = TestEnv()
        let rt = env.runtime()
        let p = await rt.partition(for: "g")
        #expect(await rt.beginLoading(partition: p, leaderEpoch: 3) != nil)
        #expect(await rt.join(groupId: "g", joinInput("a")).error == .coordinatorLoadInProgress)
        #expect(
            await rt.commit(
                groupId: "g", memberId: "", groupInstanceId: nil, generationId: -1, offsets: [(tp0, offset(1, at: 0))])
                == [.coordinatorLoadInProgress])
        #expect(await rt.fetchOffsets(groupId: "g", partitions: nil).error == .coordinatorLoadInProgress)
        #expect(await rt.heartbeat(groupId: "g", memberId: "m", groupInstanceId: nil, generationId: 1) == .noError)
        #expect(await rt.describe(groupId: "g").error == .coordinatorLoadInProgress)
        // A repeated notification for the same epoch does not start a second load.
        #expect(await rt.beginLoading(partition: p, leaderEpoch: 3) == nil)
    }

    @Test(
        "becoming follower unloads the groups: parked joins and syncs complete with NOT_COORDINATOR, later requests get it too"
    )
    func unloadFailsParkedRequests() async {
        let env = TestEnv()
        let rt = env.runtime(config: GroupConfig(initialRebalanceDelayMs: 3_000))
        let p = await rt.partition(for: "g")
        let ticket = await rt.beginLoading(partition: p, leaderEpoch: 1)
        await rt.finishLoading(partition: p, ticket: ticket)
        #expect(
            await rt.commit(
                groupId: "g", memberId: "", groupInstanceId: nil, generationId: -1, offsets: [(tp0, offset(5, at: 0))])
                == [.noError])
        async let a = rt.join(groupId: "g", joinInput("a"))
        async let b = rt.join(groupId: "g", joinInput("b"))
        while await rt.group("g")?.members.count != 2 { await Task.yield() }
        await rt.unload(partition: p, leaderEpoch: 2)
        let (ra, rb) = await (a, b)
        #expect(ra.error == .notCoordinator && rb.error == .notCoordinator)
        #expect(await rt.group("g") == nil)
        #expect(await rt.status(of: p) == nil)
        #expect(await rt.fetchOffsets(groupId: "g", partitions: nil).error == .notCoordinator)
        #expect(
            await rt.heartbeat(groupId: "g", memberId: ra.memberId, groupInstanceId: nil, generationId: 1)
                == .notCoordinator)
        #expect(await rt.listGroups().isEmpty)
        // Groups of other partitions are untouched.
        #expect(await rt.ownership(of: p)?.isLeader == false)
    }

    @Test("a stale load does not overwrite a newer state: an unload at a higher epoch makes the running load a no-op")
    func staleLoadIsDropped() async {
        let env = TestEnv()
        let rt = env.runtime()
        let p = await rt.partition(for: "g")
        let old = await rt.beginLoading(partition: p, leaderEpoch: 5)
        #expect(old != nil)
        await rt.unload(partition: p, leaderEpoch: 6)
        #expect(await rt.replay(partition: p, batches: [], ticket: old) == nil)
        await rt.finishLoading(partition: p, ticket: old)
        #expect(await rt.status(of: p) == nil)
        // A lazy load from an out-of-date metadata cache (epoch 5 or 6) is refused; a new leadership (7) is not.
        #expect(await rt.beginLoading(partition: p, leaderEpoch: 5) == nil)
        #expect(await rt.beginLoading(partition: p, leaderEpoch: 6) == nil)
        // An unload older than what is recorded is ignored.
        let current = await rt.beginLoading(partition: p, leaderEpoch: 7)
        #expect(current != nil)
        await rt.unload(partition: p, leaderEpoch: 6)
        #expect(await rt.status(of: p) == .loading)
        await rt.finishLoading(partition: p, ticket: current)
        #expect(await rt.status(of: p) == .loaded)
    }

    @Test("a newer leadership restarts a load in progress; the superseded load's replay and finish are ignored")
    func newerLoadSupersedes() async {
        let env = TestEnv()
        let source = env.runtime()
        let p = await source.partition(for: "g")
        await source.finishLoading(partition: p, ticket: await source.beginLoading(partition: p))
        _ = await source.commit(
            groupId: "g", memberId: "", groupInstanceId: nil, generationId: -1, offsets: [(tp0, offset(9, at: 0))])
        let log = storedLog(env)

        let rt = env.runtime()
        let first = await rt.beginLoading(partition: p, leaderEpoch: 1)
        let second = await rt.beginLoading(partition: p, leaderEpoch: 2)
        #expect(first != nil && second != nil && first != second)
        #expect(await rt.replay(partition: p, batches: log, ticket: first) == nil)
        await rt.finishLoading(partition: p, ticket: first)
        #expect(await rt.status(of: p) == .loading)
        #expect(await rt.replay(partition: p, batches: log, ticket: second) != nil)
        await rt.finishLoading(partition: p, ticket: second)
        #expect(await rt.fetchOffsets(groupId: "g", partitions: [tp0]).offsets.first?.1?.offset == 9)
        // Re-election at a higher epoch while loaded keeps the in-memory state (no reload).
        #expect(await rt.beginLoading(partition: p, leaderEpoch: 3) == nil)
        #expect(await rt.status(of: p) == .loaded)
    }

    @Test(
        "moving back to leader replays the partition: offsets come back, deleted groups and tombstoned offsets stay gone"
    )
    func reloadAfterFailback() async {
        let env = TestEnv()
        let rt = env.runtime()
        let p = await rt.partition(for: "g")
        // Three groups on the same partition.
        var names: [String] = []
        var i = 0
        while names.count < 3 {
            if GroupPlacement.partition(for: "grp\(i)", partitionCount: 50) == p { names.append("grp\(i)") }
            i += 1
        }
        await rt.finishLoading(partition: p, ticket: await rt.beginLoading(partition: p, leaderEpoch: 1))
        let tp1 = TopicPartitionKey(topic: "t", partition: 1)
        for n in names {
            _ = await rt.commit(
                groupId: n, memberId: "", groupInstanceId: nil, generationId: -1,
                offsets: [(tp0, offset(1, at: 0)), (tp1, offset(2, at: 0))])
        }
        #expect(await rt.deleteGroup(names[1]) == .noError)
        #expect(await rt.deleteOffsets(groupId: names[2], partitions: [tp1]).error == .noError)
        await rt.unload(partition: p, leaderEpoch: 2)
        #expect(await rt.listGroups().isEmpty)

        let ticket = await rt.beginLoading(partition: p, leaderEpoch: 3)
        #expect(ticket != nil)
        await rt.replay(partition: p, batches: storedLog(env), ticket: ticket)
        await rt.finishLoading(partition: p, ticket: ticket)
        #expect(await rt.listGroups().map(\.groupId) == [names[0], names[2]])
        #expect(await rt.fetchOffsets(groupId: names[0], partitions: nil).offsets.map { $0.1?.offset } == [1, 2])
        #expect(await rt.fetchOffsets(groupId: names[2], partitions: nil).offsets.map(\.0) == [tp0])
    }
}

@Suite("Offset retention (offsets.retention.minutes)")
struct OffsetRetentionTests {
    @Test("standalone commits expire retention after their commit, and the empty group goes with a tombstone")
    func standaloneCommitsExpire() async throws {
        let env = TestEnv()
        let rt = env.runtime(config: GroupConfig(initialRebalanceDelayMs: 0, offsetsRetentionMs: 10_000))
        let p = await rt.partition(for: "simple")
        await rt.finishLoading(partition: p, ticket: await rt.beginLoading(partition: p))
        let tp1 = TopicPartitionKey(topic: "t", partition: 1)
        _ = await rt.commit(
            groupId: "simple", memberId: "", groupInstanceId: nil, generationId: -1,
            offsets: [(tp0, offset(1, at: 1_000))])
        _ = await rt.commit(
            groupId: "simple", memberId: "", groupInstanceId: nil, generationId: -1,
            offsets: [(tp1, offset(2, at: 5_000))])
        env.appended.withLock { $0.removeAll() }

        env.now.withLock { $0 = 10_999 }
        #expect(await rt.expireOffsets() == 0)
        env.now.withLock { $0 = 11_000 }
        #expect(await rt.expireOffsets() == 1)
        #expect(await rt.fetchOffsets(groupId: "simple", partitions: nil).offsets.map(\.0) == [tp1])
        #expect(try appendedRecords(env) == [.offset(OffsetCommitKey(group: "simple", topic: "t", partition: 0), nil)])

        env.now.withLock { $0 = 15_000 }
        #expect(await rt.expireOffsets() == 1)
        #expect(await rt.group("simple") == nil)
        #expect(await rt.listGroups().isEmpty)
        let records = try appendedRecords(env)
        #expect(
            records.suffix(2) == [
                .offset(OffsetCommitKey(group: "simple", topic: "t", partition: 1), nil), .group("simple", nil),
            ])
    }

    @Test("a commit with an explicit retention time expires at its own timestamp and is written as a v1 value")
    func explicitRetentionExpires() async throws {
        let env = TestEnv()
        let rt = env.runtime(config: GroupConfig(initialRebalanceDelayMs: 0, offsetsRetentionMs: 1_000_000))
        let p = await rt.partition(for: "simple")
        await rt.finishLoading(partition: p, ticket: await rt.beginLoading(partition: p))
        var o = offset(4, at: 1_000)
        o.expireTimestamp = 3_000
        _ = await rt.commit(
            groupId: "simple", memberId: "", groupInstanceId: nil, generationId: -1, offsets: [(tp0, o)])
        let written = try appendedRecords(env)
        #expect(
            written == [
                .offset(
                    OffsetCommitKey(group: "simple", topic: "t", partition: 0),
                    OffsetCommitValue(offset: 4, metadata: "", commitTimestamp: 1_000, expireTimestamp: 3_000))
            ])
        env.now.withLock { $0 = 2_999 }
        #expect(await rt.expireOffsets() == 0)
        env.now.withLock { $0 = 3_000 }
        #expect(await rt.expireOffsets() == 1)
    }

    @Test("offsets of a consumer group expire retention after the group became empty, not after their commit")
    func emptyGroupOffsetsExpireFromEmptiness() async throws {
        let env = TestEnv()
        let rt = env.runtime(config: GroupConfig(initialRebalanceDelayMs: 0, offsetsRetentionMs: 10_000))
        let p = await rt.partition(for: "g")
        await rt.finishLoading(partition: p, ticket: await rt.beginLoading(partition: p))
        async let joined = rt.join(groupId: "g", joinInput("a"))
        while await rt.group("g")?.members.count != 1 { await Task.yield() }
        env.now.withLock { $0 += 1 }
        await rt.tick()
        let member = await joined
        #expect(member.error == .noError)
        let synced = await rt.sync(
            groupId: "g",
            .init(memberId: member.memberId, generationId: member.generationId, assignments: [(member.memberId, [])]))
        #expect(synced.error == .noError)
        #expect(
            await rt.commit(
                groupId: "g", memberId: member.memberId, groupInstanceId: nil, generationId: member.generationId,
                offsets: [(tp0, offset(7, at: 1_000))]) == [.noError])

        // Stable: the subscribed topic's offset stays however old; an unsubscribed topic's offset expires.
        let other = TopicPartitionKey(topic: "gone", partition: 0)
        #expect(
            await rt.commit(
                groupId: "g", memberId: member.memberId, groupInstanceId: nil, generationId: member.generationId,
                offsets: [(other, offset(3, at: 1_000))]) == [.noError])
        env.now.withLock { $0 = 50_000 }
        #expect(await rt.expireOffsets() == 1)
        #expect(await rt.fetchOffsets(groupId: "g", partitions: nil).offsets.map(\.0) == [tp0])

        // The member leaves at 60 000: the group is Empty from then on.
        env.now.withLock { $0 = 60_000 }
        _ = await rt.leave(groupId: "g", members: [(member.memberId, nil)])
        #expect(await rt.group("g")?.state == .empty)
        env.now.withLock { $0 = 69_999 }
        #expect(await rt.expireOffsets() == 0)
        env.now.withLock { $0 = 70_000 }
        #expect(await rt.expireOffsets() == 1)
        #expect(await rt.group("g") == nil)
        #expect(try appendedRecords(env).last == .group("g", nil))
    }

    @Test("offsets are not expired while their partition is loading, nor when writing the tombstones fails")
    func noExpiryWithoutTombstones() async {
        let env = TestEnv()
        let failing = GroupCoordinatorRuntime(
            config: GroupConfig(offsetsRetentionMs: 10), partitionCount: 50, clock: { env.now.withLock { $0 } },
            newId: { "id" }, log: { _ in }, appender: { _, _ in .notLeaderOrFollower })
        let p = await failing.partition(for: "s")
        let ticket = await failing.beginLoading(partition: p)
        var b = RecordBatchBuilder()
        b.append(
            timestamp: 0, key: OffsetCommitKey(group: "s", topic: "t", partition: 0).encoded(),
            value: OffsetCommitValue(offset: 1, commitTimestamp: 0).encoded())
        await failing.replay(partition: p, batches: try! b.build(), ticket: ticket)
        env.now.withLock { $0 = 1_000_000 }
        #expect(await failing.expireOffsets() == 0)
        await failing.finishLoading(partition: p, ticket: ticket)
        #expect(await failing.expireOffsets() == 0)
        #expect(await failing.fetchOffsets(groupId: "s", partitions: [tp0]).offsets.first?.1?.offset == 1)
    }
}
