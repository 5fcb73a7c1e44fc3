import LogStorage

/// Kafka's `acks`: how many replicas must have a batch before the produce completes.
public enum RequiredAcks: Int16, Sendable {
    /// acks=0: no answer at all.
    case none = 0
    /// acks=1: the leader's append.
    case leader = 1
    /// acks=all (-1): every ISR member, and at least `min.insync.replicas` of them.
    case all = -1
}

/// Who writes a produce, and so which record formats it may send.
public enum ProduceOrigin: Sendable, Equatable {
    /// A client's Produce request.
    case client(ClientRecordFormats)
    /// A writer inside the broker (the group coordinator): magic 2 batches in any codec.
    case `internal`
    /// Transaction markers (Kafka's `AppendOrigin.COORDINATOR`): control batches built by the broker itself from a
    /// WriteTxnMarkers request, appended as they are (a client may never send a control batch).
    case coordinator

    var canWriteZstd: Bool {
        switch self {
        case .client(let formats): formats.zstd
        case .internal, .coordinator: true
        }
    }

    var canWriteLegacyMagic: Bool {
        switch self {
        case .client(let formats): formats.legacyMagic
        case .internal, .coordinator: false
        }
    }
}

/// The record formats a client's request may carry (the broker derives them from the request version).
public struct ClientRecordFormats: Sendable, Equatable {
    /// zstd-compressed batches.
    public var zstd: Bool
    /// Legacy magic 0/1 message sets, up-converted on append.
    public var legacyMagic: Bool

    public init(zstd: Bool, legacyMagic: Bool) {
        self.zstd = zstd
        self.legacyMagic = legacyMagic
    }
}

/// One partition's records in a produce.
public struct ProduceEntry: Sendable {
    public var topic: String
    public var partition: Int32
    public var records: [UInt8]
    /// KIP-890 part 1: the log's verification guard for a transactional client batch (0: not verified), nil when
    /// verification does not apply.
    public var verificationGuard: UInt64?

    public init(topic: String, partition: Int32, records: [UInt8], verificationGuard: UInt64? = nil) {
        self.topic = topic
        self.partition = partition
        self.records = records
        self.verificationGuard = verificationGuard
    }
}

/// One partition's outcome of a produce. On an append error only `error` and (when the replica is local)
/// `logStartOffset` are set; a replication wait that fails keeps the offsets of the append it waited for.
public struct ProduceResult: Sendable {
    public var baseOffset: Int64 = -1
    public var lastOffset: Int64 = -1
    public var logAppendTime: Int64 = -1
    public var logStartOffset: Int64 = -1
    public var error: ReplicationError?
}

extension ReplicaManager {
    /// One produce request (Kafka's `appendRecords` + `DelayedProduce`): validates `acks`, appends each entry as
    /// leader (min.insync checked first for acks=all), then for acks=all waits — holding no lock or thread — until
    /// every appended partition's high watermark covers its batch, the partition stops being led here
    /// (NOT_LEADER_OR_FOLLOWER), or `timeout` passes (REQUEST_TIMED_OUT). Results are in `entries` order.
    public func produce(_ entries: [ProduceEntry], acks: Int16, timeout: Duration, origin: ProduceOrigin) async
        -> [ProduceResult]
    {
        var results: [ProduceResult] = []
        results.reserveCapacity(entries.count)
        var ackWaits: [AckWait] = []
        var ackSlots: [Int] = []
        let required = RequiredAcks(rawValue: acks)
        for entry in entries {
            var result = ProduceResult()
            do {
                guard let required else { throw ReplicationError.invalidRequiredAcks }
                let p = try leaderPartition(entry.topic, entry.partition)
                let outcome = try p.appendAsLeader(
                    records: entry.records, origin: origin, acks: required, now: clock(),
                    verificationGuard: entry.verificationGuard)
                result.baseOffset = outcome.baseOffset
                result.lastOffset = outcome.lastOffset
                result.logAppendTime = outcome.logAppendTime
                result.logStartOffset = outcome.logStartOffset
                if required == .all {
                    ackWaits.append(
                        AckWait(topic: entry.topic, partition: entry.partition, requiredOffset: outcome.lastOffset + 1))
                    ackSlots.append(results.count)
                }
            } catch let error as ReplicationError {
                result.error = error
                if let start = partition(entry.topic, entry.partition)?.log.logStartOffset {
                    result.logStartOffset = start
                }
            } catch {
                result.error = .unknownServerError("\(error)")
            }
            results.append(result)
        }
        if !ackWaits.isEmpty {
            let outcomes = await awaitReplication(ackWaits, timeout: timeout)
            for (slot, error) in zip(ackSlots, outcomes) where error != nil { results[slot].error = error }
        }
        return results
    }

    /// One partition an acks=all produce appended to: done when the HW reaches `requiredOffset` (last offset + 1).
    struct AckWait: Sendable {
        var topic: String
        var partition: Int32
        var requiredOffset: Int64
    }

    /// Waits (without holding locks or threads) until every partition's HW reaches its required offset, the
    /// partition stops being led here (NOT_LEADER_OR_FOLLOWER), or `timeout` passes (REQUEST_TIMED_OUT).
    /// Once reached, fewer than `min.insync.replicas` in the ISR gives NOT_ENOUGH_REPLICAS_AFTER_APPEND
    /// (Kafka's DelayedProduce). A sole-replica partition completes at once.
    func awaitReplication(_ waits: [AckWait], timeout: Duration) async -> [ReplicationError?] {
        var results = [ReplicationError?](repeating: nil, count: waits.count)
        var open = Set(waits.indices)
        let deadline = ContinuousClock.now + max(timeout, .zero)
        while true {
            var watches: [AppendWatch] = []
            for i in open.sorted() {
                let w = waits[i]
                guard let p = partition(w.topic, w.partition) else {
                    results[i] = .notLeaderOrFollower
                    open.remove(i)
                    continue
                }
                let watch = p.signal.watch()
                switch p.ackProgress(requiredOffset: w.requiredOffset) {
                case .done:
                    open.remove(i)
                case .failed(let error):
                    results[i] = error
                    open.remove(i)
                case .waiting:
                    watches.append(watch)
                }
            }
            if open.isEmpty { return results }
            if ContinuousClock.now >= deadline || Task.isCancelled {
                for i in open { results[i] = .requestTimedOut }
                return results
            }
            await AppendSignal.waitForAny(watches, until: deadline)
        }
    }
}
