import KafkaProtocol
import MetadataImage

/// The KRaft controller's settings, with Kafka's keys and defaults.
public struct QuorumControllerConfig: Sendable, Equatable {
    /// `broker.session.timeout.ms`: a broker that has not heartbeated for this long is fenced.
    public var brokerSessionTimeoutMs: Int64 = 9000
    /// `num.partitions`.
    public var defaultNumPartitions: Int32 = 1
    /// `default.replication.factor`.
    public var defaultReplicationFactor: Int16 = 1
    /// Kafka's `ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE`.
    public var producerIdBlockSize: Int64 = 1000

    public init() {}
}

/// What a decision produced: the records to append to the metadata log, and the response to return once they
/// commit (Kafka's `ControllerResult`). A response is never sent before its records are committed.
public struct ControllerResult<Response: Sendable>: Sendable {
    public var records: [MetadataRecord]
    public var response: Response

    public init(records: [MetadataRecord], response: Response) {
        self.records = records
        self.response = response
    }
}

/// The active KRaft controller's decisions as a value (Kafka's `QuorumController` with
/// `ClusterControlManager`, `BrokerHeartbeatManager`, `ReplicationControlManager`, `ConfigurationControlManager`
/// and `ProducerIdControlManager`, reduced). Each event takes the time and returns the records to append and the
/// response; the records are applied to `image` at once (the controller is the log's only writer, as Kafka's
/// controller applies its own records to its timeline data structures before they commit). The driver appends the
/// records through the Raft leader and answers once they commit; if it loses leadership it rebuilds a controller
/// from the committed image.
public struct QuorumController: Sendable {
    public private(set) var image: MetadataImage
    public let config: QuorumControllerConfig
    /// Per registered broker: the last heartbeat and the metadata offset it must reach to be unfenced.
    var sessions: [Int32: BrokerSession] = [:]

    struct BrokerSession: Sendable, Equatable {
        var lastContactMs: Int64
        /// The offset of the broker's RegisterBrokerRecord: a broker is caught up once it has replayed it.
        var registrationOffset: Int64
    }

    /// A controller over `image` (empty, or the committed image after a failover). Every registered broker gets a
    /// fresh session starting `now`, as Kafka's new active controller does, so none is fenced for the failover.
    public init(config: QuorumControllerConfig = .init(), image: MetadataImage = .init(), now: Int64) {
        self.config = config
        self.image = image
        for (id, b) in image.brokers {
            sessions[id] = BrokerSession(lastContactMs: now, registrationOffset: b.epoch)
        }
    }

    /// Replays a committed record written by another controller (a standby following the log).
    public mutating func replay(_ record: MetadataRecord, offset: Int64, now: Int64) throws(MetadataApplyError) {
        try image.apply(record)
        if case .registerBroker(let r) = record {
            sessions[r.brokerId] = BrokerSession(lastContactMs: now, registrationOffset: offset)
        }
        if case .unregisterBroker(let r) = record { sessions[r.brokerId] = nil }
    }

    // MARK: - Shared helpers

    /// Appends records to `out` and applies them to the image.
    mutating func emit(_ record: MetadataRecord, into out: inout [MetadataRecord]) {
        do {
            try image.apply(record)
        } catch {
            // The controller only writes records built from its own image; one that does not apply is a bug.
            assertionFailure("controller record does not apply: \(record): \(error)")
        }
        out.append(record)
    }

    /// A broker that may lead or join an ISR: registered, unfenced and not shutting down (`isActive` in Kafka's
    /// `ClusterControlManager`).
    func isActive(_ id: Int32) -> Bool {
        guard let b = image.brokers[id] else { return false }
        return !b.fenced && !b.inControlledShutdown
    }

    /// The change that takes `removing` out of a partition's ISR (never leaving it empty: the last member stays,
    /// leaderless) and re-elects a leader among the active ISR members, preferring the current leader (whose epoch
    /// is bumped when its ISR shrinks), then replica order. Kafka's `PartitionChangeBuilder` without unclean election or ELR. Nil when nothing changes.
    func leaderAndIsrChange(
        topicId: UUIDValue, partitionId: Int32, _ p: PartitionImage, removing: Int32?, inactive: Set<Int32> = []
    ) -> PartitionChangeRecord? {
        let usable = { (id: Int32) in self.isActive(id) && !inactive.contains(id) && id != removing }
        var isr = p.isr
        if let removing, isr.contains(removing) {
            let shrunk = isr.filter { $0 != removing }
            if !shrunk.isEmpty { isr = shrunk }
        }
        let leader: Int32
        if p.leader != PartitionImage.noLeader && isr.contains(p.leader) && usable(p.leader) {
            leader = p.leader
        } else {
            leader = p.replicas.first { isr.contains($0) && usable($0) } ?? PartitionImage.noLeader
        }
        guard isr != p.isr || leader != p.leader else { return nil }
        var change = PartitionChangeRecord(partitionId: partitionId, topicId: topicId)
        if isr != p.isr { change.isr = isr }
        if leader != p.leader {
            change.leader = leader
        } else if removing != nil && isr != p.isr && leader != PartitionImage.noLeader {
            // Kafka bumps the leader epoch when the controller shrinks the ISR (`PartitionChangeBuilder`, KAFKA-15353,
            // metadata.version 3.6-IV2 and later): naming the same leader again is what bumps it, and the new epoch
            // is how the leader learns its smaller ISR and new partition epoch.
            change.leader = leader
        }
        return change
    }

    /// Partition changes that move leadership and ISR membership off `brokerId` (fencing, controlled shutdown).
    mutating func moveOff(_ brokerId: Int32, into out: inout [MetadataRecord]) {
        for topic in image.topics.values.sorted(by: { $0.name < $1.name }) {
            for (pid, p) in topic.partitions.sorted(by: { $0.key < $1.key }) where p.isr.contains(brokerId) {
                if let change = leaderAndIsrChange(
                    topicId: topic.id, partitionId: pid, p, removing: brokerId, inactive: [brokerId])
                {
                    emit(.partitionChange(change), into: &out)
                }
            }
        }
    }

    /// Elects `brokerId` for leaderless partitions whose ISR holds it (Kafka's `handleBrokerUnfenced`).
    mutating func electLeaderless(_ brokerId: Int32, into out: inout [MetadataRecord]) {
        for topic in image.topics.values.sorted(by: { $0.name < $1.name }) {
            for (pid, p) in topic.partitions.sorted(by: { $0.key < $1.key })
            where p.leader == PartitionImage.noLeader && p.isr.contains(brokerId) {
                if let change = leaderAndIsrChange(topicId: topic.id, partitionId: pid, p, removing: nil) {
                    emit(.partitionChange(change), into: &out)
                }
            }
        }
    }

    /// The registered broker with this id and epoch, or nil (Kafka's `checkBrokerEpoch`).
    func registration(_ id: Int32, epoch: Int64) -> BrokerRegistration? {
        guard let b = image.brokers[id], b.epoch == epoch else { return nil }
        return b
    }
}
