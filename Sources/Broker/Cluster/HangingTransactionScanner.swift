import Foundation
import KafkaConfig
import Logging
import Replication
import TransactionCoordinator

/// The leader's own watch for partition-level hanging transactions (see `HangingTransactions`): every
/// `transaction.abort.timed.out.transaction.cleanup.interval.ms` it reads the producer state of the partitions it
/// leads and logs each transaction open longer than `transaction.max.timeout.ms` once, with the command that closes
/// it. `needletail transactions find-hanging` lists the same transactions on demand.
struct HangingTransactionScanner: Sendable {
    let brokerId: Int32
    let replicas: ReplicaManager
    let config: @Sendable () -> BrokerConfig
    let logger: Logger

    func run() async {
        var hanging = HangingTransactions()
        while !Task.isCancelled {
            let settings = config()
            let interval = max(settings.transactionAbortTimedOutTransactionCleanupIntervalMs, 1)
            try? await Task.sleep(for: .milliseconds(interval))
            if Task.isCancelled { return }
            var open: [HangingTransactions.Open] = []
            for partition in replicas.allPartitions where partition.isLeader {
                for entry in partition.log.producerStateEntries where entry.currentTxnFirstOffset >= 0 {
                    open.append(
                        .init(
                            partition: TxnTopicPartition(topic: partition.topic, partition: partition.index),
                            producerId: entry.producerId, producerEpoch: entry.producerEpoch,
                            coordinatorEpoch: entry.coordinatorEpoch, startOffset: entry.currentTxnFirstOffset,
                            lastTimestamp: entry.lastTimestamp))
                }
            }
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            for txn in hanging.scan(
                open: open, now: now, maxTransactionTimeoutMs: Int64(settings.transactionMaxTimeoutMs))
            {
                let tp = txn.partition
                logger.warning(
                    "[Broker id=\(brokerId)] Hanging transaction in \(tp): producer \(txn.producerId) epoch \(txn.producerEpoch) has had a transaction open since offset \(txn.startOffset) for \(now - txn.lastTimestamp) ms, longer than transaction.max.timeout.ms (\(settings.transactionMaxTimeoutMs)); no coordinator will end it and it holds the last stable offset. Abort it with: needletail transactions --bootstrap-server <broker> abort --topic \(tp.topic) --partition \(tp.partition) --start-offset \(txn.startOffset)"
                )
            }
        }
    }
}
