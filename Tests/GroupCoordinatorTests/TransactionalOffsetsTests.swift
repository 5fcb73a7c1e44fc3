import KafkaProtocol
import KafkaRecords
import Testing

@testable import GroupCoordinator

private let tp0 = TopicPartitionKey(topic: "t", partition: 0)

private func offset(_ value: Int64) -> CommittedOffset {
    CommittedOffset(offset: value, leaderEpoch: -1, metadata: "", commitTimestamp: 0)
}

private func marker(producerId: Int64, epoch: Int16 = 0, commit: Bool) -> [UInt8] {
    try! ControlRecord(type: commit ? .commit : .abort, coordinatorEpoch: 0).batch(
        producerId: producerId, producerEpoch: epoch, timestamp: 0)
}

/// Batches laid out as the log stores them: base offsets assigned in order.
private func layOut(_ batches: [[UInt8]]) -> [UInt8] {
    var log: [UInt8] = []
    var next: Int64 = 0
    for batch in batches {
        var b = batch
        let count = b.withUnsafeBytes { RecordBatchHeader(parsing: $0).recordsCount }
        for i in 0..<8 { b[i] = UInt8(truncatingIfNeeded: next >> (56 - 8 * i)) }
        next += Int64(max(count, 1))
        log += b
    }
    return log
}

private func loaded(_ env: TestEnv, partition p: Int32) async -> GroupCoordinatorRuntime {
    let rt = env.runtime()
    await rt.finishLoading(partition: p, ticket: await rt.beginLoading(partition: p))
    return rt
}

private func committed(_ rt: GroupCoordinatorRuntime, _ group: String = "g") async -> Int64? {
    await rt.fetchOffsets(groupId: group, partitions: [tp0]).offsets.first?.1?.offset
}

@Suite("Transactional offset commits: durable in __consumer_offsets, decided by markers")
struct TransactionalOffsetsTests {
    @Test("TxnOffsetCommit appends a transactional batch of the producer at once; the offset shows at COMMIT only")
    func appendedAtOnceVisibleAtCommit() async throws {
        let env = TestEnv()
        let p = await env.runtime().partition(for: "g")
        let rt = await loaded(env, partition: p)
        let errors = await rt.commitTransactional(
            groupId: "g", producerId: 7, producerEpoch: 3, memberId: "", groupInstanceId: nil, generationId: -1,
            offsets: [(tp0, offset(42))])
        #expect(errors == [.noError])
        let batches = env.appended.withLock { $0 }
        #expect(batches.count == 1)
        let header = batches[0].1.withUnsafeBytes { RecordBatchHeader(parsing: $0) }
        #expect(header.isTransactional && header.producerId == 7 && header.producerEpoch == 3)
        #expect(header.baseSequence == -1)
        #expect(await committed(rt) == nil)
        #expect(await rt.hasPendingTransactionalOffsets(groupId: "g", partitions: [tp0]))

        await rt.completeTransaction(producerId: 7, producerEpoch: 3, partition: p, commit: true)
        #expect(await committed(rt) == 42)
        #expect(!(await rt.hasPendingTransactionalOffsets(groupId: "g", partitions: [tp0])))
        #expect(env.appended.withLock { $0.count } == 1)  // the marker is the decision: nothing more written
    }

    @Test("an ABORT marker drops the pending offsets and keeps the earlier committed one")
    func abortDrops() async {
        let env = TestEnv()
        let p = await env.runtime().partition(for: "g")
        let rt = await loaded(env, partition: p)
        _ = await rt.commit(
            groupId: "g", memberId: "", groupInstanceId: nil, generationId: -1, offsets: [(tp0, offset(5))])
        _ = await rt.commitTransactional(
            groupId: "g", producerId: 7, producerEpoch: 0, memberId: "", groupInstanceId: nil, generationId: -1,
            offsets: [(tp0, offset(9))])
        await rt.completeTransaction(producerId: 7, producerEpoch: 0, partition: p, commit: false)
        #expect(await committed(rt) == 5)
        #expect(!(await rt.hasPendingTransactionalOffsets(groupId: "g", partitions: nil)))
    }

    @Test("a failed append fails the TxnOffsetCommit and leaves nothing pending")
    func failedAppend() async {
        let env = TestEnv()
        let rt = GroupCoordinatorRuntime(
            config: GroupConfig(), partitionCount: 50, clock: { 0 }, newId: { "id" }, log: { _ in },
            appender: { _, _ in .notEnoughReplicas })
        let p = await rt.partition(for: "g")
        await rt.finishLoading(partition: p, ticket: await rt.beginLoading(partition: p))
        let errors = await rt.commitTransactional(
            groupId: "g", producerId: 7, producerEpoch: 0, memberId: "", groupInstanceId: nil, generationId: -1,
            offsets: [(tp0, offset(9))])
        #expect(errors == [.coordinatorNotAvailable])
        #expect(!(await rt.hasPendingTransactionalOffsets(groupId: "g", partitions: nil)))
        _ = env
    }

    @Test("loading rebuilds committed, aborted and still-open transactional offsets from batches and markers")
    func loadRebuildsTransactions() async throws {
        let env = TestEnv()
        let p = await env.runtime().partition(for: "g")
        let source = await loaded(env, partition: p)
        for (pid, value) in [(Int64(1), Int64(10)), (2, 20), (3, 30)] {
            _ = await source.commitTransactional(
                groupId: "g", producerId: pid, producerEpoch: 0, memberId: "", groupInstanceId: nil,
                generationId: -1, offsets: [(tp0, offset(value))])
        }
        let data = env.appended.withLock { $0.map(\.1) }
        // pid 1 commits, pid 2 aborts, pid 3 is still open when the coordinator moves.
        let log = layOut(
            [data[0], data[1], data[2], marker(producerId: 1, commit: true), marker(producerId: 2, commit: false)])

        let rt = env.runtime()
        let ticket = await rt.beginLoading(partition: p)
        #expect(await rt.replay(partition: p, batches: log, ticket: ticket) != nil)
        await rt.finishLoading(partition: p, ticket: ticket)
        #expect(await committed(rt) == 10)
        #expect(await rt.hasPendingTransactionalOffsets(groupId: "g", partitions: [tp0]))

        await rt.completeTransaction(producerId: 3, producerEpoch: nil, partition: p, commit: true)
        #expect(await committed(rt) == 30)
        #expect(!(await rt.hasPendingTransactionalOffsets(groupId: "g", partitions: nil)))
    }

    @Test("a plain commit later in the log wins over a transactional one whose COMMIT marker comes after it")
    func laterPlainCommitWins() async throws {
        let env = TestEnv()
        let p = await env.runtime().partition(for: "g")
        let source = await loaded(env, partition: p)
        _ = await source.commitTransactional(
            groupId: "g", producerId: 1, producerEpoch: 0, memberId: "", groupInstanceId: nil, generationId: -1,
            offsets: [(tp0, offset(10))])
        _ = await source.commit(
            groupId: "g", memberId: "", groupInstanceId: nil, generationId: -1, offsets: [(tp0, offset(11))])
        let data = env.appended.withLock { $0.map(\.1) }
        let log = layOut([data[0], data[1], marker(producerId: 1, commit: true)])

        let rt = env.runtime()
        let ticket = await rt.beginLoading(partition: p)
        await rt.replay(partition: p, batches: log, ticket: ticket)
        await rt.finishLoading(partition: p, ticket: ticket)
        #expect(await committed(rt) == 11)
    }

    @Test("a marker reported while the partition loads decides the offsets once the load has read them")
    func markerDuringLoad() async throws {
        let env = TestEnv()
        let p = await env.runtime().partition(for: "g")
        let source = await loaded(env, partition: p)
        _ = await source.commitTransactional(
            groupId: "g", producerId: 4, producerEpoch: 0, memberId: "", groupInstanceId: nil, generationId: -1,
            offsets: [(tp0, offset(44))])
        let log = layOut(env.appended.withLock { $0.map(\.1) })

        let rt = env.runtime()
        let ticket = await rt.beginLoading(partition: p)
        await rt.completeTransaction(producerId: 4, producerEpoch: 0, partition: p, commit: true)
        await rt.replay(partition: p, batches: log, ticket: ticket)
        await rt.finishLoading(partition: p, ticket: ticket)
        #expect(await committed(rt) == 44)
        #expect(!(await rt.hasPendingTransactionalOffsets(groupId: "g", partitions: nil)))
    }

    @Test("unloading the partition forgets its pending transactional offsets")
    func unloadForgets() async {
        let env = TestEnv()
        let p = await env.runtime().partition(for: "g")
        let rt = await loaded(env, partition: p)
        _ = await rt.commitTransactional(
            groupId: "g", producerId: 4, producerEpoch: 0, memberId: "", groupInstanceId: nil, generationId: -1,
            offsets: [(tp0, offset(44))])
        await rt.unload(partition: p, leaderEpoch: 1)
        #expect(!(await rt.hasPendingTransactionalOffsets(groupId: "g", partitions: nil)))
    }
}
