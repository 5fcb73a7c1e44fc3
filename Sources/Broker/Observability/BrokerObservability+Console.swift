import GroupCoordinator
import Observability

import struct Foundation.Date

/// The web console's JSON (`/api/console`, `/api/cluster`, `/api/topics`, `/api/groups`, `/api/groups/<g>`) and
/// its live stream (`/api/events`), read from the same owners as `/metrics`: the metadata cache for brokers,
/// controller and partitions, the local replicas for sizes, the counters for throughput, and the group
/// coordinator for the groups coordinated here with their lag, Burrow status and rebalance timeline.
extension BrokerObservability {
    /// The rebalances of a group the console shows (the full history is at `/api/groups/<g>/rebalances`).
    static let consoleRebalances = 25

    /// Offers the current per-topic counters to the throughput series (taken every `intervalMs` at most).
    func sampleThroughput(nowMs: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) {
        var totals: [String: ThroughputSeries.Totals] = [:]
        for (topic, counters) in metrics.topicSnapshot {
            totals[topic] = .init(messages: counters.messagesIn.value, bytes: counters.bytesIn.value)
        }
        throughput.withLock { _ = $0.offer(nowMs: nowMs, totals: totals) }
    }

    func consoleTopics() -> [ConsoleTopic] {
        let snapshot = metadataSnapshot
        let live = Set(snapshot.brokers.keys)
        let series = throughput.withLock { $0 }
        return snapshot.topics.values.map { topic in
            ConsoleTopic(
                name: topic.name, isInternal: topic.isInternal,
                partitions: topic.partitions.map { p in
                    let local = replicas.partition(topic.name, p.partition)
                    return ConsolePartition(
                        partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr,
                        sizeBytes: local?.log.size, endOffset: local?.log.logEndOffset, liveBrokers: live)
                },
                throughput: series.series(topic.name))
        }
    }

    func consoleCluster(topics: [ConsoleTopic]) -> ConsoleCluster {
        let snapshot = metadataSnapshot
        let brokers = snapshot.brokers.values.map { b in
            let address = b.addresses.sorted { $0.key < $1.key }.first?.value
            return ConsoleBroker(
                id: b.id, host: address?.host ?? "", port: address?.port ?? 0, rack: b.rack,
                isController: b.id == snapshot.controllerId)
        }
        return ConsoleCluster(
            clusterId: snapshot.clusterId, controller: snapshot.controllerId, servedBy: brokerId, brokers: brokers,
            topics: topics)
    }

    /// The groups coordinated here, with lag against each partition's leader (see `groupLagReports`).
    func consoleGroups(nowMs: Int64) async -> [ConsoleGroup] {
        let reports = await groupLagReports()
        observeCommits(reports, nowMs: nowMs)
        let windows = burrowWindows.withLock { $0 }
        let descriptions = await groups.runtime.describeAll(reports.map(\.groupId))
        var out: [ConsoleGroup] = []
        for report in reports {
            guard let d = descriptions[report.groupId] else { continue }
            let groupWindows = windows[report.groupId] ?? [:]
            var burrow: [BurrowStatus] = []
            let partitions = report.partitions.map { p in
                let window = groupWindows[LagPartition(topic: p.topic, partition: p.partition)] ?? BurrowWindow()
                burrow.append(
                    BurrowEvaluation.partitionStatus(window.offsets, currentLag: p.lag ?? 0, nowMs: nowMs))
                return ConsoleGroupPartition(
                    topic: p.topic, partition: p.partition, committedOffset: p.committedOffset, lag: p.lag,
                    firstUnconsumedTimestamp: p.firstUnconsumedTimestamp, nowMs: nowMs,
                    trend: LagTrend.of(window.offsets, currentLag: p.lag))
            }
            let stats = report.rebalances
            var timeline = stats.history.suffix(Self.consoleRebalances).map {
                Self.consoleRebalance($0, finished: true)
            }
            if let current = stats.current { timeline.append(Self.consoleRebalance(current, finished: false)) }
            out.append(
                ConsoleGroup(
                    group: report.groupId, state: d.state.rawValue, protocolType: d.protocolType,
                    coordinator: brokerId,
                    members: d.members.map {
                        ConsoleMember(
                            memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, clientId: $0.clientId,
                            host: $0.clientHost)
                    },
                    partitions: partitions, status: BurrowEvaluation.groupStatus(burrow).name,
                    rebalances: timeline, verdict: stats.verdict(since: nowMs - 3_600_000)))
        }
        return out
    }

    static func consoleRebalance(_ e: RebalanceEntry, finished: Bool) -> ConsoleRebalance {
        let cause = e.causes.first
        return ConsoleRebalance(
            generation: e.generation, trigger: cause?.trigger.rawValue, memberId: cause?.memberId,
            clientId: cause?.clientId, clientHost: cause?.clientHost, clientReason: cause?.clientReason,
            startedAt: e.startedAt, completedAt: finished ? e.completedAt : nil,
            preparingMs: finished ? e.preparingMs : 0, completingMs: finished ? e.completingMs : 0,
            members: e.members, partitionsMoved: e.movedCount, inProgress: !finished)
    }

    func consoleState() async -> ConsoleState {
        let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
        sampleThroughput(nowMs: nowMs)
        let topics = consoleTopics()
        let groups = await consoleGroups(nowMs: nowMs)
        return ConsoleState(cluster: consoleCluster(topics: topics), topics: topics, groups: groups)
    }

    /// `/` (the page) and the console's JSON; nil for paths it does not know (the rebalance history and Burrow's
    /// API answer those).
    func consoleAnswer(path: String, host: String) async -> HTTPAnswer? {
        if path == "/" || path == "/index.html" {
            return HTTPAnswer(status: 200, contentType: "text/html; charset=utf-8", body: ConsolePage.html)
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard parts.first == "api", parts.count >= 2 else { return nil }
        func json(_ value: some JSONBytesWritable) -> HTTPAnswer {
            HTTPAnswer(status: 200, body: ConsoleJSON.write(value))
        }
        func json<T: JSONBytesWritable>(_ values: [T]) -> HTTPAnswer {
            HTTPAnswer(status: 200, body: ConsoleJSON.write(values))
        }
        switch (parts[1], parts.count) {
        case ("console", 2):
            return json(await consoleState())
        case ("cluster", 2):
            return json(consoleCluster(topics: consoleTopics()))
        case ("topics", 2):
            sampleThroughput()
            return json(consoleTopics().sorted { $0.name < $1.name })
        case ("topics", 3):
            sampleThroughput()
            let name = parts[2].removingPercentEncodingIfPossible
            guard let topic = consoleTopics().first(where: { $0.name == name }) else {
                return .error(404, "topic \(name) not found", path: path, host: host)
            }
            return json(topic)
        case ("groups", 2):
            let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
            return json(await consoleGroups(nowMs: nowMs))
        case ("groups", 3):
            let name = parts[2].removingPercentEncodingIfPossible
            let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
            guard let group = await consoleGroups(nowMs: nowMs).first(where: { $0.group == name }) else {
                return .error(404, "group \(name) is not coordinated by broker \(brokerId)", path: path, host: host)
            }
            return json(group)
        default:
            return nil
        }
    }

    /// The data of the console's next server-sent event: the whole state, one line of JSON.
    func consoleEvent() async -> String? {
        ConsoleJSON.write(await consoleState())
    }
}
