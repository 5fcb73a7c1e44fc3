import Coordination
import Synchronization

@testable import Controller

/// The znodes the controller reads and writes, kept in memory with ZooKeeper's semantics where the controller
/// relies on them: zkVersions, one-shot watches, the `/controller_epoch` fence (a stale fence throws
/// `KafkaZkError.controllerMoved`), conditional sets (`badVersion`, `noNode`) and session loss (`sessionExpired`,
/// watches fire `.sessionExpired`). Tests play the other actors — brokers registering and dying, the admin path
/// creating and deleting topics, leaders changing their ISR — through the mutators below, and wait on the state
/// with `until(_:)`, which resumes when a mutation makes its condition true (no polling, no sleeps).
final class InMemoryControllerStore: ControllerStore {
    struct Topic: Sendable, Equatable {
        var assignment: TopicAssignment
        var version: Int32 = 0
        var config: [String: String] = [:]
    }

    /// Everything stored, as tests inspect it.
    struct Snapshot: Sendable {
        var brokers: [Int32: LiveBroker] = [:]
        var topics: [String: Topic] = [:]
        var partitionStates: [ZkTopicPartition: PartitionStateRecord] = [:]
        var deletionMarkers: Set<String> = []
        var isrNotifications: [String: [ZkTopicPartition]] = [:]
        var preferredElection: [ZkTopicPartition]?
        var controllerId: Int32?
        var controllerEpoch: Int32 = 0
        var controllerEpochZkVersion: Int32 = -1
        /// Partition state writes in order (topic-partition, state), for checks on what was written when.
        var stateWrites: [(ZkTopicPartition, LeaderIsrState)] = []

        func state(_ topic: String, _ partition: Int32) -> LeaderIsrState? {
            partitionStates[ZkTopicPartition(topic: topic, partition: partition)]?.state
        }
    }

    private struct Waiter {
        var condition: @Sendable (Snapshot) -> Bool
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct Internal {
        var data = Snapshot()
        var nextCzxid: Int64 = 100
        var nextSequence = 0
        var sessionLost = false
        var watches: [String: [InMemoryWatch]] = [:]
        var waiters: [Waiter] = []
    }

    private let store = Mutex(Internal())

    var snapshot: Snapshot { store.withLock { $0.data } }

    // MARK: Waiting

    /// Returns once `condition` holds for the stored data (at once if it already does).
    func until(_ condition: @escaping @Sendable (Snapshot) -> Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = store.withLock { s in
                if condition(s.data) { return true }
                s.waiters.append(Waiter(condition: condition, continuation: continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Applies `change` under the lock, then fires the watches on the paths it names and resumes the waiters
    /// whose condition now holds.
    @discardableResult
    private func mutate<T>(_ change: (inout Internal) throws -> (T, [(String, WatchEvent.Kind)])) throws -> T {
        let (result, fired, ready): (T, [(InMemoryWatch, WatchEvent.Kind)], [CheckedContinuation<Void, Never>]) =
            try store.withLock { s in
                let (result, paths) = try change(&s)
                var fired: [(InMemoryWatch, WatchEvent.Kind)] = []
                for (path, kind) in paths {
                    for w in s.watches.removeValue(forKey: path) ?? [] { fired.append((w, kind)) }
                }
                var ready: [CheckedContinuation<Void, Never>] = []
                s.waiters.removeAll { w in
                    guard w.condition(s.data) else { return false }
                    ready.append(w.continuation)
                    return true
                }
                return (result, fired, ready)
            }
        for (w, kind) in fired { w.fire(kind) }
        for c in ready { c.resume() }
        return result
    }

    private func watch(_ path: String, in s: inout Internal) -> InMemoryWatch {
        let w = InMemoryWatch(path: path)
        s.watches[path, default: []].append(w)
        return w
    }

    private func read<T>(_ body: (inout Internal) throws -> T) throws -> T {
        try store.withLock { s in
            if s.sessionLost { throw ZooKeeperError.sessionExpired }
            return try body(&s)
        }
    }

    private static func checkFence(_ fence: ControllerElection?, _ s: Internal) throws {
        if s.sessionLost { throw ZooKeeperError.sessionExpired }
        guard let fence else { return }
        if fence.epochZkVersion != s.data.controllerEpochZkVersion { throw KafkaZkError.controllerMoved }
    }

    private static let brokersPath = "/brokers/ids"
    private static let topicsPath = "/brokers/topics"
    private static let deletePath = "/admin/delete_topics"
    private static let isrPath = "/isr_change_notification"
    private static let preferredPath = "/admin/preferred_replica_election"
    private static func topicPath(_ name: String) -> String { "/brokers/topics/\(name)" }

    // MARK: The other actors

    /// Registers a broker (or re-registers it with a new epoch, as after a restart); returns its epoch.
    @discardableResult
    func registerBroker(_ id: Int32) -> Int64 {
        try! mutate { s in
            s.nextCzxid += 1
            let registration = BrokerRegistration(
                brokerId: id,
                endpoints: [
                    BrokerEndpoint(
                        listenerName: "PLAINTEXT", host: "127.0.0.1", port: 9090 + id, securityProtocol: "PLAINTEXT")
                ],
                timestamp: 1_700_000_000_000)
            s.data.brokers[id] = LiveBroker(registration: registration, brokerEpoch: s.nextCzxid)
            return (s.nextCzxid, [(Self.brokersPath, .childrenChanged)])
        }
    }

    /// A broker's session ends: its registration goes.
    func removeBroker(_ id: Int32) {
        try! mutate { s in
            s.data.brokers[id] = nil
            return ((), [(Self.brokersPath, .childrenChanged)])
        }
    }

    /// Kafka's election: `/controller` to `brokerId`, `/controller_epoch` bumped. The previous fence stops working.
    func electController(_ brokerId: Int32) -> ControllerElection {
        try! mutate { s in
            s.data.controllerId = brokerId
            s.data.controllerEpoch += 1
            s.data.controllerEpochZkVersion += 1
            return (
                ControllerElection(epoch: s.data.controllerEpoch, epochZkVersion: s.data.controllerEpochZkVersion),
                [("/controller", .created)]
            )
        }
    }

    /// The admin path's CreateTopics: config then assignment (no topic id: the controller assigns one).
    func createTopic(_ name: String, _ partitions: [Int32: [Int32]], config: [String: String] = [:]) {
        try! mutate { s in
            s.data.topics[name] = Topic(
                assignment: TopicAssignment(topicId: nil, partitions: partitions), config: config)
            return ((), [(Self.topicsPath, .childrenChanged), (Self.topicPath(name), .created)])
        }
    }

    /// The admin path's DeleteTopics: a marker under `/admin/delete_topics`.
    func markTopicForDeletion(_ name: String) {
        try! mutate { s in
            s.data.deletionMarkers.insert(name)
            return ((), [(Self.deletePath, .childrenChanged)])
        }
    }

    /// A leader's conditional ISR write plus its batched `/isr_change_notification` child.
    func leaderChangesIsr(_ topic: String, _ partition: Int32, isr: [Int32]) {
        try! mutate { s in
            let tp = ZkTopicPartition(topic: topic, partition: partition)
            guard var record = s.data.partitionStates[tp] else { return ((), []) }
            record.state.isr = isr
            record.zkVersion += 1
            s.data.partitionStates[tp] = record
            s.nextSequence += 1
            s.data.isrNotifications["isr_change_\(String(format: "%010d", s.nextSequence))"] = [tp]
            return ((), [(Self.isrPath, .childrenChanged)])
        }
    }

    /// kafka-leader-election's ZooKeeper path: `/admin/preferred_replica_election`.
    func requestPreferredElection(_ partitions: [ZkTopicPartition]) {
        try! mutate { s in
            s.data.preferredElection = partitions
            return ((), [(Self.preferredPath, .created)])
        }
    }

    /// The controller's session expires: every call throws `sessionExpired`, every watch fires it.
    func expireSession() {
        try! mutate { s in
            s.sessionLost = true
            return ((), s.watches.keys.map { ($0, .sessionExpired) })
        }
    }

    // MARK: ControllerStore — watches

    func watchBrokerIds() async throws -> (ids: [Int32], watch: any ControllerWatch) {
        try read { s in (s.data.brokers.keys.sorted(), watch(Self.brokersPath, in: &s)) }
    }

    func watchTopics() async throws -> (topics: [String], watch: any ControllerWatch) {
        try read { s in (s.data.topics.keys.sorted(), watch(Self.topicsPath, in: &s)) }
    }

    func watchTopic(_ name: String) async throws -> (topic: TopicRecord?, watch: any ControllerWatch) {
        try read { s in
            let topic = s.data.topics[name].map {
                TopicRecord(name: name, assignment: $0.assignment, zkVersion: $0.version)
            }
            return (topic, watch(Self.topicPath(name), in: &s))
        }
    }

    func watchDeleteTopics() async throws -> (topics: [String], watch: any ControllerWatch) {
        try read { s in (s.data.deletionMarkers.sorted(), watch(Self.deletePath, in: &s)) }
    }

    func watchIsrChangeNotifications() async throws -> (notifications: [String], watch: any ControllerWatch) {
        try read { s in (s.data.isrNotifications.keys.sorted(), watch(Self.isrPath, in: &s)) }
    }

    func watchPreferredReplicaElection() async throws -> (exists: Bool, watch: any ControllerWatch) {
        try read { s in (s.data.preferredElection != nil, watch(Self.preferredPath, in: &s)) }
    }

    // MARK: ControllerStore — reads

    func liveBrokers() async throws -> [LiveBroker] {
        try read { s in s.data.brokers.keys.sorted().compactMap { s.data.brokers[$0] } }
    }

    func allTopics() async throws -> [String] { try read { s in s.data.topics.keys.sorted() } }

    func getTopic(_ name: String) async throws -> TopicRecord? {
        try read { s in
            s.data.topics[name].map { TopicRecord(name: name, assignment: $0.assignment, zkVersion: $0.version) }
        }
    }

    func topicConfig(_ name: String) async throws -> [String: String] {
        try read { s in s.data.topics[name]?.config ?? [:] }
    }

    func partitionState(topic: String, partition: Int32) async throws -> PartitionStateRecord? {
        try read { s in s.data.partitionStates[ZkTopicPartition(topic: topic, partition: partition)] }
    }

    func topicsMarkedForDeletion() async throws -> [String] { try read { s in s.data.deletionMarkers.sorted() } }

    func isrChangeNotificationChildren() async throws -> [String] {
        try read { s in s.data.isrNotifications.keys.sorted() }
    }

    func isrChangeNotification(_ child: String) async throws -> [ZkTopicPartition]? {
        try read { s in s.data.isrNotifications[child] }
    }

    func preferredReplicaElection() async throws -> [ZkTopicPartition]? { try read { s in s.data.preferredElection } }

    // MARK: ControllerStore — fenced writes

    func setTopicAssignment(
        _ name: String, _ assignment: TopicAssignment, expectedVersion: Int32, fence: ControllerElection?
    ) async throws -> Int32 {
        try mutate { s in
            try Self.checkFence(fence, s)
            guard var topic = s.data.topics[name] else { throw ZooKeeperError.noNode }
            guard topic.version == expectedVersion else { throw ZooKeeperError.badVersion }
            topic.assignment = assignment
            topic.version += 1
            s.data.topics[name] = topic
            return (topic.version, [(Self.topicPath(name), .dataChanged)])
        }
    }

    func createPartitionStates(topic: String, states: [Int32: LeaderIsrState], fence: ControllerElection)
        async throws -> [Int32: Int32]
    {
        try mutate { s in
            try Self.checkFence(fence, s)
            var created: [Int32: Int32] = [:]
            for (partition, state) in states.sorted(by: { $0.key < $1.key }) {
                let tp = ZkTopicPartition(topic: topic, partition: partition)
                guard s.data.partitionStates[tp] == nil else { continue }
                s.data.partitionStates[tp] = PartitionStateRecord(state: state, zkVersion: 0)
                s.data.stateWrites.append((tp, state))
                created[partition] = 0
            }
            return (created, [])
        }
    }

    func setPartitionState(
        topic: String, partition: Int32, _ state: LeaderIsrState, expectedVersion: Int32, fence: ControllerElection
    ) async throws -> Int32 {
        try mutate { s in
            try Self.checkFence(fence, s)
            let tp = ZkTopicPartition(topic: topic, partition: partition)
            guard let record = s.data.partitionStates[tp] else { throw ZooKeeperError.noNode }
            guard record.zkVersion == expectedVersion else { throw ZooKeeperError.badVersion }
            s.data.partitionStates[tp] = PartitionStateRecord(state: state, zkVersion: record.zkVersion + 1)
            s.data.stateWrites.append((tp, state))
            return (record.zkVersion + 1, [])
        }
    }

    func deleteTopicZnodes(_ name: String, fence: ControllerElection) async throws {
        try mutate { s in
            try Self.checkFence(fence, s)
            s.data.topics[name] = nil
            s.data.partitionStates = s.data.partitionStates.filter { $0.key.topic != name }
            s.data.deletionMarkers.remove(name)
            return (
                (),
                [
                    (Self.topicsPath, .childrenChanged), (Self.topicPath(name), .deleted),
                    (Self.deletePath, .childrenChanged),
                ]
            )
        }
    }

    func deleteTopicDeletionMarkers(_ names: [String], fence: ControllerElection) async throws {
        try mutate { s in
            try Self.checkFence(fence, s)
            s.data.deletionMarkers.subtract(names)
            return ((), [(Self.deletePath, .childrenChanged)])
        }
    }

    func deleteIsrChangeNotifications(_ children: [String], fence: ControllerElection) async throws {
        try mutate { s in
            try Self.checkFence(fence, s)
            for child in children { s.data.isrNotifications[child] = nil }
            return ((), children.isEmpty ? [] : [(Self.isrPath, .childrenChanged)])
        }
    }

    func deletePreferredReplicaElection(fence: ControllerElection) async throws {
        try mutate { s in
            try Self.checkFence(fence, s)
            let existed = s.data.preferredElection != nil
            s.data.preferredElection = nil
            return ((), existed ? [(Self.preferredPath, .deleted)] : [])
        }
    }

    func resignController(fence: ControllerElection) async throws {
        try mutate { s in
            try Self.checkFence(fence, s)
            s.data.controllerId = nil
            return ((), [("/controller", .deleted)])
        }
    }
}

/// A one-shot watch fired by `InMemoryControllerStore`.
final class InMemoryWatch: ControllerWatch {
    let path: String

    private struct State {
        var event: WatchEvent?
        var waiters: [UInt64: CheckedContinuation<WatchEvent, any Error>] = [:]
        var next: UInt64 = 0
    }

    private let state = Mutex(State())

    init(path: String) { self.path = path }

    func wait() async throws -> WatchEvent {
        let id = state.withLock { s in
            s.next += 1
            return s.next
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<WatchEvent, any Error>) in
                let ready: Result<WatchEvent, any Error>? = state.withLock { s in
                    if let event = s.event { return .success(event) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    s.waiters[id] = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            let continuation = state.withLock { $0.waiters.removeValue(forKey: id) }
            continuation?.resume(throwing: CancellationError())
        }
    }

    func fire(_ kind: WatchEvent.Kind) {
        let event = WatchEvent(kind: kind, path: path)
        let waiters = state.withLock { s -> [CheckedContinuation<WatchEvent, any Error>] in
            guard s.event == nil else { return [] }
            s.event = event
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in waiters { w.resume(returning: event) }
    }
}
