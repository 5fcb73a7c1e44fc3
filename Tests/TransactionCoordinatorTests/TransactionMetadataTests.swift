import KafkaProtocol
import Testing

@testable import TransactionCoordinator

@Suite("Transaction state machine")
struct TransactionMetadataTests {
    let tp0 = TxnTopicPartition(topic: "orders", partition: 0)
    let tp1 = TxnTopicPartition(topic: "orders", partition: 1)

    func fresh() -> TransactionMetadata {
        TransactionMetadata(transactionalId: "t", producerId: 1000, timeoutMs: 60_000, now: 0)
    }

    func persisted(_ d: TransactionMetadata.InitDecision) -> TransactionMetadata? {
        if case .persist(let m) = d { return m }
        return nil
    }

    @Test("states allow exactly Kafka's transitions")
    func transitions() {
        #expect(TransactionState.ongoing.canTransition(to: .prepareCommit))
        #expect(TransactionState.ongoing.canTransition(to: .prepareEpochFence))
        #expect(!TransactionState.empty.canTransition(to: .prepareCommit))
        #expect(TransactionState.prepareEpochFence.canTransition(to: .prepareAbort))
        #expect(!TransactionState.prepareCommit.canTransition(to: .completeAbort))
        #expect(TransactionState.completeAbort.canTransition(to: .ongoing))
        #expect(TransactionState.allCases.map(\.rawValue) == [0, 1, 2, 3, 4, 5, 6, 7])
        #expect(TransactionState(name: "PrepareEpochFence") == .prepareEpochFence)
    }

    @Test("a new transactional id gets epoch 0, a second init bumps the epoch")
    func initBumps() throws {
        let first = try #require(
            persisted(fresh().initProducerId(timeoutMs: 1000, expected: nil, newProducerId: nil, now: 5)))
        #expect(first.producerEpoch == 0 && first.state == .empty && first.timeoutMs == 1000)
        let second = try #require(
            persisted(first.initProducerId(timeoutMs: 1000, expected: nil, newProducerId: nil, now: 6)))
        #expect(second.producerEpoch == 1 && second.producerId == 1000)
    }

    @Test("init during an ongoing transaction fences the old epoch and aborts")
    func initFencesOngoing() throws {
        var m = try #require(
            persisted(fresh().initProducerId(timeoutMs: 1000, expected: nil, newProducerId: nil, now: 0)))
        guard case .persist(let ongoing) = m.addPartitions([tp0], producerId: 1000, epoch: 0, now: 1) else {
            Issue.record("add failed")
            return
        }
        m = ongoing
        guard
            case .fenceAndAbort(let next) = m.initProducerId(timeoutMs: 1000, expected: nil, newProducerId: nil, now: 2)
        else {
            Issue.record("expected a fence")
            return
        }
        #expect(next.state == .prepareAbort && next.producerEpoch == 1 && next.partitions == [tp0])
        // The zombie with the old epoch is fenced.
        #expect(next.end(commit: true, producerId: 1000, epoch: 0, now: 3) == .error(.producerFenced))
    }

    @Test("an exhausted epoch rotates to a new producer id")
    func rotation() throws {
        var m = fresh()
        m.producerEpoch = Int16.max - 1
        #expect(m.initProducerId(timeoutMs: 1000, expected: nil, newProducerId: nil, now: 0) == .needsNewProducerId)
        let next = try #require(
            persisted(m.initProducerId(timeoutMs: 1000, expected: nil, newProducerId: 2000, now: 0)))
        #expect(next.producerId == 2000 && next.producerEpoch == 0 && next.lastProducerId == 1000)
    }

    @Test("KIP-360: a producer with another id is fenced, a retry of the last bump is answered again")
    func kip360() throws {
        let m = try #require(
            persisted(fresh().initProducerId(timeoutMs: 1000, expected: nil, newProducerId: nil, now: 0)))
        #expect(
            m.initProducerId(timeoutMs: 1000, expected: (999, 0), newProducerId: nil, now: 1) == .error(.producerFenced)
        )
        let bumped = try #require(
            persisted(m.initProducerId(timeoutMs: 1000, expected: (1000, 0), newProducerId: nil, now: 1)))
        #expect(bumped.producerEpoch == 1 && bumped.lastProducerEpoch == 0)
        #expect(
            bumped.initProducerId(timeoutMs: 1000, expected: (1000, 0), newProducerId: nil, now: 2)
                == .answer(producerId: 1000, epoch: 1))
    }

    @Test("EndTxn moves Ongoing to Prepare, then Complete clears the partitions")
    func endAndComplete() throws {
        let m = try #require(
            persisted(fresh().initProducerId(timeoutMs: 1000, expected: nil, newProducerId: nil, now: 0)))
        guard case .persist(let ongoing) = m.addPartitions([tp0, tp1], producerId: 1000, epoch: 0, now: 10) else {
            Issue.record("add failed")
            return
        }
        #expect(ongoing.startTimestampMs == 10)
        #expect(ongoing.addPartitions([tp0], producerId: 1000, epoch: 0, now: 11) == .alreadyAdded)
        guard case .persist(let prepare) = ongoing.end(commit: true, producerId: 1000, epoch: 0, now: 12) else {
            Issue.record("end failed")
            return
        }
        #expect(prepare.state == .prepareCommit)
        #expect(prepare.end(commit: true, producerId: 1000, epoch: 0, now: 13) == .error(.concurrentTransactions))
        #expect(prepare.end(commit: false, producerId: 1000, epoch: 0, now: 13) == .error(.invalidTxnState))
        #expect(prepare.addPartitions([tp0], producerId: 1000, epoch: 0, now: 13) == .error(.concurrentTransactions))
        let done = try #require(prepare.completed(now: 14))
        #expect(done.state == .completeCommit && done.partitions.isEmpty)
        #expect(done.end(commit: true, producerId: 1000, epoch: 0, now: 15) == .alreadyDone)
        #expect(done.end(commit: false, producerId: 1000, epoch: 0, now: 15) == .error(.invalidTxnState))
    }

    @Test("EndTxn without a transaction is INVALID_TXN_STATE, with another producer id INVALID_PRODUCER_ID_MAPPING")
    func endErrors() throws {
        let m = try #require(
            persisted(fresh().initProducerId(timeoutMs: 1000, expected: nil, newProducerId: nil, now: 0)))
        #expect(m.end(commit: true, producerId: 1000, epoch: 0, now: 1) == .error(.invalidTxnState))
        #expect(m.end(commit: true, producerId: 7, epoch: 0, now: 1) == .error(.invalidProducerIdMapping))
        #expect(m.end(commit: true, producerId: 1000, epoch: 3, now: 1) == .error(.producerFenced))
    }

    @Test("a transaction open past its timeout is aborted with a bumped epoch")
    func timeout() throws {
        let m = try #require(
            persisted(fresh().initProducerId(timeoutMs: 1000, expected: nil, newProducerId: nil, now: 0)))
        guard case .persist(let ongoing) = m.addPartitions([tp0], producerId: 1000, epoch: 0, now: 100) else {
            Issue.record("add failed")
            return
        }
        #expect(ongoing.abortIfTimedOut(now: 1100) == nil)
        let aborted = try #require(ongoing.abortIfTimedOut(now: 1101))
        #expect(aborted.state == .prepareAbort && aborted.producerEpoch == 1)
    }

    @Test("verify accepts only partitions of the ongoing transaction at the current epoch")
    func verify() throws {
        let m = try #require(
            persisted(fresh().initProducerId(timeoutMs: 1000, expected: nil, newProducerId: nil, now: 0)))
        #expect(m.verify(tp0, producerId: 1000, epoch: 0) == .invalidTxnState)
        guard case .persist(let ongoing) = m.addPartitions([tp0], producerId: 1000, epoch: 0, now: 1) else { return }
        #expect(ongoing.verify(tp0, producerId: 1000, epoch: 0) == .noError)
        #expect(ongoing.verify(tp1, producerId: 1000, epoch: 0) == .invalidTxnState)
        #expect(ongoing.verify(tp0, producerId: 1000, epoch: 1) == .producerFenced)
    }
}
