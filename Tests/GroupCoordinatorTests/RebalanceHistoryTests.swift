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

/// Every rebalance history record appended so far: (generation, tombstone?).
private func historyRecords(_ env: TestEnv) throws -> [(Int32, Bool)] {
    var out: [(Int32, Bool)] = []
    for (_, batch) in env.appended.withLock({ $0 }) {
        for r in try RecordBatch(parsing: batch).records {
            if let k = try RebalanceHistoryKey(decoding: r.key ?? []) { out.append((k.generation, r.value == nil)) }
        }
    }
    return out
}

private let tp0 = TopicPartitionKey(topic: "t", partition: 0)

private func joinInput(_ memberId: String, client: String) -> JoinGroupInput {
    JoinGroupInput(
        apiVersion: 3, memberId: memberId, clientId: client, clientHost: "/10.0.0.7", sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000, protocolType: "consumer",
        protocols: [.init(name: "range", metadata: ConsumerProtocolSubscription(topics: ["t"]).encoded())])
}

/// One member joins, syncs with t-0 assigned to itself, then leaves: two finished rebalances.
private func joinSyncLeave(_ env: TestEnv, _ rt: GroupCoordinatorRuntime) async {
    async let joined = rt.join(groupId: "g", joinInput("", client: "c1"))
    while await rt.group("g")?.members.count != 1 {
        env.now.withLock { $0 += 10 }
        await rt.tick()
        await Task.yield()
    }
    env.now.withLock { $0 += 10 }
    await rt.tick()
    let member = await joined
    let assignment = ConsumerProtocolAssignment(assignedPartitions: [.init(topic: "t", partitions: [0])]).encoded()
    _ = await rt.sync(
        groupId: "g",
        ClassicGroup.SyncInput(
            memberId: member.memberId, groupInstanceId: nil, generationId: member.generationId,
            protocolType: "consumer", protocolName: "range", assignments: [(member.memberId, assignment)]))
    env.now.withLock { $0 += 1_000 }
    _ = await rt.leave(groupId: "g", members: [(memberId: member.memberId, groupInstanceId: nil)])
}

@Suite("durable rebalance history")
struct RebalanceHistoryTests {
    @Test("a history record encodes and decodes to the same entry; other key versions are not history keys")
    func recordRoundTrip() throws {
        let entry = RebalanceEntry(
            generation: 7,
            causes: [
                .init(trigger: .sessionTimeout, memberId: "m", clientId: "c", clientHost: "/h", clientReason: nil),
                .init(trigger: .memberLeft, memberId: "n", clientId: "d", clientHost: "/i", clientReason: "closing"),
            ], removedOnRebalanceTimeout: ["x"], startedAt: 10, joinCompletedAt: 20, completedAt: 30, members: 2,
            moved: [tp0], movedCount: 3)
        let key = RebalanceHistoryKey(group: "g", generation: 7)
        #expect(try RebalanceHistoryKey(decoding: key.encoded()) == key)
        #expect(try RebalanceHistoryValue.decode(RebalanceHistoryValue.encode(entry)) == entry)
        #expect(try RebalanceHistoryKey(decoding: GroupMetadataValue.key(group: "g")) == nil)
        #expect(try OffsetsTopicRecord(key: key.encoded(), value: nil) == .unknown(keyVersion: 20052))
        let bytes = RebalanceHistoryValue.encode(entry)
        for n in 0..<bytes.count {
            #expect(throws: ProtocolError.self) { _ = try RebalanceHistoryValue.decode(Array(bytes.prefix(n))) }
        }
    }

    @Test("each finished rebalance is written to __consumer_offsets and comes back, with moved partitions, on reload")
    func historySurvivesReload() async throws {
        let env = TestEnv()
        let rt = env.runtime()
        let p = await rt.partition(for: "g")
        await rt.finishLoading(partition: p, ticket: await rt.beginLoading(partition: p))
        await joinSyncLeave(env, rt)
        #expect(await rt.group("g")?.state == .empty)
        #expect(try historyRecords(env).map(\.0) == [1, 2])

        let reloaded = env.runtime()
        let ticket = await reloaded.beginLoading(partition: p)
        await reloaded.replay(partition: p, batches: storedLog(env), ticket: ticket)
        await reloaded.finishLoading(partition: p, ticket: ticket)
        let history = try #require(await reloaded.group("g")?.rebalances.history)
        #expect(history.map { $0.causes.first?.trigger } == [.memberJoined, .memberLeft])
        #expect(history.map(\.generation) == [1, 2])
        #expect(history.map(\.movedCount) == [1, 1])
        #expect(history[0].moved == [tp0])
        #expect(history[1].causes.first?.clientId == "c1")
        #expect(history[1].causes.first?.clientHost == "/10.0.0.7")
    }

    @Test("entries beyond needletail.rebalance.history.max.entries get tombstones and stay out after a reload")
    func historyIsBoundedByCount() async throws {
        let env = TestEnv()
        var config = GroupConfig(initialRebalanceDelayMs: 0)
        config.rebalanceHistoryMaxEntries = 1
        let rt = env.runtime(config: config)
        let p = await rt.partition(for: "g")
        await rt.finishLoading(partition: p, ticket: await rt.beginLoading(partition: p))
        await joinSyncLeave(env, rt)
        #expect(await rt.group("g")?.rebalances.history.map(\.generation) == [2])
        #expect(try historyRecords(env).map { "\($0.0)\($0.1 ? "x" : "")" } == ["1", "2", "1x"])

        let reloaded = env.runtime(config: config)
        let ticket = await reloaded.beginLoading(partition: p)
        await reloaded.replay(partition: p, batches: storedLog(env), ticket: ticket)
        await reloaded.finishLoading(partition: p, ticket: ticket)
        #expect(await reloaded.group("g")?.rebalances.history.map(\.generation) == [2])
    }

    @Test("entries older than needletail.rebalance.history.retention.ms are dropped when the group loads")
    func historyIsBoundedByAge() async throws {
        let env = TestEnv()
        var config = GroupConfig(initialRebalanceDelayMs: 0)
        config.rebalanceHistoryRetentionMs = 60_000
        let rt = env.runtime(config: config)
        let p = await rt.partition(for: "g")
        await rt.finishLoading(partition: p, ticket: await rt.beginLoading(partition: p))
        await joinSyncLeave(env, rt)
        env.now.withLock { $0 += 3_600_000 }
        let reloaded = env.runtime(config: config)
        let ticket = await reloaded.beginLoading(partition: p)
        await reloaded.replay(partition: p, batches: storedLog(env), ticket: ticket)
        await reloaded.finishLoading(partition: p, ticket: ticket)
        #expect(await reloaded.group("g")?.rebalances.history.isEmpty == true)
    }

    @Test("deleting a group tombstones its history")
    func deleteTombstonesHistory() async throws {
        let env = TestEnv()
        let rt = env.runtime()
        let p = await rt.partition(for: "g")
        await rt.finishLoading(partition: p, ticket: await rt.beginLoading(partition: p))
        await joinSyncLeave(env, rt)
        #expect(await rt.deleteGroup("g") == .noError)
        #expect(try historyRecords(env).filter(\.1).map(\.0) == [1, 2])
    }
}
