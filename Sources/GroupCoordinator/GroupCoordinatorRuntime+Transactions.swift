import KafkaProtocol
import KafkaRecords

/// Offsets committed by transactional producers (TxnOffsetCommit) that wait for their transaction's marker:
/// COMMIT makes them the group's committed offsets, ABORT drops them. Kafka's `GroupMetadata.pendingTransactionalOffsetCommits`.
public struct PendingTransactionalOffsets: Sendable {
    struct Entry: Sendable {
        var producerEpoch: Int16
        var offsets: [TopicPartitionKey: CommittedOffset]
    }

    /// producer id → group → its pending offsets.
    var byProducer: [Int64: [String: Entry]] = [:]
    /// The newest producer epoch a marker was written for: older epochs are fenced zombies.
    var markerEpochs: [Int64: Int16] = [:]

    public init() {}

    /// Whether any producer has a pending offset for the group's partition (OffsetFetch `require_stable`).
    func isPending(group: String, _ tp: TopicPartitionKey) -> Bool {
        byProducer.values.contains { $0[group]?.offsets[tp] != nil }
    }
}

extension GroupCoordinatorRuntime {
    /// TxnOffsetCommit: validates the group (KIP-447: member and generation when given) and the producer epoch, then
    /// keeps the offsets pending until the transaction's marker. Returns one error per entry, in order.
    ///
    /// The pending offsets live in memory until the COMMIT marker, when they are appended as ordinary offset
    /// records; Kafka appends them at once as a transactional batch instead, so they survive a coordinator move.
    public func commitTransactional(
        groupId: String, producerId: Int64, producerEpoch: Int16, memberId: String, groupInstanceId: String?,
        generationId: Int32, offsets: [(TopicPartitionKey, CommittedOffset)]
    ) -> [ErrorCode] {
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
        var entry =
            pendingTransactionalOffsets.byProducer[producerId]?[groupId]
            ?? PendingTransactionalOffsets.Entry(producerEpoch: producerEpoch, offsets: [:])
        entry.producerEpoch = max(entry.producerEpoch, producerEpoch)
        for (tp, o) in offsets {
            if o.metadata.utf8.count > config.offsetMetadataMaxBytes {
                errors.append(.offsetMetadataTooLarge)
                continue
            }
            entry.offsets[tp] = o
            errors.append(.noError)
        }
        pendingTransactionalOffsets.byProducer[producerId, default: [:]][groupId] = entry
        return errors
    }

    /// A transaction marker was written to `__consumer_offsets` partition `partition` (Kafka's
    /// `GroupCoordinator.onTransactionCompleted`): the producer's pending offsets of the groups placed there become
    /// committed (appended as offset records) or are dropped.
    /// `producerEpoch` (when the marker's sender tells it) fences later TxnOffsetCommits of older epochs.
    public func completeTransaction(producerId: Int64, producerEpoch: Int16?, partition p: Int32, commit: Bool) async {
        if let producerEpoch {
            let known = pendingTransactionalOffsets.markerEpochs[producerId] ?? -1
            pendingTransactionalOffsets.markerEpochs[producerId] = max(known, producerEpoch)
        }
        guard let byGroup = pendingTransactionalOffsets.byProducer[producerId] else { return }
        for (groupId, entry) in byGroup where partition(for: groupId) == p {
            pendingTransactionalOffsets.byProducer[producerId]?[groupId] = nil
            guard commit, !entry.offsets.isEmpty else { continue }
            var builder = RecordBatchBuilder()
            let now = clock()
            for (tp, o) in entry.offsets.sorted(by: { $0.key < $1.key }) {
                let key = OffsetCommitKey(group: groupId, topic: tp.topic, partition: tp.partition).encoded()
                let value = OffsetCommitValue(
                    offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata,
                    commitTimestamp: o.commitTimestamp, expireTimestamp: o.expireTimestamp ?? -1)
                builder.append(timestamp: now, key: key, value: value.encoded())
            }
            let appended = await append(groupId: groupId, builder)
            guard appended == .noError else {
                log(
                    "Failed to write the transactional offsets of group \(groupId) (producer \(producerId)): \(appended)"
                )
                continue
            }
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
}
