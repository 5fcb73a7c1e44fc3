import Controller
import Coordination
import Observability

/// What `/metrics` reads differently in the two metadata modes: whether this node is the active controller (so
/// the cluster-wide controller series come from exactly one target, `SeriesOwnership`), the controller's unclean
/// election counter, and the series only one mode has — ZooKeeper's session state, or KRaft's quorum and
/// metadata-log series (`KRaftObservation`).
protocol MetadataModeObservation: Sendable {
    var isActiveController: Bool { get }
    /// Leaders this node's controller terms elected from outside the ISR.
    var uncleanLeaderElections: Int { get }
    /// Appends the mode's own families.
    func writeSeries(into out: inout MetricsText) async
}

/// ZooKeeper mode: the controller is the `/controller` election's winner (`ControllerHost`), and the broker's
/// ZooKeeper session state is Kafka's `SessionExpireListener` gauge.
struct ZooKeeperObservation: MetadataModeObservation {
    let controller: ControllerHost
    let zk: KafkaZkClient

    var isActiveController: Bool { controller.runtime != nil }
    var uncleanLeaderElections: Int { controller.stats.uncleanLeaderElections }

    func writeSeries(into out: inout MetricsText) async {
        let connected = zk.session.isConnected
        out.family(
            "kafka_server_sessionexpirelistener_sessionstate", .gauge,
            help: "ZooKeeper session state of this broker (1 for the current state).",
            [Sample(1, labels: [("state", connected ? "CONNECTED" : "DISCONNECTED")])])
    }
}
