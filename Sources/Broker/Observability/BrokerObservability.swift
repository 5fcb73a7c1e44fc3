import Controller
import Coordination
import GroupCoordinator
import KafkaConfig
import KafkaProtocol
import LogStorage
import Observability
import Replication
import Synchronization

import struct Foundation.Date
import class Foundation.ProcessInfo
import struct KafkaClient.BrokerAddress

/// Renders `/metrics` at scrape time from the state its owners hold — the replica manager's partitions, the metadata
/// cache, the controller host, the group coordinator, the ZooKeeper session — plus the request-path counters in
/// `BrokerMetrics`. It owns nothing; cluster-wide series follow `SeriesOwnership`, so each comes from one broker
/// and moves with leadership, coordination or the controller role.
final class BrokerObservability: Sendable {
    let brokerId: Int32
    let metrics: BrokerMetrics
    let replicas: ReplicaManager
    private let metadata: MetadataCache
    let groups: GroupService
    /// ZooKeeper or KRaft: the active-controller test and the series only one mode has.
    let mode: any MetadataModeObservation
    /// High watermarks of partitions led elsewhere, for the lag of the groups coordinated here.
    let endOffsets: LeaderEndOffsets
    /// The batch timestamp last read for each (partition, committed offset): a scrape reads a header again only
    /// when a group's committed offset moved.
    private let unconsumedTimestamps = Mutex<[LagPartition: (committed: Int64, timestamp: Int64)]>([:])
    /// Burrow's window of commits per group and partition, fed by every scrape and API request.
    let burrowWindows = Mutex<[String: [LagPartition: BurrowWindow]]>([:])
    /// The console's produce-rate history, sampled by the HTTP listener (bounded, see `ThroughputSeries`).
    let throughput = Mutex(ThroughputSeries())
    /// The previous scrape's thread CPU times, for the pools' idle gauges.
    let threadIdle = Mutex(ThreadPoolIdle(handlerCapacity: ProcessInfo.processInfo.activeProcessorCount))

    /// ZooKeeper mode.
    convenience init(
        brokerId: Int32, metrics: BrokerMetrics, replicas: ReplicaManager, metadata: MetadataCache,
        groups: GroupService, controller: ControllerHost, zk: KafkaZkClient,
        config: @escaping @Sendable () -> BrokerConfig
    ) {
        self.init(
            brokerId: brokerId, metrics: metrics, replicas: replicas, metadata: metadata, groups: groups,
            mode: ZooKeeperObservation(controller: controller, zk: zk), config: config)
    }

    init(
        brokerId: Int32, metrics: BrokerMetrics, replicas: ReplicaManager, metadata: MetadataCache,
        groups: GroupService, mode: any MetadataModeObservation, config: @escaping @Sendable () -> BrokerConfig
    ) {
        self.endOffsets = LeaderEndOffsets(
            client: ConnectionLeaderOffsetClient { [metadata] broker in
                metadata.address(of: broker, on: config().interBrokerListenerName).map {
                    BrokerAddress(host: $0.host, port: Int($0.port))
                }
            })
        self.brokerId = brokerId
        self.metrics = metrics
        self.replicas = replicas
        self.metadata = metadata
        self.groups = groups
        self.mode = mode
    }

    var metadataSnapshot: ClusterSnapshot { metadata.snapshot }

    func render() async -> [UInt8] {
        var out = MetricsText()
        writeTopicMetrics(into: &out)
        let local = replicas.allPartitions.map { p in (partition: p, state: p.state) }
            .sorted { ($0.partition.topic, $0.partition.index) < ($1.partition.topic, $1.partition.index) }
        writeReplicaManager(local, into: &out)
        writeController(into: &out)
        writePools(into: &out)
        writeRequests(into: &out)
        writeLogs(local, into: &out)
        writePartitionSeries(local, into: &out)
        await writeGroups(into: &out)
        await mode.writeSeries(into: &out)
        ProcessMetrics.write(into: &out)
        return out.bytes
    }

    // MARK: BrokerTopicMetrics

    private func writeTopicMetrics(into out: inout MetricsText) {
        let topics = metrics.topicSnapshot.sorted { $0.0 < $1.0 }
        let families: [(String, String, KeyPath<BrokerMetrics.TopicCounters, AtomicCounter>)] = [
            ("messagesin", "Messages appended to logs led here", \.messagesIn),
            ("bytesin", "Bytes appended to logs led here by producers", \.bytesIn),
            ("bytesout", "Bytes sent to consumers (replication excluded)", \.bytesOut),
            ("totalproducerequests", "Produce requests, per partition", \.totalProduceRequests),
            ("totalfetchrequests", "Fetch requests, per partition", \.totalFetchRequests),
            ("failedproducerequests", "Failed produce requests, per partition", \.failedProduceRequests),
            ("failedfetchrequests", "Failed fetch requests, per partition", \.failedFetchRequests),
        ]
        for (name, help, field) in families {
            var samples = [Sample(metrics.allTopics[keyPath: field].value)]
            for (topic, counters) in topics {
                samples.append(Sample(counters[keyPath: field].value, labels: [("topic", topic)]))
            }
            out.family("kafka_server_brokertopicmetrics_\(name)_total", .counter, help: "\(help).", samples)
        }
    }

    // MARK: ReplicaManager

    private func writeReplicaManager(
        _ local: [(partition: Partition, state: Partition.Runtime)], into out: inout MetricsText
    ) {
        var leaders = 0
        var under = 0
        var underMinIsr = 0
        var atMinIsr = 0
        for (_, s) in local where s.leader == brokerId && !s.fenced {
            leaders += 1
            if s.isr.count < s.replicas.count { under += 1 }
            if s.isr.count < s.config.minInsyncReplicas { underMinIsr += 1 }
            if s.isr.count == s.config.minInsyncReplicas { atMinIsr += 1 }
        }
        let prefix = "kafka_server_replicamanager_"
        out.family(
            prefix + "partitioncount", .gauge, help: "Replicas hosted by this broker.", [Sample(Int64(local.count))])
        out.family(prefix + "leadercount", .gauge, help: "Partitions led by this broker.", [Sample(Int64(leaders))])
        out.family(
            prefix + "underreplicatedpartitions", .gauge,
            help: "Partitions led here whose ISR is smaller than their replica set.", [Sample(Int64(under))])
        out.family(
            prefix + "underminisrpartitioncount", .gauge,
            help: "Partitions led here with fewer in-sync replicas than min.insync.replicas.",
            [Sample(Int64(underMinIsr))])
        out.family(
            prefix + "atminisrpartitioncount", .gauge,
            help: "Partitions led here with exactly min.insync.replicas in-sync replicas.", [Sample(Int64(atMinIsr))])
        out.family(
            prefix + "offlinereplicacount", .gauge,
            help: "Replicas on failed log directories (log-dir failure handling is not built, so always 0).",
            [Sample(0)])
        out.family(
            prefix + "isrshrinks_total", .counter, help: "ISR shrinks written by this broker as leader.",
            [Sample(Int64(replicas.isrChangeCounts.shrinks))])
        out.family(
            prefix + "isrexpands_total", .counter, help: "ISR expansions written by this broker as leader.",
            [Sample(Int64(replicas.isrChangeCounts.expands))])
        // KIP-227's cache on this broker (every broker exports its own, like `process_*`).
        out.family(
            "kafka_server_fetchsessioncache_numincrementalfetchsessions", .gauge,
            help: "Incremental fetch sessions held by this broker.", [Sample(Int64(replicas.fetchSessions.count))])
        out.family(
            "kafka_server_fetchsessioncache_numincrementalfetchpartitionscached", .gauge,
            help: "Partitions held by this broker's incremental fetch sessions.",
            [Sample(Int64(replicas.fetchSessions.partitionsCached))])
        out.family(
            "kafka_log_logmanager_offlinelogdirectorycount", .gauge,
            help: "Offline log directories (log-dir failure handling is not built: no directory is ever taken "
                + "offline, so always 0).",
            [Sample(0)])
    }

    // MARK: controller and cluster-wide counts

    private func writeController(into out: inout MetricsText) {
        let active = mode.isActiveController
        out.family(
            "kafka_controller_kafkacontroller_activecontrollercount", .gauge,
            help: "1 on the active controller, 0 on every other broker.",
            [Sample(SeriesOwnership.activeControllerCount(isActiveController: active))])
        guard SeriesOwnership.exportsControllerSeries(isActiveController: active) else { return }
        let snapshot = metadata.snapshot
        var partitions = 0
        var offline = 0
        var imbalance = 0
        for topic in snapshot.topics.values {
            for p in topic.partitions {
                partitions += 1
                if p.leader < 0 || snapshot.brokers[p.leader] == nil { offline += 1 }
                if let preferred = p.replicas.first, p.leader >= 0, p.leader != preferred { imbalance += 1 }
            }
        }
        let prefix = "kafka_controller_kafkacontroller_"
        out.family(
            prefix + "offlinepartitionscount", .gauge, help: "Partitions without a live leader.",
            [Sample(Int64(offline))])
        out.family(
            prefix + "preferredreplicaimbalancecount", .gauge,
            help: "Partitions whose leader is not their preferred (first) replica.", [Sample(Int64(imbalance))])
        out.family(
            prefix + "globaltopiccount", .gauge, help: "Topics in the cluster.",
            [Sample(Int64(snapshot.topics.count))])
        out.family(
            prefix + "globalpartitioncount", .gauge, help: "Partitions in the cluster.", [Sample(Int64(partitions))])
        out.family(
            "kafka_brokers", .gauge, help: "Number of brokers in the cluster.",
            [Sample(Int64(snapshot.brokers.count))])
        out.family(
            "kafka_topic_partitions", .gauge, help: "Number of partitions of a topic.",
            snapshot.topics.values.sorted { $0.name < $1.name }.map {
                Sample(Int64($0.partitions.count), labels: [("topic", $0.name)])
            })
    }

    // MARK: RequestMetrics and connections

    private func writeRequests(into out: inout MetricsText) {
        let requests = metrics.requests.sorted { $0.key < $1.key }
        var counts: [Sample] = []
        var times: [Sample] = []
        for (name, counters) in requests {
            for (version, cell) in counters.perVersion.enumerated() where cell.value > 0 {
                counts.append(Sample(cell.value, labels: [("request", name), ("version", String(version))]))
            }
            let t = counters.totalTime.snapshot
            guard t.count > 0 else { continue }
            for q in [0.5, 0.75, 0.95, 0.98, 0.99, 0.999] {
                times.append(
                    Sample(t.quantileMillis(q), labels: [("request", name), ("quantile", MetricsText.format(q))]))
            }
            times.append(Sample(Double(t.sumMicros) / 1000, labels: [("request", name)], suffix: "_sum"))
            times.append(Sample(t.count, labels: [("request", name)], suffix: "_count"))
        }
        out.family(
            "kafka_network_requestmetrics_requests_total", .counter, help: "Requests handled, by API and version.",
            counts)
        let errors = metrics.errorSnapshot.sorted {
            ($0.0.request, $0.0.error) < ($1.0.request, $1.0.error)
        }.map { key, n in
            Sample(
                n,
                labels: [
                    ("request", key.request),
                    ("error", ErrorCode(rawValue: key.error)?.name ?? "UNKNOWN_\(key.error)"),
                ])
        }
        out.family(
            "kafka_network_requestmetrics_errors_total", .counter,
            help: "Error codes in responses (NONE included); per partition for Produce and Fetch.", errors)
        out.family(
            "kafka_network_requestmetrics_totaltimems", .summary,
            help: "Time from decoding a request to its encoded response, in milliseconds.", times)
        // Strimzi's name ends in `_count`, which the text format reserves for summaries and histograms: untyped,
        // as for kafka_exporter's `…_sum` gauges below.
        out.family(
            "kafka_server_socket_server_metrics_connection_count", .untyped, help: "Open client connections.",
            metrics.connectionSnapshot.sorted { $0.0 < $1.0 }.map { Sample($0.1, labels: [("listener", $0.0)]) })
        writeCertificateExpiry(into: &out)
        QuotaMetrics.write(
            metrics.quotas.withLock { $0 }?.metricSamples(nowMs: Int64(Date().timeIntervalSince1970 * 1000)) ?? [],
            into: &out)
    }

    // MARK: logs (every replica) and partitions (leaders only)

    private func writeLogs(_ local: [(partition: Partition, state: Partition.Runtime)], into out: inout MetricsText) {
        var rows = LabelRows(capacity: local.count)
        var logs: [PartitionLog] = []
        logs.reserveCapacity(local.count)
        var labels = PartitionLabels()
        for (p, s) in local {
            let view = SeriesOwnership.ReplicaView(
                topic: p.topic, partition: p.index, leader: s.leader, fenced: s.fenced)
            guard SeriesOwnership.exportsLogSeries(view, localBroker: brokerId) else { continue }
            labels.append(topic: p.topic, partition: p.index, to: &rows)
            logs.append(p.log)
        }
        out.family("kafka_log_log_size", .gauge, help: "Bytes of this replica's log on disk.", rows: rows) {
            Double(logs[$0].size)
        }
        out.family("kafka_log_log_logendoffset", .gauge, help: "This replica's log end offset.", rows: rows) {
            Double(logs[$0].logEndOffset)
        }
        out.family("kafka_log_log_logstartoffset", .gauge, help: "This replica's log start offset.", rows: rows) {
            Double(logs[$0].logStartOffset)
        }
        out.family("kafka_log_log_numlogsegments", .gauge, help: "Segments of this replica's log.", rows: rows) {
            Double(logs[$0].segmentCount)
        }
    }

    private func writePartitionSeries(
        _ local: [(partition: Partition, state: Partition.Runtime)], into out: inout MetricsText
    ) {
        struct Row {
            var highWatermark: Int64
            var logStartOffset: Int64
            var isr: Int
            var leader: Int32
            var replicas: Int
            var preferredLeader: Int32?
            var minIsr: Int
        }
        var rows = LabelRows(capacity: local.count)
        var values: [Row] = []
        values.reserveCapacity(local.count)
        var labels = PartitionLabels()
        for (p, s) in local {
            let view = SeriesOwnership.ReplicaView(
                topic: p.topic, partition: p.index, leader: s.leader, fenced: s.fenced)
            guard SeriesOwnership.exportsPartitionSeries(view, localBroker: brokerId) else { continue }
            labels.append(topic: p.topic, partition: p.index, to: &rows)
            values.append(
                Row(
                    highWatermark: p.log.highWatermark, logStartOffset: p.log.logStartOffset, isr: s.isr.count,
                    leader: s.leader, replicas: s.replicas.count, preferredLeader: s.replicas.first,
                    minIsr: Int(s.config.minInsyncReplicas)))
        }
        let prefix = "kafka_topic_partition_"
        out.family(
            prefix + "current_offset", .gauge, help: "High watermark of a partition (exported by its leader).",
            rows: rows
        ) { Double(values[$0].highWatermark) }
        out.family(prefix + "oldest_offset", .gauge, help: "Log start offset of a partition.", rows: rows) {
            Double(values[$0].logStartOffset)
        }
        out.family(prefix + "in_sync_replica", .gauge, help: "In-sync replicas of a partition.", rows: rows) {
            Double(values[$0].isr)
        }
        out.family(prefix + "leader", .gauge, help: "Leader broker id of a partition.", rows: rows) {
            Double(values[$0].leader)
        }
        out.family(prefix + "replicas", .gauge, help: "Replicas of a partition.", rows: rows) {
            Double(values[$0].replicas)
        }
        out.family(
            prefix + "leader_is_preferred", .gauge, help: "1 if the partition's leader is its preferred replica.",
            rows: rows
        ) { values[$0].preferredLeader == values[$0].leader ? 1 : 0 }
        out.family(
            prefix + "under_replicated_partition", .gauge,
            help: "1 if the partition's ISR is smaller than its replicas.", rows: rows
        ) { values[$0].isr < values[$0].replicas ? 1 : 0 }
        // Kafka's kafka.cluster:type=Partition gauges, from the partition's leader only (as Kafka registers them).
        out.family(
            "kafka_cluster_partition_underminisr", .gauge,
            help: "1 if the partition has fewer in-sync replicas than min.insync.replicas.", rows: rows
        ) { values[$0].isr < values[$0].minIsr ? 1 : 0 }
        out.family(
            "kafka_cluster_partition_atminisr", .gauge,
            help: "1 if the partition has exactly min.insync.replicas in-sync replicas.", rows: rows
        ) { values[$0].isr == values[$0].minIsr ? 1 : 0 }
    }

    // MARK: consumer groups (coordinator only)

    private func writeGroups(into out: inout MetricsText) async {
        let reports = await groupLagReports().sorted { $0.groupId < $1.groupId }
        observeCommits(reports)
        let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
        var groupRows = LabelRows(capacity: reports.count)
        var partitionRows = LabelRows(capacity: reports.count * 10)
        var topicRows = LabelRows(capacity: reports.count)
        // Per partition row: committed offset, lag (nil: leader unknown), lag in seconds (nil: not known here).
        var committed: [Int64] = []
        var lag: [Int64?] = []
        var lagSeconds: [Double?] = []
        // Per (group, topic) row: kafka_exporter's sums; the lag sum is nil when one partition's lag is unknown.
        var offsetSums: [Int64] = []
        var lagSums: [Int64?] = []
        var rebalances: [Sample] = []
        var rebalanceTime: [Sample] = []
        var offsets = 0
        var group: [UInt8] = []
        for report in reports {
            group.removeAll(keepingCapacity: true)
            group.append(contentsOf: #"consumergroup=""#.utf8)
            MetricsText.appendEscapedLabelValue(report.groupId, to: &group)
            group.append(UInt8(ascii: "\""))
            groupRows.labels(escaped: group)
            groupRows.endRow()
            for (trigger, n) in report.rebalances.started.sorted(by: { $0.key < $1.key }) {
                rebalances.append(
                    Sample(n, labels: [("consumergroup", report.groupId), ("reason", trigger.rawValue)]))
            }
            if report.rebalances.completed > 0 {
                let labels = [("consumergroup", report.groupId)]
                rebalanceTime.append(
                    Sample(Double(report.rebalances.totalDurationMs) / 1000, labels: labels, suffix: "_sum"))
                rebalanceTime.append(Sample(report.rebalances.completed, labels: labels, suffix: "_count"))
            }
            offsets += report.partitions.count
            var labels = PartitionLabels()
            var sumTopic: String?
            for p in report.partitions {
                labels.append(topic: p.topic, partition: p.partition, after: group[...], to: &partitionRows)
                committed.append(p.committedOffset)
                lag.append(p.lag)
                if p.lag == 0 {
                    lagSeconds.append(0)
                } else if let t = p.firstUnconsumedTimestamp {
                    lagSeconds.append(Double(max(0, nowMs - t)) / 1000)
                } else {
                    lagSeconds.append(nil)
                }
                // The coordinator reports a group's partitions sorted by topic: one sum row per run of a topic.
                if p.topic != sumTopic {
                    sumTopic = p.topic
                    topicRows.labels(escaped: group)
                    topicRows.label("topic", p.topic)
                    topicRows.endRow()
                    offsetSums.append(0)
                    lagSums.append(0)
                }
                offsetSums[offsetSums.count - 1] += p.committedOffset
                lagSums[lagSums.count - 1] = p.lag.flatMap { l in lagSums[lagSums.count - 1].map { $0 + l } }
            }
        }
        let members = reports.map(\.members)
        out.family(
            "kafka_server_groupmetadatamanager_numgroups", .gauge, help: "Groups coordinated by this broker.",
            [Sample(Int64(reports.count))])
        out.family(
            "kafka_server_groupmetadatamanager_numoffsets", .gauge,
            help: "Committed offsets held by this broker's coordinator.", [Sample(Int64(offsets))])
        out.family("kafka_consumergroup_members", .gauge, help: "Members of a consumer group.", rows: groupRows) {
            Double(members[$0])
        }
        out.family(
            "kafka_consumergroup_current_offset", .gauge, help: "Committed offset of a group on a partition.",
            rows: partitionRows
        ) { Double(committed[$0]) }
        // kafka_exporter's `…_sum` names end in a suffix the text format reserves for summaries, so they are
        // declared untyped (promtool accepts that; a gauge would be flagged).
        out.family(
            "kafka_consumergroup_current_offset_sum", .untyped,
            help: "Sum of a group's committed offsets over a topic's partitions.", rows: topicRows
        ) { Double(offsetSums[$0]) }
        out.family(
            "kafka_consumergroup_lag", .gauge,
            help: "High watermark minus committed offset, computed by the group's coordinator.", rows: partitionRows
        ) { lag[$0].map(Double.init) }
        out.family(
            "kafka_consumergroup_lag_sum", .untyped, help: "Sum of a group's lag over a topic's partitions.",
            rows: topicRows
        ) { lagSums[$0].map(Double.init) }
        out.family(
            "kafka_consumergroup_lag_seconds", .gauge,
            help:
                "Age of the first record a group has not consumed, from its batch timestamp (partitions led by the coordinator).",
            rows: partitionRows
        ) { lagSeconds[$0] }
        out.family(
            "needletail_consumergroup_rebalances_total", .counter,
            help: "Rebalances a group started since its coordinator loaded it, by trigger.", rebalances)
        out.family(
            "needletail_consumergroup_rebalance_duration_seconds", .summary,
            help: "Time from PreparingRebalance to Stable (or Empty) of a group's finished rebalances.",
            rebalanceTime)
    }
}

extension BrokerObservability {
    /// The lag of every group coordinated here, against each partition's leader: the local log when this broker
    /// leads the partition, otherwise the leader's high watermark from one ListOffsets per leader (cached, see
    /// `LeaderEndOffsets`). A follower's own high watermark is not used: it trails the leader by a fetch round, and
    /// the lag would then disagree with `kafka_topic_partition_current_offset`, which the leader exports. Partitions
    /// without a leader get no lag line, as with kafka_exporter.
    func groupLagReports() async -> [GroupLagReport] {
        let replicas = self.replicas
        let brokerId = self.brokerId
        var reports = await groups.runtime.lagReports { topic, partition in
            guard let p = replicas.partition(topic, partition) else { return nil }
            let s = p.state
            guard
                SeriesOwnership.exportsPartitionSeries(
                    SeriesOwnership.ReplicaView(topic: topic, partition: partition, leader: s.leader, fenced: s.fenced),
                    localBroker: brokerId)
            else { return nil }
            return p.log.highWatermark
        }
        var wanted = Set<LagPartition>()
        for report in reports {
            for p in report.partitions where p.lag == nil {
                wanted.insert(LagPartition(topic: p.topic, partition: p.partition))
            }
        }
        let snapshot = metadata.snapshot
        var leaders: [String: [Int32: Int32]] = [:]
        let plan = EndOffsetCache.plan(wanted, localBroker: brokerId) { p in
            if leaders[p.topic] == nil {
                var byIndex: [Int32: Int32] = [:]
                for l in snapshot.topics[p.topic]?.partitions ?? [] where snapshot.brokers[l.leader] != nil {
                    byIndex[l.partition] = l.leader
                }
                leaders[p.topic] = byIndex
            }
            return leaders[p.topic]?[p.partition]
        }
        fillUnconsumedTimestamps(&reports)
        await endOffsets.refresh(plan, wanted: wanted)
        let now = ContinuousClock.now
        let led = Set(plan.values.joined())
        for r in reports.indices {
            for i in reports[r].partitions.indices where reports[r].partitions[i].lag == nil {
                let p = reports[r].partitions[i]
                let key = LagPartition(topic: p.topic, partition: p.partition)
                guard led.contains(key), let hw = endOffsets.offset(key, now: now) else { continue }
                reports[r].partitions[i].lag = max(0, hw - p.committedOffset)
            }
        }
        return reports
    }

    /// The age of the first unconsumed record, from its batch's timestamp, for partitions led here: one header
    /// read per partition whose committed offset moved since the last scrape. Partitions led elsewhere get no
    /// `kafka_consumergroup_lag_seconds` line (the leader's batch would have to be fetched).
    private func fillUnconsumedTimestamps(_ reports: inout [GroupLagReport]) {
        var seen: [LagPartition: (committed: Int64, timestamp: Int64)] = [:]
        let cached = unconsumedTimestamps.withLock { $0 }
        for r in reports.indices {
            for i in reports[r].partitions.indices {
                let p = reports[r].partitions[i]
                guard let lag = p.lag, lag > 0, let partition = replicas.partition(p.topic, p.partition) else {
                    continue
                }
                let key = LagPartition(topic: p.topic, partition: p.partition)
                var timestamp: Int64?
                if let c = cached[key] ?? seen[key], c.committed == p.committedOffset {
                    timestamp = c.timestamp
                } else {
                    let log = partition.log
                    timestamp = try? log.batchTimestamp(
                        from: max(p.committedOffset, log.logStartOffset), upTo: log.highWatermark)
                }
                guard let timestamp else { continue }
                seen[key] = (p.committedOffset, timestamp)
                reports[r].partitions[i].firstUnconsumedTimestamp = timestamp
            }
        }
        unconsumedTimestamps.withLock { $0 = seen }
    }
}
