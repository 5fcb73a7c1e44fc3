import Replication

/// The partition side's marker hook, wired to the group coordinator (Kafka's
/// `GroupCoordinator.onTransactionCompleted`): a COMMIT marker written to a `__consumer_offsets` partition makes the
/// producer's pending transactional offsets of the groups placed there committed, an ABORT drops them.
extension GroupService: TransactionMarkerListener {
    func transactionCompleted(producerId: Int64, topic: String, partitions: [Int32], committed: Bool) async {
        guard topic == Self.topic else { return }
        for partition in partitions {
            await runtime.completeTransaction(
                producerId: producerId, producerEpoch: nil, partition: partition, commit: committed)
        }
    }
}
