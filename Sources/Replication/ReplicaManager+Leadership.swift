import KafkaConfig
import KafkaProtocol
import LogStorage
import Logging

/// One partition of a LeaderAndIsr request, in domain terms.
public struct LeaderAndIsrPartition: Sendable {
    public var topic: String
    /// `.zero` when the request carries none (LeaderAndIsr before v5).
    public var topicId: UUIDValue
    public var partition: Int32
    public var state: Partition.LeaderAndIsrState

    public init(topic: String, topicId: UUIDValue, partition: Int32, state: Partition.LeaderAndIsrState) {
        self.topic = topic
        self.topicId = topicId
        self.partition = partition
        self.state = state
    }
}

/// One partition of a StopReplica request. `leaderEpoch` -2 means deletion, -1 unknown.
public struct StopReplicaPartition: Sendable {
    public var topic: String
    public var partition: Int32
    public var leaderEpoch: Int32
    public var deletePartition: Bool

    public init(topic: String, partition: Int32, leaderEpoch: Int32, deletePartition: Bool) {
        self.topic = topic
        self.partition = partition
        self.leaderEpoch = leaderEpoch
        self.deletePartition = deletePartition
    }
}

extension ReplicaManager {
    // MARK: controller epochs

    /// The highest controller epoch seen.
    public var controllerEpoch: Int32 { controllerEpochBox.withLock { $0 } }

    /// Rejects a controller request from an older controller (STALE_CONTROLLER_EPOCH) and remembers newer epochs.
    public func checkControllerEpoch(_ epoch: Int32) throws(ReplicationError) {
        let stale = controllerEpochBox.withLock { seen -> Bool in
            if epoch < seen { return true }
            seen = epoch
            return false
        }
        if stale { throw .staleControllerEpoch }
    }

    // MARK: LeaderAndIsr

    /// One partition's answer to LeaderAndIsr.
    public struct LeaderAndIsrResult: Sendable {
        public var topic: String
        public var topicId: UUIDValue
        public var partition: Int32
        public var error: ReplicationError?
    }

    /// Applies a LeaderAndIsr request's partition states (Kafka's `ReplicaManager.becomeLeaderOrFollower`) under
    /// the state-change lock, then tells the leadership listener (the group coordinator) about its topic's
    /// partitions; the caller checked the controller and broker epochs. New replicas open their log with
    /// `configFor(topic)`. `liveLeaders` are the leaders' addresses the request carries.
    public func becomeLeaderOrFollower(
        _ states: [LeaderAndIsrPartition], liveLeaders: [Int32: FetchSource],
        configFor: @Sendable (String) async throws -> EffectiveTopicConfig
    ) async -> [LeaderAndIsrResult] {
        await stateChangeLock.withLock { () async -> [LeaderAndIsrResult] in
            let outcome = await applyLeaderAndIsr(states, liveLeaders: liveLeaders, configFor: configFor)
            let listeners = replication.withLock({ $0 })?.leadershipListeners ?? []
            for change in outcome.listenerChanges {
                for listener in listeners where listener.watchedTopic == change.topic {
                    await listener.partitionLeadershipChanged(
                        partition: change.partition, isLeader: change.isLeader, leaderEpoch: change.leaderEpoch)
                }
            }
            return outcome.results
        }
    }

    private struct LeaderAndIsrOutcome: Sendable {
        var results: [LeaderAndIsrResult] = []
        /// Partitions of the listener's topic that became leader or follower here.
        var listenerChanges: [(topic: String, partition: Int32, isLeader: Bool, leaderEpoch: Int32)] = []
    }

    private func applyLeaderAndIsr(
        _ states: [LeaderAndIsrPartition], liveLeaders: [Int32: FetchSource],
        configFor: @Sendable (String) async throws -> EffectiveTopicConfig
    ) async -> LeaderAndIsrOutcome {
        var outcome = LeaderAndIsrOutcome()
        let watchedTopics = Set((replication.withLock { $0 }?.leadershipListeners ?? []).map(\.watchedTopic))
        let now = clock()
        for change in states {
            let topicId = change.topicId
            let s = change.state
            let tp = TopicPartition(topic: change.topic, partition: change.partition)
            var result = LeaderAndIsrResult(topic: change.topic, topicId: topicId, partition: change.partition)
            let existing = partition(change.topic, change.partition)
            let current = existing?.state
            let decision = ReplicationRules.leaderAndIsrDecision(
                requestEpoch: s.leaderEpoch, currentEpoch: current?.leaderEpoch ?? -1, replicas: s.replicas,
                localBrokerId: brokerId, requestHasTopicId: !topicId.isZero,
                replicaHasTopicId: !(current?.topicId.isZero ?? true), replicaIsFenced: current?.fenced ?? false)
            switch decision {
            case .stale:
                result.error = .staleControllerEpoch
            case .notAReplica:
                result.error = .unknownTopicOrPartition
            case .assignTopicIdOnly:
                existing?.update { $0.topicId = topicId }
                if let existing { Self.writePartitionMetadata(directory: existing.log.directory, topicId: topicId) }
            case .apply:
                do {
                    let config: EffectiveTopicConfig
                    if let current {
                        config = (try? await configFor(change.topic)) ?? current.config
                    } else {
                        config = try await configFor(change.topic)
                    }
                    let p = try openReplica(tp, topicId: topicId, config: config)
                    let facts = s
                    let logger = replication.withLock { $0 }?.logger
                    logger?.info(
                        "[Broker id=\(brokerId)] \(tp): \(s.leader == brokerId ? "leader" : "follower of \(s.leader)") at epoch \(s.leaderEpoch), ISR \(s.isr), replicas \(s.replicas), zkVersion \(s.partitionEpoch)"
                    )
                    if s.leader == brokerId {
                        replication.withLock { $0 }?.fetchers.remove([tp])
                        p.makeLeader(facts, topicId: topicId, config: config, now: now)
                    } else {
                        p.makeFollower(facts, topicId: topicId, config: config)
                        startFollowing(
                            p, tp: tp, leader: s.leader, leaderEpoch: s.leaderEpoch, liveLeaders: liveLeaders)
                    }
                    if watchedTopics.contains(change.topic) {
                        outcome.listenerChanges.append(
                            (change.topic, change.partition, s.leader == brokerId, s.leaderEpoch))
                    }
                } catch let error as ReplicationError {
                    result.error = error
                } catch {
                    result.error = .storage("\(error)")
                }
            }
            outcome.results.append(result)
        }
        return outcome
    }

    /// The local replica, opened (and its log created) if new.
    private func openReplica(_ tp: TopicPartition, topicId: UUIDValue, config: EffectiveTopicConfig)
        throws(ReplicationError) -> Partition
    {
        if let existing = partition(tp.topic, tp.partition) { return existing }
        let log: PartitionLog
        do {
            log = try logManager.getOrCreateLog(topic: tp.topic, partition: tp.partition, config: LogConfig(config))
        } catch {
            throw ReplicationError(error)
        }
        Self.writePartitionMetadata(directory: log.directory, topicId: topicId)
        let created = Partition(
            topic: tp.topic, index: tp.partition, log: log,
            runtime: .init(leader: -1, leaderEpoch: -1, replicas: [], isr: [], config: config, topicId: topicId),
            localBrokerId: brokerId, environment: environment)
        return partitions.withLock { all -> Partition in
            if let raced = all[tp] { return raced }
            all[tp] = created
            return created
        }
    }

    /// Points the partition's fetcher at `leader` (address from the request's live leaders, else the `LiveBrokers`
    /// port: the metadata cache on `inter.broker.listener.name`). A log without leader epochs truncates to its HW
    /// first (KIP-101).
    private func startFollowing(
        _ p: Partition, tp: TopicPartition, leader: Int32, leaderEpoch: Int32, liveLeaders: [Int32: FetchSource]
    ) {
        guard let services = replication.withLock({ $0 }) else { return }
        services.fetchers.remove([tp])
        _ = followersWithoutLeaderAddress.withLock { $0.removeValue(forKey: tp) }
        guard leader >= 0 else { return }
        let source: FetchSource
        if let live = liveLeaders[leader], !live.host.isEmpty {
            source = live
        } else if let address = services.brokers.interBrokerAddress(of: leader) {
            source = FetchSource(brokerId: leader, host: address.host, port: address.port)
        } else {
            services.logger.warning(
                "[ReplicaManager broker=\(brokerId)] no address yet for leader \(leader) of \(tp); waiting for UpdateMetadata"
            )
            followersWithoutLeaderAddress.withLock { $0[tp] = leader }
            return
        }
        let log = p.log
        if log.latestLeaderEpoch == nil {
            do { try log.truncate(to: log.highWatermark) } catch {
                services.logger.error("[ReplicaManager broker=\(brokerId)] \(tp): truncation to HW failed: \(error)")
            }
        }
        services.fetchers.add(
            tp, from: source, PartitionFetchState(fetchOffset: log.logEndOffset, currentLeaderEpoch: leaderEpoch))
    }

    /// After UpdateMetadata: followers that could not find their leader's address start fetching now (under the
    /// state-change lock).
    public func leaderAddressesChanged() async {
        await stateChangeLock.withLock { retryFollowersWithoutLeaderAddress() }
    }

    func retryFollowersWithoutLeaderAddress() {
        let waiting = followersWithoutLeaderAddress.withLock { $0 }
        for (tp, leader) in waiting {
            guard let p = partition(tp.topic, tp.partition) else {
                _ = followersWithoutLeaderAddress.withLock { $0.removeValue(forKey: tp) }
                continue
            }
            let state = p.state
            guard state.leader == leader, leader != brokerId else {
                _ = followersWithoutLeaderAddress.withLock { $0.removeValue(forKey: tp) }
                continue
            }
            startFollowing(p, tp: tp, leader: leader, leaderEpoch: state.leaderEpoch, liveLeaders: [:])
        }
    }

    // MARK: StopReplica

    public struct StopReplicaResult: Sendable {
        public var topic: String
        public var partition: Int32
        public var error: ReplicationError?
        public var deleted: Bool
        public var leaderEpoch: Int32
    }

    /// Stops fetching for the partitions and, with deletePartition, drops them and deletes their logs, under the
    /// state-change lock; a deleted partition of the leadership listener's topic is reported to it. Epoch check per
    /// partition: -2, -1 or ≥ the current epoch pass, older ones get FENCED_LEADER_EPOCH.
    public func stopReplicas(_ items: [StopReplicaPartition]) async -> [StopReplicaResult] {
        await stateChangeLock.withLock { () async -> [StopReplicaResult] in
            let results = applyStopReplicas(items)
            for listener in replication.withLock({ $0 })?.leadershipListeners ?? [] {
                for r in results where r.error == nil && r.deleted && r.topic == listener.watchedTopic {
                    // Deleted (leader epoch -2 during topic deletion): drop its state whatever epoch it was loaded at.
                    await listener.partitionRemoved(partition: r.partition)
                }
            }
            return results
        }
    }

    private func applyStopReplicas(_ items: [StopReplicaPartition]) -> [StopReplicaResult] {
        var results: [StopReplicaResult] = []
        var stopped: Set<TopicPartition> = []
        for item in items {
            var result = StopReplicaResult(
                topic: item.topic, partition: item.partition, error: nil, deleted: false, leaderEpoch: item.leaderEpoch)
            if let p = partition(item.topic, item.partition),
                !ReplicationRules.stopReplicaAccepted(requestEpoch: item.leaderEpoch, currentEpoch: p.state.leaderEpoch)
            {
                result.error = .fencedLeaderEpoch
            } else {
                stopped.insert(TopicPartition(topic: item.topic, partition: item.partition))
                result.deleted = item.deletePartition
            }
            results.append(result)
        }
        replication.withLock { $0 }?.fetchers.remove(stopped)
        for r in results where r.error == nil {
            if r.deleted {
                removeReplica(topic: r.topic, index: r.partition)
            } else {
                partition(r.topic, r.partition)?.signal.notify()
            }
        }
        return results
    }

    // MARK: OffsetForLeaderEpoch

    /// The leader's end offset for `leaderEpoch` (KIP-101/KIP-279), fenced by `currentLeaderEpoch`.
    public func endOffsetForLeaderEpoch(
        topic: String, partition index: Int32, currentLeaderEpoch: Int32, leaderEpoch: Int32
    ) throws(ReplicationError) -> (epoch: Int32, endOffset: Int64) {
        let p = try leaderPartition(topic, index)
        try p.checkLeaderEpoch(currentLeaderEpoch)
        return p.log.endOffset(forLeaderEpoch: leaderEpoch)
    }
}
