import Coordination

/// A one-shot watch as the controller sees it: `wait()` returns the event that fired it (a change, or the end of
/// the session), or throws `CancellationError` when the waiting task is cancelled.
public protocol ControllerWatch: Sendable {
    func wait() async throws -> WatchEvent
}

extension ZooKeeperWatch: ControllerWatch {}

/// Exactly the ZooKeeper operations `ControllerRuntime` uses, so that controller scenarios can run in-process
/// against an in-memory store (the tests' `InMemoryControllerStore`) as well as against ZooKeeper
/// (`ZooKeeperControllerStore`). Implementations keep Kafka's semantics: fenced writes throw
/// `KafkaZkError.controllerMoved` when the fence no longer holds, conditional writes throw
/// `ZooKeeperError.badVersion` / `.noNode`, and a lost session throws `ZooKeeperError.sessionExpired`.
public protocol ControllerStore: Sendable {
    // Watches: the current value plus a watch for its next change.
    func watchBrokerIds() async throws -> (ids: [Int32], watch: any ControllerWatch)
    func watchTopics() async throws -> (topics: [String], watch: any ControllerWatch)
    func watchTopic(_ name: String) async throws -> (topic: TopicRecord?, watch: any ControllerWatch)
    func watchDeleteTopics() async throws -> (topics: [String], watch: any ControllerWatch)
    func watchIsrChangeNotifications() async throws -> (notifications: [String], watch: any ControllerWatch)
    func watchPreferredReplicaElection() async throws -> (exists: Bool, watch: any ControllerWatch)

    // Reads.
    func liveBrokers() async throws -> [LiveBroker]
    func allTopics() async throws -> [String]
    func getTopic(_ name: String) async throws -> TopicRecord?
    func topicConfig(_ name: String) async throws -> [String: String]
    func partitionState(topic: String, partition: Int32) async throws -> PartitionStateRecord?
    func topicsMarkedForDeletion() async throws -> [String]
    func isrChangeNotificationChildren() async throws -> [String]
    func isrChangeNotification(_ child: String) async throws -> [ZkTopicPartition]?
    func preferredReplicaElection() async throws -> [ZkTopicPartition]?

    // Fenced writes.
    func setTopicAssignment(
        _ name: String, _ assignment: TopicAssignment, expectedVersion: Int32, fence: ControllerElection?
    ) async throws -> Int32
    func createPartitionStates(topic: String, states: [Int32: LeaderIsrState], fence: ControllerElection)
        async throws -> [Int32: Int32]
    func setPartitionState(
        topic: String, partition: Int32, _ state: LeaderIsrState, expectedVersion: Int32, fence: ControllerElection
    ) async throws -> Int32
    func deleteTopicZnodes(_ name: String, fence: ControllerElection) async throws
    func deleteTopicDeletionMarkers(_ names: [String], fence: ControllerElection) async throws
    func deleteIsrChangeNotifications(_ children: [String], fence: ControllerElection) async throws
    func deletePreferredReplicaElection(fence: ControllerElection) async throws
    func resignController(fence: ControllerElection) async throws
}

/// The controller's store backed by ZooKeeper through `KafkaZkClient`.
public struct ZooKeeperControllerStore: ControllerStore {
    public let zk: KafkaZkClient

    public init(_ zk: KafkaZkClient) { self.zk = zk }

    public func watchBrokerIds() async throws -> (ids: [Int32], watch: any ControllerWatch) {
        let (ids, watch) = try await zk.watchBrokerIds()
        return (ids, watch)
    }

    public func watchTopics() async throws -> (topics: [String], watch: any ControllerWatch) {
        let (topics, watch) = try await zk.watchTopics()
        return (topics, watch)
    }

    public func watchTopic(_ name: String) async throws -> (topic: TopicRecord?, watch: any ControllerWatch) {
        let (topic, watch) = try await zk.watchTopic(name)
        return (topic, watch)
    }

    public func watchDeleteTopics() async throws -> (topics: [String], watch: any ControllerWatch) {
        let (topics, watch) = try await zk.watchDeleteTopics()
        return (topics, watch)
    }

    public func watchIsrChangeNotifications() async throws -> (notifications: [String], watch: any ControllerWatch) {
        let (notifications, watch) = try await zk.watchIsrChangeNotifications()
        return (notifications, watch)
    }

    public func watchPreferredReplicaElection() async throws -> (exists: Bool, watch: any ControllerWatch) {
        let (exists, watch) = try await zk.watchPreferredReplicaElection()
        return (exists, watch)
    }

    public func liveBrokers() async throws -> [LiveBroker] { try await zk.liveBrokers() }
    public func allTopics() async throws -> [String] { try await zk.allTopics() }
    public func getTopic(_ name: String) async throws -> TopicRecord? { try await zk.getTopic(name) }
    public func topicConfig(_ name: String) async throws -> [String: String] { try await zk.topicConfig(name) }

    public func partitionState(topic: String, partition: Int32) async throws -> PartitionStateRecord? {
        try await zk.partitionState(topic: topic, partition: partition)
    }

    public func topicsMarkedForDeletion() async throws -> [String] { try await zk.topicsMarkedForDeletion() }
    public func isrChangeNotificationChildren() async throws -> [String] {
        try await zk.isrChangeNotificationChildren()
    }

    public func isrChangeNotification(_ child: String) async throws -> [ZkTopicPartition]? {
        try await zk.isrChangeNotification(child)
    }

    public func preferredReplicaElection() async throws -> [ZkTopicPartition]? {
        try await zk.preferredReplicaElection()
    }

    public func setTopicAssignment(
        _ name: String, _ assignment: TopicAssignment, expectedVersion: Int32, fence: ControllerElection?
    ) async throws -> Int32 {
        try await zk.setTopicAssignment(name, assignment, expectedVersion: expectedVersion, fence: fence)
    }

    public func createPartitionStates(topic: String, states: [Int32: LeaderIsrState], fence: ControllerElection)
        async throws -> [Int32: Int32]
    {
        try await zk.createPartitionStates(topic: topic, states: states, fence: fence)
    }

    public func setPartitionState(
        topic: String, partition: Int32, _ state: LeaderIsrState, expectedVersion: Int32, fence: ControllerElection
    ) async throws -> Int32 {
        try await zk.setPartitionState(
            topic: topic, partition: partition, state, expectedVersion: expectedVersion, fence: fence)
    }

    public func deleteTopicZnodes(_ name: String, fence: ControllerElection) async throws {
        try await zk.deleteTopicZnodes(name, fence: fence)
    }

    public func deleteTopicDeletionMarkers(_ names: [String], fence: ControllerElection) async throws {
        try await zk.deleteTopicDeletionMarkers(names, fence: fence)
    }

    public func deleteIsrChangeNotifications(_ children: [String], fence: ControllerElection) async throws {
        try await zk.deleteIsrChangeNotifications(children, fence: fence)
    }

    public func deletePreferredReplicaElection(fence: ControllerElection) async throws {
        try await zk.deletePreferredReplicaElection(fence: fence)
    }

    public func resignController(fence: ControllerElection) async throws {
        try await zk.resignController(fence: fence)
    }
}
