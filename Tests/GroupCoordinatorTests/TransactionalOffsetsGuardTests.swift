import KafkaProtocol
import Synchronization
import Testing

@testable import GroupCoordinator

/// The TxnOffsetCommit append guard (KIP-890): what verification decided must still hold when the offsets reach
/// `__consumer_offsets`.
@Suite("Transactional offset commits carry their verification guard to the append")
struct TransactionalOffsetsGuardTests {
    /// A stand-in for the offsets partition's producer state (the real rule is `PartitionLog`'s, tested in
    /// LogStorageTests): a transactional batch opens the producer's transaction only with the guard current in
    /// the log, and a marker hands out a new one, voiding those taken before it.
    final class OffsetsPartition: Sendable {
        struct State {
            var currentGuard: UInt64 = 1
            var open = false
            var appendedGuards: [UInt64?] = []
        }
        let state = Mutex(State())

        func append(_ verificationGuard: UInt64?) -> ErrorCode {
            state.withLock { s in
                s.appendedGuards.append(verificationGuard)
                if let g = verificationGuard, !s.open, g == 0 || g != s.currentGuard { return .invalidTxnState }
                s.open = true
                return .noError
            }
        }

        func marker() {
            state.withLock { s in
                s.open = false
                s.currentGuard += 1
            }
        }
    }

    let tp0 = TopicPartitionKey(topic: "t", partition: 0)

    func commit(_ rt: GroupCoordinatorRuntime, guard g: UInt64?, offset: Int64) async -> [ErrorCode] {
        await rt.commitTransactional(
            groupId: "g", producerId: 7, producerEpoch: 0, memberId: "", groupInstanceId: nil, generationId: -1,
            offsets: [(tp0, CommittedOffset(offset: offset, leaderEpoch: -1, metadata: "", commitTimestamp: 0))],
            verificationGuard: g)
    }

    @Test("offsets verified before their transaction was aborted are refused at the append and leave nothing pending")
    func abortBetweenVerificationAndAppend() async {
        let log = OffsetsPartition()
        let rt = GroupCoordinatorRuntime(
            config: GroupConfig(), partitionCount: 50, clock: { 0 }, newId: { "id" }, log: { _ in },
            appender: { _, _ in log.append(nil) }, guardedAppender: { _, _, g in log.append(g) })
        let p = await rt.partition(for: "g")
        await rt.finishLoading(partition: p, ticket: await rt.beginLoading(partition: p))

        // Verification took guard 1 and the coordinator said "in the transaction" ...
        let verified: UInt64 = 1
        // ... then EndTxn(abort) wrote its marker to the offsets partition before the append.
        log.marker()
        #expect(await commit(rt, guard: verified, offset: 9) == [.invalidTxnState])
        #expect(!(await rt.hasPendingTransactionalOffsets(groupId: "g", partitions: nil)))
        #expect(log.state.withLock { $0.open } == false)

        // A fresh verification (the next transaction) appends, and later commits of it continue with guard 0.
        #expect(await commit(rt, guard: 2, offset: 10) == [.noError])
        #expect(await commit(rt, guard: 0, offset: 11) == [.noError])
        #expect(await rt.hasPendingTransactionalOffsets(groupId: "g", partitions: [tp0]))
        // Guard 0 after the marker: the transaction it continued has ended.
        log.marker()
        await rt.completeTransaction(producerId: 7, producerEpoch: 0, partition: p, commit: true)
        #expect(await commit(rt, guard: 0, offset: 12) == [.invalidTxnState])
        #expect(log.state.withLock { $0.appendedGuards } == [1, 2, 0, 0])
    }

    @Test("without verification the offsets go through the plain appender")
    func unverifiedUsesPlainAppender() async {
        let log = OffsetsPartition()
        let rt = GroupCoordinatorRuntime(
            config: GroupConfig(), partitionCount: 50, clock: { 0 }, newId: { "id" }, log: { _ in },
            appender: { _, _ in log.append(nil) }, guardedAppender: { _, _, g in log.append(g) })
        let p = await rt.partition(for: "g")
        await rt.finishLoading(partition: p, ticket: await rt.beginLoading(partition: p))
        #expect(await commit(rt, guard: nil, offset: 9) == [.noError])
        #expect(log.state.withLock { $0.appendedGuards } == [nil])
    }
}
