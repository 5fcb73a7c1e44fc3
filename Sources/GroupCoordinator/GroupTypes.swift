import KafkaProtocol

/// Broker settings a group obeys (`group.*`, `offset.metadata.max.bytes`).
public struct GroupConfig: Sendable, Equatable {
    /// `group.initial.rebalance.delay.ms`: how long an Empty group's first rebalance waits for more members.
    public var initialRebalanceDelayMs: Int64
    /// `group.min.session.timeout.ms` / `group.max.session.timeout.ms`.
    public var minSessionTimeoutMs: Int32
    public var maxSessionTimeoutMs: Int32
    /// `group.max.size`.
    public var maxSize: Int
    /// `offset.metadata.max.bytes`.
    public var offsetMetadataMaxBytes: Int
    /// How long a new member's JoinGroup may stay parked before the member is dropped (Kafka: 5 minutes).
    public var newMemberJoinTimeoutMs: Int64
    /// `offsets.retention.minutes` in milliseconds: how long committed offsets outlive an empty group (or, for
    /// standalone commits, their commit).
    public var offsetsRetentionMs: Int64
    /// `needletail.rebalance.history.max.entries`: finished rebalances kept per group (in memory and on disk).
    public var rebalanceHistoryMaxEntries: Int = 100
    /// `needletail.rebalance.history.retention.ms`: how long a finished rebalance stays in the history.
    public var rebalanceHistoryRetentionMs: Int64 = 7 * 24 * 3_600_000

    public init(
        initialRebalanceDelayMs: Int64 = 3000, minSessionTimeoutMs: Int32 = 6000,
        maxSessionTimeoutMs: Int32 = 1_800_000,
        maxSize: Int = Int(Int32.max), offsetMetadataMaxBytes: Int = 4096, newMemberJoinTimeoutMs: Int64 = 300_000,
        offsetsRetentionMs: Int64 = 7 * 24 * 3_600_000
    ) {
        self.offsetsRetentionMs = offsetsRetentionMs
        self.initialRebalanceDelayMs = initialRebalanceDelayMs
        self.minSessionTimeoutMs = minSessionTimeoutMs
        self.maxSessionTimeoutMs = maxSessionTimeoutMs
        self.maxSize = maxSize
        self.offsetMetadataMaxBytes = offsetMetadataMaxBytes
        self.newMemberJoinTimeoutMs = newMemberJoinTimeoutMs
    }
}

/// The classic protocol's group states, spelled as Kafka prints them (DescribeGroups, ListGroups, logs).
public enum GroupStateName: String, Sendable, Equatable, CaseIterable {
    case empty = "Empty"
    case preparingRebalance = "PreparingRebalance"
    case completingRebalance = "CompletingRebalance"
    case stable = "Stable"
    case dead = "Dead"
}

/// One protocol (assignor) a member supports, with its opaque metadata.
public struct GroupProtocol: Sendable, Equatable {
    public var name: String
    public var metadata: [UInt8]

    public init(name: String, metadata: [UInt8]) {
        self.name = name
        self.metadata = metadata
    }
}

/// A JoinGroup request as the state machine needs it.
public struct JoinGroupInput: Sendable, Equatable {
    public var apiVersion: Int16
    public var memberId: String
    public var groupInstanceId: String?
    public var clientId: String
    public var clientHost: String
    public var sessionTimeoutMs: Int32
    /// v0 has none: pass the session timeout.
    public var rebalanceTimeoutMs: Int32
    public var protocolType: String
    public var protocols: [GroupProtocol]
    public var reason: String?

    public init(
        apiVersion: Int16, memberId: String, groupInstanceId: String? = nil, clientId: String, clientHost: String,
        sessionTimeoutMs: Int32, rebalanceTimeoutMs: Int32, protocolType: String, protocols: [GroupProtocol],
        reason: String? = nil
    ) {
        self.apiVersion = apiVersion
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.clientId = clientId
        self.clientHost = clientHost
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs < 0 ? sessionTimeoutMs : rebalanceTimeoutMs
        self.protocolType = protocolType
        self.protocols = protocols
        self.reason = reason
    }

    /// MEMBER_ID_REQUIRED applies to dynamic members on JoinGroup v4+ only (v0–v3 clients never expect it).
    var requiresKnownMemberId: Bool { apiVersion >= 4 && groupInstanceId == nil }
}

/// What a JoinGroup answers (immediately or when the rebalance completes).
public struct JoinGroupResult: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public var memberId: String
        public var groupInstanceId: String?
        public var metadata: [UInt8]
    }

    public var error: ErrorCode
    public var generationId: Int32
    public var protocolType: String?
    public var protocolName: String?
    public var leaderId: String
    public var memberId: String
    /// Filled for the leader only: every member's metadata for the chosen protocol.
    public var members: [Member]
    public var skipAssignment: Bool

    public static func failure(_ error: ErrorCode, memberId: String = "") -> JoinGroupResult {
        JoinGroupResult(
            error: error, generationId: -1, protocolType: nil, protocolName: nil, leaderId: "", memberId: memberId,
            members: [], skipAssignment: false)
    }
}

/// What a SyncGroup answers.
public struct SyncGroupResult: Sendable, Equatable {
    public var error: ErrorCode
    public var protocolType: String?
    public var protocolName: String?
    public var assignment: [UInt8]

    public static func failure(_ error: ErrorCode) -> SyncGroupResult {
        SyncGroupResult(error: error, protocolType: nil, protocolName: nil, assignment: [])
    }
}

/// What the coordinator must do after a group event. Actions are performed in order: a `persist` is
/// acknowledged by the log before any later `completeSync` is delivered.
public enum GroupAction: Sendable, Equatable {
    /// Answer the parked (or current) JoinGroup with this token.
    case completeJoin(token: UInt64, JoinGroupResult)
    /// Answer the parked (or current) SyncGroup with this token.
    case completeSync(token: UInt64, SyncGroupResult)
    /// Append the group's metadata record to its `__consumer_offsets` partition.
    case persist(GroupMetadataValue)
    /// A line for the broker log, worded like Kafka's GroupCoordinator.
    case log(String)
}

/// A (topic, partition) pair inside a group's offsets.
public struct TopicPartitionKey: Sendable, Hashable, Comparable {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (a: Self, b: Self) -> Bool {
        a.topic == b.topic ? a.partition < b.partition : a.topic < b.topic
    }
}

/// A committed offset as OffsetFetch returns it.
public struct CommittedOffset: Sendable, Equatable {
    public var offset: Int64
    public var leaderEpoch: Int32
    public var metadata: String
    public var commitTimestamp: Int64
    /// An explicit expiry from an old (v1) commit record; nil lets `offsets.retention.minutes` decide.
    public var expireTimestamp: Int64?

    public init(
        offset: Int64, leaderEpoch: Int32, metadata: String, commitTimestamp: Int64, expireTimestamp: Int64? = nil
    ) {
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
        self.commitTimestamp = commitTimestamp
        self.expireTimestamp = expireTimestamp
    }
}

/// A member of a classic group.
public struct GroupMember: Sendable, Equatable {
    public var memberId: String
    public var groupInstanceId: String?
    public var clientId: String
    public var clientHost: String
    public var rebalanceTimeoutMs: Int32
    public var sessionTimeoutMs: Int32
    public var protocolType: String
    public var protocols: [GroupProtocol]
    public var assignment: [UInt8] = []
    /// Token of the parked JoinGroup, if any.
    public var awaitingJoin: UInt64?
    /// The JoinGroup version of the parked request (v9+ leaders may skip assignment).
    public var joinVersion: Int16 = 0
    /// Token of the parked SyncGroup, if any.
    public var awaitingSync: UInt64?
    /// A member that has not completed its first join yet (it cannot heartbeat).
    public var isNew: Bool = true
    /// Last heartbeat (or join/sync/commit that counts as one).
    public var latestHeartbeat: Int64

    public var isStatic: Bool { groupInstanceId != nil }

    func metadata(for protocolName: String?) -> [UInt8] {
        guard let protocolName else { return [] }
        return protocols.first { $0.name == protocolName }?.metadata ?? []
    }
}

/// One group as DescribeGroups shows it.
public struct GroupDescription: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public var memberId: String
        public var groupInstanceId: String?
        public var clientId: String
        public var clientHost: String
        public var metadata: [UInt8]
        public var assignment: [UInt8]
    }

    public var state: GroupStateName
    public var protocolType: String
    public var protocolName: String
    public var members: [Member]

    public static let dead = GroupDescription(state: .dead, protocolType: "", protocolName: "", members: [])
}
