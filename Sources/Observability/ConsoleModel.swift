/// What the web console shows, as JSON values: the cluster, its topics and the groups this broker coordinates.
/// The broker fills these from the state its owners hold; the aggregations (under-replicated and offline counts,
/// a group's total lag and trend) are pure functions here so they can be tested without a broker.
/// Encoded with snake_case keys, like the rest of `/api/`.

public struct ConsoleBroker: Sendable, Encodable, Equatable {
    public var id: Int32
    public var host: String
    public var port: Int32
    public var rack: String?
    public var isController: Bool

    public init(id: Int32, host: String, port: Int32, rack: String?, isController: Bool) {
        self.id = id
        self.host = host
        self.port = port
        self.rack = rack
        self.isController = isController
    }
}

public struct ConsolePartition: Sendable, Encodable, Equatable {
    public var partition: Int32
    /// -1 when the partition has no leader.
    public var leader: Int32
    public var replicas: [Int32]
    public var isr: [Int32]
    /// Bytes of the replica on this broker, when it hosts one.
    public var sizeBytes: Int64?
    /// The log end offset of the replica on this broker, when it hosts one.
    public var endOffset: Int64?
    public var underReplicated: Bool
    public var offline: Bool

    /// `liveBrokers` decides offline: a leader that is not registered is as good as none (Kafka's
    /// `OfflinePartitionsCount`).
    public init(
        partition: Int32, leader: Int32, replicas: [Int32], isr: [Int32], sizeBytes: Int64? = nil,
        endOffset: Int64? = nil, liveBrokers: Set<Int32>
    ) {
        self.partition = partition
        self.leader = leader
        self.replicas = replicas
        self.isr = isr
        self.sizeBytes = sizeBytes
        self.endOffset = endOffset
        self.offline = leader < 0 || !liveBrokers.contains(leader)
        // As Kafka's UnderReplicatedPartitions, which only a live leader reports: an offline partition is counted
        // as offline, not twice.
        self.underReplicated = !offline && isr.count < replicas.count
    }
}

/// One sample of a topic's produce rate.
public struct ThroughputPoint: Sendable, Encodable, Equatable {
    /// End of the sampled interval, ms since the epoch.
    public var at: Int64
    public var messagesPerSec: Double
    public var bytesPerSec: Double

    public init(at: Int64, messagesPerSec: Double, bytesPerSec: Double) {
        self.at = at
        self.messagesPerSec = messagesPerSec
        self.bytesPerSec = bytesPerSec
    }
}

public struct ConsoleTopic: Sendable, Encodable, Equatable {
    public var name: String
    public var isInternal: Bool
    public var partitions: [ConsolePartition]
    public var underReplicated: Int
    public var offline: Int
    /// Sum of the replica sizes this broker holds (one per partition at most); nil when it holds none.
    public var sizeBytes: Int64?
    /// Produce rate into partitions led by this broker, oldest first (bounded, see `ThroughputSeries`).
    public var throughput: [ThroughputPoint]

    public init(name: String, isInternal: Bool, partitions: [ConsolePartition], throughput: [ThroughputPoint] = []) {
        self.name = name
        self.isInternal = isInternal
        self.partitions = partitions.sorted { $0.partition < $1.partition }
        self.underReplicated = partitions.filter(\.underReplicated).count
        self.offline = partitions.filter(\.offline).count
        let sizes = partitions.compactMap(\.sizeBytes)
        self.sizeBytes = sizes.isEmpty ? nil : sizes.reduce(0, +)
        self.throughput = throughput
    }
}

public struct ConsoleCluster: Sendable, Encodable, Equatable {
    public var clusterId: String
    /// -1 while no controller is known.
    public var controller: Int32
    /// The broker that answered (the console shows the groups this broker coordinates).
    public var servedBy: Int32
    public var brokers: [ConsoleBroker]
    public var topicCount: Int
    public var partitionCount: Int
    public var underReplicatedPartitions: Int
    public var offlinePartitions: Int

    public init(clusterId: String, controller: Int32, servedBy: Int32, brokers: [ConsoleBroker], topics: [ConsoleTopic])
    {
        self.clusterId = clusterId
        self.controller = controller
        self.servedBy = servedBy
        self.brokers = brokers.sorted { $0.id < $1.id }
        self.topicCount = topics.count
        self.partitionCount = topics.reduce(0) { $0 + $1.partitions.count }
        self.underReplicatedPartitions = topics.reduce(0) { $0 + $1.underReplicated }
        self.offlinePartitions = topics.reduce(0) { $0 + $1.offline }
    }
}

/// Which way a partition's lag moved over the commits Burrow's window holds.
public enum LagTrend: String, Sendable, Encodable, Equatable {
    case rising, falling, steady, unknown

    /// The first lag in the window against the current one; fewer than two observations say nothing.
    public static func of(_ window: [BurrowOffset], currentLag: Int64?) -> LagTrend {
        guard let first = window.first, let currentLag, window.count >= 2 || first.lag != currentLag else {
            return .unknown
        }
        if currentLag > first.lag { return .rising }
        if currentLag < first.lag { return .falling }
        return .steady
    }

    /// A group's trend: rising if any partition rises, else falling if any falls, else steady.
    public static func combine(_ trends: [LagTrend]) -> LagTrend {
        if trends.contains(.rising) { return .rising }
        if trends.contains(.falling) { return .falling }
        if trends.contains(.steady) { return .steady }
        return .unknown
    }
}

public struct ConsoleGroupPartition: Sendable, Encodable, Equatable {
    public var topic: String
    public var partition: Int32
    public var committedOffset: Int64
    /// High watermark minus committed offset; nil when the partition's high watermark is not known.
    public var lag: Int64?
    /// Age of the first unconsumed record (0 when caught up); nil when not known here.
    public var lagSeconds: Double?
    public var trend: LagTrend

    public init(
        topic: String, partition: Int32, committedOffset: Int64, lag: Int64?, firstUnconsumedTimestamp: Int64?,
        nowMs: Int64, trend: LagTrend
    ) {
        self.topic = topic
        self.partition = partition
        self.committedOffset = committedOffset
        self.lag = lag
        if lag == 0 {
            lagSeconds = 0
        } else if let t = firstUnconsumedTimestamp {
            lagSeconds = Double(max(0, nowMs - t)) / 1000
        } else {
            lagSeconds = nil
        }
        self.trend = trend
    }
}

public struct ConsoleMember: Sendable, Encodable, Equatable {
    public var memberId: String
    public var groupInstanceId: String?
    public var clientId: String
    public var host: String

    public init(memberId: String, groupInstanceId: String?, clientId: String, host: String) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.clientId = clientId
        self.host = host
    }
}

/// One rebalance of the timeline, flattened for the page.
public struct ConsoleRebalance: Sendable, Encodable, Equatable {
    public var generation: Int32
    /// The first cause's trigger (member_joined, left_group, session_timeout, …).
    public var trigger: String?
    public var memberId: String?
    public var clientId: String?
    public var clientHost: String?
    public var clientReason: String?
    public var startedAt: Int64
    public var completedAt: Int64?
    public var preparingMs: Int64
    public var completingMs: Int64
    public var members: Int
    public var partitionsMoved: Int
    public var inProgress: Bool

    public init(
        generation: Int32, trigger: String?, memberId: String?, clientId: String?, clientHost: String?,
        clientReason: String?, startedAt: Int64, completedAt: Int64?, preparingMs: Int64, completingMs: Int64,
        members: Int, partitionsMoved: Int, inProgress: Bool
    ) {
        self.generation = generation
        self.trigger = trigger
        self.memberId = memberId
        self.clientId = clientId
        self.clientHost = clientHost
        self.clientReason = clientReason
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.preparingMs = preparingMs
        self.completingMs = completingMs
        self.members = members
        self.partitionsMoved = partitionsMoved
        self.inProgress = inProgress
    }
}

public struct ConsoleGroup: Sendable, Encodable, Equatable {
    public var group: String
    public var state: String
    public var protocolType: String
    public var coordinator: Int32
    public var members: [ConsoleMember]
    public var partitions: [ConsoleGroupPartition]
    /// Sum of the known lags; nil when no partition's lag is known.
    public var totalLag: Int64?
    public var maxLagSeconds: Double?
    public var trend: LagTrend
    /// Burrow's evaluation of the group (OK, WARN, ERR, STOP, STALL, REWIND).
    public var status: String
    /// Oldest first; the one in progress, if any, last.
    public var rebalances: [ConsoleRebalance]
    /// The verdict on repeating causes over the last hour, if any.
    public var verdict: String?

    public init(
        group: String, state: String, protocolType: String, coordinator: Int32, members: [ConsoleMember],
        partitions: [ConsoleGroupPartition], status: String, rebalances: [ConsoleRebalance], verdict: String?
    ) {
        self.group = group
        self.state = state
        self.protocolType = protocolType
        self.coordinator = coordinator
        self.members = members
        self.partitions = partitions.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
        let lags = partitions.compactMap(\.lag)
        self.totalLag = lags.isEmpty ? nil : lags.reduce(0, +)
        self.maxLagSeconds = partitions.compactMap(\.lagSeconds).max()
        self.trend = LagTrend.combine(partitions.map(\.trend))
        self.status = status
        self.rebalances = rebalances
        self.verdict = verdict
    }
}

/// Everything the page shows, pushed whole on each change (`/api/console`, `/api/events`).
public struct ConsoleState: Sendable, Encodable, Equatable {
    public var cluster: ConsoleCluster
    public var topics: [ConsoleTopic]
    public var groups: [ConsoleGroup]

    /// No timestamp of its own: an unchanged cluster gives the same text, so the event stream stays quiet.
    public init(cluster: ConsoleCluster, topics: [ConsoleTopic], groups: [ConsoleGroup]) {
        self.cluster = cluster
        self.topics = topics.sorted { $0.name < $1.name }
        self.groups = groups.sorted { $0.group < $1.group }
    }
}
