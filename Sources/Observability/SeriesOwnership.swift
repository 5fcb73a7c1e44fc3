/// Who exports a cluster-wide series. Prometheus sums over every target it scrapes, so each cluster-wide series must
/// come from exactly one broker; these rules decide which, from the state a broker holds at scrape time (so a series
/// moves with leadership or coordination as soon as the state does). Pure functions, tested on their own.
public enum SeriesOwnership {
    /// The broker's own view of one local replica.
    public struct ReplicaView: Sendable, Equatable {
        public var topic: String
        public var partition: Int32
        /// The leader named by the last LeaderAndIsr this broker applied.
        public var leader: Int32
        /// Leader duties suspended (session loss, a refused ISR write) until the next LeaderAndIsr.
        public var fenced: Bool

        public init(topic: String, partition: Int32, leader: Int32, fenced: Bool) {
            self.topic = topic
            self.partition = partition
            self.leader = leader
            self.fenced = fenced
        }
    }

    /// `kafka_topic_partition_*` (offsets, ISR size, leader…): only from the partition's current leader. A fenced
    /// leader stays silent, so a deposed leader never doubles the series while the controller moves it.
    public static func exportsPartitionSeries(_ replica: ReplicaView, localBroker: Int32) -> Bool {
        replica.leader == localBroker && !replica.fenced
    }

    /// `kafka_log_log_*`: every replica with its own data, as Kafka's per-broker `kafka.log:type=Log` MBeans.
    public static func exportsLogSeries(_ replica: ReplicaView, localBroker: Int32) -> Bool { true }

    /// `kafka_brokers`, `kafka_topic_partitions`, the controller's `global*`, `offlinepartitionscount` and
    /// `preferredreplicaimbalancecount`: only from the active controller.
    public static func exportsControllerSeries(isActiveController: Bool) -> Bool { isActiveController }

    /// `kafka_controller_kafkacontroller_activecontrollercount`: 1 on the active controller, 0 everywhere else, so
    /// the cluster sum is 1 when healthy (Strimzi's `AbnormalControllerState` alert).
    public static func activeControllerCount(isActiveController: Bool) -> Int64 { isActiveController ? 1 : 0 }

    /// `kafka_consumergroup_*`: only from the group's coordinator, i.e. the broker whose group runtime has the
    /// group's `__consumer_offsets` partition loaded (it leads that partition and has replayed it).
    public static func exportsGroupSeries(coordinatorPartitionLoaded: Bool) -> Bool { coordinatorPartitionLoaded }

    /// Which of `replicas` this broker exports partition series for.
    public static func partitionsExported(_ replicas: [ReplicaView], localBroker: Int32) -> [ReplicaView] {
        replicas.filter { exportsPartitionSeries($0, localBroker: localBroker) }
    }
}
