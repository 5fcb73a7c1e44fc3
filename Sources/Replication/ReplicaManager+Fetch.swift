import KafkaRecords
import LogStorage

/// One partition of a fetch.
public struct FetchPartitionSpec: Sendable {
    public var topic: String
    public var partition: Int32
    public var fetchOffset: Int64
    public var maxBytes: Int
    /// -1: not checked.
    public var currentLeaderEpoch: Int32
    /// Followers only (-1: not checked): the epoch of the follower's last fetched batch, checked for divergence.
    public var lastFetchedEpoch: Int32
    /// Followers only (-1: unknown): the follower's log start offset.
    public var logStartOffset: Int64

    public init(
        topic: String, partition: Int32, fetchOffset: Int64, maxBytes: Int, currentLeaderEpoch: Int32 = -1,
        lastFetchedEpoch: Int32 = -1, logStartOffset: Int64 = -1
    ) {
        self.topic = topic
        self.partition = partition
        self.fetchOffset = fetchOffset
        self.maxBytes = maxBytes
        self.currentLeaderEpoch = currentLeaderEpoch
        self.lastFetchedEpoch = lastFetchedEpoch
        self.logStartOffset = logStartOffset
    }
}

/// A fetch as the domain sees it: who reads, how much, how long to wait.
public struct FetchParameters: Sendable {
    /// ≥ 0: a follower broker (reads to the LEO, advances the HW); -1: a consumer.
    public var replicaId: Int32
    /// Consumers: read_committed (up to the last stable offset) instead of read_uncommitted (up to the HW).
    public var readCommitted: Bool
    public var minBytes: Int
    public var maxWait: Duration
    /// The response's byte budget; only the first partition with data may exceed it (by its first batch). Nil: no
    /// budget, and every partition returns at least its first batch.
    public var responseMaxBytes: Int?
    /// For readers of legacy message formats: data is down-converted to this magic (0 or 1).
    public var downConvertToMagic: Int8?
    public var partitions: [FetchPartitionSpec]

    public init(
        replicaId: Int32, readCommitted: Bool, minBytes: Int, maxWait: Duration, responseMaxBytes: Int?,
        downConvertToMagic: Int8?, partitions: [FetchPartitionSpec]
    ) {
        self.replicaId = replicaId
        self.readCommitted = readCommitted
        self.minBytes = minBytes
        self.maxWait = maxWait
        self.responseMaxBytes = responseMaxBytes
        self.downConvertToMagic = downConvertToMagic
        self.partitions = partitions
    }
}

extension ReplicaManager {
    /// One partition's read.
    public struct PartitionRead: Sendable {
        public enum Payload: Sendable {
            case bytes([UInt8])
            /// Stored batches as segment file slices, to be sent without copying (sendfile).
            case file([FileSlice])
        }
        public var payload: Payload
        public var size: Int
        public var highWatermark: Int64
        public var lastStableOffset: Int64
        public var logStartOffset: Int64
        /// read_committed only: the aborted transactions overlapping the returned data (Fetch v4+
        /// `aborted_transactions`); nil for other readers.
        public var abortedTransactions: [AbortedTransaction]? = nil
        var watch: AppendWatch
        /// The leader's LEO when the read started (follower bookkeeping).
        var logEndOffset: Int64 = -1
        /// Set for a follower whose last fetched epoch diverges from the leader's log (Fetch v12+).
        public var divergingEpoch: (epoch: Int32, endOffset: Int64)? = nil
    }

    /// One fetch request (Kafka's `fetchMessages` + `DelayedFetch`): reads every partition, records a follower's
    /// position on the first pass (HW, ISR expansion), and long-polls — on the partitions' append signals, no
    /// thread held — until `minBytes` are there, `maxWait` passes, a partition fails or diverges, or the task is
    /// cancelled. Results are in `parameters.partitions` order.
    public func fetch(_ parameters: FetchParameters) async -> [Result<PartitionRead, ReplicationError>] {
        let isReplica = parameters.replicaId >= 0
        let isolation: ReadIsolation = isReplica ? .logEnd : (parameters.readCommitted ? .committed : .highWatermark)
        let budget = parameters.responseMaxBytes ?? Int.max
        let deadline = ContinuousClock.now + max(parameters.maxWait, .zero)
        var firstPass = true
        while true {
            var results: [Result<PartitionRead, ReplicationError>] = []
            results.reserveCapacity(parameters.partitions.count)
            var totalBytes = 0
            var watches: [AppendWatch] = []
            var anyError = false
            for spec in parameters.partitions {
                do {
                    let remaining = max(budget - totalBytes, 0)
                    let read = try self.read(
                        topic: spec.topic, partition: spec.partition, offset: spec.fetchOffset,
                        maxBytes: min(max(spec.maxBytes, 0), remaining),
                        minOneBatch: parameters.responseMaxBytes == nil || totalBytes == 0, isolation: isolation,
                        currentLeaderEpoch: spec.currentLeaderEpoch, downConvertToMagic: parameters.downConvertToMagic,
                        replicaId: parameters.replicaId, lastFetchedEpoch: spec.lastFetchedEpoch)
                    totalBytes += read.size
                    watches.append(read.watch)
                    if read.divergingEpoch != nil {
                        // The follower truncates first; answer at once.
                        anyError = true
                    } else if isReplica && firstPass {
                        recordFollowerFetch(
                            topic: spec.topic, partition: spec.partition, replicaId: parameters.replicaId,
                            fetchOffset: spec.fetchOffset, followerLogStartOffset: spec.logStartOffset,
                            leaderLogEndOffset: read.logEndOffset)
                    }
                    results.append(.success(read))
                } catch {
                    anyError = true
                    results.append(.failure(error))
                }
            }
            firstPass = false
            // A cancelled request (its connection closed) answers at once: waiting again would return at once too,
            // and a loop of those spins a cooperative thread until a far-off deadline.
            if anyError || totalBytes >= parameters.minBytes || ContinuousClock.now >= deadline || watches.isEmpty
                || Task.isCancelled
            {
                return results
            }
            await AppendSignal.waitForAny(watches, until: deadline)
        }
    }

    /// A fetch read. `replicaId` ≥ 0 is a follower: it must be one of the partition's replicas, reads to the LEO,
    /// and gets `divergingEpoch` instead of data when `lastFetchedEpoch` (≥ 0) does not match the leader's log.
    func read(
        topic: String, partition index: Int32, offset: Int64, maxBytes: Int, minOneBatch: Bool,
        isolation: ReadIsolation, currentLeaderEpoch: Int32, downConvertToMagic: Int8?, replicaId: Int32 = -1,
        lastFetchedEpoch: Int32 = -1
    ) throws(ReplicationError) -> PartitionRead {
        let p = try leaderPartition(topic, index)
        try p.checkLeaderEpoch(currentLeaderEpoch)
        let watch = p.signal.watch()
        let log = p.log
        if replicaId >= 0 {
            guard p.state.replicas.contains(replicaId) else { throw .notLeaderOrFollower }
            if let diverging = ReplicationRules.divergingEpoch(
                lastFetchedEpoch: lastFetchedEpoch, fetchOffset: offset,
                leaderEndForEpoch: log.endOffset(forLeaderEpoch: lastFetchedEpoch))
            {
                guard diverging.epoch >= 0, diverging.endOffset >= 0 else { throw .offsetOutOfRange }
                let hw = log.highWatermark
                return PartitionRead(
                    payload: .bytes([]), size: 0, highWatermark: hw, lastStableOffset: hw,
                    logStartOffset: log.logStartOffset, watch: watch, logEndOffset: log.logEndOffset,
                    divergingEpoch: diverging)
            }
        }
        let hw = log.highWatermark
        let lso = log.lastStableOffset
        let upTo: Int64 =
            switch isolation {
            case .logEnd: log.logEndOffset
            case .highWatermark: hw
            case .committed: lso
            }
        do {
            if let magic = downConvertToMagic {
                let bytes = try log.readBytes(from: offset, maxBytes: maxBytes, upTo: upTo, minOneBatch: minOneBatch)
                let converted =
                    bytes.isEmpty ? [] : try LegacyMessageSet.downConvert(bytes, toMagic: magic, fromOffset: offset)
                return PartitionRead(
                    payload: .bytes(converted), size: converted.count, highWatermark: hw, lastStableOffset: lso,
                    logStartOffset: log.logStartOffset, watch: watch, logEndOffset: log.logEndOffset)
            }
            let result = try log.read(from: offset, maxBytes: maxBytes, upTo: upTo, minOneBatch: minOneBatch)
            var read = PartitionRead(
                payload: .file(result.slices), size: result.byteCount,
                highWatermark: result.highWatermark, lastStableOffset: result.lastStableOffset,
                logStartOffset: result.logStartOffset, watch: watch, logEndOffset: result.logEndOffset)
            if isolation == .committed {
                // Kafka's `addAbortedTransactions`: the aborted transactions overlapping the data sent.
                read.abortedTransactions =
                    result.byteCount > 0 ? log.abortedTransactions(from: offset, upTo: result.nextOffset) : []
            }
            return read
        } catch let error as LogError {
            throw ReplicationError(error)
        } catch {
            throw .corruptMessage("down-conversion failed: \(error)")
        }
    }

    /// Leader bookkeeping of one follower fetch (Kafka's `Partition.updateFollowerFetchState`): its LEO and catch-up time, the HW, and an ISR
    /// expansion written in the background when it caught up.
    func recordFollowerFetch(
        topic: String, partition index: Int32, replicaId: Int32, fetchOffset: Int64, followerLogStartOffset: Int64,
        leaderLogEndOffset: Int64
    ) {
        guard let p = partition(topic, index) else { return }
        if let proposal = p.recordFollowerFetch(
            replicaId: replicaId, fetchOffset: fetchOffset, followerLogStartOffset: followerLogStartOffset,
            leaderLogEndOffset: leaderLogEndOffset, now: clock())
        {
            submitIsrChange(proposal, for: p)
        }
    }
}
