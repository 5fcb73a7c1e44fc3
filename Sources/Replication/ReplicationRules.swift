/// What a leader knows about one follower replica (Kafka's `Replica` state on the leader).
public struct FollowerState: Sendable, Equatable {
    /// The follower's log end offset = the offset of its last fetch; -1 until it fetches.
    public var logEndOffset: Int64 = -1
    public var logStartOffset: Int64 = -1
    /// The last time the follower was known to have caught up with the leader's LEO (0 = never).
    public var lastCaughtUpTimeMs: Int64 = 0
    /// The leader's LEO and the time at the follower's previous fetch.
    public var lastFetchLeaderLogEndOffset: Int64 = -1
    public var lastFetchTimeMs: Int64 = 0

    /// On becoming leader: ISR members count as caught up now, the others never did (`Replica.resetReplicaState`).
    static func reset(inIsr: Bool, now: Int64) -> FollowerState {
        FollowerState(lastCaughtUpTimeMs: inIsr ? now : 0)
    }

    /// On re-election of the same leader the follower's known position survives; its last fetch counts as now
    /// only if it is in the ISR, so a follower outside it is not brought back before it fetches.
    func keepingPosition(of previous: FollowerState?, leaderLogEndOffset: Int64, now: Int64) -> FollowerState {
        guard let previous else { return self }
        var next = self
        next.logEndOffset = previous.logEndOffset
        next.logStartOffset = previous.logStartOffset
        next.lastFetchLeaderLogEndOffset = leaderLogEndOffset
        next.lastFetchTimeMs = lastCaughtUpTimeMs == 0 ? 0 : now
        return next
    }

    /// A follower fetch at `fetchOffset` while the leader's LEO was `leaderLogEndOffset` (Kafka's
    /// `Replica.updateFetchStateOrThrow`).
    func afterFetch(fetchOffset: Int64, logStartOffset: Int64, leaderLogEndOffset: Int64, now: Int64) -> FollowerState {
        var next = self
        if fetchOffset >= leaderLogEndOffset {
            next.lastCaughtUpTimeMs = max(lastCaughtUpTimeMs, now)
        } else if fetchOffset >= lastFetchLeaderLogEndOffset {
            next.lastCaughtUpTimeMs = max(lastCaughtUpTimeMs, lastFetchTimeMs)
        }
        next.logEndOffset = fetchOffset
        next.logStartOffset = logStartOffset
        next.lastFetchLeaderLogEndOffset = leaderLogEndOffset
        next.lastFetchTimeMs = now
        return next
    }

    /// `leaderLEO == followerLEO || now − lastCaughtUpTimeMs ≤ maxLagMs` (`Replica.isCaughtUp`).
    func isCaughtUp(leaderLogEndOffset: Int64, now: Int64, maxLagMs: Int64) -> Bool {
        leaderLogEndOffset == logEndOffset || now - lastCaughtUpTimeMs <= maxLagMs
    }
}

/// The pure decisions of replication, kept as functions of values so tests need no sockets or clocks.
enum ReplicationRules {
    /// The leader's high watermark after a change (Kafka's `Partition.maybeIncrementLeaderHW`): the smallest LEO
    /// among the leader and every follower that is in the maximal ISR, or caught up and alive. Nil when the HW
    /// would not move forward.
    static func advancedHighWatermark(
        leaderLogEndOffset: Int64, currentHighWatermark: Int64, maximalIsr: Set<Int32>,
        followers: [Int32: FollowerState], now: Int64, maxLagMs: Int64, isAlive: (Int32) -> Bool
    ) -> Int64? {
        var candidate = leaderLogEndOffset
        for (id, f) in followers where f.logEndOffset < candidate {
            if maximalIsr.contains(id)
                || (f.isCaughtUp(leaderLogEndOffset: leaderLogEndOffset, now: now, maxLagMs: maxLagMs) && isAlive(id))
            {
                candidate = f.logEndOffset
            }
        }
        return candidate > currentHighWatermark ? candidate : nil
    }

    /// ISR members (other than the leader) that have fallen out of sync (Kafka's `Partition.getOutOfSyncReplicas`).
    static func outOfSyncReplicas(
        isr: [Int32], leaderId: Int32, followers: [Int32: FollowerState], leaderLogEndOffset: Int64, now: Int64,
        maxLagMs: Int64
    ) -> [Int32] {
        isr.filter { id in
            guard id != leaderId else { return false }
            guard let f = followers[id] else { return true }
            return !f.isCaughtUp(leaderLogEndOffset: leaderLogEndOffset, now: now, maxLagMs: maxLagMs)
        }
    }

    /// Whether a follower outside the ISR may join it: its LEO reached the HW and the current leader epoch's start
    /// offset, and its broker is alive (`Partition.isFollowerInSync` + `isReplicaIsrEligible`).
    static func canJoinIsr(
        follower: FollowerState, highWatermark: Int64, leaderEpochStartOffset: Int64, isAlive: Bool
    ) -> Bool {
        isAlive && follower.logEndOffset >= highWatermark && follower.logEndOffset >= leaderEpochStartOffset
    }

    /// What a broker does with one partition of a LeaderAndIsr request (Kafka's `becomeLeaderOrFollower`).
    enum LeaderAndIsrDecision: Sendable, Equatable {
        /// A newer leader epoch: become leader or follower.
        case apply
        /// Same epoch, and the request brings a topic id the replica lacks.
        case assignTopicIdOnly
        /// Older epoch, or the same epoch with nothing new: STALE_CONTROLLER_EPOCH.
        case stale
        /// This broker is not among the replicas: UNKNOWN_TOPIC_OR_PARTITION.
        case notAReplica
    }

    /// `currentEpoch` is -1 for a partition this broker does not host yet. A replica fenced by session loss
    /// (after a ZooKeeper session expiry) also takes the same epoch again: the first LeaderAndIsr after re-registration restores it.
    static func leaderAndIsrDecision(
        requestEpoch: Int32, currentEpoch: Int32, replicas: [Int32], localBrokerId: Int32,
        requestHasTopicId: Bool, replicaHasTopicId: Bool, replicaIsFenced: Bool = false
    ) -> LeaderAndIsrDecision {
        if requestEpoch > currentEpoch || (replicaIsFenced && requestEpoch == currentEpoch) {
            return replicas.contains(localBrokerId) ? .apply : .notAReplica
        }
        if requestEpoch < currentEpoch { return .stale }
        return requestHasTopicId && !replicaHasTopicId ? .assignTopicIdOnly : .stale
    }

    /// StopReplica's per-partition epoch check: -2 (deletion), -1 (unknown) or ≥ the current epoch pass.
    static func stopReplicaAccepted(requestEpoch: Int32, currentEpoch: Int32) -> Bool {
        requestEpoch == -2 || requestEpoch == -1 || requestEpoch >= currentEpoch
    }

    /// Where a follower truncates after the leader reported a diverging epoch, or answered OffsetsForLeaderEpoch
    /// (KIP-279, Kafka's `AbstractFetcherThread.getOffsetTruncationState`).
    /// - Parameters:
    ///   - leaderEpoch / leaderEndOffset: the leader's answer (-1 when undefined).
    ///   - followerEndForLeaderEpoch: the follower's own `endOffset(forLeaderEpoch: leaderEpoch)` (epoch -1 = none).
    /// - Returns: the offset to truncate to, and whether truncation is complete (false: ask again after truncating).
    static func truncationOffset(
        leaderEpoch: Int32, leaderEndOffset: Int64, followerEndForLeaderEpoch: (epoch: Int32, endOffset: Int64),
        followerLogEndOffset: Int64, highWatermark: Int64
    ) -> (offset: Int64, complete: Bool) {
        if leaderEndOffset < 0 { return (highWatermark, true) }
        if leaderEpoch < 0 { return (min(leaderEndOffset, followerLogEndOffset), true) }
        let own = followerEndForLeaderEpoch
        guard own.epoch >= 0, own.endOffset >= 0 else {
            return (min(leaderEndOffset, followerLogEndOffset), true)
        }
        if own.epoch != leaderEpoch { return (min(own.endOffset, followerLogEndOffset), false) }
        return (min(own.endOffset, leaderEndOffset, followerLogEndOffset), true)
    }

    /// The leader's check of a follower's `lastFetchedEpoch` (Fetch v12+, `Partition.readRecords`): the diverging
    /// epoch to return, or nil when the follower's log is consistent with the leader's.
    static func divergingEpoch(
        lastFetchedEpoch: Int32, fetchOffset: Int64, leaderEndForEpoch: (epoch: Int32, endOffset: Int64)
    ) -> (epoch: Int32, endOffset: Int64)? {
        guard lastFetchedEpoch >= 0 else { return nil }
        if leaderEndForEpoch.epoch < lastFetchedEpoch || leaderEndForEpoch.endOffset < fetchOffset {
            return leaderEndForEpoch
        }
        return nil
    }

    /// A follower's reaction to OFFSET_OUT_OF_RANGE (`AbstractFetcherThread.fetchOffsetAndTruncate`): truncate to
    /// the leader's end when ahead of it; restart the log at the leader's start when behind it.
    enum OutOfRangeAction: Sendable, Equatable {
        case truncate(to: Int64)
        case restartAt(Int64)
        case fetchFrom(Int64)
    }

    static func outOfRangeAction(followerLogEndOffset: Int64, leaderLogStartOffset: Int64, leaderLogEndOffset: Int64)
        -> OutOfRangeAction
    {
        if leaderLogEndOffset < followerLogEndOffset { return .truncate(to: leaderLogEndOffset) }
        if leaderLogStartOffset > followerLogEndOffset { return .restartAt(leaderLogStartOffset) }
        return .fetchFrom(max(leaderLogStartOffset, followerLogEndOffset))
    }

    /// Kafka's ISR-change propagation schedule: publish the batch when it has been quiet for 5 s, or 60 s after the
    /// last publication (`ReplicaManager.maybePropagateIsrChanges`, ZK mode).
    static func shouldPublishIsrChanges(pending: Bool, lastChangeMs: Int64, lastPublishMs: Int64, now: Int64) -> Bool {
        pending && (now - lastChangeMs >= 5000 || now - lastPublishMs >= 60000)
    }
}
