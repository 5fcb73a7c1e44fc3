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
    /// The transaction protocol the producer speaks (Kafka's `TransactionVersion`): 2 for the KIP-890 part 2 flow
    /// (EndTxn v5, Produce v12, TxnOffsetCommit v5), where the epoch is bumped at every commit and abort.
    public var clientTransactionVersion: Int16 = 0
    /// The producer id a transaction version 2 commit or abort moves to when it has used up the epochs of the
    /// current one (-1 otherwise); adopted when the transaction completes.
    public var nextProducerId: Int64 = -1

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
        clientTransactionVersion = v.clientTransactionVersion
        nextProducerId = v.nextProducerId
    }

    /// The log record for this value.
    public var record: TransactionLogValue {
        var v = TransactionLogValue(
            producerId: producerId, producerEpoch: producerEpoch, transactionTimeoutMs: timeoutMs, state: state,
            partitions: partitions.sorted(), lastUpdateTimestampMs: lastUpdateTimestampMs,
            startTimestampMs: startTimestampMs)
        v.previousProducerId = lastProducerId
        v.nextProducerId = nextProducerId
        v.clientTransactionVersion = clientTransactionVersion
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

    /// Adds partitions to the transaction, starting it from Empty or a Complete state. `transactionVersion` 2 is
    /// the implicit add of a transaction version 2 producer (its Produce v12 or TxnOffsetCommit v5 reaching a
    /// partition leader or group coordinator, which adds on its behalf).
    public func addPartitions(
        _ added: Set<TxnTopicPartition>, producerId pid: Int64, epoch: Int16, transactionVersion: Int16 = 0,
        now: Int64
    ) -> AddDecision {
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
        next.clientTransactionVersion = transactionVersion
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
        /// Transaction version 2 has used up this producer id's epochs: call again with a fresh producer id.
        case needsNewProducerId
        case error(ErrorCode)
    }

    /// EndTxn from the producer (Kafka's `endTransaction` with `isFromClient`). `transactionVersion` 2 (EndTxn v5)
    /// is KIP-890 part 2: see `endBumpingEpoch`.
    public func end(
        commit: Bool, producerId pid: Int64, epoch: Int16, transactionVersion: Int16 = 0, nextProducerId: Int64? = nil,
        now: Int64
    ) -> EndDecision {
        if transactionVersion >= 2 {
            return endBumpingEpoch(
                commit: commit, producerId: pid, epoch: epoch, nextProducerId: nextProducerId, now: now)
        }
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

    /// KIP-890 part 2 (Kafka 4.0's `endTransaction` with transaction version 2): the Prepare state carries the
    /// producer epoch plus one, so the markers close the transaction at an epoch no write of it carries, and the
    /// producer id and epoch name exactly one transaction. A write of the finished transaction arriving late (a
    /// retried produce, the KAFKA-17754 case) is then fenced by epoch at the partition and at the coordinator
    /// instead of joining the next transaction. The producer learns the new epoch from the EndTxn v5 answer. An
    /// abort is accepted with nothing in the transaction (the producer cannot know whether its implicit add got
    /// through): it still bumps the epoch, fencing whatever write of it may still arrive. A retry, recognised by
    /// the epoch just below the current one (or the previous producer id at the last epoch), is answered with
    /// the current producer id and epoch.
    func endBumpingEpoch(commit: Bool, producerId pid: Int64, epoch: Int16, nextProducerId fresh: Int64?, now: Int64)
        -> EndDecision
    {
        let sameResult =
            commit
            ? (state == .prepareCommit || state == .completeCommit)
            : (state == .prepareAbort || state == .completeAbort)
        let retryOnBump = pid == producerId && Int32(epoch) + 1 == Int32(producerEpoch)
        let retryOnRotation =
            (state == .completeCommit || state == .completeAbort) && lastProducerId >= 0 && pid == lastProducerId
            && Self.isEpochExhausted(epoch) && producerEpoch == 0
        if sameResult && (retryOnBump || retryOnRotation) {
            return state.isPreparing ? .error(.concurrentTransactions) : .alreadyDone
        }
        if let error = checkProducer(producerId: pid, epoch: epoch) { return .error(error) }
        if pendingState != nil { return .error(.concurrentTransactions) }
        switch state {
        case .ongoing:
            break
        case .empty, .completeCommit, .completeAbort:
            if commit { return .error(.invalidTxnState) }
        case .prepareCommit:
            return commit ? .error(.concurrentTransactions) : .error(.invalidTxnState)
        case .prepareAbort:
            return commit ? .error(.invalidTxnState) : .error(.concurrentTransactions)
        case .dead, .prepareEpochFence:
            return .error(.invalidTxnState)
        }
        var next = self
        if Self.isEpochExhausted(producerEpoch) {
            guard let fresh else { return .needsNewProducerId }
            next.nextProducerId = fresh
        }
        if state != .ongoing {
            next.partitions = []
            next.startTimestampMs = now
        }
        next.producerEpoch = producerEpoch + 1
        next.lastProducerEpoch = producerEpoch
        next.clientTransactionVersion = 2
        next.state = commit ? .prepareCommit : .prepareAbort
        next.lastUpdateTimestampMs = now
        return .persist(next)
    }

    /// The producer id and epoch the producer continues with after this transaction: the next producer id at
    /// epoch 0 once the current one is used up, as the EndTxn v5 answer carries them.
    public var continuation: (producerId: Int64, epoch: Int16) {
        nextProducerId >= 0 ? (nextProducerId, 0) : (producerId, producerEpoch)
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
        if nextProducerId >= 0 {
            next.lastProducerId = producerId
            next.producerId = nextProducerId
            next.producerEpoch = 0
            next.lastProducerEpoch = -1
            next.nextProducerId = -1
        }
        next.lastUpdateTimestampMs = now
        return next
    }
}
