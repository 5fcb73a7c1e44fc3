import KafkaProtocol
import KafkaRecords

/// Offsets committed by transactional producers (TxnOffsetCommit) that wait for their transaction's marker:
/// COMMIT makes them the group's committed offsets, ABORT drops them. Kafka's `GroupMetadata.pendingTransactionalOffsetCommits`.
///
/// The offsets are in the log from the start: TxnOffsetCommit appends them to `__consumer_offsets` as a
/// transactional batch of the producer (Kafka's `GroupMetadataManager.storeOffsets` with a producer id and epoch),
/// and the marker the transaction coordinator writes to the same partition decides them. This value is only the
/// in-memory view; a coordinator that loads the partition rebuilds it from the batches and markers.
public struct PendingTransactionalOffsets: Sendable {
    struct Entry: Sendable {
        var producerEpoch: Int16
        var offsets: [TopicPartitionKey: CommittedOffset]
    }

    /// A marker reported while its partition was still loading: applied when the load finishes, because the
    /// loader may not have read the transactional batch it ends yet.
    struct Completion: Sendable {
        var producerId: Int64
        var producerEpoch: Int16?
        var commit: Bool
    }

    /// producer id → group → its pending offsets.
    var byProducer: [Int64: [String: Entry]] = [:]
    /// The newest producer epoch a marker was written for: older epochs are fenced zombies.
    var markerEpochs: [Int64: Int16] = [:]
    /// Partition → markers reported during its load, in order.
    var completedWhileLoading: [Int32: [Completion]] = [:]

    public init() {}

    /// Whether any producer has a pending offset for the group's partition (OffsetFetch `require_stable`).
    func isPending(group: String, _ tp: TopicPartitionKey) -> Bool {
        byProducer.values.contains { $0[group]?.offsets[tp] != nil }
    }
}

/// An offset (or tombstone) read while loading, with the log offset of the batch that wrote it: of two commits of
/// one partition the later in the log wins, whichever was transactional (Kafka's `CommitRecordMetadataAndOffset`).
struct LoadedOffset: Sendable {
    var value: CommittedOffset?
    var batchOffset: Int64
}

/// The transactional offset commits of one producer read while loading, not yet decided by a marker.
struct LoadedPendingOffsets: Sendable {
    var producerEpoch: Int16
    var offsets: [String: [TopicPartitionKey: LoadedOffset]] = [:]
}

extension GroupCoordinatorRuntime {
    /// TxnOffsetCommit: validates the group (KIP-447: member and generation when given) and the producer epoch,
    /// appends the offsets as a transactional batch of the producer (acks=all, like any offset commit), then keeps
    /// them pending until the transaction's marker. Returns one error per entry, in order.
    ///
    /// `verificationGuard` is what KIP-890 verification of the producer's transaction returned before this call
    /// (nil: not verified). The append carries it, so the verdict still holds when the offsets reach the log: a
    /// transaction aborted between verification and append (its marker voids the guard) is answered
    /// INVALID_TXN_STATE instead of having its offsets open a new, hanging transaction in `__consumer_offsets`
    /// (Kafka rechecks the same way, under the group lock, with `VerificationGuard`).
    public func commitTransactional(
        groupId: String, producerId: Int64, producerEpoch: Int16, memberId: String, groupInstanceId: String?,
        generationId: Int32, offsets: [(TopicPartitionKey, CommittedOffset)], verificationGuard: UInt64? = nil
    ) async -> [ErrorCode] {
        func all(_ code: ErrorCode) -> [ErrorCode] { offsets.map { _ in code } }
        let status = coordinatorError(for: groupId)
        guard status == .noError else { return all(status) }
        if let fencedBelow = pendingTransactionalOffsets.markerEpochs[producerId], producerEpoch < fencedBelow {
            return all(.producerFenced)
        }
        let now = clock()
        if groups[groupId] == nil {
            groups[groupId] = ClassicGroup(
                groupId: groupId, partition: partition(for: groupId), config: config, now: now)
        }
        if !memberId.isEmpty || generationId >= 0 {
            let verdict =
                groups[groupId]?.validateCommit(
                    memberId: memberId, groupInstanceId: groupInstanceId, generationId: generationId, now: now)
                ?? .unknownMemberId
            guard verdict == .noError else { return all(verdict) }
        } else if groups[groupId]?.state == .dead {
            return all(.coordinatorNotAvailable)
        }
        var errors: [ErrorCode] = []
        var accepted: [(TopicPartitionKey, CommittedOffset)] = []
        // Kafka writes these with the producer's id and epoch and no sequence: the partition's producer state
        // then holds the transaction open (and the LSO of `__consumer_offsets` below it) until the marker.
        var builder = RecordBatchBuilder(producerId: producerId, producerEpoch: producerEpoch, isTransactional: true)
        for (tp, o) in offsets {
            if o.metadata.utf8.count > config.offsetMetadataMaxBytes {
                errors.append(.offsetMetadataTooLarge)
                continue
            }
            errors.append(.noError)
            accepted.append((tp, o))
            let key = OffsetCommitKey(group: groupId, topic: tp.topic, partition: tp.partition).encoded()
            let value = OffsetCommitValue(
                offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, commitTimestamp: o.commitTimestamp,
                expireTimestamp: o.expireTimestamp ?? -1)
            builder.append(timestamp: now, key: key, value: value.encoded())
        }
        guard !accepted.isEmpty else { return errors }
        let appended = await append(groupId: groupId, builder, verificationGuard: verificationGuard)
        guard appended == .noError else {
            return errors.map { $0 == .noError ? appended : $0 }
        }
        // The partition may have moved during the append: the new coordinator reads the batch from the log.
        guard coordinatorError(for: groupId) == .noError else { return errors }
        var entry =
            pendingTransactionalOffsets.byProducer[producerId]?[groupId]
            ?? PendingTransactionalOffsets.Entry(producerEpoch: producerEpoch, offsets: [:])
        entry.producerEpoch = max(entry.producerEpoch, producerEpoch)
        for (tp, o) in accepted { entry.offsets[tp] = o }
        pendingTransactionalOffsets.byProducer[producerId, default: [:]][groupId] = entry
        return errors
    }

    /// A transaction marker was written to `__consumer_offsets` partition `partition` (Kafka's
    /// `GroupCoordinator.onTransactionCompleted`): the producer's pending offsets of the groups placed there become
    /// the committed offsets or are dropped. Nothing is appended: the marker in the log is the decision.
    /// `producerEpoch` (when the marker's sender tells it) fences later TxnOffsetCommits of older epochs.
    public func completeTransaction(producerId: Int64, producerEpoch: Int16?, partition p: Int32, commit: Bool) {
        if status(of: p) == .loading {
            pendingTransactionalOffsets.completedWhileLoading[p, default: []].append(
                .init(producerId: producerId, producerEpoch: producerEpoch, commit: commit))
            return
        }
        if let producerEpoch {
            let known = pendingTransactionalOffsets.markerEpochs[producerId] ?? -1
            pendingTransactionalOffsets.markerEpochs[producerId] = max(known, producerEpoch)
        }
        guard let byGroup = pendingTransactionalOffsets.byProducer[producerId] else { return }
        let now = clock()
        for (groupId, entry) in byGroup where partition(for: groupId) == p {
            pendingTransactionalOffsets.byProducer[producerId]?[groupId] = nil
            guard commit, !entry.offsets.isEmpty else { continue }
            if groups[groupId] == nil {
                groups[groupId] = ClassicGroup(groupId: groupId, partition: p, config: config, now: now)
            }
            for (tp, o) in entry.offsets { groups[groupId]?.offsets[tp] = o }
        }
        if pendingTransactionalOffsets.byProducer[producerId]?.isEmpty == true {
            pendingTransactionalOffsets.byProducer[producerId] = nil
        }
    }

    /// Whether a transactional offset commit is pending for any of the partitions (nil: any of the group's).
    public func hasPendingTransactionalOffsets(groupId: String, partitions: [TopicPartitionKey]?) -> Bool {
        guard let partitions else {
            return pendingTransactionalOffsets.byProducer.values.contains { $0[groupId] != nil }
        }
        return partitions.contains { pendingTransactionalOffsets.isPending(group: groupId, $0) }
    }

    /// After a load: the transactions still open in the log become pending offsets, then the markers reported
    /// while loading are applied (a marker the loader already read finds nothing left to decide).
    func adoptLoadedTransactions(
        partition p: Int32, pending: [Int64: LoadedPendingOffsets], markerEpochs: [Int64: Int16]
    ) {
        for (producerId, epoch) in markerEpochs {
            pendingTransactionalOffsets.markerEpochs[producerId] = max(
                pendingTransactionalOffsets.markerEpochs[producerId] ?? -1, epoch)
        }
        for (producerId, loaded) in pending {
            for (groupId, offsets) in loaded.offsets {
                let values = offsets.compactMapValues(\.value)
                guard !values.isEmpty else { continue }
                pendingTransactionalOffsets.byProducer[producerId, default: [:]][groupId] = .init(
                    producerEpoch: loaded.producerEpoch, offsets: values)
            }
        }
        for c in pendingTransactionalOffsets.completedWhileLoading.removeValue(forKey: p) ?? [] {
            completeTransaction(
                producerId: c.producerId, producerEpoch: c.producerEpoch, partition: p, commit: c.commit)
        }
    }

    /// The partition is no longer served here: its pending transactional offsets go with its groups (the next
    /// coordinator rebuilds them from the log).
    func dropTransactionalState(partition p: Int32) {
        pendingTransactionalOffsets.completedWhileLoading[p] = nil
        for (producerId, byGroup) in pendingTransactionalOffsets.byProducer {
            for groupId in byGroup.keys where partition(for: groupId) == p {
                pendingTransactionalOffsets.byProducer[producerId]?[groupId] = nil
            }
            if pendingTransactionalOffsets.byProducer[producerId]?.isEmpty == true {
                pendingTransactionalOffsets.byProducer[producerId] = nil
            }
        }
    }
}
