import Coordination
import KafkaProtocol

/// A topic partition (topic name + index); the same value the znode catalogue uses.
public typealias TopicPartition = ZkTopicPartition

/// A registered broker as the controller knows it.
public struct ControllerBroker: Sendable, Equatable {
    public var id: Int32
    /// The czxid of `/brokers/ids/<id>` (Kafka's broker epoch); changes when the broker re-registers.
    public var epoch: Int64
    public var endpoints: [BrokerEndpoint]
    public var rack: String?

    public init(id: Int32, epoch: Int64, endpoints: [BrokerEndpoint], rack: String? = nil) {
        self.id = id
        self.epoch = epoch
        self.endpoints = endpoints
        self.rack = rack
    }

    public init(_ live: LiveBroker) {
        self.init(
            id: live.registration.brokerId, epoch: live.brokerEpoch, endpoints: live.registration.endpoints,
            rack: live.registration.rack)
    }

    /// The endpoint on `listener`, or nil.
    public func endpoint(on listener: String) -> BrokerEndpoint? {
        endpoints.first { $0.listenerName == listener }
    }
}

/// A topic as the controller knows it: id and assignment (partition → ordered replicas, the first preferred).
public struct ControllerTopic: Sendable, Equatable {
    public var name: String
    public var topicId: UUIDValue
    public var assignment: [Int32: [Int32]]
    /// zkVersion of `/brokers/topics/<t>`.
    public var zkVersion: Int32

    public init(name: String, topicId: UUIDValue, assignment: [Int32: [Int32]], zkVersion: Int32 = 0) {
        self.name = name
        self.topicId = topicId
        self.assignment = assignment
        self.zkVersion = zkVersion
    }
}

/// A partition's `state` znode as cached by the controller.
public struct PartitionState: Sendable, Equatable {
    public var leaderAndIsr: LeaderAndIsr
    /// The controller epoch that made the last leadership decision (or the one a leader wrote with its ISR).
    public var controllerEpoch: Int32
    /// The znode's zkVersion: Kafka's partition epoch.
    public var zkVersion: Int32

    public init(leaderAndIsr: LeaderAndIsr, controllerEpoch: Int32, zkVersion: Int32) {
        self.leaderAndIsr = leaderAndIsr
        self.controllerEpoch = controllerEpoch
        self.zkVersion = zkVersion
    }

    public init(_ record: PartitionStateRecord) {
        self.init(
            leaderAndIsr: LeaderAndIsr(
                leader: record.state.leader, leaderEpoch: record.state.leaderEpoch, isr: record.state.isr,
                recovering: record.state.recovering),
            controllerEpoch: record.state.controllerEpoch, zkVersion: record.zkVersion)
    }

    public var leader: Int32 { leaderAndIsr.leader }
}

/// Static controller settings taken from the broker config.
public struct ControllerSettings: Sendable, Equatable {
    public var brokerId: Int32
    /// `inter.broker.listener.name`: the listener whose address LeaderAndIsr's live leaders carry.
    public var interBrokerListenerName: String
    /// `unclean.leader.election.enable`, the default when a topic has no override.
    public var uncleanLeaderElectionEnable: Bool
    public var deleteTopicEnable: Bool
    public var autoLeaderRebalanceEnable: Bool
    public var leaderImbalanceCheckIntervalSeconds: Int64
    public var leaderImbalancePerBrokerPercentage: Int

    public init(
        brokerId: Int32, interBrokerListenerName: String = "PLAINTEXT", uncleanLeaderElectionEnable: Bool = false,
        deleteTopicEnable: Bool = true, autoLeaderRebalanceEnable: Bool = true,
        leaderImbalanceCheckIntervalSeconds: Int64 = 300, leaderImbalancePerBrokerPercentage: Int = 10
    ) {
        self.brokerId = brokerId
        self.interBrokerListenerName = interBrokerListenerName
        self.uncleanLeaderElectionEnable = uncleanLeaderElectionEnable
        self.deleteTopicEnable = deleteTopicEnable
        self.autoLeaderRebalanceEnable = autoLeaderRebalanceEnable
        self.leaderImbalanceCheckIntervalSeconds = leaderImbalanceCheckIntervalSeconds
        self.leaderImbalancePerBrokerPercentage = leaderImbalancePerBrokerPercentage
    }
}

/// A leadership change the controller wants to persist: the new state, and the zkVersion the write is
/// conditional on (nil = create the `state` znode of a new partition).
public struct PlannedStateChange: Sendable, Equatable {
    public var partition: TopicPartition
    public var leaderAndIsr: LeaderAndIsr
    public var expectedZkVersion: Int32?

    public init(partition: TopicPartition, leaderAndIsr: LeaderAndIsr, expectedZkVersion: Int32?) {
        self.partition = partition
        self.leaderAndIsr = leaderAndIsr
        self.expectedZkVersion = expectedZkVersion
    }

    public var isNewPartition: Bool { expectedZkVersion == nil }
}

/// Everything the controller knows (Kafka's `ControllerContext`), as a value. Election planning is pure: the
/// planning functions return the state changes to write; the runtime writes them to ZooKeeper and records the
/// outcome with `recordWritten`.
public struct ControllerState: Sendable, Equatable {
    public var controllerId: Int32
    public var controllerEpoch: Int32
    /// Registered brokers, shutting-down ones included.
    public var brokers: [Int32: ControllerBroker] = [:]
    /// Brokers in controlled shutdown: still registered (they get UpdateMetadata) but not eligible to lead or to
    /// join an ISR.
    public var shuttingDown: Set<Int32> = []
    public var topics: [String: ControllerTopic] = [:]
    /// Partitions with a `state` znode. A partition in an assignment without an entry here is "new".
    public var partitionStates: [TopicPartition: PartitionState] = [:]
    /// Topics with a `/admin/delete_topics` marker the controller has accepted.
    public var topicsToDelete: Set<String> = []
    /// Replicas whose broker answered LeaderAndIsr with KAFKA_STORAGE_ERROR (Kafka's `replicasOnOfflineDirs`),
    /// by broker. Such a replica neither leads nor joins an ISR until its broker registers again.
    public var offlineReplicas: [Int32: Set<TopicPartition>] = [:]

    public init(controllerId: Int32, controllerEpoch: Int32) {
        self.controllerId = controllerId
        self.controllerEpoch = controllerEpoch
    }

    // MARK: Queries

    /// Registered and not shutting down: may lead, may be elected into an ISR.
    public func isLive(_ broker: Int32) -> Bool { brokers[broker] != nil && !shuttingDown.contains(broker) }

    /// Live and its replica of `tp` not marked offline (Kafka's `isReplicaOnline`): may lead `tp`, may be
    /// elected into its ISR.
    public func isOnline(_ broker: Int32, for tp: TopicPartition) -> Bool {
        isLive(broker) && !(offlineReplicas[broker]?.contains(tp) ?? false)
    }

    /// Registered (shutting-down brokers included): receives UpdateMetadata.
    public func isRegistered(_ broker: Int32) -> Bool { brokers[broker] != nil }

    public var liveOrShuttingDownBrokerIds: [Int32] { brokers.keys.sorted() }

    public func replicas(of tp: TopicPartition) -> [Int32] { topics[tp.topic]?.assignment[tp.partition] ?? [] }

    public func isQueuedForDeletion(_ topic: String) -> Bool { topicsToDelete.contains(topic) }

    /// Every partition of every known topic, sorted.
    public var allPartitions: [TopicPartition] {
        topics.values.flatMap { t in t.assignment.keys.map { TopicPartition(topic: t.name, partition: $0) } }.sorted()
    }

    public func partitions(of topic: String) -> [TopicPartition] {
        (topics[topic]?.assignment.keys.sorted() ?? []).map { TopicPartition(topic: topic, partition: $0) }
    }

    /// Partitions with a replica on `broker`, sorted.
    public func partitions(onBroker broker: Int32) -> [TopicPartition] {
        allPartitions.filter { replicas(of: $0).contains(broker) }
    }

    /// New partitions (no state znode yet) and offline ones (no live leader), excluding topics being deleted:
    /// the candidates for an OnlinePartition election.
    public var newOrOfflinePartitions: [TopicPartition] {
        allPartitions.filter { tp in
            guard !isQueuedForDeletion(tp.topic) else { return false }
            guard let state = partitionStates[tp] else { return true }
            return !isOnline(state.leader, for: tp)
        }
    }

    // MARK: Planning (pure)

    /// Kafka's OnlinePartition transition for `partitions`: new partitions get their initial leader and ISR,
    /// offline ones an offline election (unclean where `uncleanTopics` allows it). Partitions with a live leader,
    /// partitions of topics being deleted and partitions nobody can lead are left out.
    public func planOnlinePartitions(_ partitions: [TopicPartition], uncleanTopics: Set<String> = [])
        -> [PlannedStateChange]
    {
        var plans: [PlannedStateChange] = []
        for tp in partitions where !isQueuedForDeletion(tp.topic) {
            let assignment = replicas(of: tp)
            guard !assignment.isEmpty else { continue }
            if let state = partitionStates[tp] {
                guard !isOnline(state.leader, for: tp) else { continue }
                if let elected = Election.offlinePartition(
                    assignment: assignment, current: state.leaderAndIsr,
                    uncleanEnabled: uncleanTopics.contains(tp.topic), isLive: { isOnline($0, for: tp) })
                {
                    plans.append(.init(partition: tp, leaderAndIsr: elected, expectedZkVersion: state.zkVersion))
                }
            } else if let initial = Election.newPartition(assignment: assignment, isLive: isLive) {
                plans.append(.init(partition: tp, leaderAndIsr: initial, expectedZkVersion: nil))
            }
        }
        return plans
    }

    /// Offline partitions among `partitions` that only an unclean election could bring back: no live ISR member
    /// but some live replica. The runtime reads these topics' `unclean.leader.election.enable` before planning.
    public func partitionsNeedingUncleanElection(_ partitions: [TopicPartition]) -> [TopicPartition] {
        partitions.filter { tp in
            guard !isQueuedForDeletion(tp.topic), let state = partitionStates[tp], !isOnline(state.leader, for: tp)
            else { return false }
            let assignment = replicas(of: tp)
            return !assignment.contains { isOnline($0, for: tp) && state.leaderAndIsr.isr.contains($0) }
                && assignment.contains { isOnline($0, for: tp) }
        }
    }

    /// Replicas on brokers that went offline (`deadBrokers`, already removed from `brokers`): partitions they
    /// led get an offline election (or, failing that, no leader); elsewhere the dead replicas leave the ISR
    /// (never emptying it). One change per partition.
    public func planReplicasOffline(_ deadBrokers: Set<Int32>, uncleanTopics: Set<String> = [])
        -> [PlannedStateChange]
    {
        planReplicasOffline(in: allPartitions, uncleanTopics: uncleanTopics) { _, broker in
            deadBrokers.contains(broker)
        }
    }

    /// Replicas that went offline on brokers that stay registered (`replicas`, partition → brokers, already in
    /// `offlineReplicas`): the same transition as for dead brokers, with only those replicas excluded.
    public func planReplicasOffline(_ replicas: [TopicPartition: Set<Int32>], uncleanTopics: Set<String> = [])
        -> [PlannedStateChange]
    {
        planReplicasOffline(in: replicas.keys.sorted(), uncleanTopics: uncleanTopics) { tp, broker in
            replicas[tp]?.contains(broker) ?? false
        }
    }

    private func planReplicasOffline(
        in partitions: [TopicPartition], uncleanTopics: Set<String>, isGone: (TopicPartition, Int32) -> Bool
    ) -> [PlannedStateChange] {
        var plans: [PlannedStateChange] = []
        for tp in partitions where !isQueuedForDeletion(tp.topic) {
            let assignment = replicas(of: tp)
            guard let state = partitionStates[tp], assignment.contains(where: { isGone(tp, $0) }) else { continue }
            var next = state.leaderAndIsr
            var changed = false
            if isGone(tp, next.leader),
                let elected = Election.offlinePartition(
                    assignment: assignment, current: next, uncleanEnabled: uncleanTopics.contains(tp.topic),
                    isLive: { isOnline($0, for: tp) })
            {
                plans.append(.init(partition: tp, leaderAndIsr: elected, expectedZkVersion: state.zkVersion))
                continue
            }
            for dead in assignment where isGone(tp, dead) {
                if let removed = Election.removeReplicaFromIsr(dead, current: next) {
                    // One write per partition: the epoch moves by one however many replicas left.
                    next = LeaderAndIsr(
                        leader: removed.leader, leaderEpoch: state.leaderAndIsr.leaderEpoch + 1, isr: removed.isr,
                        recovering: removed.recovering)
                    changed = true
                }
            }
            if changed { plans.append(.init(partition: tp, leaderAndIsr: next, expectedZkVersion: state.zkVersion)) }
        }
        return plans
    }

    /// Preferred-replica elections for `partitions` whose leader is not their preferred replica and where the
    /// preferred replica can lead.
    public func planPreferredElection(_ partitions: [TopicPartition]) -> [PlannedStateChange] {
        partitions.compactMap { tp in
            guard !isQueuedForDeletion(tp.topic), let state = partitionStates[tp] else { return nil }
            let assignment = replicas(of: tp)
            guard let preferred = assignment.first, state.leader != preferred,
                let elected = Election.preferredReplica(
                    assignment: assignment, current: state.leaderAndIsr, isLive: isLive)
            else { return nil }
            return .init(partition: tp, leaderAndIsr: elected, expectedZkVersion: state.zkVersion)
        }
    }

    /// The partitions auto leader rebalancing moves back to their preferred replica: for each broker whose share
    /// of preferred partitions led by someone else exceeds `percentage`%, those partitions (where possible).
    public func planAutoRebalance(percentage: Int) -> [PlannedStateChange] {
        var byPreferred: [Int32: [TopicPartition]] = [:]
        for tp in allPartitions where !isQueuedForDeletion(tp.topic) {
            guard let preferred = replicas(of: tp).first, partitionStates[tp] != nil else { continue }
            byPreferred[preferred, default: []].append(tp)
        }
        var candidates: [TopicPartition] = []
        for (broker, partitions) in byPreferred.sorted(by: { $0.key < $1.key }) where isLive(broker) {
            let notLed = partitions.filter { partitionStates[$0]?.leader != broker }
            let ratio = Double(notLed.count) / Double(partitions.count)
            if ratio > Double(percentage) / 100 { candidates += notLed }
        }
        return planPreferredElection(candidates)
    }

    /// Controlled shutdown of `broker` (already in `shuttingDown`): partitions it leads (RF > 1) get a
    /// controlled-shutdown election; partitions where it follows drop it from the ISR. Returns the changes and
    /// the partitions it follows (they get StopReplica without deletion).
    public func planControlledShutdown(_ broker: Int32) -> (changes: [PlannedStateChange], followed: [TopicPartition]) {
        var changes: [PlannedStateChange] = []
        var followed: [TopicPartition] = []
        for tp in partitions(onBroker: broker) where !isQueuedForDeletion(tp.topic) {
            let assignment = replicas(of: tp)
            guard assignment.count > 1, let state = partitionStates[tp] else { continue }
            if state.leader == broker {
                if let elected = Election.controlledShutdown(
                    assignment: assignment, current: state.leaderAndIsr, isRegistered: isRegistered,
                    shuttingDown: shuttingDown)
                {
                    changes.append(.init(partition: tp, leaderAndIsr: elected, expectedZkVersion: state.zkVersion))
                }
            } else {
                followed.append(tp)
                if let removed = Election.removeReplicaFromIsr(broker, current: state.leaderAndIsr) {
                    changes.append(.init(partition: tp, leaderAndIsr: removed, expectedZkVersion: state.zkVersion))
                }
            }
        }
        return (changes, followed)
    }

    /// The partitions `broker` still leads (the ControlledShutdown answer's remaining partitions).
    public func partitionsLed(by broker: Int32) -> [TopicPartition] {
        allPartitions.filter { partitionStates[$0]?.leader == broker }
    }

    // MARK: Recording outcomes

    /// Records a state znode written by this controller at `zkVersion`.
    public mutating func recordWritten(_ change: PlannedStateChange, zkVersion: Int32) {
        partitionStates[change.partition] = PartitionState(
            leaderAndIsr: change.leaderAndIsr, controllerEpoch: controllerEpoch, zkVersion: zkVersion)
    }

    /// Marks `broker`'s replicas of `partitions` offline (a KAFKA_STORAGE_ERROR answer); returns those not
    /// already marked, ignoring partitions the broker does not host.
    public mutating func markReplicasOffline(broker: Int32, _ partitions: [TopicPartition]) -> [TopicPartition] {
        var marked: [TopicPartition] = []
        for tp in Set(partitions).sorted() where replicas(of: tp).contains(broker) {
            if offlineReplicas[broker, default: []].insert(tp).inserted { marked.append(tp) }
        }
        return marked
    }

    /// Forgets a deleted topic and its partitions.
    public mutating func removeTopic(_ name: String) {
        for broker in offlineReplicas.keys {
            offlineReplicas[broker] = offlineReplicas[broker]?.filter { $0.topic != name }
        }
        for tp in partitions(of: name) { partitionStates[tp] = nil }
        topics[name] = nil
        topicsToDelete.remove(name)
    }

    /// The `state` znode content for a planned change, stamped with this controller's epoch.
    public func znodeState(_ change: PlannedStateChange) -> LeaderIsrState {
        LeaderIsrState(
            leader: change.leaderAndIsr.leader, leaderEpoch: change.leaderAndIsr.leaderEpoch,
            isr: change.leaderAndIsr.isr, controllerEpoch: controllerEpoch, recovering: change.leaderAndIsr.recovering)
    }
}
