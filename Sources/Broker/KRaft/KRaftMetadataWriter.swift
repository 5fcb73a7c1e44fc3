import KRaftController
import KafkaProtocol
import LogStorage
import MetadataImage
import Replication

/// KRaft mode's admin writes: each goes to the active KRaft controller, in process on a combined node (Kafka's
/// `ControllerApis`; a broker-only node would forward them), which validates again against its own image and
/// appends the records; the answer comes once they commit.
struct KRaftMetadataWriter: MetadataWriter {
    let controller: KRaftActiveController
    let publisher: KRaftMetadataPublisher
    /// This broker's epoch (its registration's offset), which a producer id block request carries.
    let brokerEpoch: Shared<Int64>

    func createTopic(_ name: String, topicId: UUIDValue, assignment: [Int32: [Int32]], configs: [String: String])
        async throws(BrokerError) -> UUIDValue
    {
        let input = CreateTopicInput(name: name, assignments: assignment, configs: configs.mapValues { Optional($0) })
        let replies = try await controller.decide { c, _, _ in
            var rng = SystemRandomNumberGenerator()
            return c.createTopics([input], using: &rng)
        }
        guard let reply = replies.first else { throw .unknownServerError("The controller gave no answer") }
        try Self.check(reply.errorCode, reply.errorMessage)
        return reply.topicId
    }

    func deleteTopic(_ name: String) async throws(BrokerError) {
        let replies = try await controller.decide { c, _, _ in c.deleteTopics([name]) }
        if let reply = replies.first { try Self.check(reply.errorCode, reply.errorMessage) }
    }

    func addPartitions(_ name: String, topicId: UUIDValue, currentCount: Int32, added: [Int32: [Int32]])
        async throws(BrokerError)
    {
        let assignments = added.sorted { $0.key < $1.key }.map(\.value)
        let count = currentCount + Int32(added.count)
        let reply = try await controller.decide { c, _, _ in
            c.createPartitions(topic: name, count: count, assignments: assignments)
        }
        try Self.check(reply.errorCode, reply.errorMessage)
    }

    func topicConfig(_ name: String) async throws -> [String: String] {
        publisher.image.configs[.topic(name)] ?? [:]
    }

    func setTopicConfig(_ name: String, _ configs: [String: String]) async throws(BrokerError) {
        try await replaceConfigs(.topic(name), configs)
    }

    func setBrokerConfig(_ brokerId: Int32?, _ configs: [String: String]) async throws(BrokerError) {
        try await replaceConfigs(.broker(brokerId.map(String.init) ?? ""), configs)
    }

    /// AlterConfigs' whole-set replacement as the controller's incremental operations: SET every given key,
    /// DELETE every stored key not given (computed against the controller's own image, in the same step).
    private func replaceConfigs(_ resource: ConfigResourceKey, _ configs: [String: String]) async throws(BrokerError) {
        let reply = try await controller.decide { c, _, _ in
            let stored = c.image.configs[resource] ?? [:]
            var operations = configs.sorted { $0.key < $1.key }.map {
                ConfigOperation(name: $0.key, kind: .set, value: $0.value)
            }
            for key in stored.keys.sorted() where configs[key] == nil {
                operations.append(ConfigOperation(name: key, kind: .delete, value: nil))
            }
            return c.incrementalAlterConfigs(resource: resource, operations: operations)
        }
        try Self.check(reply.errorCode, reply.errorMessage)
    }

    func allocateProducerIdBlock(brokerId: Int32) async throws(BrokerError) -> ClosedRange<Int64> {
        let epoch = brokerEpoch.value
        let reply: ProducerIdBlockReply
        do {
            reply = try await controller.decide { c, _, _ in
                c.allocateProducerIds(brokerId: brokerId, brokerEpoch: epoch)
            }
        } catch {
            throw .coordinatorNotAvailable
        }
        guard reply.errorCode == .noError, reply.length > 0 else { throw .coordinatorNotAvailable }
        return reply.start...(reply.start + Int64(reply.length) - 1)
    }

    func controllerEpoch() async -> Int32? { nil }

    /// The controller's error codes as the broker's typed errors (the messages are Kafka's, from the controller).
    static func check(_ code: ErrorCode, _ message: String?) throws(BrokerError) {
        let m = message ?? "\(code)"
        switch code {
        case .noError: return
        case .topicAlreadyExists: throw .topicAlreadyExists(m)
        case .invalidTopicException: throw .invalidTopic(m)
        case .invalidPartitions: throw .invalidPartitions(m)
        case .invalidReplicationFactor: throw .invalidReplicationFactor(m)
        case .invalidReplicaAssignment: throw .invalidReplicaAssignment(m)
        case .invalidConfig: throw .invalidConfig(m)
        case .invalidRequest: throw .invalidRequest(m)
        case .unknownTopicOrPartition: throw .unknownTopicOrPartition
        case .unknownTopicId: throw .unknownTopicId
        case .notController: throw .notController
        case .staleBrokerEpoch: throw .staleBrokerEpoch
        case .requestTimedOut: throw .requestTimedOut
        default: throw .unknownServerError("The controller answered \(code): \(m)")
        }
    }
}

/// The leader's ISR changes in KRaft mode: an AlterPartition to the active controller over ``ControllerLink`` (Kafka's
/// `AlterPartitionManager`), where ZooKeeper mode writes the partition's state znode. The partition epoch plays the
/// zkVersion's role; each ISR member's broker epoch comes from this broker's metadata image (KIP-903).
struct KRaftIsrWriter: LeaderIsrWriter {
    let link: ControllerLink
    let publisher: KRaftMetadataPublisher
    let brokerId: Int32
    let brokerEpoch: Shared<Int64>

    func write(_ proposal: Partition.IsrProposal) async -> Partition.IsrWriteResult {
        let image = publisher.image
        guard let topicId = image.topicIds[proposal.topic] else { return .conflict }
        let request = AlterPartitionRequest(
            brokerId: brokerId, brokerEpoch: brokerEpoch.value,
            topics: [
                .init(
                    topicName: proposal.topic, topicId: topicId,
                    partitions: [
                        .init(
                            partitionIndex: proposal.partition, leaderEpoch: proposal.leaderEpoch,
                            newIsr: proposal.newIsr,
                            newIsrWithEpochs: proposal.newIsr.map {
                                .init(brokerId: $0, brokerEpoch: image.brokers[$0]?.epoch ?? -1)
                            },
                            partitionEpoch: proposal.expectedZkVersion)
                    ])
            ])
        guard
            let response = try? await link.send(
                request, isNotController: { $0.errorCode == ErrorCode.notController.rawValue }),
            response.errorCode == ErrorCode.noError.rawValue,
            let reply = response.topics.first?.partitions.first
        else { return .failed }
        switch ErrorCode(rawValue: reply.errorCode) {
        case .noError?: return .written(zkVersion: reply.partitionEpoch)
        case .fencedLeaderEpoch?, .invalidUpdateVersion?, .unknownTopicOrPartition?, .unknownTopicId?,
            .newLeaderElected?:
            return .conflict
        default: return .failed
        }
    }

    /// KRaft brokers learn ISR changes from the log; there is no notification to publish.
    func publish(_ changed: [TopicPartition]) async -> Bool { true }
}
