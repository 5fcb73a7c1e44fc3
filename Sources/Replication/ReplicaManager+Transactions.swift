import KafkaRecords
import LogStorage

/// Told when transaction markers were written to partitions led here (Kafka calls
/// `GroupCoordinator.onTransactionCompleted` from `handleWriteTxnMarkersRequest`): for `__consumer_offsets`
/// partitions the group coordinator materialises (COMMIT) or discards (ABORT) the producer's pending
/// transactional offset commits. Called once per marker with the partitions whose marker append succeeded.
public protocol TransactionMarkerListener: Sendable {
    func transactionCompleted(producerId: Int64, topic: String, partitions: [Int32], committed: Bool) async
}

/// The default listener: nothing to materialise.
public struct NoTransactionMarkerListener: TransactionMarkerListener {
    public init() {}
    public func transactionCompleted(producerId: Int64, topic: String, partitions: [Int32], committed: Bool) async {}
}

/// One partition's view of a producer, as DescribeProducers reports it (Kafka's `ProducerStateEntry`).
public struct ActiveProducer: Sendable, Equatable {
    public var producerId: Int64
    public var producerEpoch: Int16
    public var lastSequence: Int32
    public var lastTimestamp: Int64
    public var coordinatorEpoch: Int32
    /// First offset of the producer's open transaction, or -1.
    public var currentTxnStartOffset: Int64
}

extension ReplicaManager {
    /// Appends one transaction marker (a control batch: COMMIT or ABORT with the coordinator's epoch) to each
    /// partition, as the leader does for WriteTxnMarkers: `origin: .coordinator`, acks=all, so the answer means the
    /// ISR has the marker. Per-partition errors: NOT_LEADER_OR_FOLLOWER / UNKNOWN_TOPIC_OR_PARTITION,
    /// INVALID_PRODUCER_EPOCH (older producer epoch), TRANSACTION_COORDINATOR_FENCED (older coordinator epoch).
    /// Completing the transaction moves the LSO; read-committed long polls wake with the HW move.
    public func appendTxnMarkers(
        topic: String, partitions: [Int32], producerId: Int64, producerEpoch: Int16, committed: Bool,
        coordinatorEpoch: Int32, timeout: Duration
    ) async -> [ReplicationError?] {
        let marker = ControlRecord(type: committed ? .commit : .abort, coordinatorEpoch: coordinatorEpoch)
        let batch: [UInt8]
        do {
            batch = try marker.batch(producerId: producerId, producerEpoch: producerEpoch, timestamp: clock())
        } catch {
            return partitions.map { _ in .unknownServerError("cannot build marker: \(error)") }
        }
        let entries = partitions.map { ProduceEntry(topic: topic, partition: $0, records: batch) }
        let results = await produce(
            entries, acks: RequiredAcks.all.rawValue, timeout: timeout, origin: .coordinator)
        return results.map(\.error)
    }

    /// The producers a partition led here remembers (DescribeProducers, KIP-664).
    public func activeProducers(topic: String, partition index: Int32) throws(ReplicationError) -> [ActiveProducer] {
        let p = try leaderPartition(topic, index)
        return p.log.producerStateEntries.map {
            ActiveProducer(
                producerId: $0.producerId, producerEpoch: $0.producerEpoch, lastSequence: $0.lastSequence,
                lastTimestamp: $0.lastTimestamp, coordinatorEpoch: $0.coordinatorEpoch,
                currentTxnStartOffset: $0.currentTxnFirstOffset)
        }
    }
}
