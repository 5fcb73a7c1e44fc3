/// The markers one finishing transaction needs: a COMMIT or ABORT control batch at the end of every partition it
/// wrote to, stamped with the coordinator epoch (the leader epoch of its `__transaction_state` partition).
public struct TransactionMarkerRequest: Sendable, Equatable {
    public var transactionalId: String
    public var producerId: Int64
    public var producerEpoch: Int16
    public var commit: Bool
    public var coordinatorEpoch: Int32
    public var partitions: [TxnTopicPartition]

    public init(
        transactionalId: String, producerId: Int64, producerEpoch: Int16, commit: Bool, coordinatorEpoch: Int32,
        partitions: [TxnTopicPartition]
    ) {
        self.transactionalId = transactionalId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.commit = commit
        self.coordinatorEpoch = coordinatorEpoch
        self.partitions = partitions
    }
}

/// The port through which the coordinator writes markers (Kafka's `TransactionMarkerChannelManager`); the broker
/// implements it with WriteTxnMarkers requests to the partition leaders.
public protocol TransactionMarkerWriter: Sendable {
    /// Writes the markers, retrying each partition (following leader moves) until its leader acknowledged it or
    /// the partition no longer exists. Gives up and returns false when `stillCoordinator` turns false (this broker
    /// lost the transaction's `__transaction_state` partition: the new coordinator takes over) or the coordinator
    /// epoch is fenced.
    func writeMarkers(_ request: TransactionMarkerRequest, stillCoordinator: @escaping @Sendable () async -> Bool)
        async -> Bool
}
