import LogStorage

// The ports replication needs from the rest of the broker. `Replication` declares them; `Broker` implements them
// (ZooKeeper, the inter-broker client, the metadata cache, the group coordinator), and tests pass stubs.

/// Where a leader writes its ISR changes (ZooKeeper in production; a stub in tests).
public protocol LeaderIsrWriter: Sendable {
    /// Writes `proposal` conditionally on its expected zkVersion.
    func write(_ proposal: Partition.IsrProposal) async -> Partition.IsrWriteResult
    /// Publishes one `/isr_change_notification` for these partitions; false to retry later.
    func publish(_ changed: [TopicPartition]) async -> Bool
}

/// The brokers replication may talk to: who is alive (ISR eligibility, HW) and where a leader listens.
public protocol LiveBrokers: Sendable {
    func isAlive(_ broker: Int32) -> Bool
    /// The broker's address on the inter-broker listener, when known.
    func interBrokerAddress(of broker: Int32) -> (host: String, port: Int)?
}

/// Opens follower connections to leaders (Kafka's `BlockingSend`).
public protocol LeaderConnector: Sendable {
    func connect(to source: FetchSource, clientId: String, connectTimeoutMs: Int, requestTimeoutMs: Int) async throws
        -> any LeaderConnection
}

/// One connection from a follower to its leader: replica fetches and the leader's log start / end.
public protocol LeaderConnection: Sendable {
    var isActive: Bool { get }
    func fetch(_ request: FollowerFetchRequest) async throws -> FollowerFetchResponse
    /// The leader's log start (`.earliest`) or end (`.latest`) offset as a replica sees it; nil when the leader
    /// answered with an error.
    func leaderOffset(
        _ tp: TopicPartition, replicaId: Int32, currentLeaderEpoch: Int32, _ position: LeaderOffsetPosition
    ) async throws -> Int64?
    func close() async
}

public enum LeaderOffsetPosition: Sendable {
    case earliest
    case latest
}

/// A follower's fetch, in domain terms (the broker encodes it as Fetch v12 with `replicaId`).
public struct FollowerFetchRequest: Sendable, Equatable {
    public struct Partition: Sendable, Equatable {
        public var topicPartition: TopicPartition
        public var currentLeaderEpoch: Int32
        public var fetchOffset: Int64
        public var lastFetchedEpoch: Int32
        public var logStartOffset: Int64
        public var maxBytes: Int32

        public init(
            topicPartition: TopicPartition, currentLeaderEpoch: Int32, fetchOffset: Int64, lastFetchedEpoch: Int32,
            logStartOffset: Int64, maxBytes: Int32
        ) {
            self.topicPartition = topicPartition
            self.currentLeaderEpoch = currentLeaderEpoch
            self.fetchOffset = fetchOffset
            self.lastFetchedEpoch = lastFetchedEpoch
            self.logStartOffset = logStartOffset
            self.maxBytes = maxBytes
        }
    }
    public var replicaId: Int32
    public var maxWaitMs: Int32
    public var minBytes: Int32
    public var maxBytes: Int32
    /// Sorted by topic and partition. In an incremental session request, only the added and changed ones.
    public var partitions: [Partition]
    /// KIP-227: the leader's session id (0: none) and the epoch (0: full, creating a session; -1: sessionless).
    public var sessionId: Int32 = 0
    public var sessionEpoch: Int32 = -1
    /// Partitions an incremental request removes from the session.
    public var forgotten: [TopicPartition] = []

    public init(replicaId: Int32, maxWaitMs: Int32, minBytes: Int32, maxBytes: Int32, partitions: [Partition]) {
        self.replicaId = replicaId
        self.maxWaitMs = maxWaitMs
        self.minBytes = minBytes
        self.maxBytes = maxBytes
        self.partitions = partitions
    }
}

/// The leader's answer to a follower fetch.
public struct FollowerFetchResponse: Sendable {
    public struct Partition: Sendable {
        public enum Outcome: Sendable, Equatable {
            case noError
            case offsetOutOfRange
            /// Any other error: a leadership change the controller's next LeaderAndIsr will resolve.
            case otherError(code: Int16)
        }
        public var topicPartition: TopicPartition
        public var outcome: Outcome
        public var highWatermark: Int64
        public var logStartOffset: Int64
        /// Record batches as stored on the leader (empty when none).
        public var records: [UInt8]
        /// Set when the follower's last fetched epoch diverges from the leader's log.
        public var divergingEpoch: (epoch: Int32, endOffset: Int64)?

        public init(
            topicPartition: TopicPartition, outcome: Outcome, highWatermark: Int64, logStartOffset: Int64,
            records: [UInt8], divergingEpoch: (epoch: Int32, endOffset: Int64)?
        ) {
            self.topicPartition = topicPartition
            self.outcome = outcome
            self.highWatermark = highWatermark
            self.logStartOffset = logStartOffset
            self.records = records
            self.divergingEpoch = divergingEpoch
        }
    }
    /// The response-level error code (non-zero: back off and retry).
    public var errorCode: Int16
    /// The leader's session id (0: sessionless). In an incremental response, `partitions` holds only those with
    /// news (data, a new HW or log start, an error).
    public var sessionId: Int32
    public var partitions: [Partition]

    public init(errorCode: Int16, sessionId: Int32 = 0, partitions: [Partition]) {
        self.errorCode = errorCode
        self.sessionId = sessionId
        self.partitions = partitions
    }
}

/// Hears when this broker becomes leader or follower of, or drops, a partition of one internal topic (the group
/// coordinator for `__consumer_offsets`). Called under the state-change lock, in request order.
public protocol PartitionLeadershipListener: Sendable {
    /// The topic whose partitions this listener follows.
    var watchedTopic: String { get }
    func partitionLeadershipChanged(partition: Int32, isLeader: Bool, leaderEpoch: Int32) async
    /// The replica was deleted (StopReplica with deletePartition).
    func partitionRemoved(partition: Int32) async
}
