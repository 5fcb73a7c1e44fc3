/// Partition-level hanging transactions, found by the leaders themselves. Kafka leaves this to an operator running
/// `kafka-transactions.sh find-hanging`: a transaction open at a partition for longer than
/// `transaction.max.timeout.ms` cannot belong to any coordinator's ongoing transaction (every coordinator aborts
/// its transactions by their timeout, which is at most that), so no marker will ever close it, and the partition's
/// last stable offset, read_committed consumers and compaction stay behind it forever.
///
/// A value fed with each scan of the partitions' producer states; it answers the transactions that became hanging
/// since the last scan (each reported once, again only if it closes and another one hangs).
public struct HangingTransactions: Sendable {
    /// An open transaction of one producer at one partition.
    public struct Open: Sendable, Hashable {
        public var partition: TxnTopicPartition
        public var producerId: Int64
        public var producerEpoch: Int16
        public var coordinatorEpoch: Int32
        /// The offset of the transaction's first batch here (what `abort --start-offset` takes).
        public var startOffset: Int64
        /// The producer's last batch timestamp (what find-hanging measures the duration from).
        public var lastTimestamp: Int64

        public init(
            partition: TxnTopicPartition, producerId: Int64, producerEpoch: Int16, coordinatorEpoch: Int32,
            startOffset: Int64, lastTimestamp: Int64
        ) {
            self.partition = partition
            self.producerId = producerId
            self.producerEpoch = producerEpoch
            self.coordinatorEpoch = coordinatorEpoch
            self.startOffset = startOffset
            self.lastTimestamp = lastTimestamp
        }
    }

    private struct Key: Hashable {
        var partition: TxnTopicPartition
        var producerId: Int64
        var startOffset: Int64
    }

    private var reported = Set<Key>()

    public init() {}

    /// Every currently open transaction of the partitions led here: returns those hanging for the first time.
    /// Transactions no longer open are forgotten, so the set stays as small as the hanging ones.
    public mutating func scan(open: [Open], now: Int64, maxTransactionTimeoutMs: Int64) -> [Open] {
        var stillHanging = Set<Key>()
        var fresh: [Open] = []
        for txn in open where now - txn.lastTimestamp > maxTransactionTimeoutMs {
            let key = Key(partition: txn.partition, producerId: txn.producerId, startOffset: txn.startOffset)
            stillHanging.insert(key)
            if !reported.contains(key) { fresh.append(txn) }
        }
        reported = stillHanging
        return fresh.sorted { ($0.partition, $0.producerId) < ($1.partition, $1.producerId) }
    }

    /// Transactions reported and still open at the last scan.
    public var count: Int { reported.count }
}
