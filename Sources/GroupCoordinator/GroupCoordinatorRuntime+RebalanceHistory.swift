import KafkaProtocol
import KafkaRecords

/// What the coordinator knows of each group's rebalance history in `__consumer_offsets`, and the history records
/// read while a partition loads.
struct RebalanceHistoryBook: Sendable {
    struct Group: Sendable {
        var partition: Int32
        /// Generations with a live (non-tombstoned) record on disk.
        var stored: Set<Int32> = []
        /// `RebalanceStats.completed` when the last entry was handed to the log.
        var persistedCompleted: Int64 = 0
        /// Who owned each partition after the last written entry (group instance id, else member id); nil when
        /// the group's assignments are not consumer-protocol assignments we can read.
        var owners: [TopicPartitionKey: String]?
    }

    var groups: [String: Group] = [:]
    /// Records read during a load: partition → group → generation → entry (nil: tombstone).
    var loading: [Int32: [String: [Int32: RebalanceEntry?]]] = [:]
}

extension GroupCoordinatorRuntime {
    /// One rebalance history record met while loading `partition` (the last record per key wins).
    func replayRebalanceHistory(partition: Int32, key: [UInt8], value: [UInt8]?) {
        do {
            guard let k = try RebalanceHistoryKey(decoding: key) else { return }
            let entry = try value.map { (v: [UInt8]) throws(ProtocolError) in try RebalanceHistoryValue.decode(v) }
            rebalanceHistory.loading[partition, default: [:]][k.group, default: [:]][k.generation] = .some(entry)
        } catch {
            log("Skipping unreadable rebalance history record in __consumer_offsets-\(partition): \(error)")
        }
    }

    /// Gives the groups of a just-loaded partition their history back, trimmed by count and age; what the trim
    /// drops stays in `stored` and is tombstoned with the group's next entry (or when the group is deleted).
    func restoreRebalanceHistory(partition: Int32) {
        let read = rebalanceHistory.loading.removeValue(forKey: partition) ?? [:]
        let notBefore = clock() - config.rebalanceHistoryRetentionMs
        for (name, group) in groups where group.partition == partition {
            var book = RebalanceHistoryBook.Group(partition: partition, owners: Self.owners(of: group))
            if let entries = read[name] {
                let live = entries.values.compactMap { $0 }
                book.stored = Set(live.map(\.generation))
                var restored = group
                restored.rebalances.restore(live)
                _ = restored.rebalances.trim(maxEntries: config.rebalanceHistoryMaxEntries, notBefore: notBefore)
                groups[name] = restored
            }
            rebalanceHistory.groups[name] = book
        }
    }

    /// Forgets the books of a partition this broker no longer serves.
    func dropRebalanceHistory(partition: Int32) {
        rebalanceHistory.loading[partition] = nil
        rebalanceHistory.groups = rebalanceHistory.groups.filter { $0.value.partition != partition }
    }

    /// Writes the rebalances the group finished since the last call, with the partitions that changed owner, and
    /// tombstones for entries beyond `needletail.rebalance.history.max.entries` or older than `….retention.ms`.
    /// Best effort: a failed append is logged; the in-memory history is unaffected.
    func persistRebalanceHistory(_ groupId: String) async {
        guard var group = groups[groupId] else { return }
        // A group without a book was created after its partition loaded: it owned nothing before.
        var book =
            rebalanceHistory.groups[groupId] ?? RebalanceHistoryBook.Group(partition: group.partition, owners: [:])
        let fresh = Int(group.rebalances.completed - book.persistedCompleted)
        guard fresh > 0 else { return }
        book.persistedCompleted = group.rebalances.completed
        let owners = Self.owners(of: group)
        if let last = group.rebalances.history.last, let before = book.owners, let after = owners {
            let changed = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }.sorted()
            group.rebalances.setMoved(
                generation: last.generation, Array(changed.prefix(RebalanceEntry.movedListLimit)),
                count: changed.count)
        }
        book.owners = owners
        let now = clock()
        _ = group.rebalances.trim(
            maxEntries: config.rebalanceHistoryMaxEntries, notBefore: now - config.rebalanceHistoryRetentionMs)
        let kept = group.rebalances.history
        let keptGenerations = Set(kept.map(\.generation))
        let written = kept.suffix(min(fresh, kept.count))
        let doomed = book.stored.subtracting(keptGenerations).sorted()
        book.stored = keptGenerations.intersection(book.stored.union(written.map(\.generation)))
        groups[groupId] = group
        rebalanceHistory.groups[groupId] = book
        guard !written.isEmpty || !doomed.isEmpty else { return }
        var builder = RecordBatchBuilder()
        for e in written {
            builder.append(
                timestamp: now, key: RebalanceHistoryKey(group: groupId, generation: e.generation).encoded(),
                value: RebalanceHistoryValue.encode(e))
        }
        for generation in doomed {
            builder.append(
                timestamp: now, key: RebalanceHistoryKey(group: groupId, generation: generation).encoded(), value: nil)
        }
        let appended = await append(groupId: groupId, builder)
        if appended != .noError {
            log("Failed to write the rebalance history of group \(groupId): \(appended)")
        }
    }

    /// Tombstones for every history entry of a group being deleted (DeleteGroups, offset expiry).
    func appendRebalanceHistoryTombstones(_ groupId: String, to builder: inout RecordBatchBuilder, now: Int64) {
        var generations = rebalanceHistory.groups[groupId]?.stored ?? []
        generations.formUnion(groups[groupId]?.rebalances.history.map(\.generation) ?? [])
        for generation in generations.sorted() {
            builder.append(
                timestamp: now, key: RebalanceHistoryKey(group: groupId, generation: generation).encoded(), value: nil)
        }
        rebalanceHistory.groups[groupId] = nil
    }

    /// Partition → owner from the members' consumer-protocol assignments (nil for other protocol types or bytes
    /// we cannot read).
    static func owners(of group: ClassicGroup) -> [TopicPartitionKey: String]? {
        guard group.protocolType == "consumer" else { return group.members.isEmpty ? [:] : nil }
        var owners: [TopicPartitionKey: String] = [:]
        for m in group.members.values {
            guard let a = try? ConsumerProtocolAssignment.decode(m.assignment).value else { return nil }
            for t in a.assignedPartitions {
                for p in t.partitions {
                    owners[TopicPartitionKey(topic: t.topic, partition: p)] = m.groupInstanceId ?? m.memberId
                }
            }
        }
        return owners
    }
}
