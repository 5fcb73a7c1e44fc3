import KRaft
import KafkaConfig
import Logging
import MetadataImage
import NIOCore
import Observability
import Replication

/// Kafka's `raft-metrics` gauges of one quorum member (`KafkaRaftMetrics`), read from the Raft state as a value.
/// Rates and latencies (`commit-latency-*`, `append-records-rate`, …) are not kept, so they are not exported.
struct RaftMetricsReading: Sendable, Equatable {
    /// Kafka's names: leader, candidate, prospective, voted, follower, unattached, resigned, and observer for a
    /// broker-only node (not a voter) following a leader or looking for one.
    var state: String
    /// -1 when unknown.
    var leader: Int32
    /// The voter this member voted for in the current epoch, -1 when none (a leader or candidate voted for itself).
    var vote: Int32
    var epoch: Int32
    /// -1 when unknown (after a restart, until the leader says).
    var highWatermark: Int64
    var logEndOffset: Int64
    var logEndEpoch: Int32
    var voters: Int

    init<Log: RaftLog>(_ node: RaftNode<Log>) {
        let own = node.id.rawValue
        switch node.role {
        case .leader: (state, vote) = ("leader", own)
        case .candidate: (state, vote) = ("candidate", own)
        case .prospective(let s): (state, vote) = ("prospective", s.votedId?.rawValue ?? -1)
        case .voted(let s): (state, vote) = ("voted", s.votedId.rawValue)
        case .follower(let s): (state, vote) = ("follower", s.votedId?.rawValue ?? -1)
        case .unattached: (state, vote) = ("unattached", -1)
        case .resigned: (state, vote) = ("resigned", own)
        }
        if node.isObserver { (state, vote) = ("observer", -1) }
        leader = node.leaderId?.rawValue ?? -1
        epoch = node.epoch
        highWatermark = node.highWatermark ?? -1
        logEndOffset = node.log.endOffset
        logEndEpoch = node.log.lastFetchedEpoch
        voters = node.voters.count
    }
}

extension RaftDriver {
    var metricsReading: RaftMetricsReading { RaftMetricsReading(node) }
}

/// The cluster as a KRaft controller's image counts it: registered brokers, unfenced or fenced (Kafka's
/// `ControllerMetadataMetrics` ActiveBrokerCount / FencedBrokerCount).
struct KRaftBrokerCounts: Sendable, Equatable {
    var active = 0
    var fenced = 0

    init(_ image: MetadataImage) {
        for b in image.brokers.values {
            if b.fenced { fenced += 1 } else { active += 1 }
        }
    }
}

/// KRaft mode's part of `/metrics` (a combined node): the active controller is the node whose
/// `KRaftActiveController` runs (the quorum leader that has replayed the log), and the mode's own series are the
/// names Strimzi's jmx_exporter rules give Kafka's KRaft MBeans:
/// - `kafka_server_raftmetrics_*` (`kafka.server:type=raft-metrics`) on every quorum member;
/// - `kafka_server_brokermetadatametrics_last_applied_record_offset` (`type=broker-metadata-metrics`) on every
///   broker;
/// - `kafka_controller_kafkacontroller_{lastappliedrecordoffset,lastcommittedrecordoffset}` on every controller;
/// - `kafka_controller_kafkacontroller_{activebrokercount,fencedbrokercount}` on the active controller only. Kafka's
///   standby controllers report them too, from their own image; here they follow `SeriesOwnership` like the other
///   cluster-wide counts, so `sum()` over the targets is the cluster's number in both metadata modes.
struct KRaftObservation: MetadataModeObservation {
    let driver: RaftDriver
    let controller: KRaftActiveController
    let publisher: KRaftMetadataPublisher
    /// A controller node (`process.roles` has controller): only these export Kafka's controller gauges.
    let isController: Bool

    var isActiveController: Bool { controller.isActive }
    /// The KRaft controller here never elects a leader from outside the ISR (no unclean election decisions yet).
    var uncleanLeaderElections: Int { 0 }

    func writeSeries(into out: inout MetricsText) async {
        let raft = await driver.metricsReading
        let committed = await driver.highWatermark
        Self.write(
            raft: raft, appliedOffset: publisher.appliedOffset, committedOffset: isController ? committed : nil,
            brokers: isActiveController ? KRaftBrokerCounts(publisher.image) : nil, into: &out)
    }

    /// The families from their readings; `committedOffset` is nil on a broker-only node, `brokers` on every node
    /// but the active controller.
    static func write(
        raft: RaftMetricsReading, appliedOffset: Int64, committedOffset: Int64?, brokers: KRaftBrokerCounts?,
        into out: inout MetricsText
    ) {
        let prefix = "kafka_server_raftmetrics_"
        // Strimzi's rule turns the string gauge into an untyped 1 labelled with the state.
        out.family(
            prefix + "current_state", .untyped, help: "This quorum member's state (1 for the current one).",
            [Sample(1, labels: [("current_state", raft.state)])])
        out.family(
            prefix + "current_leader", .gauge, help: "The quorum leader's id; -1 when unknown.",
            [Sample(Int64(raft.leader))])
        out.family(
            prefix + "current_vote", .gauge, help: "The voter voted for in the current epoch; -1 when none.",
            [Sample(Int64(raft.vote))])
        out.family(prefix + "current_epoch", .gauge, help: "The quorum epoch.", [Sample(Int64(raft.epoch))])
        out.family(
            prefix + "high_watermark", .gauge, help: "The metadata log's high watermark here; -1 when unknown.",
            [Sample(raft.highWatermark)])
        out.family(
            prefix + "log_end_offset", .gauge, help: "The metadata log's end offset here.", [Sample(raft.logEndOffset)])
        out.family(
            prefix + "log_end_epoch", .gauge, help: "The epoch of the metadata log's last entry here.",
            [Sample(Int64(raft.logEndEpoch))])
        out.family(
            prefix + "number_of_voters", .gauge, help: "Voters of the quorum.", [Sample(Int64(raft.voters))])
        // Voters come from controller.quorum.voters with their endpoints, so none is ever unknown (as in Kafka).
        out.family(
            prefix + "number_unknown_voter_connections", .gauge,
            help: "Voters whose connection information is not known.", [Sample(0)])
        out.family(
            "kafka_server_brokermetadatametrics_last_applied_record_offset", .gauge,
            help: "Offset of the last metadata record this broker applied.", [Sample(appliedOffset - 1)])
        guard let committedOffset else { return }
        let controller = "kafka_controller_kafkacontroller_"
        out.family(
            controller + "lastappliedrecordoffset", .gauge,
            help: "Offset of the last metadata record this controller node applied.", [Sample(appliedOffset - 1)])
        out.family(
            controller + "lastcommittedrecordoffset", .gauge,
            help: "Offset of the last metadata record committed by the quorum, as this node knows it.",
            [Sample(committedOffset - 1)])
        guard let brokers else { return }
        out.family(
            controller + "activebrokercount", .gauge, help: "Registered brokers that are not fenced.",
            [Sample(Int64(brokers.active))])
        out.family(
            controller + "fencedbrokercount", .gauge, help: "Registered brokers that are fenced.",
            [Sample(Int64(brokers.fenced))])
    }
}

extension KRaftLauncher {
    /// Binds `http.listeners` on a KRaft node: `/metrics`, the console and Burrow's API, with the same pages as
    /// ZooKeeper mode over the state KRaft mode has (`KRaftObservation` for what differs).
    static func startMetricsListener(
        _ config: BrokerConfig, nodeId: Int32, metrics: BrokerMetrics, replicas: ReplicaManager,
        metadata: MetadataCache, groups: GroupService, quorum: KRaftQuorumPart,
        brokerConfig: @escaping @Sendable () -> BrokerConfig, logger: Logger
    ) async throws -> MetricsHTTPServer? {
        guard !config.httpListeners.isEmpty else { return nil }
        return try await BrokerLauncher.startMetricsListener(
            config.httpListeners,
            observability: BrokerObservability(
                brokerId: nodeId, metrics: metrics, replicas: replicas, metadata: metadata, groups: groups,
                mode: KRaftObservation(
                    driver: quorum.driver, controller: quorum.controller, publisher: quorum.publisher,
                    isController: quorum.kraft.isController),
                config: brokerConfig),
            group: quorum.group, logger: logger)
    }
}
