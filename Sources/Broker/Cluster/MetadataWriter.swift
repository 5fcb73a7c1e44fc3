import Coordination
import KafkaProtocol

/// Where this broker's admin writes go once a handler has validated them: the seam between the admin handlers
/// (through `TopicAdmin`, `ConfigService` and `ProducerIdManager`) and the metadata mode. ZooKeeper mode writes the
/// znodes the ZooKeeper controller acts on (`ZooKeeperMetadataWriter`, Kafka's `ZkAdminManager`); KRaft mode asks
/// the active KRaft controller, which appends metadata records (`KRaftMetadataWriter`, Kafka's
/// `ControllerApis` reached through forwarding). Either way the caller then waits for its metadata cache to show
/// the result.
protocol MetadataWriter: Sendable {
    /// Writes a validated new topic; returns the topic id it was created with. `timeoutMs` is the client request's
    /// (KRaft forwards the write with it; nil: the default).
    func createTopic(
        _ name: String, topicId: UUIDValue, assignment: [Int32: [Int32]], configs: [String: String], timeoutMs: Int32?
    ) async throws(BrokerError) -> UUIDValue
    /// Deletes (ZooKeeper: queues the deletion of) a topic.
    func deleteTopic(_ name: String, timeoutMs: Int32?) async throws(BrokerError)
    /// Adds partitions `currentCount...` with these replicas to a topic that has `currentCount` partitions.
    func addPartitions(
        _ name: String, topicId: UUIDValue, currentCount: Int32, added: [Int32: [Int32]], timeoutMs: Int32?
    ) async throws(BrokerError)
    /// A topic's config overrides as stored.
    func topicConfig(_ name: String) async throws -> [String: String]
    /// Replaces a topic's config overrides (already validated).
    func setTopicConfig(_ name: String, _ configs: [String: String]) async throws(BrokerError)
    /// Replaces the dynamic broker configs of one broker (or the cluster default, nil).
    func setBrokerConfig(_ brokerId: Int32?, _ configs: [String: String]) async throws(BrokerError)
    /// The next block of producer ids for this broker.
    func allocateProducerIdBlock(brokerId: Int32) async throws(BrokerError) -> ClosedRange<Int64>
    /// The ZooKeeper controller epoch a controller request is checked against; nil in KRaft mode, where no
    /// controller sends LeaderAndIsr, UpdateMetadata or StopReplica.
    func controllerEpoch() async -> Int32?
}

/// ZooKeeper mode's admin writes: `/config/topics/<t>` then `/brokers/topics/<t>` for a new topic,
/// `/admin/delete_topics/<t>` for a deletion, a conditional rewrite of the assignment for new partitions,
/// `/config/brokers/...` and `/latest_producer_id_block`.
struct ZooKeeperMetadataWriter: MetadataWriter {
    let zk: KafkaZkClient

    func createTopic(
        _ name: String, topicId: UUIDValue, assignment: [Int32: [Int32]], configs: [String: String], timeoutMs: Int32?
    ) async throws(BrokerError) -> UUIDValue {
        do {
            try await zk.createTopic(name, topicId: topicId.base64URL, assignment: assignment, configs: configs)
        } catch KafkaZkError.topicAlreadyExists {
            throw .topicAlreadyExists("Topic '\(name)' already exists.")
        } catch KafkaZkError.topicMarkedForDeletion {
            throw .topicAlreadyExists("Topic '\(name)' is marked for deletion.")
        } catch {
            throw .unknownServerError("ZooKeeper write failed: \(error)")
        }
        return topicId
    }

    func deleteTopic(_ name: String, timeoutMs: Int32?) async throws(BrokerError) {
        do {
            try await zk.markTopicForDeletion(name)
        } catch {
            throw .unknownServerError("ZooKeeper write failed: \(error)")
        }
    }

    func addPartitions(
        _ name: String, topicId: UUIDValue, currentCount: Int32, added: [Int32: [Int32]], timeoutMs: Int32?
    ) async throws(BrokerError) {
        do {
            guard let record = try await zk.getTopic(name) else { throw BrokerError.unknownTopicOrPartition }
            guard record.assignment.partitions.count == Int(currentCount) else {
                throw BrokerError.invalidPartitions(
                    "Topic currently has \(record.assignment.partitions.count) partitions, which is higher than the requested \(currentCount + Int32(added.count))."
                )
            }
            var updated = record.assignment
            for (k, v) in added { updated.partitions[k] = v }
            if updated.topicId == nil { updated.topicId = topicId.base64URL }
            try await zk.setTopicAssignment(name, updated, expectedVersion: record.zkVersion)
        } catch let error as BrokerError {
            throw error
        } catch ZooKeeperError.badVersion {
            throw .invalidPartitions("The topic's assignment changed concurrently; retry.")
        } catch {
            throw .unknownServerError("ZooKeeper write failed: \(error)")
        }
    }

    func topicConfig(_ name: String) async throws -> [String: String] { try await zk.topicConfig(name) }

    func setTopicConfig(_ name: String, _ configs: [String: String]) async throws(BrokerError) {
        do {
            try await zk.setTopicConfig(name, configs)
        } catch {
            throw .unknownServerError("ZooKeeper write failed: \(error)")
        }
    }

    func setBrokerConfig(_ brokerId: Int32?, _ configs: [String: String]) async throws(BrokerError) {
        do {
            try await zk.setBrokerConfig(brokerId, configs)
        } catch {
            throw .unknownServerError("ZooKeeper write failed: \(error)")
        }
    }

    func allocateProducerIdBlock(brokerId: Int32) async throws(BrokerError) -> ClosedRange<Int64> {
        do {
            let block = try await zk.allocateProducerIdBlock(brokerId: brokerId)
            return block.firstProducerId...block.lastProducerId
        } catch {
            throw .coordinatorNotAvailable
        }
    }

    func controllerEpoch() async -> Int32? { try? await zk.controllerEpoch()?.epoch }
}
