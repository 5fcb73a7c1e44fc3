import Coordination
import KafkaProtocol
import Logging
import Synchronization

/// Why a controller runtime stopped on its own.
public enum ControllerResignation: Sendable, Equatable {
    /// A fenced write found `/controller_epoch` moved: another broker is controller now.
    case controllerMoved
    /// Becoming controller failed; `/controller` was deleted so that another election happens.
    case failoverFailed(String)
    /// The ZooKeeper session expired or was closed under the controller.
    case sessionLost
}

/// The outcome of an election the ElectLeaders API asked for, per partition.
public enum ElectionOutcome: Sendable, Equatable {
    case elected(leader: Int32)
    /// The partition already has the leader the election would pick (ELECTION_NOT_NEEDED).
    case notNeeded
    /// Preferred election: the preferred replica is offline or out of the ISR (PREFERRED_LEADER_NOT_AVAILABLE).
    case preferredLeaderNotAvailable
    /// Unclean election: no live replica at all (ELIGIBLE_LEADERS_NOT_AVAILABLE).
    case eligibleLeadersNotAvailable
    case unknownPartition
    /// The ZooKeeper write failed (e.g. a concurrent ISR change); the client may retry.
    case failed(String)
}

/// Which ElectLeaders strategy (the request's `electionType`).
public enum ElectionType: Int8, Sendable {
    case preferred = 0
    case unclean = 1
}

/// The controller's answer to a ControlledShutdown request.
public enum ControlledShutdownOutcome: Sendable, Equatable {
    /// The broker may stop once `remaining` is empty (partitions it still leads, RF=1 ones included).
    case accepted(remaining: [TopicPartition])
    case staleBrokerEpoch
    /// The broker is not registered.
    case brokerNotAvailable
    /// This runtime is not (or no longer) the controller.
    case notController
}

/// The active controller (Kafka's `KafkaController` in ZooKeeper mode). One runtime exists per won election:
/// ZooKeeper watches and API calls become events, processed one at a time in arrival order (Kafka's
/// `ControllerEventManager`); each event reads ZooKeeper, plans with the pure `ControllerState` functions,
/// writes fenced, and sends LeaderAndIsr / UpdateMetadata / StopReplica through the `ControllerChannel`.
/// A fencing failure makes it stop and report `controllerMoved`; the owner starts a new runtime on the next win.
public actor ControllerRuntime {
    enum Event: Sendable {
        case failover
        case brokerChange
        case topicChange
        case partitionModifications(String)
        case topicDeletion
        case isrChangeNotification
        case preferredReplicaElection
        case autoRebalance
        case stopReplicaDone(topic: String, broker: Int32)
        /// A broker answered LeaderAndIsr (Kafka's `LeaderAndIsrResponseReceived`); `brokerEpoch` is the epoch the
        /// request was addressed to.
        case leaderAndIsrResponse(LeaderAndIsrResponse, broker: Int32, brokerEpoch: Int64)
        case electLeaders(ElectionType, [TopicPartition]?, @Sendable ([TopicPartition: ElectionOutcome]?) -> Void)
        case controlledShutdown(brokerId: Int32, brokerEpoch: Int64, @Sendable (ControlledShutdownOutcome) -> Void)

        /// Events that only re-read ZooKeeper and reconcile: safe to retry after a transient failure.
        var isRetriable: Bool {
            switch self {
            case .brokerChange, .topicChange, .partitionModifications, .topicDeletion, .isrChangeNotification,
                .preferredReplicaElection:
                true
            default: false
            }
        }
    }

    private let zk: any ControllerStore
    private let channel: any ControllerChannel
    private let settings: ControllerSettings
    private let election: ControllerElection
    private let logger: Logger
    private let onResign: @Sendable (ControllerResignation) -> Void
    /// Counters kept across controller terms (the broker's, or this runtime's own in tests).
    public nonisolated let stats: ControllerStats

    /// The controller's view; public for tests and diagnostics.
    public private(set) var state: ControllerState
    private let events: AsyncStream<Event>
    private let eventSink: AsyncStream<Event>.Continuation
    private var loop: Task<Void, Never>?
    private var watchTasks: [Task<Void, Never>] = []
    private var topicWatchTasks: [String: Task<Void, Never>] = [:]
    private var stopped = false
    /// Topic deletions in progress: the brokers whose StopReplica(delete) answer is still awaited.
    private var deletionPending: [String: Set<Int32>] = [:]

    /// A runtime reading and writing ZooKeeper through `zk`.
    public init(
        zk: KafkaZkClient, channel: any ControllerChannel, settings: ControllerSettings, election: ControllerElection,
        logger: Logger = Logger(label: "needletail.controller"), stats: ControllerStats = ControllerStats(),
        onResign: @escaping @Sendable (ControllerResignation) -> Void
    ) {
        self.init(
            store: ZooKeeperControllerStore(zk), channel: channel, settings: settings, election: election,
            logger: logger, stats: stats, onResign: onResign)
    }

    /// A runtime over any store (tests run it against an in-memory one).
    public init(
        store: any ControllerStore, channel: any ControllerChannel, settings: ControllerSettings,
        election: ControllerElection, logger: Logger = Logger(label: "needletail.controller"),
        stats: ControllerStats = ControllerStats(), onResign: @escaping @Sendable (ControllerResignation) -> Void
    ) {
        self.stats = stats
        self.zk = store
        self.channel = channel
        self.settings = settings
        self.election = election
        self.logger = logger
        self.onResign = onResign
        self.state = ControllerState(controllerId: settings.brokerId, controllerEpoch: election.epoch)
        (events, eventSink) = AsyncStream.makeStream(of: Event.self)
    }

    /// Starts processing: the failover sequence first, then events as they come.
    public func start() {
        guard loop == nil, !stopped else { return }
        eventSink.yield(.failover)
        let stream = events
        loop = Task { [weak self] in
            for await event in stream {
                guard let self else { return }
                await self.process(event)
            }
        }
    }

    /// Stops the runtime (lost election or session, or shutdown): watches cancelled, queues dropped, pending
    /// API calls answered "not controller".
    public func stop() {
        guard !stopped else { return }
        stopped = true
        eventSink.finish()
        for task in watchTasks { task.cancel() }
        for task in topicWatchTasks.values { task.cancel() }
        watchTasks = []
        topicWatchTasks = [:]
        channel.close()
        logger.info("[Controller id=\(settings.brokerId)] resigned (epoch \(election.epoch))")
    }

    public var isActive: Bool { !stopped }
    /// The controller epoch this runtime was started for.
    public nonisolated var epoch: Int32 { election.epoch }

    // MARK: API entry points

    /// Runs an ElectLeaders request (nil partitions = all). Nil when this runtime is not the controller.
    public func electLeaders(_ type: ElectionType, partitions: [TopicPartition]?) async
        -> [TopicPartition: ElectionOutcome]?
    {
        guard !stopped else { return nil }
        return await withCheckedContinuation { continuation in
            let once = OnceBox(continuation)
            let result = eventSink.yield(.electLeaders(type, partitions, { once.resume($0) }))
            if case .terminated = result { once.resume(nil) }
        }
    }

    /// Runs a ControlledShutdown request.
    public func controlledShutdown(brokerId: Int32, brokerEpoch: Int64) async -> ControlledShutdownOutcome {
        guard !stopped else { return .notController }
        return await withCheckedContinuation { continuation in
            let once = OnceBox(continuation)
            let result = eventSink.yield(
                .controlledShutdown(brokerId: brokerId, brokerEpoch: brokerEpoch, { once.resume($0) }))
            if case .terminated = result { once.resume(.notController) }
        }
    }

    nonisolated func enqueue(_ event: Event) {
        eventSink.yield(event)
    }

    // MARK: Event processing

    private func process(_ event: Event) async {
        if stopped {
            switch event {
            case .electLeaders(_, _, let reply): reply(nil)
            case .controlledShutdown(_, _, let reply): reply(.notController)
            default: break
            }
            return
        }
        do {
            switch event {
            case .failover: try await onControllerFailover()
            case .brokerChange: try await onBrokerChange()
            case .topicChange: try await onTopicChange()
            case .partitionModifications(let topic): try await onPartitionModifications(topic)
            case .topicDeletion: try await onTopicDeletionChange()
            case .isrChangeNotification: try await onIsrChangeNotification()
            case .preferredReplicaElection: try await onPreferredReplicaElectionZNode()
            case .autoRebalance: try await onAutoRebalance()
            case .stopReplicaDone(let topic, let broker): try await onStopReplicaDone(topic: topic, broker: broker)
            case .leaderAndIsrResponse(let response, let broker, let brokerEpoch):
                try await onLeaderAndIsrResponse(response, broker: broker, brokerEpoch: brokerEpoch)
            case .electLeaders(let type, let partitions, let reply):
                do {
                    reply(try await onElectLeaders(type, partitions: partitions))
                } catch {
                    reply(nil)
                    throw error
                }
            case .controlledShutdown(let id, let epoch, let reply):
                do {
                    reply(try await onControlledShutdown(brokerId: id, brokerEpoch: epoch))
                } catch {
                    reply(.notController)
                    throw error
                }
            }
        } catch {
            await handleFailure(error, during: event)
        }
    }

    private func handleFailure(_ error: any Error, during event: Event) async {
        if stopped { return }
        if case KafkaZkError.controllerMoved = error {
            logger.warning("[Controller id=\(settings.brokerId)] controller moved to another broker; resigning")
            stop()
            onResign(.controllerMoved)
            return
        }
        if let zkError = error as? ZooKeeperError, zkError == .sessionExpired || zkError == .closing {
            stop()
            onResign(.sessionLost)
            return
        }
        if case .failover = event {
            logger.error("[Controller id=\(settings.brokerId)] failover failed: \(error); resigning")
            try? await zk.resignController(fence: election)
            stop()
            onResign(.failoverFailed("\(error)"))
            return
        }
        logger.error("[Controller id=\(settings.brokerId)] error processing \(event): \(error)")
        if event.isRetriable {
            let sink = eventSink
            Task {
                try? await Task.sleep(for: .seconds(1))
                sink.yield(event)
            }
        }
    }

    // MARK: Failover (Kafka's `KafkaController.onControllerFailover`)

    private func onControllerFailover() async throws {
        logger.info("[Controller id=\(settings.brokerId)] starting failover (epoch \(election.epoch))")
        // Watches first, so that no change between the reads below and the registration is lost.
        let brokerWatch = try await zk.watchBrokerIds().watch
        let topicsWatch = try await zk.watchTopics().watch
        let deleteWatch = try await zk.watchDeleteTopics().watch
        let isrWatch = try await zk.watchIsrChangeNotifications().watch
        let preferredWatch = try await zk.watchPreferredReplicaElection().watch
        watchTasks.append(follow(brokerWatch, then: .brokerChange) { zk in try await zk.watchBrokerIds().watch })
        watchTasks.append(follow(topicsWatch, then: .topicChange) { zk in try await zk.watchTopics().watch })
        watchTasks.append(follow(deleteWatch, then: .topicDeletion) { zk in try await zk.watchDeleteTopics().watch })
        watchTasks.append(
            follow(isrWatch, then: .isrChangeNotification) { zk in try await zk.watchIsrChangeNotifications().watch })
        watchTasks.append(
            follow(preferredWatch, then: .preferredReplicaElection) { zk in
                try await zk.watchPreferredReplicaElection().watch
            })

        // Stale ISR notifications: the states they point at are read below anyway.
        try await zk.deleteIsrChangeNotifications(try await zk.isrChangeNotificationChildren(), fence: election)

        // Context: brokers, topics (ids assigned where missing), partition states.
        for live in try await zk.liveBrokers() {
            let broker = ControllerBroker(live)
            state.brokers[broker.id] = broker
            channel.addBroker(broker)
        }
        for name in try await zk.allTopics() { try await loadTopic(name) }
        for name in try await zk.topicsMarkedForDeletion() {
            if state.topics[name] != nil { state.topicsToDelete.insert(name) }
        }
        logger.info(
            "[Controller id=\(settings.brokerId)] live brokers \(state.liveOrShuttingDownBrokerIds), \(state.topics.count) topics, \(state.partitionStates.count) partition states"
        )

        // UpdateMetadata (live brokers only) before any LeaderAndIsr.
        var first = ControllerRequestBatch()
        first.addUpdateMetadata(brokers: state.liveOrShuttingDownBrokerIds, partitions: [])
        send(first)

        // Online replicas learn their partitions' current state.
        var batch = ControllerRequestBatch()
        for tp in state.allPartitions where !state.isQueuedForDeletion(tp.topic) && state.partitionStates[tp] != nil {
            batch.addLeaderAndIsr(
                brokers: state.replicas(of: tp).filter(state.isLive), partition: tp, isNew: false, state: state)
        }
        send(batch)

        // Leaders for new and offline partitions, then pending work.
        try await electOnline(state.newOrOfflinePartitions)
        try await onTopicDeletionChange()
        try await onPreferredReplicaElectionZNode()
        if settings.autoLeaderRebalanceEnable { scheduleAutoRebalance() }
        logger.info("[Controller id=\(settings.brokerId)] ready")
    }

    /// Reads a topic into the context, assigning a topic id when it has none, and watches it for added partitions.
    private func loadTopic(_ name: String) async throws {
        var attempt = 0
        while true {
            do {
                return try await loadTopicOnce(name)
            } catch ZooKeeperError.badVersion where attempt < 3 {
                // The admin path rewrote the assignment while we filled in the topic id: read it again.
                attempt += 1
            }
        }
    }

    private func loadTopicOnce(_ name: String) async throws {
        let (record, watch) = try await zk.watchTopic(name)
        guard var record else {
            topicWatchTasks[name]?.cancel()
            topicWatchTasks[name] = follow(watch, then: .partitionModifications(name)) { zk in
                try await zk.watchTopic(name).watch
            }
            return
        }
        var topicId = record.assignment.topicId.flatMap(UUIDValue.init(base64URL:)) ?? .zero
        if topicId.isZero {
            topicId = UUIDValue.randomTopicId()
            record.assignment.topicId = topicId.base64URL
            record.zkVersion = try await zk.setTopicAssignment(
                name, record.assignment, expectedVersion: record.zkVersion, fence: election)
            logger.info("[Controller id=\(settings.brokerId)] assigned topic id \(topicId.base64URL) to \(name)")
        }
        state.topics[name] = ControllerTopic(
            name: name, topicId: topicId, assignment: record.assignment.partitions, zkVersion: record.zkVersion)
        for partition in record.assignment.partitions.keys {
            let tp = TopicPartition(topic: name, partition: partition)
            if let ps = try await zk.partitionState(topic: name, partition: partition) {
                state.partitionStates[tp] = PartitionState(ps)
            }
        }
        topicWatchTasks[name]?.cancel()
        topicWatchTasks[name] = follow(watch, then: .partitionModifications(name)) { zk in
            try await zk.watchTopic(name).watch
        }
    }

    // MARK: Brokers (`onBrokerStartup`, `onBrokerFailure`)

    private func onBrokerChange() async throws {
        var current: [Int32: ControllerBroker] = [:]
        for live in try await zk.liveBrokers() { current[live.registration.brokerId] = ControllerBroker(live) }
        let known = state.brokers
        let joined = Set(current.keys).subtracting(known.keys)
        let left = Set(known.keys).subtracting(current.keys)
        let bounced = Set(current.keys).intersection(known.keys).filter { current[$0]!.epoch != known[$0]!.epoch }
        let changedInfo = Set(current.keys).intersection(known.keys).filter {
            current[$0]!.epoch == known[$0]!.epoch && current[$0]! != known[$0]!
        }
        guard !(joined.isEmpty && left.isEmpty && bounced.isEmpty && changedInfo.isEmpty) else { return }
        logger.info(
            "[Controller id=\(settings.brokerId)] broker change: joined \(joined.sorted()), left \(left.sorted()), bounced \(bounced.sorted())"
        )

        let failed = left.union(bounced)
        if !failed.isEmpty {
            for id in failed {
                // A restarted broker's replicas are tried again (Kafka resets its offline replicas).
                state.offlineReplicas[id] = nil
                state.brokers[id] = nil
                state.shuttingDown.remove(id)
                channel.removeBroker(id)
            }
            try await onReplicasOffline(failed)
        }
        for id in changedInfo { state.brokers[id] = current[id] }
        let started = joined.union(bounced)
        if !started.isEmpty {
            for id in started {
                state.brokers[id] = current[id]
                channel.addBroker(current[id]!)
            }
            try await onBrokersStarted(started)
        } else if !changedInfo.isEmpty {
            var batch = ControllerRequestBatch()
            batch.addUpdateMetadata(brokers: state.liveOrShuttingDownBrokerIds, partitions: [])
            send(batch)
        }
    }

    private func onBrokersStarted(_ started: Set<Int32>) async throws {
        var existing = ControllerRequestBatch()
        existing.addUpdateMetadata(
            brokers: state.liveOrShuttingDownBrokerIds.filter { !started.contains($0) }, partitions: [])
        send(existing)
        var newcomers = ControllerRequestBatch()
        newcomers.addUpdateMetadata(
            brokers: started.sorted(), partitions: state.allPartitions.filter { state.partitionStates[$0] != nil })
        send(newcomers)
        var batch = ControllerRequestBatch()
        for broker in started.sorted() {
            for tp in state.partitions(onBroker: broker)
            where !state.isQueuedForDeletion(tp.topic) && state.partitionStates[tp] != nil {
                batch.addLeaderAndIsr(brokers: [broker], partition: tp, isNew: false, state: state)
            }
        }
        send(batch)
        try await electOnline(state.newOrOfflinePartitions)
        try await resumeDeletions()
    }

    private func onReplicasOffline(_ dead: Set<Int32>) async throws {
        let unclean = try await uncleanTopics(for: state.allPartitions)
        let written = try await write(state.planReplicasOffline(dead, uncleanTopics: unclean)) { state, tp in
            state.planReplicasOffline(dead, uncleanTopics: unclean).first { $0.partition == tp }
        }
        var batch = ControllerRequestBatch()
        for change in written {
            batch.addLeaderAndIsr(
                brokers: state.replicas(of: change.partition).filter(state.isLive), partition: change.partition,
                isNew: false, state: state)
        }
        batch.addUpdateMetadata(brokers: state.liveOrShuttingDownBrokerIds, partitions: [])
        send(batch)
        try await electOnline(state.newOrOfflinePartitions)
        // Deletions waiting on these brokers' answers: their channel completions report them done.
    }

    // MARK: Replicas on failed storage (Kafka's onReplicasBecomeOffline)

    /// A LeaderAndIsr answer: partitions answered with KAFKA_STORAGE_ERROR have their replica on that broker
    /// marked offline, then leave the ISR or, where that broker led, get an offline election without it. Answers
    /// addressed to an earlier registration of the broker are ignored.
    private func onLeaderAndIsrResponse(_ response: LeaderAndIsrResponse, broker: Int32, brokerEpoch: Int64)
        async throws
    {
        guard let registered = state.brokers[broker], registered.epoch == brokerEpoch else { return }
        guard response.errorCode == ErrorCode.noError.rawValue else {
            let code = response.errorCode
            logger.warning("[Controller id=\(settings.brokerId)] broker \(broker) rejected LeaderAndIsr: error \(code)")
            return
        }
        let storageError = ErrorCode.kafkaStorageError.rawValue
        var failed = response.partitionErrors.filter { $0.errorCode == storageError }.map {
            TopicPartition(topic: $0.topicName, partition: $0.partitionIndex)
        }
        let namesById = Dictionary(
            state.topics.values.map { ($0.topicId, $0.name) }, uniquingKeysWith: { first, _ in first })
        for topic in response.topics {
            guard let name = namesById[topic.topicId] else { continue }
            failed += topic.partitionErrors.filter { $0.errorCode == storageError }.map {
                TopicPartition(topic: name, partition: $0.partitionIndex)
            }
        }
        // A topic being deleted is going anyway: its StopReplica(delete) is on the way.
        let marked = state.markReplicasOffline(broker: broker, failed.filter { !state.isQueuedForDeletion($0.topic) })
        guard !marked.isEmpty else { return }
        logger.warning(
            "[Controller id=\(settings.brokerId)] broker \(broker) has offline replicas (storage error): \(marked)")
        try await onReplicasOffline(broker: broker, marked)
    }

    private func onReplicasOffline(broker: Int32, _ partitions: [TopicPartition]) async throws {
        let offline = Dictionary(uniqueKeysWithValues: partitions.map { ($0, Set([broker])) })
        let unclean = try await uncleanTopics(for: partitions)
        let written = try await write(state.planReplicasOffline(offline, uncleanTopics: unclean)) { state, tp in
            state.planReplicasOffline([tp: [broker]], uncleanTopics: unclean).first
        }
        var batch = ControllerRequestBatch()
        for change in written {
            let tp = change.partition
            batch.addLeaderAndIsr(
                brokers: state.replicas(of: tp).filter { state.isOnline($0, for: tp) }, partition: tp, isNew: false,
                state: state)
        }
        // The replica stops (its log stays), as Kafka's OfflineReplica transition does; every broker learns it is
        // offline through UpdateMetadata, written or not.
        for tp in partitions { batch.addStopReplica(broker: broker, partition: tp, delete: false) }
        batch.addUpdateMetadata(brokers: state.liveOrShuttingDownBrokerIds, partitions: partitions)
        send(batch)
    }

    // MARK: Elections

    /// The OnlinePartition transition for `partitions`: writes new/elected states and sends LeaderAndIsr to the
    /// live replicas (isNew for brand-new partitions) plus UpdateMetadata to every broker.
    @discardableResult
    private func electOnline(_ partitions: [TopicPartition]) async throws -> [PlannedStateChange] {
        guard !partitions.isEmpty else { return [] }
        let unclean = try await uncleanTopics(for: partitions)
        let plans = state.planOnlinePartitions(partitions, uncleanTopics: unclean)
        let written = try await write(plans) { state, tp in
            state.planOnlinePartitions([tp], uncleanTopics: unclean).first
        }
        var batch = ControllerRequestBatch()
        for change in written {
            batch.addLeaderAndIsr(
                brokers: state.replicas(of: change.partition).filter(state.isLive), partition: change.partition,
                isNew: change.isNewPartition, state: state)
        }
        send(batch)
        return written
    }

    /// Topics among `partitions`' whose offline partitions only an unclean election could revive and whose
    /// `unclean.leader.election.enable` (topic override, else the broker setting) is true. Read at election time,
    /// as Kafka does, so no config watch is needed.
    private func uncleanTopics(for partitions: [TopicPartition]) async throws -> Set<String> {
        var out: Set<String> = []
        for topic in Set(state.partitionsNeedingUncleanElection(partitions).map(\.topic)) {
            let overrides = try await zk.topicConfig(topic)
            let enabled = overrides["unclean.leader.election.enable"].map { $0.lowercased() == "true" }
            if enabled ?? settings.uncleanLeaderElectionEnable { out.insert(topic) }
        }
        return out
    }

    /// Writes planned changes under the fence and records them. A state znode that changed meanwhile (a leader
    /// updated its ISR) is re-read and the partition re-planned with `replan`, up to three times; new partitions
    /// whose state znode already exists adopt it.
    private func write(
        _ plans: [PlannedStateChange], replan: (ControllerState, TopicPartition) -> PlannedStateChange?
    ) async throws -> [PlannedStateChange] {
        var written: [PlannedStateChange] = []
        let creations = Dictionary(grouping: plans.filter(\.isNewPartition), by: \.partition.topic)
        for (topic, changes) in creations.sorted(by: { $0.key < $1.key }) {
            let created = try await zk.createPartitionStates(
                topic: topic,
                states: Dictionary(
                    uniqueKeysWithValues: changes.map { ($0.partition.partition, state.znodeState($0)) }),
                fence: election)
            for change in changes {
                if let version = created[change.partition.partition] {
                    state.recordWritten(change, zkVersion: version)
                    written.append(change)
                } else if let existing = try await zk.partitionState(
                    topic: topic, partition: change.partition.partition)
                {
                    // Created meanwhile (by an earlier controller that died before announcing it): adopt it, and
                    // announce it like a new partition.
                    let adopted = PartitionState(existing)
                    state.partitionStates[change.partition] = adopted
                    written.append(
                        PlannedStateChange(
                            partition: change.partition, leaderAndIsr: adopted.leaderAndIsr, expectedZkVersion: nil))
                }
            }
        }
        for var change in plans where !change.isNewPartition {
            var attempts = 0
            while true {
                do {
                    // A leader from outside the ISR it replaces is an unclean election (Kafka counts it in
                    // `ControllerStats.UncleanLeaderElectionsPerSec`).
                    let previousIsr = state.partitionStates[change.partition]?.leaderAndIsr.isr ?? []
                    let version = try await zk.setPartitionState(
                        topic: change.partition.topic, partition: change.partition.partition,
                        state.znodeState(change), expectedVersion: change.expectedZkVersion ?? 0, fence: election)
                    let leader = change.leaderAndIsr.leader
                    if leader >= 0, !previousIsr.isEmpty, !previousIsr.contains(leader) {
                        stats.recordUncleanLeaderElection()
                    }
                    state.recordWritten(change, zkVersion: version)
                    written.append(change)
                    break
                } catch ZooKeeperError.badVersion {
                    attempts += 1
                    guard
                        let fresh = try await zk.partitionState(
                            topic: change.partition.topic, partition: change.partition.partition)
                    else { break }
                    state.partitionStates[change.partition] = PartitionState(fresh)
                    guard attempts < 3, let again = replan(state, change.partition) else { break }
                    change = again
                } catch ZooKeeperError.noNode {
                    break
                }
            }
        }
        return written
    }

    // MARK: Topics (`onNewPartitionCreation`)

    private func onTopicChange() async throws {
        let names = Set(try await zk.allTopics())
        let added = names.subtracting(state.topics.keys).sorted()
        let removed = Set(state.topics.keys).subtracting(names).sorted()
        for name in removed where !state.isQueuedForDeletion(name) {
            // Removed behind the controller's back: tell brokers to drop it, then forget it.
            state.topicsToDelete.insert(name)
            var batch = ControllerRequestBatch()
            batch.addUpdateMetadata(brokers: state.liveOrShuttingDownBrokerIds, partitions: state.partitions(of: name))
            send(batch)
            forgetTopic(name)
        }
        guard !added.isEmpty else { return }
        var newPartitions: [TopicPartition] = []
        for name in added {
            try await loadTopic(name)
            newPartitions += state.partitions(of: name).filter { state.partitionStates[$0] == nil }
        }
        logger.info("[Controller id=\(settings.brokerId)] new topics \(added)")
        try await onNewPartitions(newPartitions)
    }

    private func onNewPartitions(_ partitions: [TopicPartition]) async throws {
        try await electOnline(partitions)
        // Partitions that already had a state (re-created topic, adopted state) still need announcing.
        var batch = ControllerRequestBatch()
        batch.addUpdateMetadata(
            brokers: state.liveOrShuttingDownBrokerIds,
            partitions: partitions.filter { state.partitionStates[$0] != nil })
        send(batch)
    }

    private func onPartitionModifications(_ name: String) async throws {
        guard var topic = state.topics[name], let record = try await zk.getTopic(name) else { return }
        if state.isQueuedForDeletion(name) {
            // Kafka restores the assignment of a topic being deleted.
            if record.assignment.partitions != topic.assignment {
                logger.warning(
                    "[Controller id=\(settings.brokerId)] restoring the assignment of \(name): being deleted")
                var restored = record.assignment
                restored.partitions = topic.assignment
                topic.zkVersion = try await zk.setTopicAssignment(
                    name, restored, expectedVersion: record.zkVersion, fence: election)
                state.topics[name] = topic
            }
            return
        }
        let added = Set(record.assignment.partitions.keys).subtracting(topic.assignment.keys).sorted()
        topic.assignment = record.assignment.partitions
        topic.zkVersion = record.zkVersion
        state.topics[name] = topic
        guard !added.isEmpty else { return }
        logger.info("[Controller id=\(settings.brokerId)] new partitions \(added) of \(name)")
        try await onNewPartitions(added.map { TopicPartition(topic: name, partition: $0) })
    }

    // MARK: Deletion (Kafka's `TopicDeletionManager`)

    private func onTopicDeletionChange() async throws {
        let marked = try await zk.topicsMarkedForDeletion()
        guard !marked.isEmpty else { return }
        if !settings.deleteTopicEnable {
            logger.info("[Controller id=\(settings.brokerId)] delete.topic.enable=false: removing markers \(marked)")
            try await zk.deleteTopicDeletionMarkers(marked, fence: election)
            return
        }
        var unknown: [String] = []
        for name in marked where state.topics[name] == nil {
            // A topic created moments ago may not have reached the controller yet.
            if try await zk.getTopic(name) != nil { try await onTopicChange() }
            if state.topics[name] == nil { unknown.append(name) }
        }
        if !unknown.isEmpty { try await zk.deleteTopicDeletionMarkers(unknown, fence: election) }
        for name in marked where state.topics[name] != nil { state.topicsToDelete.insert(name) }
        try await resumeDeletions()
    }

    /// Starts every queued deletion not yet started: UpdateMetadata with leader -2 to all brokers, then
    /// StopReplica(delete) to every registered replica. Replicas on brokers that are down are not waited for: the
    /// topic's znodes go once the live replicas answered, and a returning broker deletes the stray logs itself
    /// before it registers (the broker's `StrayLogs`). This keeps deletion from hanging on a dead broker, unlike
    /// Kafka, whose deletion waits for the broker to come back.
    private func resumeDeletions() async throws {
        for name in state.topicsToDelete.sorted() where deletionPending[name] == nil {
            let partitions = state.partitions(of: name)
            var batch = ControllerRequestBatch()
            batch.addUpdateMetadata(brokers: state.liveOrShuttingDownBrokerIds, partitions: partitions)
            var waiting: Set<Int32> = []
            for tp in partitions {
                for replica in state.replicas(of: tp) where state.isRegistered(replica) {
                    batch.addStopReplica(broker: replica, partition: tp, delete: true)
                    waiting.insert(replica)
                }
            }
            deletionPending[name] = waiting
            logger.info("[Controller id=\(settings.brokerId)] deleting topic \(name) (replicas on \(waiting.sorted()))")
            send(batch, stopReplicaTopic: name)
            if waiting.isEmpty { try await completeDeletion(name) }
        }
    }

    private func onStopReplicaDone(topic: String, broker: Int32) async throws {
        guard var waiting = deletionPending[topic] else { return }
        waiting.remove(broker)
        deletionPending[topic] = waiting
        if waiting.isEmpty { try await completeDeletion(topic) }
    }

    private func completeDeletion(_ name: String) async throws {
        try await zk.deleteTopicZnodes(name, fence: election)
        forgetTopic(name)
        logger.info("[Controller id=\(settings.brokerId)] deletion of topic \(name) successfully completed")
    }

    private func forgetTopic(_ name: String) {
        topicWatchTasks.removeValue(forKey: name)?.cancel()
        deletionPending[name] = nil
        state.removeTopic(name)
    }

    // MARK: ISR change notifications (`/isr_change_notification`)

    private func onIsrChangeNotification() async throws {
        let children = try await zk.isrChangeNotificationChildren()
        guard !children.isEmpty else { return }
        var changed: Set<TopicPartition> = []
        for child in children {
            if let partitions = try await zk.isrChangeNotification(child) { changed.formUnion(partitions) }
        }
        var refreshed: [TopicPartition] = []
        for tp in changed.sorted() where state.topics[tp.topic] != nil && !state.isQueuedForDeletion(tp.topic) {
            if let ps = try await zk.partitionState(topic: tp.topic, partition: tp.partition) {
                state.partitionStates[tp] = PartitionState(ps)
                refreshed.append(tp)
            }
        }
        var batch = ControllerRequestBatch()
        batch.addUpdateMetadata(brokers: state.liveOrShuttingDownBrokerIds, partitions: refreshed)
        send(batch)
        try await zk.deleteIsrChangeNotifications(children, fence: election)
    }

    // MARK: Preferred replica election (`onReplicaElection`, auto leader rebalance)

    private func onPreferredReplicaElectionZNode() async throws {
        guard let requested = try await zk.preferredReplicaElection() else { return }
        let known = requested.filter { state.partitionStates[$0] != nil }
        try await runPreferredElections(state.planPreferredElection(known))
        try await zk.deletePreferredReplicaElection(fence: election)
    }

    @discardableResult
    private func runPreferredElections(_ plans: [PlannedStateChange]) async throws -> [PlannedStateChange] {
        let written = try await write(plans) { state, tp in state.planPreferredElection([tp]).first }
        var batch = ControllerRequestBatch()
        for change in written {
            batch.addLeaderAndIsr(
                brokers: state.replicas(of: change.partition).filter(state.isLive), partition: change.partition,
                isNew: false, state: state)
        }
        send(batch)
        return written
    }

    private func scheduleAutoRebalance() {
        let interval = max(settings.leaderImbalanceCheckIntervalSeconds, 1)
        let sink = eventSink
        watchTasks.append(
            Task {
                try? await Task.sleep(for: .seconds(5))
                while !Task.isCancelled {
                    sink.yield(.autoRebalance)
                    try? await Task.sleep(for: .seconds(interval))
                }
            })
    }

    /// Re-reads partition states from ZooKeeper before an election (Kafka's `doElectLeaderForPartitions` does the
    /// same): a leader's ISR expansion reaches the controller's cache only with the next batched ISR notification,
    /// and an election must not refuse a replica that is already back in the ISR.
    private func refreshPartitionStates(_ partitions: [TopicPartition]) async throws {
        for tp in partitions where state.partitionStates[tp] != nil {
            if let ps = try await zk.partitionState(topic: tp.topic, partition: tp.partition) {
                state.partitionStates[tp] = PartitionState(ps)
            }
        }
    }

    private func onAutoRebalance() async throws {
        let imbalanced = state.allPartitions.filter { tp in
            guard let ps = state.partitionStates[tp] else { return false }
            return ps.leader != state.replicas(of: tp).first
        }
        try await refreshPartitionStates(imbalanced)
        let plans = state.planAutoRebalance(percentage: settings.leaderImbalancePerBrokerPercentage)
        guard !plans.isEmpty else { return }
        logger.info(
            "[Controller id=\(settings.brokerId)] auto leader rebalance: moving \(plans.count) partitions to their preferred leaders"
        )
        try await runPreferredElections(plans)
    }

    // MARK: ElectLeaders and ControlledShutdown (`doControlledShutdown`)

    private func onElectLeaders(_ type: ElectionType, partitions: [TopicPartition]?) async throws
        -> [TopicPartition: ElectionOutcome]
    {
        let wanted = partitions ?? state.allPartitions
        try await refreshPartitionStates(wanted.filter { !state.isQueuedForDeletion($0.topic) })
        var outcomes: [TopicPartition: ElectionOutcome] = [:]
        var plans: [PlannedStateChange] = []
        for tp in wanted {
            guard state.topics[tp.topic]?.assignment[tp.partition] != nil, !state.isQueuedForDeletion(tp.topic) else {
                outcomes[tp] = .unknownPartition
                continue
            }
            let assignment = state.replicas(of: tp)
            guard let ps = state.partitionStates[tp] else {
                outcomes[tp] = type == .preferred ? .preferredLeaderNotAvailable : .eligibleLeadersNotAvailable
                continue
            }
            switch type {
            case .preferred:
                if ps.leader == assignment.first {
                    outcomes[tp] = .notNeeded
                } else if let plan = state.planPreferredElection([tp]).first {
                    plans.append(plan)
                } else {
                    outcomes[tp] = .preferredLeaderNotAvailable
                }
            case .unclean:
                if state.isLive(ps.leader) {
                    outcomes[tp] = .notNeeded
                } else if let elected = Election.offlinePartition(
                    assignment: assignment, current: ps.leaderAndIsr, uncleanEnabled: true, isLive: state.isLive)
                {
                    plans.append(.init(partition: tp, leaderAndIsr: elected, expectedZkVersion: ps.zkVersion))
                } else {
                    outcomes[tp] = .eligibleLeadersNotAvailable
                }
            }
        }
        let written = try await write(plans) { _, _ in nil }
        var batch = ControllerRequestBatch()
        for change in written {
            outcomes[change.partition] = .elected(leader: change.leaderAndIsr.leader)
            batch.addLeaderAndIsr(
                brokers: state.replicas(of: change.partition).filter(state.isLive), partition: change.partition,
                isNew: false, state: state)
        }
        send(batch)
        for plan in plans where outcomes[plan.partition] == nil {
            outcomes[plan.partition] = .failed("the partition state changed concurrently; retry")
        }
        return outcomes
    }

    private func onControlledShutdown(brokerId: Int32, brokerEpoch: Int64) async throws -> ControlledShutdownOutcome {
        guard let broker = state.brokers[brokerId] else { return .brokerNotAvailable }
        // Only the broker's own registration epoch (its czxid, sent from v2 on) is believed. Kafka also accepts a
        // newer or an unknown (-1, v0-1) epoch, but then any garbled or forged request naming a live broker id
        // marks that broker as shutting down for as long as it stays registered, and no new partition is led
        // there (found by the fuzz test). A broker whose new registration the controller has not seen yet gets
        // STALE_BROKER_EPOCH and retries (controlled.shutdown.retry.backoff.ms).
        if brokerEpoch != broker.epoch { return .staleBrokerEpoch }
        state.shuttingDown.insert(brokerId)
        logger.info("[Controller id=\(settings.brokerId)] controlled shutdown of broker \(brokerId)")
        let (changes, followed) = state.planControlledShutdown(brokerId)
        let written = try await write(changes) { state, tp in
            let plan = state.planControlledShutdown(brokerId)
            return plan.changes.first { $0.partition == tp }
        }
        var batch = ControllerRequestBatch()
        let followedSet = Set(followed)
        for change in written {
            // A moved leadership goes to every registered replica (the stopping broker becomes a follower);
            // an ISR without the stopping follower goes to the remaining live replicas.
            let replicas = state.replicas(of: change.partition)
            let recipients =
                followedSet.contains(change.partition)
                ? replicas.filter(state.isLive) : replicas.filter(state.isRegistered)
            batch.addLeaderAndIsr(brokers: recipients, partition: change.partition, isNew: false, state: state)
        }
        for tp in followed { batch.addStopReplica(broker: brokerId, partition: tp, delete: false) }
        batch.addUpdateMetadata(brokers: state.liveOrShuttingDownBrokerIds, partitions: [])
        send(batch)
        return .accepted(remaining: state.partitionsLed(by: brokerId))
    }

    // MARK: Plumbing

    /// Sends a batch. StopReplica requests for `stopReplicaTopic` report back to the deletion bookkeeping.
    private func send(_ batch: ControllerRequestBatch, stopReplicaTopic: String? = nil) {
        guard !batch.isEmpty else { return }
        let sink = eventSink
        for (broker, request) in batch.build(state, interBrokerListener: settings.interBrokerListenerName) {
            var completion: (@Sendable (ControllerResponse?) -> Void)?
            if case .stopReplica = request, let topic = stopReplicaTopic {
                completion = { _ in sink.yield(.stopReplicaDone(topic: topic, broker: broker)) }
            }
            if case .leaderAndIsr(let sent) = request {
                let epoch = sent.brokerEpoch
                completion = { response in
                    guard case .leaderAndIsr(let answer)? = response else { return }
                    sink.yield(.leaderAndIsrResponse(answer, broker: broker, brokerEpoch: epoch))
                }
            }
            channel.send(request, to: broker, completion: completion)
        }
    }

    /// Waits for `watch`, re-arms it with `rearm`, then enqueues `event` — re-arming before the event is handled
    /// so that a change made while handling it fires the new watch. Ends on session loss or cancellation.
    private func follow(
        _ watch: any ControllerWatch, then event: Event,
        rearm: @escaping @Sendable (any ControllerStore) async throws -> any ControllerWatch
    ) -> Task<Void, Never> {
        let zk = self.zk
        let sink = eventSink
        return Task {
            var current = watch
            while !Task.isCancelled {
                guard let fired = try? await current.wait() else { return }
                if fired.kind == .sessionExpired || fired.kind == .sessionClosed { return }
                while !Task.isCancelled {
                    do {
                        current = try await rearm(zk)
                        break
                    } catch {
                        try? await Task.sleep(for: .seconds(1))
                    }
                }
                sink.yield(event)
            }
        }
    }
}

/// Resumes a continuation at most once (a reply closure may be called from a failing path too).
private final class OnceBox<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, Never>?>

    init(_ continuation: CheckedContinuation<T, Never>) { self.continuation = Mutex(continuation) }

    func resume(_ value: T) {
        let c = continuation.withLock { c in
            let taken = c
            c = nil
            return taken
        }
        c?.resume(returning: value)
    }
}
