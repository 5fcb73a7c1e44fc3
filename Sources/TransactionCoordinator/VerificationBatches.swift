/// Partition-side KIP-890 verification requests on their way to transaction coordinators, batched the way Kafka's
/// `AddPartitionsToTxnManager` batches them: at most one AddPartitionsToTxn v4 in flight per coordinator broker;
/// whatever arrives meanwhile waits and leaves together in the next request, one entry per transactional id (the
/// request's `transactions` are keyed by it). Under load many produce requests therefore share one round trip to
/// each coordinator instead of one each.
///
/// A value: `enqueue` and `completed` return the batch to send now, if any; the owner (an actor) sends it and
/// reports back. `Waiter` is whatever the owner resumes with the answers (a continuation).
public struct VerificationBatches<Waiter: Sendable>: Sendable {
    /// One transactional id's partitions in a batch, with everyone waiting for their answers.
    public struct Entry: Sendable {
        public var transactionalId: String
        public var producerId: Int64
        public var producerEpoch: Int16
        public var partitions: [TxnTopicPartition]
        public var waiters: [Waiter]

        public init(
            transactionalId: String, producerId: Int64, producerEpoch: Int16, partitions: [TxnTopicPartition],
            waiters: [Waiter]
        ) {
            self.transactionalId = transactionalId
            self.producerId = producerId
            self.producerEpoch = producerEpoch
            self.partitions = partitions
            self.waiters = waiters
        }
    }

    private var inFlight = Set<Int32>()
    private var queued: [Int32: [Entry]] = [:]

    public init() {}

    /// A request to verify `partitions` of a transaction at coordinator `node`: returns the batch to send to `node`
    /// now (nil: a request to `node` is in flight and this one waits for it).
    public mutating func enqueue(
        node: Int32, transactionalId: String, producerId: Int64, producerEpoch: Int16,
        partitions: [TxnTopicPartition], waiter: Waiter
    ) -> [Entry]? {
        var entries = queued[node, default: []]
        // Two produce requests of one producer (same id, producer id and epoch) merge into one entry; a different
        // producer under the same id (a fenced zombie and its successor) queues separately, for a later batch.
        if let i = entries.firstIndex(where: {
            $0.transactionalId == transactionalId && $0.producerId == producerId && $0.producerEpoch == producerEpoch
        }) {
            for tp in partitions where !entries[i].partitions.contains(tp) { entries[i].partitions.append(tp) }
            entries[i].waiters.append(waiter)
        } else {
            entries.append(
                Entry(
                    transactionalId: transactionalId, producerId: producerId, producerEpoch: producerEpoch,
                    partitions: partitions, waiters: [waiter]))
        }
        queued[node] = entries
        return inFlight.contains(node) ? nil : take(node)
    }

    /// The request to `node` was answered (or failed): returns the next batch for `node`, if any waits.
    public mutating func completed(node: Int32) -> [Entry]? {
        inFlight.remove(node)
        return take(node)
    }

    /// Requests waiting (not in flight) for `node`.
    public func waiting(node: Int32) -> Int { queued[node]?.count ?? 0 }

    /// Takes the next batch for `node` (one entry per transactional id) and marks `node` in flight.
    private mutating func take(_ node: Int32) -> [Entry]? {
        guard let entries = queued[node], !entries.isEmpty else { return nil }
        var batch: [Entry] = []
        var rest: [Entry] = []
        var ids = Set<String>()
        for entry in entries {
            if ids.insert(entry.transactionalId).inserted { batch.append(entry) } else { rest.append(entry) }
        }
        queued[node] = rest.isEmpty ? nil : rest
        inFlight.insert(node)
        return batch
    }
}
