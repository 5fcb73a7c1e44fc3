import KRaftController
import KafkaProtocol
import LogStorage
import MetadataImage
import Replication

/// KRaft mode's admin writes: each goes to the active KRaft controller, which validates again against its own
/// image and appends the records; the answer comes once they commit. On the node whose controller is active the
/// write is decided in process; on any other node it is sent over the node's one ``ControllerLink`` as the matching
/// Kafka request (Kafka's broker-to-controller forwarding, answered by `ControllerApis`) with the client request's
/// own timeout, and its error codes come back as the broker's typed errors. The broker then waits for its own image
/// to show the result.
struct KRaftMetadataWriter: MetadataWriter {
    let controller: KRaftActiveController
    let publisher: KRaftMetadataPublisher
    /// This broker's epoch (its registration's offset), which a producer id block request carries.
    let brokerEpoch: Shared<Int64>
    let link: ControllerLink

    /// How long a write without a timeout of its own (configs, producer ids) looks for the active controller: Kafka's
    /// `request.timeout.ms` default.
    static let defaultTimeoutMs: Int32 = 30_000

    /// A decision of the local controller; nil (ask again) when it is not, or no longer, the active one.
    private func decideLocally<T: Sendable>(
        _ decision: @escaping @Sendable (inout QuorumController) -> ControllerResult<T>
    ) async throws(BrokerError) -> T? {
        do {
            return try await controller.decide { c, _, _ in decision(&c) }
        } catch .notController {
            return nil
        }
    }

    /// After a forwarded write: waits until this node's own image shows it, as an in-process decision does, so the
    /// client reads its own write from this broker (a DescribeConfigs, or the next AlterConfigs computed from the
    /// stored set). Gives up silently after the forwarding timeout; the write itself has succeeded.
    private func awaitImage(timeoutMs: Int, _ shows: (MetadataImage) -> Bool) async {
        let deadline = ContinuousClock.now + .milliseconds(timeoutMs)
        while !shows(publisher.image), ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// `KRaftActiveController.replaceConfigs`; nil (ask again) when it is not, or no longer, the active one.
    private static func replaceLocally(
        _ controller: KRaftActiveController, _ resource: ConfigResourceKey, _ configs: [String: String]
    ) async throws(BrokerError) -> TopicErrorReply? {
        do {
            return try await controller.replaceConfigs(resource, configs)
        } catch .notController {
            return nil
        }
    }

    /// The controller's answer code: nil (ask again) for NOT_CONTROLLER, else checked.
    private static func answered(_ code: Int16, _ message: String?) throws(BrokerError) -> Bool? {
        let error = ErrorCode(rawValue: code) ?? .unknownServerError
        if error == .notController { return nil }
        try check(error, message)
        return true
    }

    private func route<T: Sendable>(
        timeoutMs: Int32?,
        local: @Sendable @escaping () async throws(BrokerError) -> T?,
        remote: @Sendable @escaping (_ remainingMs: Int) async throws(BrokerError) -> T?
    ) async throws(BrokerError) -> T {
        let controller = controller
        return try await link.route(
            timeoutMs: timeoutMs ?? Self.defaultTimeoutMs, isActive: { controller.isActive }, local: local,
            remote: remote)
    }

    /// Sends a forwarded write over the link; the answer NOT_CONTROLLER makes the link look again.
    private static func forward<R: KafkaRequest>(
        _ link: ControllerLink, _ request: R, remainingMs: Int, notController: @escaping @Sendable (R.Response) -> Bool
    ) async -> R.Response? {
        try? await link.send(request, timeoutMs: remainingMs, isNotController: notController)
    }

    func createTopic(
        _ name: String, topicId: UUIDValue, assignment: [Int32: [Int32]], configs: [String: String], timeoutMs: Int32?
    ) async throws(BrokerError) -> UUIDValue {
        let link = link
        return try await route(
            timeoutMs: timeoutMs,
            local: { () async throws(BrokerError) -> UUIDValue? in
                let input = CreateTopicInput(
                    name: name, assignments: assignment, configs: configs.mapValues { Optional($0) })
                guard
                    let replies = try await decideLocally({ c in
                        var rng = SystemRandomNumberGenerator()
                        return c.createTopics([input], using: &rng)
                    })
                else { return nil }
                guard let reply = replies.first else { throw .unknownServerError("The controller gave no answer") }
                try Self.check(reply.errorCode, reply.errorMessage)
                return reply.topicId
            },
            remote: { remainingMs async throws(BrokerError) -> UUIDValue? in
                let request = CreateTopicsRequest(
                    topics: [
                        .init(
                            name: name, numPartitions: -1, replicationFactor: -1,
                            assignments: assignment.sorted { $0.key < $1.key }.map {
                                .init(partitionIndex: $0.key, brokerIds: $0.value)
                            },
                            configs: configs.sorted { $0.key < $1.key }.map { .init(name: $0.key, value: $0.value) })
                    ], timeoutMs: Int32(clamping: remainingMs))
                guard
                    let response = await Self.forward(
                        link, request, remainingMs: remainingMs,
                        notController: { r in r.topics.contains { $0.errorCode == ErrorCode.notController.rawValue } }),
                    let reply = response.topics.first(where: { $0.name == name }),
                    try Self.answered(reply.errorCode, reply.errorMessage) != nil
                else { return nil }
                await awaitImage(timeoutMs: remainingMs) { $0.topicIds[name] != nil }
                return reply.topicId == .zero ? topicId : reply.topicId
            })
    }

    func deleteTopic(_ name: String, timeoutMs: Int32?) async throws(BrokerError) {
        let link = link
        try await route(
            timeoutMs: timeoutMs,
            local: { () async throws(BrokerError) -> Void? in
                guard let replies = try await decideLocally({ c in c.deleteTopics([name]) }) else { return nil }
                if let reply = replies.first { try Self.check(reply.errorCode, reply.errorMessage) }
                return ()
            },
            remote: { remainingMs async throws(BrokerError) -> Void? in
                let request = DeleteTopicsRequest(
                    topics: [.init(name: name)], topicNames: [name], timeoutMs: Int32(clamping: remainingMs))
                guard
                    let response = await Self.forward(
                        link, request, remainingMs: remainingMs,
                        notController: { r in
                            r.responses.contains { $0.errorCode == ErrorCode.notController.rawValue }
                        }),
                    let reply = response.responses.first(where: { $0.name == name }),
                    try Self.answered(reply.errorCode, reply.errorMessage) != nil
                else { return nil }
                await awaitImage(timeoutMs: remainingMs) { $0.topicIds[name] == nil }
                return ()
            })
    }

    func addPartitions(
        _ name: String, topicId: UUIDValue, currentCount: Int32, added: [Int32: [Int32]], timeoutMs: Int32?
    ) async throws(BrokerError) {
        let assignments = added.sorted { $0.key < $1.key }.map(\.value)
        let count = currentCount + Int32(added.count)
        let link = link
        try await route(
            timeoutMs: timeoutMs,
            local: { () async throws(BrokerError) -> Void? in
                guard
                    let reply = try await decideLocally({ c in
                        c.createPartitions(topic: name, count: count, assignments: assignments)
                    })
                else { return nil }
                try Self.check(reply.errorCode, reply.errorMessage)
                return ()
            },
            remote: { remainingMs async throws(BrokerError) -> Void? in
                let request = CreatePartitionsRequest(
                    topics: [.init(name: name, count: count, assignments: assignments.map { .init(brokerIds: $0) })],
                    timeoutMs: Int32(clamping: remainingMs))
                guard
                    let response = await Self.forward(
                        link, request, remainingMs: remainingMs,
                        notController: { r in r.results.contains { $0.errorCode == ErrorCode.notController.rawValue } }),
                    let reply = response.results.first(where: { $0.name == name }),
                    try Self.answered(reply.errorCode, reply.errorMessage) != nil
                else { return nil }
                await awaitImage(timeoutMs: remainingMs) {
                    ($0.topic(named: name)?.partitions.count ?? 0) >= Int(count)
                }
                return ()
            })
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

    /// A whole-set replacement of a resource's overrides: decided by the controller against its own image
    /// (`KRaftActiveController.replaceConfigs`), or forwarded as Kafka's legacy AlterConfigs, which means the same.
    private func replaceConfigs(_ resource: ConfigResourceKey, _ configs: [String: String]) async throws(BrokerError) {
        let controller = controller
        let link = link
        try await route(
            timeoutMs: nil,
            local: { () async throws(BrokerError) -> Void? in
                guard let reply = try await Self.replaceLocally(controller, resource, configs) else { return nil }
                try Self.check(reply.errorCode, reply.errorMessage)
                return ()
            },
            remote: { remainingMs async throws(BrokerError) -> Void? in
                let request = AlterConfigsRequest(resources: [
                    .init(
                        resourceType: resource.type, resourceName: resource.name,
                        configs: configs.sorted { $0.key < $1.key }.map { .init(name: $0.key, value: $0.value) })
                ])
                guard
                    let response = await Self.forward(
                        link, request, remainingMs: remainingMs,
                        notController: { r in
                            r.responses.contains { $0.errorCode == ErrorCode.notController.rawValue }
                        }),
                    let reply = response.responses.first,
                    try Self.answered(reply.errorCode, reply.errorMessage) != nil
                else { return nil }
                await awaitImage(timeoutMs: remainingMs) { ($0.configs[resource] ?? [:]) == configs }
                return ()
            })
    }

    func allocateProducerIdBlock(brokerId: Int32) async throws(BrokerError) -> ClosedRange<Int64> {
        let epoch = brokerEpoch.value
        let link = link
        let block: ClosedRange<Int64>
        do {
            block = try await route(
                timeoutMs: nil,
                local: { () async throws(BrokerError) -> ClosedRange<Int64>? in
                    guard
                        let reply = try await decideLocally({ c in
                            c.allocateProducerIds(brokerId: brokerId, brokerEpoch: epoch)
                        })
                    else { return nil }
                    guard reply.errorCode == .noError, reply.length > 0 else { throw .coordinatorNotAvailable }
                    return reply.start...(reply.start + Int64(reply.length) - 1)
                },
                remote: { remainingMs async throws(BrokerError) -> ClosedRange<Int64>? in
                    guard
                        let reply = await Self.forward(
                            link, AllocateProducerIdsRequest(brokerId: brokerId, brokerEpoch: epoch),
                            remainingMs: remainingMs,
                            notController: { $0.errorCode == ErrorCode.notController.rawValue }),
                        reply.errorCode != ErrorCode.notController.rawValue
                    else { return nil }
                    guard reply.errorCode == 0, reply.producerIdLen > 0 else { throw .coordinatorNotAvailable }
                    return reply.producerIdStart...(reply.producerIdStart + Int64(reply.producerIdLen) - 1)
                })
        } catch {
            throw .coordinatorNotAvailable
        }
        return block
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
