import Testing

@testable import TransactionCoordinator

@Suite("Verification batches per coordinator")
struct VerificationBatchesTests {
    let a0 = TxnTopicPartition(topic: "a", partition: 0)
    let a1 = TxnTopicPartition(topic: "a", partition: 1)
    let b0 = TxnTopicPartition(topic: "b", partition: 0)

    @Test("the first request to an idle coordinator is sent at once")
    func firstRequestGoesAtOnce() throws {
        var batches = VerificationBatches<Int>()
        let first = batches.enqueue(
            node: 1, transactionalId: "t1", producerId: 10, producerEpoch: 0, partitions: [a0], waiter: 1)
        let batch = try #require(first)
        #expect(batch.map(\.transactionalId) == ["t1"])
        #expect(batch[0].partitions == [a0] && batch[0].waiters == [1])
    }

    @Test("requests arriving while one is in flight leave together in the next request")
    func requestsWaitForTheInFlightOne() throws {
        var batches = VerificationBatches<Int>()
        _ = batches.enqueue(
            node: 1, transactionalId: "t1", producerId: 10, producerEpoch: 0, partitions: [a0], waiter: 1)
        #expect(
            batches.enqueue(
                node: 1, transactionalId: "t2", producerId: 11, producerEpoch: 0, partitions: [a0], waiter: 2)
                == nil)
        #expect(
            batches.enqueue(
                node: 1, transactionalId: "t3", producerId: 12, producerEpoch: 0, partitions: [b0], waiter: 3)
                == nil)
        #expect(batches.waiting(node: 1) == 2)
        let completed = batches.completed(node: 1)
        let next = try #require(completed)
        #expect(next.map(\.transactionalId) == ["t2", "t3"])
        #expect(batches.waiting(node: 1) == 0)
        // Still in flight until that one completes; then the coordinator is idle.
        #expect(batches.completed(node: 1) == nil)
        #expect(
            batches.enqueue(
                node: 1, transactionalId: "t4", producerId: 13, producerEpoch: 0, partitions: [a1], waiter: 4)?
                .count == 1)
    }

    @Test("each coordinator has its own request in flight")
    func coordinatorsAreIndependent() {
        var batches = VerificationBatches<Int>()
        _ = batches.enqueue(
            node: 1, transactionalId: "t1", producerId: 10, producerEpoch: 0, partitions: [a0], waiter: 1)
        #expect(
            batches.enqueue(
                node: 2, transactionalId: "t2", producerId: 11, producerEpoch: 0, partitions: [a0], waiter: 2)
                != nil)
    }

    @Test("two produce requests of one producer merge into one entry with both waiters")
    func sameProducerMerges() throws {
        var batches = VerificationBatches<Int>()
        _ = batches.enqueue(
            node: 1, transactionalId: "t0", producerId: 9, producerEpoch: 0, partitions: [a0], waiter: 0)
        _ = batches.enqueue(
            node: 1, transactionalId: "t1", producerId: 10, producerEpoch: 0, partitions: [a0], waiter: 1)
        _ = batches.enqueue(
            node: 1, transactionalId: "t1", producerId: 10, producerEpoch: 0, partitions: [a0, a1], waiter: 2)
        let completed = batches.completed(node: 1)
        let next = try #require(completed)
        #expect(next.count == 1)
        #expect(next[0].partitions == [a0, a1] && next[0].waiters == [1, 2])
    }

    @Test("a different producer under the same transactional id waits for the following request")
    func oneEntryPerTransactionalId() throws {
        var batches = VerificationBatches<Int>()
        _ = batches.enqueue(
            node: 1, transactionalId: "t0", producerId: 9, producerEpoch: 0, partitions: [a0], waiter: 0)
        _ = batches.enqueue(
            node: 1, transactionalId: "t1", producerId: 10, producerEpoch: 0, partitions: [a0], waiter: 1)
        _ = batches.enqueue(
            node: 1, transactionalId: "t1", producerId: 10, producerEpoch: 1, partitions: [a0], waiter: 2)
        let completed = batches.completed(node: 1)
        let next = try #require(completed)
        #expect(next.map(\.producerEpoch) == [0])
        let completedAgain = batches.completed(node: 1)
        let after = try #require(completedAgain)
        #expect(after.map(\.producerEpoch) == [1] && after[0].waiters == [2])
    }
}
