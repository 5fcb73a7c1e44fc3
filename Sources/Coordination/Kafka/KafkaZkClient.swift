/// Domain failures of `KafkaZkClient` (ZooKeeper failures stay `ZooKeeperError`).
public enum KafkaZkError: Error, Sendable, Equatable {
    /// `/brokers/ids/<id>` is held by another live session (Kafka refuses to start such a broker).
    case brokerIdAlreadyRegistered(Int32)
    case topicAlreadyExists(String)
    /// The topic still has a deletion marker in `/admin/delete_topics`.
    case topicMarkedForDeletion(String)
    /// A fenced write found `/controller_epoch` at another version: this broker is no longer the controller.
    case controllerMoved
    /// A znode holds data this client cannot decode.
    case corruptZNode(path: String, error: ZNodeDecodingError)
    /// The producer id space is exhausted.
    case producerIdsExhausted
    /// An ACL node kept changing under a conditional update (others writing it concurrently).
    case aclUpdateConflict(path: String)
}

/// What winning the controller election yields; pass it to every fenced write.
public struct ControllerElection: Sendable, Equatable {
    /// The new controller epoch (1 for the first controller ever).
    public var epoch: Int32
    /// The zkVersion of `/controller_epoch` after the election: the fence for controller writes.
    public var epochZkVersion: Int32

    public init(epoch: Int32, epochZkVersion: Int32) {
        self.epoch = epoch
        self.epochZkVersion = epochZkVersion
    }
}

/// A registered, live broker.
public struct LiveBroker: Sendable, Equatable {
    public var registration: BrokerRegistration
    /// The czxid of its `/brokers/ids/<id>` znode (Kafka's broker epoch).
    public var brokerEpoch: Int64

    public init(registration: BrokerRegistration, brokerEpoch: Int64) {
        self.registration = registration
        self.brokerEpoch = brokerEpoch
    }
}

/// A partition's leader/ISR state with its zkVersion (Kafka's partition epoch).
public struct PartitionStateRecord: Sendable, Equatable {
    public var state: LeaderIsrState
    public var zkVersion: Int32

    public init(state: LeaderIsrState, zkVersion: Int32) {
        self.state = state
        self.zkVersion = zkVersion
    }
}

/// A topic's assignment with the zkVersion of `/brokers/topics/<t>`.
public struct TopicRecord: Sendable, Equatable {
    public var name: String
    public var assignment: TopicAssignment
    public var zkVersion: Int32

    public init(name: String, assignment: TopicAssignment, zkVersion: Int32) {
        self.name = name
        self.assignment = assignment
        self.zkVersion = zkVersion
    }
}

/// Kafka's ZooKeeper operations (layer 3), on top of a `ZooKeeperSession` and the znode catalogue.
/// Stateless apart from the session; safe to use from any task. All methods throw `KafkaZkError` or
/// `ZooKeeperError`.
public final class KafkaZkClient: Sendable {
    public let session: ZooKeeperSession
    /// `reserved.broker.max.id`, added to `/brokers/seqid`'s version to generate broker ids.
    public let reservedBrokerMaxId: Int32

    public init(session: ZooKeeperSession, reservedBrokerMaxId: Int32 = 1000) {
        self.session = session
        self.reservedBrokerMaxId = reservedBrokerMaxId
    }

    // MARK: Startup

    /// Creates Kafka's persistent top-level paths when missing.
    public func ensureTopLevelPaths() async throws {
        for path in ZkPaths.persistentPaths {
            try await session.ensurePath(path)
        }
    }

    /// Reads `/cluster/id`, creating it with a fresh id when absent; a concurrent creator's id wins.
    public func getOrCreateClusterId(generate: @Sendable () -> String = { ClusterIdZNode.generate() }) async throws
        -> String
    {
        if let existing = try await readClusterId() { return existing }
        let proposed = generate()
        do {
            try await session.createRecursive(ClusterIdZNode.path, data: ClusterIdZNode.encode(clusterId: proposed))
            return proposed
        } catch ZooKeeperError.nodeExists {
            guard let winner = try await readClusterId() else { throw ZooKeeperError.noNode }
            return winner
        }
    }

    private func readClusterId() async throws -> String? {
        guard let data = try await getIfExists(ClusterIdZNode.path) else { return nil }
        return try decoding(ClusterIdZNode.path) { () throws(ZNodeDecodingError) in try ClusterIdZNode.decode(data.data)
        }
    }

    // MARK: Brokers

    /// Registers the broker (ephemeral `/brokers/ids/<id>`) and returns its broker epoch (the znode's czxid).
    /// A node left by this object's own current or previous session is reused or replaced; one held by any
    /// other session throws `brokerIdAlreadyRegistered`.
    @discardableResult
    public func registerBroker(_ registration: BrokerRegistration) async throws -> Int64 {
        let path = BrokerIdZNode.path(registration.brokerId)
        let data = BrokerIdZNode.encode(registration)
        for _ in 0..<3 {
            do {
                return try await session.createRecursive(path, data: data, mode: .ephemeral).stat.czxid
            } catch ZooKeeperError.nodeExists {
                guard let existing = try await session.exists(path) else { continue }  // vanished: retry
                if existing.ephemeralOwner == session.sessionId {
                    try await session.set(path, data: data, version: existing.version)
                    return existing.czxid
                }
                if session.previousSessionIds.contains(existing.ephemeralOwner) {
                    // Our expired session's node not yet removed by the server (KAFKA-7165).
                    do {
                        try await session.delete(path, version: existing.version)
                    } catch ZooKeeperError.noNode {
                    }
                    continue
                }
                throw KafkaZkError.brokerIdAlreadyRegistered(registration.brokerId)
            }
        }
        throw KafkaZkError.brokerIdAlreadyRegistered(registration.brokerId)
    }

    /// The registration of one broker, or nil when it is not live.
    public func broker(_ id: Int32) async throws -> LiveBroker? {
        let path = BrokerIdZNode.path(id)
        guard let (data, stat) = try await getIfExists(path) else { return nil }
        let registration = try decoding(path) { () throws(ZNodeDecodingError) in
            try BrokerIdZNode.decode(brokerId: id, data)
        }
        return LiveBroker(registration: registration, brokerEpoch: stat.czxid)
    }

    /// Ids of live brokers, sorted.
    private func liveBrokerIds() async throws -> [Int32] {
        try await session.children(BrokerIdsZNode.path).compactMap { Int32($0) }.sorted()
    }

    /// All live brokers with their epochs, sorted by id (brokers that vanish while reading are skipped).
    public func liveBrokers() async throws -> [LiveBroker] {
        var out: [LiveBroker] = []
        for id in try await liveBrokerIds() {
            if let b = try await broker(id) { out.append(b) }
        }
        return out
    }

    // MARK: Controller

    /// Kafka's election (`registerControllerAndIncrementControllerEpoch`): if nobody is controller, atomically
    /// create the ephemeral `/controller` and bump `/controller_epoch`. Returns nil when another broker is (or
    /// just became) controller; returns the current election when this session already holds `/controller`.
    public func electController(brokerId: Int32, timestamp: Int64) async throws -> ControllerElection? {
        if let (data, stat) = try await getIfExists(ControllerZNode.path) {
            let current = try decoding(ControllerZNode.path) { () throws(ZNodeDecodingError) in
                try ControllerZNode.decode(data)
            }
            guard current.brokerId == brokerId, stat.ephemeralOwner == session.sessionId else { return nil }
            guard let (epoch, version) = try await controllerEpoch() else { return nil }
            return ControllerElection(epoch: epoch, epochZkVersion: version)
        }
        let (epoch, version) = try await controllerEpochCreatingIfMissing()
        let newEpoch = epoch + 1
        let registration = ControllerRegistration(brokerId: brokerId, timestamp: timestamp)
        do {
            let results = try await session.multi([
                .create(path: ControllerZNode.path, data: ControllerZNode.encode(registration), mode: .ephemeral),
                .set(path: ControllerEpochZNode.path, data: ControllerEpochZNode.encode(newEpoch), version: version),
            ])
            guard results.count == 2, case .set(let stat) = results[1] else { throw ZooKeeperError.marshallingError }
            return ControllerElection(epoch: newEpoch, epochZkVersion: stat.version)
        } catch ZooKeeperError.multiFailed(_, let cause) where cause == .nodeExists || cause == .badVersion {
            // Lost the race, unless a retried request of ours actually went through.
            guard let (data, stat) = try await getIfExists(ControllerZNode.path),
                stat.ephemeralOwner == session.sessionId,
                let current = try? ControllerZNode.decode(data), current.brokerId == brokerId,
                let (epochNow, versionNow) = try await controllerEpoch(), epochNow == newEpoch
            else { return nil }
            return ControllerElection(epoch: epochNow, epochZkVersion: versionNow)
        }
    }

    /// The active controller's broker id, or nil.
    public func controllerId() async throws -> Int32? {
        guard let (data, _) = try await getIfExists(ControllerZNode.path) else { return nil }
        return try decoding(ControllerZNode.path) { () throws(ZNodeDecodingError) in
            try ControllerZNode.decode(data)
        }.brokerId
    }

    /// `/controller_epoch` value and zkVersion, or nil before the first election.
    public func controllerEpoch() async throws -> (epoch: Int32, zkVersion: Int32)? {
        guard let (data, stat) = try await getIfExists(ControllerEpochZNode.path) else { return nil }
        let epoch = try decoding(ControllerEpochZNode.path) { () throws(ZNodeDecodingError) in
            try ControllerEpochZNode.decode(data)
        }
        return (epoch, stat.version)
    }

    private func controllerEpochCreatingIfMissing() async throws -> (epoch: Int32, zkVersion: Int32) {
        if let current = try await controllerEpoch() { return current }
        do {
            try await session.create(
                ControllerEpochZNode.path, data: ControllerEpochZNode.encode(ControllerEpochZNode.initialEpoch))
            return (ControllerEpochZNode.initialEpoch, 0)
        } catch ZooKeeperError.nodeExists {
            guard let current = try await controllerEpoch() else { throw ZooKeeperError.noNode }
            return current
        }
    }

    /// Gives up the controllership (deletes `/controller` under the fence) so that another election happens.
    public func resignController(fence: ControllerElection) async throws {
        do {
            try await fencedMulti([.delete(path: ControllerZNode.path, version: anyZkVersion)], fence: fence)
        } catch ZooKeeperError.noNode {
        }
    }

    /// Runs `ops` atomically after `check(/controller_epoch, fence.epochZkVersion)`. Throws
    /// `KafkaZkError.controllerMoved` if the check fails, and for a rejected op the same
    /// `ZooKeeperError.multiFailed(index:cause:)` as `multi` with the index into `ops` — or, for a single op,
    /// just its `cause`.
    @discardableResult
    public func fencedMulti(_ ops: [ZooKeeperOp], fence: ControllerElection) async throws -> [ZooKeeperOpResult] {
        do {
            let results = try await session.multi(
                [.check(path: ControllerEpochZNode.path, version: fence.epochZkVersion)] + ops)
            return Array(results.dropFirst())
        } catch ZooKeeperError.multiFailed(let index, let cause) {
            if index == 0 { throw KafkaZkError.controllerMoved }
            if ops.count == 1 { throw cause }
            throw ZooKeeperError.multiFailed(index: index - 1, cause: cause)
        }
    }

    // MARK: Topics

    /// Creates a topic the way Kafka's admin path does: config znode first, then `/brokers/topics/<t>`.
    /// The controller later creates the partition state znodes.
    public func createTopic(
        _ name: String, topicId: String?, assignment: [Int32: [Int32]], configs: [String: String] = [:]
    ) async throws {
        if try await session.exists(DeleteTopicsTopicZNode.path(name)) != nil {
            throw KafkaZkError.topicMarkedForDeletion(name)
        }
        if try await session.exists(TopicZNode.path(name)) != nil { throw KafkaZkError.topicAlreadyExists(name) }
        try await writeEntityConfig(.topics, name, configs)
        do {
            try await session.createRecursive(
                TopicZNode.path(name),
                data: TopicZNode.encode(TopicAssignment(topicId: topicId, partitions: assignment)))
        } catch ZooKeeperError.nodeExists {
            throw KafkaZkError.topicAlreadyExists(name)
        }
    }

    /// Rewrites a topic's assignment (adding partitions, or the controller filling in a topic id). Conditional on
    /// `expectedVersion`; fenced when `fence` is given (controller writes). Returns the new zkVersion.
    @discardableResult
    public func setTopicAssignment(
        _ name: String, _ assignment: TopicAssignment, expectedVersion: Int32, fence: ControllerElection? = nil
    ) async throws -> Int32 {
        let path = TopicZNode.path(name)
        let data = TopicZNode.encode(assignment)
        if let fence {
            return try await fencedSet(path, data: data, version: expectedVersion, fence: fence)
        }
        return try await session.set(path, data: data, version: expectedVersion).version
    }

    /// The topic's assignment and zkVersion, or nil when it does not exist.
    public func getTopic(_ name: String) async throws -> TopicRecord? {
        let path = TopicZNode.path(name)
        guard let (data, stat) = try await getIfExists(path) else { return nil }
        let assignment = try decoding(path) { () throws(ZNodeDecodingError) in try TopicZNode.decode(data) }
        return TopicRecord(name: name, assignment: assignment, zkVersion: stat.version)
    }

    /// All topic names, sorted.
    public func allTopics() async throws -> [String] {
        try await session.children(TopicsZNode.path).sorted()
    }

    /// Creates the `state` znodes of new partitions (with their parents) under the controller fence. Returns the
    /// zkVersion (0) of each created state; partitions whose state already exists are left out.
    public func createPartitionStates(
        topic: String, states: [Int32: LeaderIsrState], fence: ControllerElection
    ) async throws -> [Int32: Int32] {
        var created: [Int32: Int32] = [:]
        for (partition, state) in states.sorted(by: { $0.key < $1.key }) {
            try await session.ensurePath(TopicPartitionZNode.path(topic, partition))
            do {
                try await fencedMulti(
                    [
                        .create(
                            path: TopicPartitionStateZNode.path(topic, partition),
                            data: TopicPartitionStateZNode.encode(state), mode: .persistent)
                    ], fence: fence)
                created[partition] = 0
            } catch ZooKeeperError.nodeExists {
                continue
            }
        }
        return created
    }

    /// A partition's state and zkVersion, or nil when the state znode does not exist.
    public func partitionState(topic: String, partition: Int32) async throws -> PartitionStateRecord? {
        let path = TopicPartitionStateZNode.path(topic, partition)
        guard let (data, stat) = try await getIfExists(path) else { return nil }
        let state = try decoding(path) { () throws(ZNodeDecodingError) in try TopicPartitionStateZNode.decode(data) }
        return PartitionStateRecord(state: state, zkVersion: stat.version)
    }

    /// Conditional, fenced update of a partition state; returns the new zkVersion (the new partition epoch).
    /// Throws `ZooKeeperError.badVersion` on a stale `expectedVersion`, `KafkaZkError.controllerMoved` when fenced.
    @discardableResult
    public func setPartitionState(
        topic: String, partition: Int32, _ state: LeaderIsrState, expectedVersion: Int32, fence: ControllerElection
    ) async throws -> Int32 {
        try await fencedSet(
            TopicPartitionStateZNode.path(topic, partition), data: TopicPartitionStateZNode.encode(state),
            version: expectedVersion, fence: fence)
    }

    private func fencedSet(_ path: String, data: [UInt8], version: Int32, fence: ControllerElection) async throws
        -> Int32
    {
        let results = try await fencedMulti([.set(path: path, data: data, version: version)], fence: fence)
        guard let first = results.first, case .set(let stat) = first else { throw ZooKeeperError.marshallingError }
        return stat.version
    }

    /// Queues a topic for deletion (`/admin/delete_topics/<t>`); idempotent.
    public func markTopicForDeletion(_ name: String) async throws {
        do {
            try await session.createRecursive(DeleteTopicsTopicZNode.path(name), data: nil)
        } catch ZooKeeperError.nodeExists {
        }
    }

    /// Topics queued for deletion, sorted.
    public func topicsMarkedForDeletion() async throws -> [String] {
        try await session.children(DeleteTopicsZNode.path).sorted()
    }

    /// Removes a deleted topic's znodes, children first: `/brokers/topics/<t>` (recursively), `/config/topics/<t>`,
    /// then the deletion marker. Fenced; missing nodes are fine.
    public func deleteTopicZnodes(_ name: String, fence: ControllerElection) async throws {
        var paths: [String] = []
        try await collectSubtree(TopicZNode.path(name), into: &paths)
        paths.append(ConfigEntityZNode.path(.topics, name))
        paths.append(DeleteTopicsTopicZNode.path(name))
        for path in paths {
            do {
                try await fencedMulti([.delete(path: path, version: anyZkVersion)], fence: fence)
            } catch ZooKeeperError.noNode {
            }
        }
    }

    /// Post-order listing (children before parents) of a subtree; empty when the root is missing.
    private func collectSubtree(_ path: String, into out: inout [String]) async throws {
        let kids: [String]
        do {
            kids = try await session.children(path)
        } catch ZooKeeperError.noNode {
            return
        }
        for kid in kids { try await collectSubtree("\(path)/\(kid)", into: &out) }
        out.append(path)
    }

    // MARK: Configs

    /// A topic's config overrides (empty when none).
    public func topicConfig(_ name: String) async throws -> [String: String] {
        try await entityConfig(.topics, name)
    }

    /// Replaces a topic's config overrides and publishes a change notification.
    public func setTopicConfig(_ name: String, _ config: [String: String]) async throws {
        try await writeEntityConfig(.topics, name, config)
        try await createConfigChangeNotification(
            entityPath: ConfigEntityChangeNotificationZNode.entityPath(.topics, name))
    }

    /// Dynamic broker config (`brokerId` nil → the `<default>` entity).
    public func brokerConfig(_ brokerId: Int32?) async throws -> [String: String] {
        try await entityConfig(.brokers, brokerId.map { String($0) } ?? ConfigEntityZNode.defaultEntityName)
    }

    /// Replaces dynamic broker config and publishes a change notification.
    public func setBrokerConfig(_ brokerId: Int32?, _ config: [String: String]) async throws {
        let name = brokerId.map { String($0) } ?? ConfigEntityZNode.defaultEntityName
        try await writeEntityConfig(.brokers, name, config)
        try await createConfigChangeNotification(
            entityPath: ConfigEntityChangeNotificationZNode.entityPath(.brokers, name))
    }

    private func entityConfig(_ type: ConfigType, _ name: String) async throws -> [String: String] {
        let path = ConfigEntityZNode.path(type, name)
        guard let (data, _) = try await getIfExists(path) else { return [:] }
        return try decoding(path) { () throws(ZNodeDecodingError) in try ConfigEntityZNode.decode(data) }
    }

    private func writeEntityConfig(_ type: ConfigType, _ name: String, _ config: [String: String]) async throws {
        let path = ConfigEntityZNode.path(type, name)
        let data = ConfigEntityZNode.encode(config)
        do {
            try await session.set(path, data: data)
        } catch ZooKeeperError.noNode {
            do {
                try await session.createRecursive(path, data: data)
            } catch ZooKeeperError.nodeExists {
                try await session.set(path, data: data)
            }
        }
    }

    /// Creates `/config/changes/config_change_<seq>` naming `entityPath` (e.g. `topics/orders`); returns the
    /// child name.
    @discardableResult
    private func createConfigChangeNotification(entityPath: String) async throws -> String {
        let created = try await session.createRecursive(
            ConfigEntityChangeNotificationZNode.sequentialPath,
            data: ConfigEntityChangeNotificationZNode.encode(entityPath: entityPath), mode: .persistentSequential
        ).path
        return String(created.split(separator: "/").last ?? "")
    }

    // MARK: Notifications from leaders

    /// Publishes `/isr_change_notification/isr_change_<seq>` for partitions whose ISR changed.
    @discardableResult
    public func createIsrChangeNotification(_ partitions: [ZkTopicPartition]) async throws -> String {
        let created = try await session.createRecursive(
            IsrChangeNotificationZNode.sequentialPath, data: IsrChangeNotificationZNode.encode(partitions),
            mode: .persistentSequential
        ).path
        return String(created.split(separator: "/").last ?? "")
    }

    /// The partitions listed by one ISR change notification child (nil if already deleted).
    public func isrChangeNotification(_ child: String) async throws -> [ZkTopicPartition]? {
        let path = "\(IsrChangeNotificationZNode.path)/\(child)"
        guard let (data, _) = try await getIfExists(path) else { return nil }
        return try decoding(path) { () throws(ZNodeDecodingError) in try IsrChangeNotificationZNode.decode(data) }
    }

    /// Deletes processed ISR change notifications under the controller fence.
    public func deleteIsrChangeNotifications(_ children: [String], fence: ControllerElection) async throws {
        for child in children {
            do {
                try await fencedMulti(
                    [.delete(path: "\(IsrChangeNotificationZNode.path)/\(child)", version: anyZkVersion)],
                    fence: fence)
            } catch ZooKeeperError.noNode {
            }
        }
    }

    /// Partitions requested by `/admin/preferred_replica_election`, or nil when absent.
    public func preferredReplicaElection() async throws -> [ZkTopicPartition]? {
        guard let (data, _) = try await getIfExists(PreferredReplicaElectionZNode.path) else { return nil }
        return try decoding(PreferredReplicaElectionZNode.path) { () throws(ZNodeDecodingError) in
            try PreferredReplicaElectionZNode.decode(data)
        }
    }

    // MARK: Producer ids

    /// Claims the next block of producer ids: read `/latest_producer_id_block`, then a conditional set against
    /// the read version, retrying on conflict (`ProducerIdManager`). Blocks claimed by different brokers never
    /// overlap.
    public func allocateProducerIdBlock(brokerId: Int32, blockSize: Int64 = ProducerIdBlock.defaultSize)
        async throws -> ProducerIdBlock
    {
        precondition(blockSize > 0, "producer id block size must be positive")
        let path = ProducerIdBlockZNode.path
        while true {
            guard let (data, stat) = try await getIfExists(path) else {
                let first = ProducerIdBlock(brokerId: brokerId, firstProducerId: 0, lastProducerId: blockSize - 1)
                do {
                    try await session.createRecursive(path, data: ProducerIdBlockZNode.encode(first))
                    return first
                } catch ZooKeeperError.nodeExists {
                    continue
                }
            }
            let previous = try decoding(path) { () throws(ZNodeDecodingError) in
                try ProducerIdBlockZNode.decode(data)
            }
            let start = previous.map { $0.lastProducerId + 1 } ?? 0
            guard start >= 0, start <= Int64.max - (blockSize - 1) else { throw KafkaZkError.producerIdsExhausted }
            let block = ProducerIdBlock(
                brokerId: brokerId, firstProducerId: start, lastProducerId: start + blockSize - 1)
            do {
                try await session.set(path, data: ProducerIdBlockZNode.encode(block), version: stat.version)
                return block
            } catch ZooKeeperError.badVersion {
                continue
            }
        }
    }

    // MARK: Watches

    /// Live broker ids plus a watch for the next join or leave.
    public func watchBrokerIds() async throws -> (ids: [Int32], watch: ZooKeeperWatch) {
        let (children, watch) = try await session.childrenAndWatch(BrokerIdsZNode.path)
        return (children.compactMap { Int32($0) }.sorted(), watch)
    }

    /// Topic names plus a watch for the next topic creation or removal.
    public func watchTopics() async throws -> (topics: [String], watch: ZooKeeperWatch) {
        let (children, watch) = try await session.childrenAndWatch(TopicsZNode.path)
        return (children.sorted(), watch)
    }

    /// One topic's assignment plus a watch for its change (added partitions) or deletion.
    public func watchTopic(_ name: String) async throws -> (topic: TopicRecord?, watch: ZooKeeperWatch) {
        let path = TopicZNode.path(name)
        let (stat, watch) = try await session.existsAndWatch(path)
        guard stat != nil else { return (nil, watch) }
        return (try await getTopic(name), watch)
    }

    /// Topics queued for deletion plus a watch for new markers.
    public func watchDeleteTopics() async throws -> (topics: [String], watch: ZooKeeperWatch) {
        let (children, watch) = try await session.childrenAndWatch(DeleteTopicsZNode.path)
        return (children.sorted(), watch)
    }

    /// ISR change notification children (sorted by sequence) plus a watch for new ones.
    public func watchIsrChangeNotifications() async throws -> (notifications: [String], watch: ZooKeeperWatch) {
        let (children, watch) = try await session.childrenAndWatch(IsrChangeNotificationZNode.path)
        return (sortedBySequence(children, prefix: IsrChangeNotificationZNode.sequencePrefix), watch)
    }

    /// The current controller id (nil if none) plus a watch for its creation, change or deletion.
    public func watchController() async throws -> (controllerId: Int32?, watch: ZooKeeperWatch) {
        let (stat, watch) = try await session.existsAndWatch(ControllerZNode.path)
        guard stat != nil else { return (nil, watch) }
        return (try await controllerId(), watch)
    }

    /// `/admin/preferred_replica_election`'s existence plus a watch for its creation or deletion.
    public func watchPreferredReplicaElection() async throws -> (exists: Bool, watch: ZooKeeperWatch) {
        let (stat, watch) = try await session.existsAndWatch(PreferredReplicaElectionZNode.path)
        return (stat != nil, watch)
    }

    // MARK: Helpers

    private func getIfExists(_ path: String) async throws -> (data: [UInt8], stat: ZooKeeperStat)? {
        do {
            return try await session.get(path)
        } catch ZooKeeperError.noNode {
            return nil
        }
    }

    private func decoding<T>(_ path: String, _ body: () throws(ZNodeDecodingError) -> T) throws(KafkaZkError) -> T {
        do {
            return try body()
        } catch {
            throw .corruptZNode(path: path, error: error)
        }
    }

    private func sortedBySequence(_ children: [String], prefix: String) -> [String] {
        children.sorted { a, b in
            let sa = Int64(a.dropFirst(prefix.count)) ?? Int64.max
            let sb = Int64(b.dropFirst(prefix.count)) ?? Int64.max
            return (sa, a) < (sb, b)
        }
    }
}
