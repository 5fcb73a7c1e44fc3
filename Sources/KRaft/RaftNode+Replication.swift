/// Pull-based replication (KIP-595): followers Fetch with their end offset and last epoch, the leader answers with
/// entries, a diverging epoch or a snapshot id, and learns each follower's progress from its fetch offset.
extension RaftNode {
    // MARK: Leader side

    mutating func handleFetchRequest(
        _ request: FetchRequest, from sender: ReplicaID, now: Int64, effects: inout [RaftEffect]
    ) {
        if request.replicaEpoch > epoch {
            _ = observe(epoch: request.replicaEpoch, leader: nil, now: now, effects: &effects)
        }
        guard case .leader(var s) = role, request.replicaEpoch == epoch else {
            let error: RaftError = request.replicaEpoch < epoch ? .fencedLeaderEpoch : .notLeaderOrFollower
            let response = FetchResponse(
                correlationId: request.correlationId, leaderEpoch: epoch, leaderId: leaderId, error: error)
            effects.append(.send(to: sender, .fetchResponse(response)))
            return
        }
        func answer(_ response: FetchResponse, _ effects: inout [RaftEffect]) {
            effects.append(.send(to: sender, .fetchResponse(response)))
        }
        // Kafka's KafkaMetadataLog.validateOffsetAndEpoch: positions are checked against the earliest snapshot
        // (the one at the log start), and a replica that must start over is sent to the latest.
        let fromScratch = request.fetchOffset == 0 && log.startOffset == 0
        if !fromScratch, let earliest = log.earliestSnapshotId, let latest = log.latestSnapshot,
            request.fetchOffset < log.startOffset
                || (request.fetchOffset == log.startOffset && request.lastFetchedEpoch != earliest.epoch)
                || request.lastFetchedEpoch < earliest.epoch
        {
            return answer(
                FetchResponse(
                    correlationId: request.correlationId, leaderEpoch: epoch, leaderId: id,
                    highWatermark: leaderHighWatermark, snapshotId: latest.id), &effects)
        }
        if !fromScratch {
            let end = log.endOffsetForEpoch(request.lastFetchedEpoch)
            if end.epoch != request.lastFetchedEpoch || end.offset < request.fetchOffset {
                return answer(
                    FetchResponse(
                        correlationId: request.correlationId, leaderEpoch: epoch, leaderId: id,
                        highWatermark: leaderHighWatermark, divergingEpoch: end), &effects)
            }
        }

        // A valid position: it is the replica's progress.
        var progress = s.progress[sender] ?? QuorumRole.ReplicaProgress()
        progress.endOffset = request.fetchOffset
        progress.lastFetchTimestamp = now
        if request.fetchOffset >= log.endOffset { progress.lastCaughtUpTimestamp = now }
        s.progress[sender] = progress
        s.unacknowledged.remove(sender)
        if voters.contains(sender) { s.fetchedSinceCheck.insert(sender) }
        s.parked.removeValue(forKey: sender)
        role = .leader(s)
        maybeAdvanceHighWatermark(now: now, effects: &effects)

        guard case .leader(var after) = role else { return }
        if request.fetchOffset < log.endOffset || after.progress[sender]?.knownHighWatermark != leaderHighWatermark {
            answerFetch(request, from: sender, effects: &effects)
        } else {
            after.parked[sender] = QuorumRole.ParkedFetch(request: request, deadline: now + config.fetchMaxWaitMs)
            role = .leader(after)
        }
    }

    mutating func answerFetch(_ request: FetchRequest, from sender: ReplicaID, effects: inout [RaftEffect]) {
        guard case .leader(var s) = role else { return }
        let entries = log.entries(from: request.fetchOffset, maxCount: config.maxRecordsPerFetch)
        s.progress[sender, default: QuorumRole.ReplicaProgress()].knownHighWatermark = leaderHighWatermark
        role = .leader(s)
        let response = FetchResponse(
            correlationId: request.correlationId, leaderEpoch: epoch, leaderId: id,
            highWatermark: leaderHighWatermark, entries: entries)
        effects.append(.send(to: sender, .fetchResponse(response)))
    }

    /// The high watermark a leader publishes: none until it has committed in its own epoch (Kafka's `LeaderState`
    /// starts without one). What it knew before may be behind what a follower already saw from the old leader, and
    /// a restarted follower would then see its high watermark go back.
    var leaderHighWatermark: Int64? {
        guard case .leader(let s) = role, let hw = highWatermark, hw > s.epochStartOffset else { return nil }
        return hw
    }

    /// Answers parked fetches: all of them when there is news (new entries or a new high watermark), otherwise
    /// those whose wait ran out.
    mutating func completeParkedFetches(now: Int64, onlyExpired: Bool, effects: inout [RaftEffect]) {
        guard case .leader(var s) = role, !s.parked.isEmpty else { return }
        for replica in s.parked.keys.sorted() {
            guard let parked = s.parked[replica], !onlyExpired || now >= parked.deadline else { continue }
            s.parked.removeValue(forKey: replica)
            role = .leader(s)
            answerFetch(parked.request, from: replica, effects: &effects)
            guard case .leader(let updated) = role else { return }
            s = updated
        }
    }

    /// The high watermark is the largest offset a majority of voters (the leader counted by its own end offset)
    /// has fetched past — once that covers this epoch's first entry. Committing an older epoch's entry by counting
    /// replicas is what Raft forbids (Figure 8 of the Raft paper); the LeaderChange record makes it unnecessary.
    mutating func maybeAdvanceHighWatermark(now: Int64, effects: inout [RaftEffect]) {
        guard case .leader(let s) = role else { return }
        let offsets = voters.map { $0 == id ? log.endOffset : (s.progress[$0]?.endOffset ?? -1) }.sorted(by: >)
        let majorityOffset = offsets[voters.count / 2]
        guard majorityOffset > s.epochStartOffset, majorityOffset > (highWatermark ?? -1) else { return }
        highWatermark = majorityOffset
        effects.append(.highWatermark(majorityOffset))
        completeParkedFetches(now: now, onlyExpired: false, effects: &effects)
    }

    mutating func handleFetchSnapshotRequest(
        _ request: FetchSnapshotRequest, from sender: ReplicaID, now: Int64, effects: inout [RaftEffect]
    ) {
        if request.replicaEpoch > epoch {
            _ = observe(epoch: request.replicaEpoch, leader: nil, now: now, effects: &effects)
        }
        var response = FetchSnapshotResponse(
            correlationId: request.correlationId, leaderEpoch: epoch, leaderId: leaderId)
        if !isLeader || request.replicaEpoch != epoch {
            response.error = request.replicaEpoch < epoch ? .fencedLeaderEpoch : .notLeaderOrFollower
        } else if let snapshot = log.latestSnapshot, snapshot.id == request.snapshotId {
            response.snapshot = snapshot
        } else {
            response.error = .snapshotNotFound
        }
        effects.append(.send(to: sender, .fetchSnapshotResponse(response)))
    }

    // MARK: Follower side

    mutating func maybeSendFetch(now: Int64, effects: inout [RaftEffect]) {
        guard case .follower(var s) = role else { return }
        if s.inflight != nil {
            guard now >= s.inflightSentAt + config.requestTimeoutMs else { return }
        } else {
            guard now >= s.nextFetchAt else { return }
        }
        let correlationId = newCorrelationId()
        s.inflight = correlationId
        s.inflightSentAt = now
        role = .follower(s)
        if let snapshotId = s.pendingSnapshot {
            let request = FetchSnapshotRequest(
                correlationId: correlationId, replicaId: id, replicaEpoch: epoch, snapshotId: snapshotId)
            effects.append(.send(to: s.leaderId, .fetchSnapshotRequest(request)))
        } else {
            let request = FetchRequest(
                correlationId: correlationId, replicaId: id, replicaEpoch: epoch, fetchOffset: log.endOffset,
                lastFetchedEpoch: log.lastFetchedEpoch)
            effects.append(.send(to: s.leaderId, .fetchRequest(request)))
        }
    }

    /// Whether this answer is the one the follower is waiting for, from its leader, in its epoch.
    func isAwaited(correlationId: Int64, epoch responseEpoch: Int32, from sender: ReplicaID) -> Bool {
        guard case .follower(let s) = role else { return false }
        return s.epoch == responseEpoch && s.leaderId == sender && s.inflight == correlationId
    }

    mutating func handleFetchResponse(
        _ response: FetchResponse, from sender: ReplicaID, now: Int64, effects: inout [RaftEffect]
    ) {
        // A prospective node's probe answered by its old leader in the same epoch: the leader lives, follow it again.
        if case .prospective(let s) = role, s.probe == response.correlationId, s.leaderId == sender,
            response.leaderEpoch == epoch, response.error == nil
        {
            becomeFollower(epoch: epoch, leader: sender, now: now, effects: &effects)
            return
        }
        guard observe(epoch: response.leaderEpoch, leader: response.leaderId, now: now, effects: &effects),
            isAwaited(correlationId: response.correlationId, epoch: response.leaderEpoch, from: sender),
            case .follower(var s) = role
        else { return }
        s.inflight = nil
        if response.error != nil {
            s.nextFetchAt = now + config.retryBackoffMs
            role = .follower(s)
            return
        }
        s.fetchDeadline = now + config.fetchTimeoutMs
        s.nextFetchAt = now
        if let diverging = response.divergingEpoch {
            // Kafka's ReplicatedLog.truncateToEndOffset: cut where our copy of that epoch and the leader's both end.
            let local = log.endOffsetForEpoch(diverging.epoch)
            var truncation = local.epoch == diverging.epoch ? min(local.offset, diverging.offset) : local.offset
            truncation = max(truncation, log.startOffset)
            role = .follower(s)
            if truncation < log.endOffset {
                log.truncate(to: truncation)
                effects.append(.truncated(to: truncation))
            }
        } else if let snapshotId = response.snapshotId {
            s.pendingSnapshot = snapshotId
            role = .follower(s)
        } else {
            role = .follower(s)
            if let first = response.entries.first, first.offset == log.endOffset {
                log.append(response.entries)
            }
            if let leaderHighWatermark = response.highWatermark {
                let reached = min(leaderHighWatermark, log.endOffset)
                if reached > (highWatermark ?? -1) {
                    highWatermark = reached
                    effects.append(.highWatermark(reached))
                }
            }
        }
        maybeSendFetch(now: now, effects: &effects)
    }

    mutating func handleFetchSnapshotResponse(
        _ response: FetchSnapshotResponse, from sender: ReplicaID, now: Int64, effects: inout [RaftEffect]
    ) {
        guard observe(epoch: response.leaderEpoch, leader: response.leaderId, now: now, effects: &effects),
            isAwaited(correlationId: response.correlationId, epoch: response.leaderEpoch, from: sender),
            case .follower(var s) = role
        else { return }
        s.inflight = nil
        s.pendingSnapshot = nil
        guard response.error == nil, let snapshot = response.snapshot else {
            s.nextFetchAt = now + config.retryBackoffMs
            role = .follower(s)
            return
        }
        s.fetchDeadline = now + config.fetchTimeoutMs
        s.nextFetchAt = now
        role = .follower(s)
        log.installSnapshot(snapshot)
        effects.append(.snapshotInstalled(snapshot.id))
        // The leader snapshots only below its high watermark, so the snapshot is committed.
        if snapshot.id.offset > (highWatermark ?? -1) {
            highWatermark = snapshot.id.offset
            effects.append(.highWatermark(snapshot.id.offset))
        }
        maybeSendFetch(now: now, effects: &effects)
    }
}
