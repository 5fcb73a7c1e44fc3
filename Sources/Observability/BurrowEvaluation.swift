/// LinkedIn Burrow's consumer evaluation, for `GET /v3/kafka/<cluster>/consumer/<group>/status` and `/lag`: the
/// same window of commits per partition, the same five rules and the same JSON. Pure values; the broker feeds the
/// windows from its coordinator's commits and answers the HTTP requests.
public enum BurrowStatus: Int, Sendable, Comparable, Encodable {
    case notFound = 0
    case ok = 1
    case warn = 2
    case err = 3
    case stop = 4
    case stall = 5
    case rewind = 6

    /// Burrow's names (`protocol.StatusStrings`).
    public var name: String { ["NOTFOUND", "OK", "WARN", "ERR", "STOP", "STALL", "REWIND"][rawValue] }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}

/// One commit as Burrow stores it: the offset, the commit's timestamp (ms), when it was observed (ms), and the lag
/// behind the partition's end offset at that moment.
public struct BurrowOffset: Sendable, Equatable, Codable {
    public var offset: Int64
    public var timestamp: Int64
    public var observedAt: Int64
    public var lag: Int64

    public init(offset: Int64, timestamp: Int64, observedAt: Int64, lag: Int64) {
        self.offset = offset
        self.timestamp = timestamp
        self.observedAt = observedAt
        self.lag = lag
    }
}

/// Burrow's ring of the last `intervals` commits of one partition (storage `intervals`, default 10). A commit with
/// the same timestamp as the newest is the same commit seen again and only refreshes its lag.
public struct BurrowWindow: Sendable, Equatable {
    public let intervals: Int
    public private(set) var offsets: [BurrowOffset] = []

    public init(intervals: Int = 10) { self.intervals = max(1, intervals) }

    public mutating func record(_ o: BurrowOffset) {
        if let last = offsets.last, last.timestamp == o.timestamp, last.offset == o.offset {
            offsets[offsets.count - 1].lag = o.lag
            offsets[offsets.count - 1].observedAt = o.observedAt
            return
        }
        offsets.append(o)
        if offsets.count > intervals { offsets.removeFirst(offsets.count - intervals) }
    }

    /// Share of the window filled (Burrow's `complete`).
    public var complete: Double { Double(offsets.count) / Double(intervals) }
}

public enum BurrowEvaluation {
    /// Burrow's `calculatePartitionStatus`. Only when the lag is above zero now and was above zero at every commit
    /// in the window do the rules apply, worst first: an offset went down (REWIND); nothing was committed for longer
    /// than the window spans (STOP); every commit had the same offset (STALL); the lag never went down (WARN).
    public static func partitionStatus(_ offsets: [BurrowOffset], currentLag: Int64, nowMs: Int64) -> BurrowStatus {
        guard currentLag > 0, !offsets.isEmpty, offsets.allSatisfy({ $0.lag != 0 }) else { return .ok }
        let pairs = zip(offsets, offsets.dropFirst())
        if pairs.contains(where: { $1.offset < $0.offset }) { return .rewind }
        if let first = offsets.first, let last = offsets.last, nowMs - last.timestamp > last.timestamp - first.timestamp
        {
            return .stop
        }
        if pairs.allSatisfy({ $1.offset == $0.offset }) { return .stall }
        if !pairs.contains(where: { $1.lag < $0.lag }) { return .warn }
        return .ok
    }

    /// Burrow's group status: the worst partition status, capped at ERR for STOP, STALL and REWIND.
    public static func groupStatus(_ partitions: [BurrowStatus]) -> BurrowStatus {
        let worst = partitions.max() ?? .ok
        return worst > .err ? .err : max(worst, .ok)
    }
}

/// Burrow's `PartitionStatus` JSON.
public struct BurrowPartitionStatus: Sendable, Encodable, Equatable {
    public var topic: String
    public var partition: Int32
    public var owner: String
    public var status: BurrowStatus
    public var start: BurrowOffset?
    public var end: BurrowOffset?
    public var currentLag: Int64
    public var complete: Double

    enum CodingKeys: String, CodingKey {
        case topic, partition, owner, status, start, end, complete
        case currentLag = "current_lag"
    }

    public init(
        topic: String, partition: Int32, owner: String, window: BurrowWindow, currentLag: Int64, nowMs: Int64
    ) {
        self.topic = topic
        self.partition = partition
        self.owner = owner
        self.start = window.offsets.first
        self.end = window.offsets.last
        self.currentLag = currentLag
        self.complete = window.offsets.isEmpty ? 1.0 : window.complete
        self.status = BurrowEvaluation.partitionStatus(window.offsets, currentLag: currentLag, nowMs: nowMs)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(topic, forKey: .topic)
        try c.encode(partition, forKey: .partition)
        try c.encode(owner, forKey: .owner)
        try c.encode(status, forKey: .status)
        try c.encode(start, forKey: .start)  // null when empty, as Go's nil pointer
        try c.encode(end, forKey: .end)
        try c.encode(currentLag, forKey: .currentLag)
        try c.encode(complete, forKey: .complete)
    }
}

/// Burrow's `ConsumerGroupStatus` JSON.
public struct BurrowGroupStatus: Sendable, Encodable, Equatable {
    public var cluster: String
    public var group: String
    public var status: BurrowStatus
    public var complete: Double
    public var partitions: [BurrowPartitionStatus]
    public var partitionCount: Int
    public var maxlag: BurrowPartitionStatus?
    public var totallag: Int64

    enum CodingKeys: String, CodingKey {
        case cluster, group, status, complete, partitions, maxlag, totallag
        case partitionCount = "partition_count"
    }

    /// `/status` lists only the partitions that are not OK (Burrow's `showall=false`); `/lag` lists all.
    public init(cluster: String, group: String, partitions all: [BurrowPartitionStatus], showAll: Bool) {
        self.cluster = cluster
        self.group = group
        self.status = BurrowEvaluation.groupStatus(all.map(\.status))
        self.partitionCount = all.count
        self.totallag = all.reduce(0) { $0 + $1.currentLag }
        self.maxlag = all.reduce(nil) { best, p in best.map { p.currentLag > $0.currentLag ? p : $0 } ?? p }
        self.complete = all.isEmpty ? 1.0 : Double(all.filter { $0.complete == 1.0 }.count) / Double(all.count)
        self.partitions = showAll ? all : all.filter { $0.status != .ok }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cluster, forKey: .cluster)
        try c.encode(group, forKey: .group)
        try c.encode(status, forKey: .status)
        try c.encode(complete, forKey: .complete)
        try c.encode(partitions, forKey: .partitions)
        try c.encode(partitionCount, forKey: .partitionCount)
        try c.encode(maxlag, forKey: .maxlag)
        try c.encode(totallag, forKey: .totallag)
    }
}
