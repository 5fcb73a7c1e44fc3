/// A client-side partition assignor (the group leader runs it during SyncGroup). Pure: same input, same output.
public protocol PartitionAssignor: Sendable {
    /// The protocol name advertised in JoinGroup ("range", "roundrobin").
    var name: String { get }
    /// Assigns the partitions of each topic (`partitionCounts`) to the members that subscribe to it.
    func assign(subscriptions: [String: [String]], partitionCounts: [String: Int32]) -> [String: [TopicPartition]]
    /// The same with each member's current ownership (sticky assignors use it; others ignore it).
    func assign(members: [String: MemberSubscription], partitionCounts: [String: Int32]) -> [String: [TopicPartition]]
    /// True for assignors that run under the incremental cooperative protocol (KIP-429).
    var isCooperative: Bool { get }
}

/// Kafka's RangeAssignor: per topic, members sorted by id each take a contiguous range; the first
/// `partitions % members` members take one extra.
public struct RangeAssignor: PartitionAssignor {
    public var name: String { "range" }
    public init() {}

    public func assign(subscriptions: [String: [String]], partitionCounts: [String: Int32]) -> [String:
        [TopicPartition]]
    {
        var out: [String: [TopicPartition]] = Dictionary(uniqueKeysWithValues: subscriptions.keys.map { ($0, []) })
        let topics = Set(subscriptions.values.joined()).sorted()
        for topic in topics {
            guard let count = partitionCounts[topic], count > 0 else { continue }
            let members = subscriptions.filter { $0.value.contains(topic) }.keys.sorted()
            guard !members.isEmpty else { continue }
            let per = Int(count) / members.count
            let extra = Int(count) % members.count
            var next: Int32 = 0
            for (i, m) in members.enumerated() {
                let n = per + (i < extra ? 1 : 0)
                for _ in 0..<n {
                    out[m, default: []].append(TopicPartition(topic, next))
                    next += 1
                }
            }
        }
        return out
    }
}

/// Kafka's RoundRobinAssignor: all partitions of all subscribed topics, sorted, dealt in turn to members sorted
/// by id, skipping members that do not subscribe to the partition's topic.
public struct RoundRobinAssignor: PartitionAssignor {
    public var name: String { "roundrobin" }
    public init() {}

    public func assign(subscriptions: [String: [String]], partitionCounts: [String: Int32]) -> [String:
        [TopicPartition]]
    {
        var out: [String: [TopicPartition]] = Dictionary(uniqueKeysWithValues: subscriptions.keys.map { ($0, []) })
        let members = subscriptions.keys.sorted()
        guard !members.isEmpty else { return out }
        let subscribed = subscriptions.mapValues(Set.init)
        var cursor = 0
        for topic in Set(subscriptions.values.joined()).sorted() {
            guard let count = partitionCounts[topic], count > 0 else { continue }
            for p in 0..<count {
                // Find the next member (circularly) that subscribes to this topic.
                for step in 0..<members.count {
                    let m = members[(cursor + step) % members.count]
                    if subscribed[m]?.contains(topic) == true {
                        out[m, default: []].append(TopicPartition(topic, p))
                        cursor = (cursor + step + 1) % members.count
                        break
                    }
                }
            }
        }
        return out
    }
}
