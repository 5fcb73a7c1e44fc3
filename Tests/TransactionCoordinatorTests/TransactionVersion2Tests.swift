import KafkaProtocol
import Synchronization
import Testing

@testable import TransactionCoordinator

/// KIP-890 part 2 (transaction version 2, Kafka 4.0): one producer epoch per transaction.
@Suite("Transaction version 2: an epoch bump per transaction")
struct TransactionVersion2Tests {
    let tp0 = TxnTopicPartition(topic: "orders", partition: 0)
    let tp1 = TxnTopicPartition(topic: "orders", partition: 1)

    /// An id initialised at epoch 0 with `partitions` implicitly added (Produce v12 at the leaders).
    func ongoing(_ partitions: Set<TxnTopicPartition>, epoch: Int16 = 0) throws -> TransactionMetadata {
        var m = TransactionMetadata(transactionalId: "t", producerId: 1000, timeoutMs: 60_000, now: 0)
        m.producerEpoch = epoch
        guard
            case .persist(let next) = m.addPartitions(
                partitions, producerId: 1000, epoch: epoch, transactionVersion: 2, now: 1)
        else { throw Failure.unexpected }
        return next
    }

    enum Failure: Error { case unexpected }

    /// The version a `__transaction_state` value was written with (its first int16).
    func valueVersion(_ bytes: [UInt8]) -> Int { Int(bytes[0]) << 8 | Int(bytes[1]) }

    func persisted(_ d: TransactionMetadata.EndDecision) throws -> TransactionMetadata {
        guard case .persist(let m) = d else { throw Failure.unexpected }
        return m
    }

    @Test("commit bumps the epoch in the Prepare state, the markers carry it, and the next transaction uses it")
    func commitBumpsEpoch() throws {
        let m = try ongoing([tp0])
        #expect(m.clientTransactionVersion == 2)
        let prepare = try persisted(
            m.end(commit: true, producerId: 1000, epoch: 0, transactionVersion: 2, now: 2))
        #expect(prepare.state == .prepareCommit && prepare.producerEpoch == 1 && prepare.partitions == [tp0])
        #expect(prepare.continuation == (1000, 1))
        let complete = try #require(prepare.completed(now: 3))
        #expect(complete.state == .completeCommit && complete.producerEpoch == 1)
        // The producer continues at epoch 1: its first produce adds the partition again.
        guard
            case .persist(let second) = complete.addPartitions(
                [tp1], producerId: 1000, epoch: 1, transactionVersion: 2, now: 4)
        else {
            Issue.record("the next transaction did not start")
            return
        }
        #expect(second.state == .ongoing && second.partitions == [tp1])
        let abort = try persisted(second.end(commit: false, producerId: 1000, epoch: 1, transactionVersion: 2, now: 5))
        #expect(abort.state == .prepareAbort && abort.producerEpoch == 2)
    }

    @Test("a late write of the finished transaction is fenced by epoch instead of joining the next one")
    func zombieWriteFenced() throws {
        let prepare = try persisted(
            try ongoing([tp0]).end(commit: true, producerId: 1000, epoch: 0, transactionVersion: 2, now: 2))
        let complete = try #require(prepare.completed(now: 3))
        // The KAFKA-17754 case: a produce of transaction 1 (epoch 0) reaches a leader after EndTxn.
        #expect(
            complete.addPartitions([tp1], producerId: 1000, epoch: 0, transactionVersion: 2, now: 4)
                == .error(.producerFenced))
        #expect(complete.verify(tp0, producerId: 1000, epoch: 0) == .producerFenced)
        // And once the next transaction runs at epoch 1, still fenced.
        guard
            case .persist(let next) = complete.addPartitions(
                [tp0], producerId: 1000, epoch: 1, transactionVersion: 2, now: 5)
        else {
            Issue.record("the next transaction did not start")
            return
        }
        #expect(next.verify(tp0, producerId: 1000, epoch: 0) == .producerFenced)
        #expect(next.verify(tp0, producerId: 1000, epoch: 1) == .noError)
    }

    @Test("a retried EndTxn with the pre-bump epoch is answered, not fenced, and an opposite one is refused")
    func retriedEndTxn() throws {
        let prepare = try persisted(
            try ongoing([tp0]).end(commit: true, producerId: 1000, epoch: 0, transactionVersion: 2, now: 2))
        #expect(
            prepare.end(commit: true, producerId: 1000, epoch: 0, transactionVersion: 2, now: 3)
                == .error(.concurrentTransactions))
        let complete = try #require(prepare.completed(now: 3))
        #expect(complete.end(commit: true, producerId: 1000, epoch: 0, transactionVersion: 2, now: 4) == .alreadyDone)
        #expect(
            complete.end(commit: false, producerId: 1000, epoch: 0, transactionVersion: 2, now: 4)
                == .error(.producerFenced))
        // An epoch older than that is a zombie.
        var older = complete
        older.producerEpoch = 5
        #expect(
            older.end(commit: true, producerId: 1000, epoch: 3, transactionVersion: 2, now: 4)
                == .error(.producerFenced))
    }

    @Test("an abort with nothing added still bumps the epoch; a commit with nothing added is refused")
    func emptyAbort() throws {
        let m = TransactionMetadata(
            transactionalId: "t", producerId: 1000, producerEpoch: 4, timeoutMs: 60_000, state: .completeCommit, now: 0)
        let abort = try persisted(m.end(commit: false, producerId: 1000, epoch: 4, transactionVersion: 2, now: 1))
        #expect(abort.state == .prepareAbort && abort.producerEpoch == 5 && abort.partitions.isEmpty)
        #expect(
            m.end(commit: true, producerId: 1000, epoch: 4, transactionVersion: 2, now: 1) == .error(.invalidTxnState))
        // The v0-era flow keeps refusing both.
        #expect(m.end(commit: false, producerId: 1000, epoch: 4, now: 1) == .error(.invalidTxnState))
    }

    @Test("the v0-era EndTxn keeps the epoch")
    func versionZeroKeepsEpoch() throws {
        var m = TransactionMetadata(transactionalId: "t", producerId: 1000, timeoutMs: 60_000, now: 0)
        m.producerEpoch = 3
        guard case .persist(let on) = m.addPartitions([tp0], producerId: 1000, epoch: 3, now: 1) else {
            Issue.record("add failed")
            return
        }
        let prepare = try persisted(on.end(commit: true, producerId: 1000, epoch: 3, now: 2))
        #expect(prepare.producerEpoch == 3 && prepare.clientTransactionVersion == 0)
        #expect(valueVersion(prepare.record.encoded()) == 0)
    }

    @Test("at the last epoch the commit moves to a new producer id, kept across a reload")
    func epochExhaustionRotates() throws {
        let m = try ongoing([tp0], epoch: Int16.max - 1)
        #expect(
            m.end(commit: true, producerId: 1000, epoch: Int16.max - 1, transactionVersion: 2, now: 2)
                == .needsNewProducerId)
        let prepare = try persisted(
            m.end(
                commit: true, producerId: 1000, epoch: Int16.max - 1, transactionVersion: 2, nextProducerId: 2000,
                now: 2))
        #expect(prepare.producerId == 1000 && prepare.producerEpoch == Int16.max && prepare.nextProducerId == 2000)
        #expect(prepare.continuation == (2000, 0))
        // The log value v1 keeps the next producer id and the transaction version across a coordinator move.
        let bytes = prepare.record.encoded()
        #expect(valueVersion(bytes) == 1)
        let reloaded = TransactionMetadata(transactionalId: "t", record: try TransactionLogValue(decoding: bytes))
        #expect(reloaded.nextProducerId == 2000 && reloaded.clientTransactionVersion == 2)
        #expect(reloaded.partitions == [tp0] && reloaded.state == .prepareCommit)
        let complete = try #require(reloaded.completed(now: 3))
        #expect(complete.producerId == 2000 && complete.producerEpoch == 0 && complete.lastProducerId == 1000)
        #expect(complete.nextProducerId == -1)
        // The producer that never saw the answer retries with the old id and last epoch.
        #expect(
            complete.end(commit: true, producerId: 1000, epoch: Int16.max - 1, transactionVersion: 2, now: 4)
                == .alreadyDone)
        #expect(complete.continuation == (2000, 0))
    }

    @Test("the runtime answers EndTxn v5 with the bumped epoch and writes the markers with it")
    func runtimeAnswersBumpedEpoch() async throws {
        let markers = RecordingMarkers()
        let runtime = TransactionCoordinatorRuntime(
            config: .init(), partitionCount: 1, clock: { 1000 }, log: { _ in }, appender: { _, _ in .noError },
            allocateProducerId: { 5000 }, markers: markers)
        let ticket = try #require(await runtime.beginLoading(partition: 0, leaderEpoch: 2))
        await runtime.finishLoading(partition: 0, ticket: ticket)
        _ = await runtime.initProducerId(transactionalId: "t", timeoutMs: 1000, expected: nil)
        #expect(
            await runtime.addPartitions(
                transactionalId: "t", producerId: 5000, producerEpoch: 0, partitions: [tp0], transactionVersion: 2)
                == .noError)
        let answer = await runtime.endTransaction(
            transactionalId: "t", producerId: 5000, producerEpoch: 0, commit: true, transactionVersion: 2)
        #expect(answer == .init(error: .noError, producerId: 5000, producerEpoch: 1))
        for _ in 0..<1000 {
            if await runtime.metadata(of: "t")?.state == .completeCommit { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(await runtime.metadata(of: "t")?.state == .completeCommit)
        #expect(markers.sent.withLock { $0.map(\.producerEpoch) } == [1])
        // The retry gets the same answer; the old epoch can no longer add a partition.
        #expect(
            await runtime.endTransaction(
                transactionalId: "t", producerId: 5000, producerEpoch: 0, commit: true, transactionVersion: 2)
                == .init(error: .noError, producerId: 5000, producerEpoch: 1))
        #expect(
            await runtime.addPartitions(
                transactionalId: "t", producerId: 5000, producerEpoch: 0, partitions: [tp1], transactionVersion: 2)
                == .producerFenced)
    }
}
