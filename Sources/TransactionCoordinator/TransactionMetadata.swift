import KafkaProtocol

/// One transactional id's coordinator state, Kafka's `TransactionMetadata` as a value. Every request is a
/// non-mutating decision that returns the next value to persist (or an error); the runtime writes that value to
/// `__transaction_state` and adopts it only once the write succeeded, holding `pendingState` meanwhile so that
/// concurrent requests get CONCURRENT_TRANSACTIONS, as Kafka's `pendingState` does.
public struct TransactionMetadata: Sendable, Equatable {
    public let transactionalId: String
    public var producerId: Int64
    /// The producer id before the last rotation (-1 when none): accepted from a retried InitProducerId (KIP-360).
    public var lastProducerId: Int64 = -1
    public var producerEpoch: Int16
    /// The epoch before the last bump by a KIP-360 InitProducerId (-1 otherwise): a retry with it is answered again.
    public var lastProducerEpoch: Int16 = -1
    public var timeoutMs: Int32
    public var state: TransactionState
    public var partitions: Set<TxnTopicPartition> = []
    /// When the transaction became Ongoing (-1 when there is none).
    public var startTimestampMs: Int64 = -1
    public var lastUpdateTimestampMs: Int64
    /// A transition being written to the log.
    public var pendingState: TransactionState?

    public init(
        transactionalId: String, producerId: Int64, producerEpoch: Int16 = -1, timeoutMs: Int32,
        state: TransactionState = .empty, now: Int64
    ) {
        self.transactionalId = transactionalId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.timeoutMs = timeoutMs
        self.state = state
        self.lastUpdateTimestampMs = now
    }

    /// Rebuilds the metadata from its log record.
    public init(transactionalId: String, record v: TransactionLogValue) {
        self.transactionalId = transactionalId
        producerId = v.producerId
        lastProducerId = v.previousProducerId
        producerEpoch = v.producerEpoch
        timeoutMs = v.transactionTimeoutMs
        state = v.state
        partitions = Set(v.partitions)
        startTimestampMs = v.startTimestampMs
        lastUpdateTimestampMs = v.lastUpdateTimestampMs
    }

    /// The log record for this value.
    public var record: TransactionLogValue {
        var v = TransactionLogValue(
            producerId: producerId, producerEpoch: producerEpoch, transactionTimeoutMs: timeoutMs, state: state,
            partitions: partitions.sorted(), lastUpdateTimestampMs: lastUpdateTimestampMs,
            startTimestampMs: startTimestampMs)
        v.previousProducerId = lastProducerId
        return v
    }

    /// Kafka rotates to a new producer id once the epoch reaches `Short.MaxValue - 1`.
    public static func isEpochExhausted(_ epoch: Int16) -> Bool { epoch >= Int16.max - 1 }

    // MARK: InitProducerId

    public enum InitDecision: Sendable, Equatable {
        /// Persist this value, then answer with its producer id and epoch.
        case persist(TransactionMetadata)
        /// The epoch is exhausted: call again with a fresh producer id.
        case needsNewProducerId
        /// A retry of a bump the producer never saw the answer to: answer at once.
        case answer(producerId: Int64, epoch: Int16)
        /// An Ongoing transaction: persist this PrepareAbort (epoch bumped, fencing the old producer), abort it,
        /// and answer CONCURRENT_TRANSACTIONS so the producer retries.
        case fenceAndAbort(TransactionMetadata)
        case error(ErrorCode)
    }

    /// InitProducerId for this id (Kafka's `prepareInitProducerIdTransit`). `expected` is the producer's current
    /// id and epoch (v3+, KIP-360), `newProducerId` a fresh id when a previous call asked for one.
    public func initProducerId(
        timeoutMs newTimeout: Int32, expected: (producerId: Int64, epoch: Int16)?, newProducerId: Int64?, now: Int64
    ) -> InitDecision {
        if pendingState != nil { return .error(.concurrentTransactions) }
        if let expected {
            let valid =
                producerEpoch == -1 || expected.producerId == producerId
                || (expected.producerId == lastProducerId && Self.isEpochExhausted(expected.epoch))
            guard valid else { return .error(.producerFenced) }
        }
        switch state {
        case .prepareAbort, .prepareCommit, .prepareEpochFence:
            return .error(.concurrentTransactions)
        case .dead:
            return .error(.concurrentTransactions)
        case .ongoing:
            var next = self
            if !Self.isEpochExhausted(producerEpoch) { next.producerEpoch = producerEpoch + 1 }
            next.lastProducerEpoch = -1
            next.state = .prepareAbort
            next.lastUpdateTimestampMs = now
            return .fenceAndAbort(next)
        case .empty, .completeCommit, .completeAbort:
            var next = self
            next.timeoutMs = newTimeout
            next.partitions = []
            next.startTimestampMs = -1
            next.lastUpdateTimestampMs = now
            next.state = .empty
            if Self.isEpochExhausted(producerEpoch) && (expected.map { $0.epoch == producerEpoch } ?? true) {
                guard let newProducerId else { return .needsNewProducerId }
                next.lastProducerId = producerId
                next.lastProducerEpoch = expected != nil ? producerEpoch : -1
                next.producerId = newProducerId
                next.producerEpoch = 0
                return .persist(next)
            }
            if Self.isEpochExhausted(producerEpoch) { return .error(.producerFenced) }
            let bumped = producerEpoch + 1
            guard let expected else {
                next.producerEpoch = bumped
                next.lastProducerEpoch = -1
                return .persist(next)
            }
            if producerEpoch == -1 || expected.epoch == producerEpoch {
                next.producerEpoch = bumped
                next.lastProducerEpoch = producerEpoch
                return .persist(next)
            }
            if expected.epoch == lastProducerEpoch { return .answer(producerId: producerId, epoch: producerEpoch) }
            return .error(.producerFenced)
        }
    }

    // MARK: AddPartitionsToTxn / AddOffsetsToTxn

    public enum AddDecision: Sendable, Equatable {
        case persist(TransactionMetadata)
        /// Every partition is already in the transaction.
        case alreadyAdded
        case error(ErrorCode)
    }

    /// Checks the producer against this id: Kafka's common checks of AddPartitionsToTxn and EndTxn.
    func checkProducer(producerId pid: Int64, epoch: Int16) -> ErrorCode? {
        if pid != producerId { return .invalidProducerIdMapping }
        if epoch != producerEpoch { return .producerFenced }
        return nil
    }

    /// Adds partitions to the transaction, starting it from Empty or a Complete state.
    public func addPartitions(_ added: Set<TxnTopicPartition>, producerId pid: Int64, epoch: Int16, now: Int64)
        -> AddDecision
    {
        if let error = checkProducer(producerId: pid, epoch: epoch) { return .error(error) }
        if pendingState != nil || state.isPreparing || state == .prepareEpochFence {
            return .error(.concurrentTransactions)
        }
        if state == .dead { return .error(.invalidProducerIdMapping) }
        if state == .ongoing && added.isSubset(of: partitions) { return .alreadyAdded }
        var next = self
        if state != .ongoing {
            next.partitions = []
            next.startTimestampMs = now
        }
        next.state = .ongoing
        next.partitions.formUnion(added)
        next.lastUpdateTimestampMs = now
        return .persist(next)
    }

    /// KIP-890 part 1: whether a partition leader may append a transactional batch of this producer.
    public func verify(_ partition: TxnTopicPartition, producerId pid: Int64, epoch: Int16) -> ErrorCode {
        if pid != producerId { return .invalidProducerIdMapping }
        if epoch != producerEpoch { return .producerFenced }
        if state == .ongoing && partitions.contains(partition) { return .noError }
        return .invalidTxnState
    }

    // MARK: EndTxn

    public enum EndDecision: Sendable, Equatable {
        /// Persist this Prepare state, answer, then write the markers.
        case persist(TransactionMetadata)
        /// A retry of an EndTxn that already completed the same way.
        case alreadyDone
        case error(ErrorCode)
    }

    /// EndTxn from the producer (Kafka's `endTransaction` with `isFromClient`).
    public func end(commit: Bool, producerId pid: Int64, epoch: Int16, now: Int64) -> EndDecision {
        if let error = checkProducer(producerId: pid, epoch: epoch) { return .error(error) }
        if pendingState != nil { return .error(.concurrentTransactions) }
        switch state {
        case .ongoing:
            var next = self
            next.state = commit ? .prepareCommit : .prepareAbort
            next.lastUpdateTimestampMs = now
            return .persist(next)
        case .completeCommit:
            return commit ? .alreadyDone : .error(.invalidTxnState)
        case .completeAbort:
            return commit ? .error(.invalidTxnState) : .alreadyDone
        case .prepareCommit:
            return commit ? .error(.concurrentTransactions) : .error(.invalidTxnState)
        case .prepareAbort:
            return commit ? .error(.invalidTxnState) : .error(.concurrentTransactions)
        case .empty, .dead, .prepareEpochFence:
            return .error(.invalidTxnState)
        }
    }

    /// The coordinator aborts a transaction open longer than its timeout: epoch bumped so the producer is fenced
    /// (Kafka's `prepareFenceProducerEpoch` followed by an abort not from the client). Nil when not applicable.
    public func abortIfTimedOut(now: Int64) -> TransactionMetadata? {
        guard state == .ongoing, pendingState == nil, startTimestampMs >= 0,
            startTimestampMs + Int64(timeoutMs) < now
        else { return nil }
        var next = self
        if !Self.isEpochExhausted(producerEpoch) { next.producerEpoch = producerEpoch + 1 }
        next.lastProducerEpoch = -1
        next.state = .prepareAbort
        next.lastUpdateTimestampMs = now
        return next
    }

    /// After every marker is written: CompleteCommit or CompleteAbort, with the partitions cleared.
    public func completed(now: Int64) -> TransactionMetadata? {
        guard state.isPreparing else { return nil }
        var next = self
        next.state = state == .prepareCommit ? .completeCommit : .completeAbort
        next.partitions = []
        next.lastUpdateTimestampMs = now
        return next
    }
}
