/// What the coordinator reports about one group it coordinates: its member count and, per committed partition,
/// the committed offset and the lag behind the partition's high watermark.
public struct GroupLagReport: Sendable, Equatable {
    public struct PartitionLag: Sendable, Equatable {
        public var topic: String
        public var partition: Int32
        public var committedOffset: Int64
        /// When the offset was committed (ms), for Burrow's window of commits.
        public var commitTimestamp: Int64
        /// Nil when the high watermark is not known here.
        public var lag: Int64?
        /// The timestamp of the first record the group has not consumed (nil: caught up, or not known here).
        public var firstUnconsumedTimestamp: Int64?

        public init(topic: String, partition: Int32, committedOffset: Int64, lag: Int64?, commitTimestamp: Int64 = 0) {
            self.topic = topic
            self.partition = partition
            self.committedOffset = committedOffset
            self.lag = lag
            self.commitTimestamp = commitTimestamp
        }
    }

    public var groupId: String
    public var members: Int
    public var partitions: [PartitionLag]
    /// Rebalances since this coordinator loaded the group.
    public var rebalances: RebalanceStats

    public init(groupId: String, members: Int, partitions: [PartitionLag], rebalances: RebalanceStats = .init()) {
        self.groupId = groupId
        self.members = members
        self.partitions = partitions
        self.rebalances = rebalances
    }
}

extension GroupCoordinatorRuntime {
    /// Lag of every group this coordinator serves (its `__consumer_offsets` partition loaded), from the committed
    /// offsets it already holds and `highWatermark(topic, partition)`: a scrape costs one pass over memory and no
    /// request. Groups of partitions still loading or led elsewhere are not reported, so a group's series come from
    /// its coordinator only. Negative lag (a follower's high watermark one fetch round behind) reads as 0.
    public func lagReports(highWatermark: @Sendable (String, Int32) -> Int64?) -> [GroupLagReport] {
        listGroups().compactMap { entry -> GroupLagReport? in
            guard let g = group(entry.groupId) else { return nil }
            let partitions = g.offsets.sorted { $0.key < $1.key }.map { key, committed in
                GroupLagReport.PartitionLag(
                    topic: key.topic, partition: key.partition, committedOffset: committed.offset,
                    lag: highWatermark(key.topic, key.partition).map { max(0, $0 - committed.offset) },
                    commitTimestamp: committed.commitTimestamp)
            }
            return GroupLagReport(
                groupId: entry.groupId, members: g.size, partitions: partitions, rebalances: g.rebalances)
        }
    }
}
