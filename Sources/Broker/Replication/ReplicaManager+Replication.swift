import Coordination
import KafkaConfig
import KafkaProtocol
import LogStorage
import Logging
import NIOConcurrencyHelpers

/// Where a leader writes its ISR changes (ZooKeeper in production; a stub in tests).
protocol LeaderIsrWriter: Sendable {
    func write(_ proposal: Partition.IsrProposal) async -> Partition.IsrWriteResult
    /// Publishes one `/isr_change_notification` for these partitions; false to retry later.
    func publish(_ changed: [TopicPartition]) async -> Bool
}

/// CONTRACT item 4: the conditional state-znode write and the batched notification.
struct ZooKeeperIsrWriter: LeaderIsrWriter {
    let zk: KafkaZkClient
    let logger: Logger

    func write(_ proposal: Partition.IsrProposal) async -> Partition.IsrWriteResult {
        let state = LeaderIsrState(
            leader: proposal.leader, leaderEpoch: proposal.leaderEpoch, isr: proposal.newIsr,
            controllerEpoch: proposal.controllerEpoch)
        do {
            let version = try await zk.updateLeaderAndIsr(
                topic: proposal.topic, partition: proposal.partition, state,
                expectedVersion: proposal.expectedZkVersion)
            return .written(zkVersion: version)
        } catch let conflict as LeaderIsrConflict {
            logger.info(
                "[Partition \(proposal.topic)-\(proposal.partition)] ISR update to \(proposal.newIsr) found another state in ZooKeeper (\(String(describing: conflict.stored))); waiting for LeaderAndIsr"
            )
            return .conflict
        } catch {
            logger.warning("[Partition \(proposal.topic)-\(proposal.partition)] ISR update failed: \(error)")
            return .failed
        }
    }

    func publish(_ changed: [TopicPartition]) async -> Bool {
        do {
            try await zk.createIsrChangeNotification(
                changed.map { ZkTopicPartition(topic: $0.topic, partition: $0.partition) })
            return true
        } catch {
            logger.warning("ISR change notification failed: \(error)")
            return false
        }
    }
}

extension ReplicaManager {
    // MARK: startup

    /// Wires replication in (fetchers, ISR writes, liveness from the metadata cache) and starts the background
    /// task: ISR shrink checks every `replica.lag.time.max.ms`/2 and ISR-change notifications every 2.5 s.
    /// Cancel the returned task at shutdown (it stops the fetchers).
    func startReplication(
        zk: KafkaZkClient, metadata: MetadataCache, config: NIOLockedValueBox<BrokerConfig>, logger: Logger
    ) -> Task<Void, Never> {
        startReplication(
            writer: ZooKeeperIsrWriter(zk: zk, logger: logger), metadata: metadata, config: config, logger: logger)
    }

    func startReplication(
        writer: any LeaderIsrWriter, metadata: MetadataCache, config: NIOLockedValueBox<BrokerConfig>, logger: Logger
    ) -> Task<Void, Never> {
        environment.attach(config: config, metadata: metadata)
        let fetchers = ReplicaFetcherManager(
            brokerId: brokerId,
            lookup: { [weak self] (tp: TopicPartition) -> Partition? in self?.partition(tp.topic, tp.partition) },
            settings: { config.withLockedValue { $0 } }, logger: logger)
        replication.withLockedValue {
            $0 = ReplicationServices(
                fetchers: fetchers, writer: writer, metadata: metadata, config: config, logger: logger)
        }
        return Task { [weak self] in
            var lastShrinkCheck = ContinuousClock.now
            var lastPublishCheck = ContinuousClock.now
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                guard let self else { return }
                let lag = config.withLockedValue { $0.replicaLagTimeMaxMs }
                let now = ContinuousClock.now
                if now - lastShrinkCheck >= .milliseconds(max(lag / 2, 1)) {
                    lastShrinkCheck = now
                    self.maybeShrinkIsr()
                }
                if now - lastPublishCheck >= .milliseconds(2500) {
                    lastPublishCheck = now
                    await self.maybePublishIsrChanges()
                }
            }
            fetchers.shutdown()
        }
    }

    // MARK: controller epochs

    /// The highest controller epoch seen.
    var controllerEpoch: Int32 { controllerEpochBox.withLockedValue { $0 } }

    /// Rejects a controller request from an older controller (STALE_CONTROLLER_EPOCH) and remembers newer epochs.
    func checkControllerEpoch(_ epoch: Int32) throws(BrokerError) {
        let stale = controllerEpochBox.withLockedValue { seen -> Bool in
            if epoch < seen { return true }
            seen = epoch
            return false
        }
        if stale { throw .staleControllerEpoch }
    }

    // MARK: LeaderAndIsr

    /// One partition's answer to LeaderAndIsr, and what the group coordinator must hear.
    struct LeaderAndIsrResult: Sendable {
        var topic: String
        var topicId: UUIDValue
        var partition: Int32
        var error: BrokerError?
    }

    struct LeaderAndIsrOutcome: Sendable {
        var results: [LeaderAndIsrResult] = []
        /// `__consumer_offsets` partitions that became leader or follower here.
        var offsetsPartitionChanges: [(partition: Int32, isLeader: Bool, leaderEpoch: Int32)] = []
    }

    /// Applies a LeaderAndIsr request's partition states (facts §2.8, `ReplicaManager.becomeLeaderOrFollower`);
    /// the caller checked the controller and broker epochs. New replicas open their log with `configFor(topic)`.
    func becomeLeaderOrFollower(
        _ request: LeaderAndIsrRequest, version: Int16,
        configFor: @Sendable (String) async throws -> EffectiveTopicConfig
    ) async -> LeaderAndIsrOutcome {
        var outcome = LeaderAndIsrOutcome()
        var states: [(topicId: UUIDValue, state: LeaderAndIsrRequest.LeaderAndIsrPartitionState)] = []
        if version < 2 {
            states = request.ungroupedPartitionStates.map { (.zero, $0) }
        } else {
            for t in request.topicStates {
                for var s in t.partitionStates {
                    s.topicName = t.topicName
                    states.append((t.topicId, s))
                }
            }
        }
        let liveLeaders = Dictionary(
            request.liveLeaders.map { ($0.brokerId, $0) }, uniquingKeysWith: { a, _ in a })
        let now = clock()
        for (topicId, s) in states {
            let tp = TopicPartition(topic: s.topicName, partition: s.partitionIndex)
            var result = LeaderAndIsrResult(topic: s.topicName, topicId: topicId, partition: s.partitionIndex)
            let existing = partition(s.topicName, s.partitionIndex)
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
                        config = (try? await configFor(s.topicName)) ?? current.config
                    } else {
                        config = try await configFor(s.topicName)
                    }
                    let p = try openReplica(tp, topicId: topicId, config: config)
                    let facts = Partition.LeaderAndIsrState(
                        leader: s.leader, leaderEpoch: s.leaderEpoch, isr: s.isr, replicas: s.replicas,
                        partitionEpoch: s.partitionEpoch, controllerEpoch: s.controllerEpoch)
                    let logger = replication.withLockedValue { $0 }?.logger
                    logger?.info(
                        "[Broker id=\(brokerId)] \(tp): \(s.leader == brokerId ? "leader" : "follower of \(s.leader)") at epoch \(s.leaderEpoch), ISR \(s.isr), replicas \(s.replicas), zkVersion \(s.partitionEpoch)"
                    )
                    if s.leader == brokerId {
                        replication.withLockedValue { $0 }?.fetchers.remove([tp])
                        p.makeLeader(facts, topicId: topicId, config: config, now: now)
                    } else {
                        p.makeFollower(facts, topicId: topicId, config: config)
                        startFollowing(p, tp: tp, leader: s.leader, leaderEpoch: s.leaderEpoch, liveLeaders: liveLeaders)
                    }
                    if s.topicName == "__consumer_offsets" {
                        outcome.offsetsPartitionChanges.append((s.partitionIndex, s.leader == brokerId, s.leaderEpoch))
                    }
                } catch let error as BrokerError {
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
        throws(BrokerError) -> Partition
    {
        if let existing = partition(tp.topic, tp.partition) { return existing }
        let log: PartitionLog
        do {
            log = try logManager.getOrCreateLog(topic: tp.topic, partition: tp.partition, config: LogConfig(config))
        } catch {
            throw BrokerError(error)
        }
        Self.writePartitionMetadata(directory: log.directory, topicId: topicId)
        let created = Partition(
            topic: tp.topic, index: tp.partition, log: log,
            runtime: .init(leader: -1, leaderEpoch: -1, replicas: [], isr: [], config: config, topicId: topicId),
            localBrokerId: brokerId, environment: environment)
        return partitions.withLockedValue { all -> Partition in
            if let raced = all[tp] { return raced }
            all[tp] = created
            return created
        }
    }

    /// Points the partition's fetcher at `leader` (address from the request's live leaders, else the metadata
    /// cache on `inter.broker.listener.name`). A log without leader epochs truncates to its HW first (facts §4.5).
    private func startFollowing(
        _ p: Partition, tp: TopicPartition, leader: Int32, leaderEpoch: Int32,
        liveLeaders: [Int32: LeaderAndIsrRequest.LeaderAndIsrLiveLeader]
    ) {
        guard let services = replication.withLockedValue({ $0 }) else { return }
        services.fetchers.remove([tp])
        _ = followersWithoutLeaderAddress.withLockedValue { $0.removeValue(forKey: tp) }
        guard leader >= 0 else { return }
        let source: FetchSource
        if let live = liveLeaders[leader], !live.hostName.isEmpty {
            source = FetchSource(brokerId: leader, host: live.hostName, port: Int(live.port))
        } else if let address = services.metadata.address(
            of: leader, on: services.config.withLockedValue { $0.interBrokerListenerName })
        {
            source = FetchSource(brokerId: leader, host: address.host, port: Int(address.port))
        } else {
            services.logger.warning(
                "[ReplicaManager broker=\(brokerId)] no address yet for leader \(leader) of \(tp); waiting for UpdateMetadata")
            followersWithoutLeaderAddress.withLockedValue { $0[tp] = leader }
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

    /// After UpdateMetadata: followers that could not find their leader's address start fetching now.
    func retryFollowersWithoutLeaderAddress() {
        let waiting = followersWithoutLeaderAddress.withLockedValue { $0 }
        for (tp, leader) in waiting {
            guard let p = partition(tp.topic, tp.partition) else {
                _ = followersWithoutLeaderAddress.withLockedValue { $0.removeValue(forKey: tp) }
                continue
            }
            let state = p.state
            guard state.leader == leader, leader != brokerId else {
                _ = followersWithoutLeaderAddress.withLockedValue { $0.removeValue(forKey: tp) }
                continue
            }
            startFollowing(p, tp: tp, leader: leader, leaderEpoch: state.leaderEpoch, liveLeaders: [:])
        }
    }

    // MARK: StopReplica

    struct StopReplicaResult: Sendable {
        var topic: String
        var partition: Int32
        var error: BrokerError?
        var deleted: Bool
        var leaderEpoch: Int32
    }

    /// Stops fetching for the partitions and, with deletePartition, drops them and deletes their logs. Epoch
    /// check per partition: -2, -1 or ≥ the current epoch pass, older ones get FENCED_LEADER_EPOCH.
    func stopReplicas(_ request: StopReplicaRequest, version: Int16) -> [StopReplicaResult] {
        var items: [(topic: String, partition: Int32, epoch: Int32, delete: Bool)] = []
        if version == 0 {
            items = request.ungroupedPartitions.map { ($0.topicName, $0.partitionIndex, -1, request.deletePartitions) }
        } else if version <= 2 {
            for t in request.topics {
                for p in t.partitionIndexes { items.append((t.name, p, -1, request.deletePartitions)) }
            }
        } else {
            for t in request.topicStates {
                for p in t.partitionStates {
                    items.append((t.topicName, p.partitionIndex, p.leaderEpoch, p.deletePartition))
                }
            }
        }
        var results: [StopReplicaResult] = []
        var stopped: Set<TopicPartition> = []
        for item in items {
            var result = StopReplicaResult(
                topic: item.topic, partition: item.partition, error: nil, deleted: false, leaderEpoch: item.epoch)
            if let p = partition(item.topic, item.partition),
                !ReplicationRules.stopReplicaAccepted(requestEpoch: item.epoch, currentEpoch: p.state.leaderEpoch)
            {
                result.error = .fencedLeaderEpoch
            } else {
                stopped.insert(TopicPartition(topic: item.topic, partition: item.partition))
                result.deleted = item.delete
            }
            results.append(result)
        }
        replication.withLockedValue { $0 }?.fetchers.remove(stopped)
        for r in results where r.error == nil {
            if r.deleted {
                removeReplica(topic: r.topic, index: r.partition)
            } else {
                partition(r.topic, r.partition)?.signal.notify()
            }
        }
        return results
    }

    // MARK: ISR changes

    /// Writes an ISR change in the background; the partition applies it only after ZooKeeper accepted it.
    func submitIsrChange(_ proposal: Partition.IsrProposal, for p: Partition) {
        guard let services = replication.withLockedValue({ $0 }) else {
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
                self.isrChanges.withLockedValue {
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
        guard let services = replication.withLockedValue({ $0 }) else { return }
        let now = clock()
        let batch = isrChanges.withLockedValue { b -> [TopicPartition]? in
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
            isrChanges.withLockedValue { $0.pending.formUnion(batch) }
        }
    }

    // MARK: OffsetForLeaderEpoch

    /// The leader's end offset for `leaderEpoch` (facts §4.5), fenced by `currentLeaderEpoch`.
    func endOffsetForLeaderEpoch(topic: String, partition index: Int32, currentLeaderEpoch: Int32, leaderEpoch: Int32)
        throws(BrokerError) -> (epoch: Int32, endOffset: Int64)
    {
        let p = try leaderPartition(topic, index)
        try p.checkLeaderEpoch(currentLeaderEpoch)
        return p.log.endOffset(forLeaderEpoch: leaderEpoch)
    }
}
