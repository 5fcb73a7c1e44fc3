import Coordination
import KafkaProtocol

/// Collects what one controller step sends (Kafka's `ControllerBrokerRequestBatch`) and builds the requests
/// from the controller state: per broker LeaderAndIsr v5, then UpdateMetadata v7, then StopReplica v3.
public struct ControllerRequestBatch: Sendable {
    struct LeaderAndIsrEntry: Sendable {
        var isNew: Bool
    }

    private var leaderAndIsr: [Int32: [TopicPartition: LeaderAndIsrEntry]] = [:]
    private var updateMetadataBrokers: Set<Int32> = []
    private var updateMetadataPartitions: Set<TopicPartition> = []
    private var stopReplica: [Int32: [TopicPartition: Bool]] = [:]

    public init() {}

    public var isEmpty: Bool { leaderAndIsr.isEmpty && updateMetadataBrokers.isEmpty && stopReplica.isEmpty }

    /// LeaderAndIsr for `partition` to `brokers` (those not registered are skipped at build time); like Kafka,
    /// this also queues an UpdateMetadata for the partition to every registered broker.
    public mutating func addLeaderAndIsr(
        brokers: [Int32], partition: TopicPartition, isNew: Bool, state: ControllerState
    ) {
        for broker in brokers where state.isRegistered(broker) {
            let wasNew = leaderAndIsr[broker]?[partition]?.isNew ?? false
            leaderAndIsr[broker, default: [:]][partition] = LeaderAndIsrEntry(isNew: isNew || wasNew)
        }
        addUpdateMetadata(brokers: state.liveOrShuttingDownBrokerIds, partitions: [partition])
    }

    /// UpdateMetadata to `brokers` carrying `partitions` (possibly none: the live-broker list alone).
    public mutating func addUpdateMetadata(brokers: [Int32], partitions: [TopicPartition]) {
        updateMetadataBrokers.formUnion(brokers)
        updateMetadataPartitions.formUnion(partitions)
    }

    /// StopReplica for `partition` to `broker`; `delete` removes the local log.
    public mutating func addStopReplica(broker: Int32, partition: TopicPartition, delete: Bool) {
        let already = stopReplica[broker]?[partition] ?? false
        stopReplica[broker, default: [:]][partition] = delete || already
    }

    /// The requests in Kafka's order: for each broker (by id) LeaderAndIsr, then UpdateMetadata, then StopReplica.
    /// Each carries the recipient's broker epoch.
    public func build(_ state: ControllerState, interBrokerListener: String) -> [(
        broker: Int32, request: ControllerRequest
    )] {
        var out: [(Int32, ControllerRequest)] = []
        let targets = Set(leaderAndIsr.keys).union(updateMetadataBrokers).union(stopReplica.keys).sorted()
        for broker in targets {
            guard let recipient = state.brokers[broker] else { continue }
            if let entries = leaderAndIsr[broker], !entries.isEmpty {
                out.append(
                    (
                        broker,
                        .leaderAndIsr(
                            Self.leaderAndIsrRequest(
                                entries, to: recipient, state: state, listener: interBrokerListener))
                    ))
            }
            if updateMetadataBrokers.contains(broker) {
                out.append(
                    (
                        broker,
                        .updateMetadata(
                            Self.updateMetadataRequest(
                                partitions: updateMetadataPartitions.sorted(), to: recipient, state: state))
                    ))
            }
            if let entries = stopReplica[broker], !entries.isEmpty {
                out.append((broker, .stopReplica(Self.stopReplicaRequest(entries, to: recipient, state: state))))
            }
        }
        return out
    }

    // MARK: Builders

    static func leaderAndIsrRequest(
        _ entries: [TopicPartition: LeaderAndIsrEntry], to recipient: ControllerBroker, state: ControllerState,
        listener: String
    ) -> LeaderAndIsrRequest {
        var byTopic: [String: [LeaderAndIsrRequest.LeaderAndIsrPartitionState]] = [:]
        var leaders: Set<Int32> = []
        for (tp, entry) in entries.sorted(by: { $0.key < $1.key }) {
            guard let ps = state.partitionStates[tp] else { continue }
            let deleting = state.isQueuedForDeletion(tp.topic)
            let lai = ps.leaderAndIsr
            byTopic[tp.topic, default: []].append(
                .init(
                    topicName: tp.topic, partitionIndex: tp.partition, controllerEpoch: ps.controllerEpoch,
                    leader: deleting ? LeaderAndIsr.leaderDuringDelete : lai.leader, leaderEpoch: lai.leaderEpoch,
                    isr: lai.isr, partitionEpoch: ps.zkVersion, replicas: state.replicas(of: tp), isNew: entry.isNew,
                    leaderRecoveryState: lai.recovering ? 1 : 0))
            if lai.leader >= 0 { leaders.insert(lai.leader) }
        }
        let topicStates = byTopic.sorted { $0.key < $1.key }.map { name, partitions in
            LeaderAndIsrRequest.LeaderAndIsrTopicState(
                topicName: name, topicId: state.topics[name]?.topicId ?? .zero, partitionStates: partitions)
        }
        let liveLeaders = leaders.sorted().compactMap { id -> LeaderAndIsrRequest.LeaderAndIsrLiveLeader? in
            guard let endpoint = state.brokers[id]?.endpoint(on: listener) else { return nil }
            return .init(brokerId: id, hostName: endpoint.host ?? "", port: endpoint.port)
        }
        var request = LeaderAndIsrRequest()
        request.controllerId = state.controllerId
        request.controllerEpoch = state.controllerEpoch
        request.brokerEpoch = recipient.epoch
        request.type = 0
        request.topicStates = topicStates
        request.liveLeaders = liveLeaders
        return request
    }

    static func updateMetadataRequest(
        partitions: [TopicPartition], to recipient: ControllerBroker, state: ControllerState
    )
        -> UpdateMetadataRequest
    {
        var byTopic: [String: [UpdateMetadataRequest.UpdateMetadataPartitionState]] = [:]
        for tp in partitions {
            guard let ps = state.partitionStates[tp], state.topics[tp.topic] != nil else { continue }
            let replicas = state.replicas(of: tp)
            let lai = ps.leaderAndIsr
            byTopic[tp.topic, default: []].append(
                .init(
                    topicName: tp.topic, partitionIndex: tp.partition, controllerEpoch: ps.controllerEpoch,
                    leader: state.isQueuedForDeletion(tp.topic) ? LeaderAndIsr.leaderDuringDelete : lai.leader,
                    leaderEpoch: lai.leaderEpoch, isr: lai.isr, zkVersion: ps.zkVersion, replicas: replicas,
                    offlineReplicas: replicas.filter { !state.isOnline($0, for: tp) }))
        }
        var request = UpdateMetadataRequest()
        request.controllerId = state.controllerId
        request.controllerEpoch = state.controllerEpoch
        request.brokerEpoch = recipient.epoch
        request.topicStates = byTopic.sorted { $0.key < $1.key }.map { name, partitions in
            .init(topicName: name, topicId: state.topics[name]?.topicId ?? .zero, partitionStates: partitions)
        }
        request.liveBrokers = state.liveOrShuttingDownBrokerIds.compactMap { id in
            guard let b = state.brokers[id] else { return nil }
            return .init(
                id: id,
                endpoints: b.endpoints.map {
                    .init(
                        port: $0.port, host: $0.host ?? "", listener: $0.listenerName,
                        securityProtocol: securityProtocolId($0.securityProtocol))
                }, rack: b.rack)
        }
        return request
    }

    static func stopReplicaRequest(
        _ entries: [TopicPartition: Bool], to recipient: ControllerBroker, state: ControllerState
    )
        -> StopReplicaRequest
    {
        var byTopic: [String: [StopReplicaRequest.StopReplicaPartitionState]] = [:]
        for (tp, delete) in entries.sorted(by: { $0.key < $1.key }) {
            let epoch: Int32 =
                state.isQueuedForDeletion(tp.topic)
                ? LeaderAndIsr.epochDuringDelete : (state.partitionStates[tp]?.leaderAndIsr.leaderEpoch ?? -1)
            byTopic[tp.topic, default: []].append(
                .init(partitionIndex: tp.partition, leaderEpoch: epoch, deletePartition: delete))
        }
        var request = StopReplicaRequest()
        request.controllerId = state.controllerId
        request.controllerEpoch = state.controllerEpoch
        request.brokerEpoch = recipient.epoch
        request.topicStates = byTopic.sorted { $0.key < $1.key }.map {
            .init(topicName: $0.key, partitionStates: $0.value)
        }
        return request
    }

    /// Kafka's `SecurityProtocol` ids.
    static func securityProtocolId(_ name: String) -> Int16 {
        switch name.uppercased() {
        case "PLAINTEXT": 0
        case "SSL": 1
        case "SASL_PLAINTEXT": 2
        case "SASL_SSL": 3
        default: 0
        }
    }
}
