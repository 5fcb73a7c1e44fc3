import LogStorage

extension ReplicaManager {
    // MARK: ISR changes

    /// Writes an ISR change in the background; the partition applies it only after ZooKeeper accepted it.
    func submitIsrChange(_ proposal: Partition.IsrProposal, for p: Partition) {
        guard let services = replication.withLock({ $0 }) else {
            p.completeIsrChange(proposal, result: .failed, now: clock())
            return
        }
        services.logger.info(
            "[Partition \(proposal.topic)-\(proposal.partition) broker=\(brokerId)] ISR \(p.state.isr) -> \(proposal.newIsr)"
        )
        let shrinks = proposal.newIsr.count < p.state.isr.count
        Task { [weak self] in
            let result = await services.writer.write(proposal)
            guard let self else { return }
            let now = self.clock()
            if p.completeIsrChange(proposal, result: result, now: now) {
                self.environment.countIsrChange(shrink: shrinks)
                self.isrChanges.withLock {
                    $0.pending.insert(TopicPartition(topic: proposal.topic, partition: proposal.partition))
                    $0.lastChangeMs = now
                }
            }
        }
    }

    /// The `isr-expiration` check: followers out of sync leave the ISR.
    func maybeShrinkIsr() {
        let now = clock()
        for p in allPartitions {
            if let proposal = p.proposeIsrShrink(now: now) { submitIsrChange(proposal, for: p) }
        }
    }

    /// Kafka's `maybePropagateIsrChanges`: one notification for the batch when quiet 5 s or 60 s after the last.
    func maybePublishIsrChanges() async {
        guard let services = replication.withLock({ $0 }) else { return }
        let now = clock()
        let batch = isrChanges.withLock { b -> [TopicPartition]? in
            guard
                ReplicationRules.shouldPublishIsrChanges(
                    pending: !b.pending.isEmpty, lastChangeMs: b.lastChangeMs, lastPublishMs: b.lastPublishMs, now: now)
            else { return nil }
            defer {
                b.pending.removeAll()
                b.lastPublishMs = now
            }
            return b.pending.sorted()
        }
        guard let batch else { return }
        if !(await services.writer.publish(batch)) {
            isrChanges.withLock { $0.pending.formUnion(batch) }
        }
    }
}
