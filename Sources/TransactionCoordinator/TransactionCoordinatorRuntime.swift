import KafkaProtocol
import KafkaRecords

/// Settings of the coordinator (the broker's `transaction.*` keys).
public struct TransactionCoordinatorConfig: Sendable {
    public var maxTimeoutMs: Int32
    public var transactionalIdExpirationMs: Int64

    public init(maxTimeoutMs: Int32 = 900_000, transactionalIdExpirationMs: Int64 = 604_800_000) {
        self.maxTimeoutMs = maxTimeoutMs
        self.transactionalIdExpirationMs = transactionalIdExpirationMs
    }
}

/// The transaction coordinator for the `__transaction_state` partitions this broker leads (Kafka's
/// `TransactionCoordinator` with its `TransactionStateManager`). Decisions come from `TransactionMetadata`; this actor
/// keeps the values, writes them through `appender` (acks=all), loads partitions on leadership, and drives markers
/// through the `TransactionMarkerWriter` port. After every `await` it re-checks that it still owns the partition at
/// the same coordinator epoch before adopting a result.
public actor TransactionCoordinatorRuntime {
    public typealias Appender = @Sendable (_ partition: Int32, _ batch: [UInt8]) async -> ErrorCode

    public enum PartitionStatus: Sendable, Equatable {
        case loading
        case loaded
    }

    public let config: TransactionCoordinatorConfig
    private let clock: @Sendable () -> Int64
    private let log: @Sendable (String) -> Void
    private let appender: Appender
    private let allocateProducerId: @Sendable () async -> Int64?
    private let markers: any TransactionMarkerWriter

    public private(set) var partitionCount: Int32
    private var partitions: [Int32: PartitionStatus] = [:]
    /// The leader epoch each partition was loaded at: the coordinator epoch its markers carry.
    private var coordinatorEpochs: [Int32: Int32] = [:]
    private var loadTickets: [Int32: UInt64] = [:]
    private var nextLoadTicket: UInt64 = 0
    private var scratch: [Int32: [String: TransactionLogValue?]] = [:]
    private var transactions: [String: TransactionMetadata] = [:]
    /// Transactions whose markers are being written by this coordinator, with the coordinator epoch the writer
    /// carries. A re-election of this broker at a higher epoch (a follower left the ISR) reloads the partition while
    /// the older writer may still be retrying: the reload starts its own writer, and the older one stops by itself
    /// (Kafka's `TransactionMarkerRequestCompletionHandler` drops responses of a stale coordinator epoch the same way).
    private var completing: [String: Int32] = [:]

    public init(
        config: TransactionCoordinatorConfig, partitionCount: Int32, clock: @escaping @Sendable () -> Int64,
        log: @escaping @Sendable (String) -> Void, appender: @escaping Appender,
        allocateProducerId: @escaping @Sendable () async -> Int64?, markers: any TransactionMarkerWriter
    ) {
        self.config = config
        self.partitionCount = partitionCount
        self.clock = clock
        self.log = log
        self.appender = appender
        self.allocateProducerId = allocateProducerId
        self.markers = markers
    }

    public func setPartitionCount(_ count: Int32) { if count > 0 { partitionCount = count } }

    public func partition(for transactionalId: String) -> Int32 {
        TransactionPlacement.partition(for: transactionalId, partitionCount: partitionCount)
    }

    public func status(of partition: Int32) -> PartitionStatus? { partitions[partition] }

    public func metadata(of transactionalId: String) -> TransactionMetadata? { transactions[transactionalId] }

    private func coordinatorError(for transactionalId: String) -> ErrorCode {
        switch partitions[partition(for: transactionalId)] {
        case nil: .notCoordinator
        case .loading: .coordinatorLoadInProgress
        case .loaded: .noError
        }
    }

    /// Whether this broker still coordinates `partition` at `epoch`.
    public func owns(partition: Int32, epoch: Int32) -> Bool {
        partitions[partition] == .loaded && coordinatorEpochs[partition] == epoch
    }

    // MARK: loading

    /// Starts loading a partition this broker now leads (requests get COORDINATOR_LOAD_IN_PROGRESS meanwhile).
    /// Returns the ticket for `replay`/`finishLoading`, nil when `leaderEpoch` is older than the current one or the
    /// partition is already loading or loaded at this epoch.
    public func beginLoading(partition p: Int32, leaderEpoch: Int32) -> UInt64? {
        if let current = coordinatorEpochs[p], leaderEpoch < current || (leaderEpoch == current && partitions[p] != nil)
        {
            return nil
        }
        dropTransactions(of: p)
        nextLoadTicket += 1
        loadTickets[p] = nextLoadTicket
        partitions[p] = .loading
        coordinatorEpochs[p] = leaderEpoch
        scratch[p] = [:]
        return nextLoadTicket
    }

    /// Replays stored batches; the last record per transactional id wins, tombstones remove. Returns the offset after
    /// the last batch, nil when unreadable or the load is stale.
    public func replay(partition p: Int32, batches bytes: [UInt8], ticket: UInt64) -> Int64? {
        guard loadTickets[p] == ticket, var s = scratch[p] else { return nil }
        defer { scratch[p] = s }
        let entries: [RecordBatchIterator.Entry]
        do {
            entries = try RecordBatchIterator.batches(in: bytes).entries
        } catch {
            log("Cannot read batches of \(TransactionPlacement.topic)-\(p) while loading: \(error)")
            return nil
        }
        var nextOffset: Int64?
        for entry in entries {
            nextOffset = entry.header.lastOffset + 1
            if entry.header.isControl || entry.header.magic != 2 { continue }
            guard let batch = try? RecordBatch(parsing: Array(bytes[entry.range])) else { continue }
            for record in batch.records {
                guard let key = record.key, let id = try? TransactionLogKey.decode(key) else { continue }
                if let value = record.value {
                    guard let decoded = try? TransactionLogValue(decoding: value) else {
                        log("Skipping unreadable value of \(id) in \(TransactionPlacement.topic)-\(p)")
                        continue
                    }
                    s[id] = .some(decoded)
                } else {
                    s[id] = .some(nil)
                }
            }
        }
        return nextOffset
    }

    /// Serves the loaded partition. Transactions found in a Prepare state get their markers written again (the
    /// previous coordinator may have died before finishing them), as Kafka's loader does.
    public func finishLoading(partition p: Int32, ticket: UInt64) {
        guard loadTickets[p] == ticket else { return }
        loadTickets[p] = nil
        let loaded = scratch.removeValue(forKey: p) ?? [:]
        var resumed: [String] = []
        for (id, value) in loaded {
            guard let value else { continue }
            let metadata = TransactionMetadata(transactionalId: id, record: value)
            transactions[id] = metadata
            if metadata.state.isPreparing { resumed.append(id) }
        }
        partitions[p] = .loaded
        log(
            "Loaded \(transactions.values.filter { partition(for: $0.transactionalId) == p }.count) transactional ids from \(TransactionPlacement.topic)-\(p) at coordinator epoch \(coordinatorEpochs[p] ?? -1)"
        )
        for id in resumed { startCompletion(id) }
    }

    public func abandonLoading(partition p: Int32, ticket: UInt64) {
        guard loadTickets[p] == ticket else { return }
        loadTickets[p] = nil
        scratch[p] = nil
        partitions[p] = nil
    }

    /// This broker no longer leads the partition: forget its transactions (in-flight marker writers stop).
    public func unload(partition p: Int32, leaderEpoch: Int32?) {
        if let leaderEpoch, let current = coordinatorEpochs[p], leaderEpoch < current { return }
        if let leaderEpoch { coordinatorEpochs[p] = leaderEpoch } else { coordinatorEpochs[p] = nil }
        loadTickets[p] = nil
        scratch[p] = nil
        partitions[p] = nil
        dropTransactions(of: p)
    }

    private func dropTransactions(of p: Int32) {
        for id in transactions.keys where partition(for: id) == p { transactions[id] = nil }
    }

    // MARK: writes

    /// Writes a value (nil: tombstone) and maps log errors as Kafka's `TransactionStateManager` does.
    private func persist(_ id: String, _ value: TransactionLogValue?) async -> ErrorCode {
        var builder = RecordBatchBuilder()
        builder.append(
            timestamp: clock(), key: TransactionLogKey.encoded(transactionalId: id), value: value?.encoded())
        guard let batch = try? builder.build() else { return .unknownServerError }
        switch await appender(partition(for: id), batch) {
        case .noError: return .noError
        case .unknownTopicOrPartition, .notEnoughReplicas, .notEnoughReplicasAfterAppend, .requestTimedOut:
            return .coordinatorNotAvailable
        case .notLeaderOrFollower, .kafkaStorageError:
            return .notCoordinator
        default:
            return .unknownServerError
        }
    }

    /// Persists `next` for its id with `pendingState` held; adopts it when the write succeeded and this broker still
    /// coordinates the id at the same epoch.
    private func transit(_ next: TransactionMetadata) async -> ErrorCode {
        let id = next.transactionalId
        let p = partition(for: id)
        guard let epoch = coordinatorEpochs[p], partitions[p] == .loaded else { return .notCoordinator }
        transactions[id]?.pendingState = next.state
        let code = await persist(id, next.record)
        guard owns(partition: p, epoch: epoch), transactions[id] != nil else { return .notCoordinator }
        transactions[id]?.pendingState = nil
        guard code == .noError else { return code }
        var adopted = next
        adopted.pendingState = nil
        transactions[id] = adopted
        return .noError
    }

    // MARK: requests

    public struct ProducerIdAndEpoch: Sendable, Equatable {
        public var error: ErrorCode
        public var producerId: Int64 = -1
        public var producerEpoch: Int16 = -1
    }

    /// InitProducerId with a transactional id.
    public func initProducerId(
        transactionalId id: String, timeoutMs: Int32, expected: (producerId: Int64, epoch: Int16)?
    ) async -> ProducerIdAndEpoch {
        if id.isEmpty { return .init(error: .invalidRequest) }
        guard timeoutMs > 0, timeoutMs <= config.maxTimeoutMs else { return .init(error: .invalidTransactionTimeout) }
        let status = coordinatorError(for: id)
        guard status == .noError else { return .init(error: status) }
        if transactions[id] == nil {
            guard let pid = await allocateProducerId() else { return .init(error: .coordinatorNotAvailable) }
            guard coordinatorError(for: id) == .noError else { return .init(error: .notCoordinator) }
            if transactions[id] == nil {
                transactions[id] = TransactionMetadata(
                    transactionalId: id, producerId: pid, timeoutMs: timeoutMs, now: clock())
            }
        }
        var fresh: Int64?
        while true {
            guard let current = transactions[id] else { return .init(error: .notCoordinator) }
            switch current.initProducerId(timeoutMs: timeoutMs, expected: expected, newProducerId: fresh, now: clock())
            {
            case .error(let code):
                return .init(error: code)
            case .answer(let pid, let epoch):
                return .init(error: .noError, producerId: pid, producerEpoch: epoch)
            case .needsNewProducerId:
                guard fresh == nil, let pid = await allocateProducerId() else {
                    return .init(error: .coordinatorNotAvailable)
                }
                fresh = pid
            case .persist(let next):
                let code = await transit(next)
                guard code == .noError else { return .init(error: code) }
                log(
                    "Initialized transactionalId \(id) with producerId \(next.producerId) and producer epoch \(next.producerEpoch)"
                )
                return .init(error: .noError, producerId: next.producerId, producerEpoch: next.producerEpoch)
            case .fenceAndAbort(let next):
                let code = await transit(next)
                if code == .noError {
                    log("Fencing producer of \(id) (ongoing transaction aborted at epoch \(next.producerEpoch))")
                    startCompletion(id)
                }
                return .init(error: code == .noError ? .concurrentTransactions : code)
            }
        }
    }

    /// AddPartitionsToTxn (and AddOffsetsToTxn with the group's offsets partition). One error for all partitions.
    /// `transactionVersion` 2: the implicit add a partition leader or group coordinator makes for a transaction
    /// version 2 producer (KIP-890 part 2).
    public func addPartitions(
        transactionalId id: String, producerId: Int64, producerEpoch: Int16, partitions added: Set<TxnTopicPartition>,
        transactionVersion: Int16 = 0
    ) async -> ErrorCode {
        let status = coordinatorError(for: id)
        guard status == .noError else { return status }
        guard let current = transactions[id] else { return .invalidProducerIdMapping }
        switch current.addPartitions(
            added, producerId: producerId, epoch: producerEpoch, transactionVersion: transactionVersion, now: clock())
        {
        case .error(let code): return code
        case .alreadyAdded: return .noError
        case .persist(let next): return await transit(next)
        }
    }

    /// AddPartitionsToTxn v4 `verifyOnly` (KIP-890 part 1): one error per partition.
    public func verify(
        transactionalId id: String, producerId: Int64, producerEpoch: Int16, partitions wanted: [TxnTopicPartition]
    ) -> [ErrorCode] {
        let status = coordinatorError(for: id)
        guard status == .noError else { return wanted.map { _ in status } }
        guard let current = transactions[id] else { return wanted.map { _ in .invalidProducerIdMapping } }
        return wanted.map { current.verify($0, producerId: producerId, epoch: producerEpoch) }
    }

    /// EndTxn: answers once the Prepare state is written; the markers and the Complete state follow in the
    /// background (Kafka's coordinator answers at the same point).
    public func endTransaction(transactionalId id: String, producerId: Int64, producerEpoch: Int16, commit: Bool)
        async -> ErrorCode
    {
        await endTransaction(
            transactionalId: id, producerId: producerId, producerEpoch: producerEpoch, commit: commit,
            transactionVersion: 0
        ).error
    }

    /// EndTxn at a transaction version: 2 (EndTxn v5) bumps the epoch with the Prepare state and answers with the
    /// producer id and epoch the producer continues with; below 2 the answer carries the unchanged ones.
    public func endTransaction(
        transactionalId id: String, producerId: Int64, producerEpoch: Int16, commit: Bool, transactionVersion: Int16
    ) async -> ProducerIdAndEpoch {
        let status = coordinatorError(for: id)
        guard status == .noError else { return .init(error: status) }
        var fresh: Int64?
        while true {
            guard let current = transactions[id] else { return .init(error: .invalidProducerIdMapping) }
            switch current.end(
                commit: commit, producerId: producerId, epoch: producerEpoch, transactionVersion: transactionVersion,
                nextProducerId: fresh, now: clock())
            {
            case .error(let code):
                return .init(error: code)
            case .alreadyDone:
                let next = current.continuation
                return .init(error: .noError, producerId: next.producerId, producerEpoch: next.epoch)
            case .needsNewProducerId:
                guard fresh == nil, let pid = await allocateProducerId() else {
                    return .init(error: .coordinatorNotAvailable)
                }
                guard coordinatorError(for: id) == .noError else { return .init(error: .notCoordinator) }
                fresh = pid
            case .persist(let next):
                let code = await transit(next)
                guard code == .noError else { return .init(error: code) }
                startCompletion(id)
                let continuation = next.continuation
                return .init(error: .noError, producerId: continuation.producerId, producerEpoch: continuation.epoch)
            }
        }
    }

    // MARK: completion

    private func startCompletion(_ id: String) {
        guard let epoch = coordinatorEpochs[partition(for: id)], completing[id] != epoch else { return }
        completing[id] = epoch
        Task { await self.complete(id, epoch: epoch) }
    }

    /// Writes the markers of a Prepare state, then the Complete state, at coordinator epoch `epoch`. Stops when this
    /// broker stops coordinating the id at that epoch; the next load (here at a higher epoch, or on another broker)
    /// resumes from the Prepare state it reads.
    private func complete(_ id: String, epoch: Int32) async {
        defer { if completing[id] == epoch { completing[id] = nil } }
        let p = partition(for: id)
        guard let metadata = transactions[id], metadata.state.isPreparing, owns(partition: p, epoch: epoch) else {
            return
        }
        let request = TransactionMarkerRequest(
            transactionalId: id, producerId: metadata.producerId, producerEpoch: metadata.producerEpoch,
            commit: metadata.state == .prepareCommit, coordinatorEpoch: epoch, partitions: metadata.partitions.sorted())
        if !request.partitions.isEmpty {
            let done = await markers.writeMarkers(request) { [weak self] in
                await self?.owns(partition: p, epoch: epoch) ?? false
            }
            guard done else {
                log("Stopped writing markers of \(id): no longer its coordinator at epoch \(epoch)")
                return
            }
        }
        var attempt = 0
        while owns(partition: p, epoch: epoch) {
            guard let current = transactions[id], current.pendingState == nil,
                current.producerEpoch == metadata.producerEpoch, let next = current.completed(now: clock())
            else { return }
            let code = await transit(next)
            if code == .noError {
                log("Completed transaction of \(id): \(next.state) at producer epoch \(next.producerEpoch)")
                return
            }
            attempt += 1
            log("Writing \(next.state) of \(id) failed (\(code)); retrying")
            try? await Task.sleep(for: .milliseconds(min(100 * attempt, 1000)))
        }
    }

    // MARK: timers

    /// Aborts transactions open longer than their timeout, fencing their producer (Kafka's
    /// `abortTimedOutTransactions`, every `transaction.abort.timed.out.transaction.cleanup.interval.ms`).
    public func abortTimedOutTransactions() async -> Int {
        let now = clock()
        var aborted = 0
        for (id, metadata) in transactions {
            guard partitions[partition(for: id)] == .loaded, let next = metadata.abortIfTimedOut(now: now) else {
                continue
            }
            log(
                "Aborting transaction of \(id) open since \(metadata.startTimestampMs), past its \(metadata.timeoutMs) ms timeout"
            )
            if await transit(next) == .noError {
                aborted += 1
                startCompletion(id)
            }
        }
        return aborted
    }

    /// Removes transactional ids idle longer than `transactional.id.expiration.ms` (tombstones in the log).
    public func removeExpiredTransactionalIds() async -> Int {
        let now = clock()
        var removed = 0
        for (id, metadata) in transactions {
            let p = partition(for: id)
            guard partitions[p] == .loaded, let epoch = coordinatorEpochs[p], metadata.state.isExpirable,
                metadata.pendingState == nil,
                metadata.lastUpdateTimestampMs + config.transactionalIdExpirationMs <= now
            else { continue }
            transactions[id]?.pendingState = .dead
            let code = await persist(id, nil)
            guard owns(partition: p, epoch: epoch) else { continue }
            if code == .noError {
                transactions[id] = nil
                removed += 1
                log("Expired transactionalId \(id)")
            } else {
                transactions[id]?.pendingState = nil
            }
        }
        return removed
    }

    /// Runs both cleanups on their intervals until cancelled.
    public nonisolated func startTimers(abortIntervalMs: UInt64, removeIntervalMs: UInt64) -> Task<Void, Never> {
        Task { [weak self] in
            var sinceRemove: UInt64 = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int(abortIntervalMs)))
                guard let self else { return }
                _ = await self.abortTimedOutTransactions()
                sinceRemove += abortIntervalMs
                if sinceRemove >= removeIntervalMs {
                    sinceRemove = 0
                    _ = await self.removeExpiredTransactionalIds()
                }
            }
        }
    }

    // MARK: describe / list

    /// DescribeTransactions: the metadata of an id this broker coordinates.
    public func describe(transactionalId id: String) -> (error: ErrorCode, metadata: TransactionMetadata?) {
        let status = coordinatorError(for: id)
        guard status == .noError else { return (status, nil) }
        guard let metadata = transactions[id] else { return (.transactionalIdNotFound, nil) }
        return (.noError, metadata)
    }

    /// ListTransactions over the loaded partitions. `states` and `producerIds` empty mean "all"; `minDurationMs`
    /// below 0 means no duration filter.
    public func list(states: Set<TransactionState>, producerIds: Set<Int64>, minDurationMs: Int64)
        -> (loading: Bool, transactions: [TransactionMetadata])
    {
        let now = clock()
        let loading = partitions.values.contains(.loading)
        let selected = transactions.values.filter { m in
            partitions[partition(for: m.transactionalId)] == .loaded && (states.isEmpty || states.contains(m.state))
                && (producerIds.isEmpty || producerIds.contains(m.producerId))
                && (minDurationMs < 0 || (m.state == .ongoing && now - m.startTimestampMs >= minDurationMs))
        }
        return (loading, selected.sorted { $0.transactionalId < $1.transactionalId })
    }
}
