import Testing

@testable import TransactionCoordinator

@Suite("Hanging transactions found by the leader")
struct HangingTransactionsTests {
    let tp = TxnTopicPartition(topic: "orders", partition: 3)
    let maxTimeout: Int64 = 900_000

    func open(_ producerId: Int64, lastTimestamp: Int64, startOffset: Int64 = 42) -> HangingTransactions.Open {
        HangingTransactions.Open(
            partition: tp, producerId: producerId, producerEpoch: 0, coordinatorEpoch: -1, startOffset: startOffset,
            lastTimestamp: lastTimestamp)
    }

    @Test("a transaction open longer than transaction.max.timeout.ms is reported once")
    func reportedOnce() {
        var hanging = HangingTransactions()
        let txn = open(7, lastTimestamp: 0)
        #expect(hanging.scan(open: [txn], now: maxTimeout, maxTransactionTimeoutMs: maxTimeout).isEmpty)
        #expect(hanging.scan(open: [txn], now: maxTimeout + 1, maxTransactionTimeoutMs: maxTimeout) == [txn])
        #expect(hanging.scan(open: [txn], now: maxTimeout + 60_000, maxTransactionTimeoutMs: maxTimeout).isEmpty)
        #expect(hanging.count == 1)
    }

    @Test("a younger open transaction is not hanging: its coordinator may still end it")
    func youngIsNotHanging() {
        var hanging = HangingTransactions()
        let young = open(8, lastTimestamp: 1_000_000)
        #expect(hanging.scan(open: [young], now: 1_500_000, maxTransactionTimeoutMs: maxTimeout).isEmpty)
        #expect(hanging.count == 0)
    }

    @Test("a transaction that closed and a new one hanging later is reported again")
    func closedThenHangingAgain() {
        var hanging = HangingTransactions()
        let first = open(7, lastTimestamp: 0, startOffset: 10)
        #expect(hanging.scan(open: [first], now: 2 * maxTimeout, maxTransactionTimeoutMs: maxTimeout) == [first])
        #expect(hanging.scan(open: [], now: 2 * maxTimeout, maxTransactionTimeoutMs: maxTimeout).isEmpty)
        #expect(hanging.count == 0)
        let second = open(7, lastTimestamp: 2 * maxTimeout, startOffset: 20)
        #expect(hanging.scan(open: [second], now: 4 * maxTimeout, maxTransactionTimeoutMs: maxTimeout) == [second])
    }
}
