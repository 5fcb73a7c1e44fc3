import GroupCoordinator
import Observability

import struct Foundation.Date
import class Foundation.JSONEncoder

/// Burrow's HTTP API (`/v3/kafka/…`) on the `http.listeners` port, answered by each group's coordinator from the
/// commits it holds: the window Burrow would keep per partition is fed at every scrape and API request, and the
/// statuses follow Burrow's rules (`Observability.BurrowEvaluation`). A broker lists and answers for the groups it
/// coordinates; asked about another group it answers 404, as Burrow does for an unknown group.
extension BrokerObservability {
    /// Adds each group's current commits to its Burrow window; forgets groups no longer coordinated here.
    func observeCommits(_ reports: [GroupLagReport], nowMs: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) {
        burrowWindows.withLock { windows in
            var next: [String: [LagPartition: BurrowWindow]] = [:]
            for report in reports {
                var group = windows[report.groupId] ?? [:]
                var kept: [LagPartition: BurrowWindow] = [:]
                for p in report.partitions {
                    let key = LagPartition(topic: p.topic, partition: p.partition)
                    var window = group.removeValue(forKey: key) ?? BurrowWindow()
                    if let lag = p.lag {
                        window.record(
                            BurrowOffset(
                                offset: p.committedOffset, timestamp: p.commitTimestamp, observedAt: nowMs, lag: lag))
                    }
                    kept[key] = window
                }
                next[report.groupId] = kept
            }
            windows = next
        }
    }

    /// The answer to `GET path`, or nil (404) for a path the API does not know.
    func burrowAnswer(path: String, host: String) async -> HTTPAnswer? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard parts.count >= 2, parts[0] == "v3", parts[1] == "kafka" else { return nil }
        let cluster = clusterName
        func request() -> String {
            #","request":{"url":"# + HTTPAnswer.jsonString(path) + #","host":"# + HTTPAnswer.jsonString(host) + "}}"
        }
        if parts.count == 2 {
            return HTTPAnswer(
                status: 200,
                body: #"{"error":false,"message":"cluster list returned","clusters":["#
                    + HTTPAnswer.jsonString(cluster) + "]" + request())
        }
        guard parts[2] == cluster else {
            return .error(404, "cluster not found", path: path, host: host)
        }
        guard parts.count >= 4, parts[3] == "consumer" else { return nil }
        let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
        let reports = await groupLagReports()
        observeCommits(reports, nowMs: nowMs)
        if parts.count == 4 {
            let names = reports.map(\.groupId).sorted().map(HTTPAnswer.jsonString).joined(separator: ",")
            return HTTPAnswer(
                status: 200,
                body: #"{"error":false,"message":"consumer list returned","consumers":["# + names + "]" + request())
        }
        guard parts.count == 6, parts[5] == "status" || parts[5] == "lag" else { return nil }
        let group = parts[4]
        guard let report = reports.first(where: { $0.groupId == group }) else {
            return .error(404, "cluster or consumer not found", path: path, host: host)
        }
        let windows = burrowWindows.withLock { $0[group] ?? [:] }
        let partitions = report.partitions.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }.map { p in
            BurrowPartitionStatus(
                topic: p.topic, partition: p.partition, owner: "",
                window: windows[LagPartition(topic: p.topic, partition: p.partition)] ?? BurrowWindow(),
                currentLag: p.lag ?? 0, nowMs: nowMs)
        }
        let status = BurrowGroupStatus(
            cluster: cluster, group: group, partitions: partitions, showAll: parts[5] == "lag")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(status) else {
            return .error(500, "could not encode the status", path: path, host: host)
        }
        let json = String(decoding: data, as: UTF8.self)
        return HTTPAnswer(
            status: 200, body: #"{"error":false,"message":"consumer status returned","status":"# + json + request())
    }

    /// The name Burrow's URLs use for this cluster: its cluster id (`/cluster/id`), or "local" before it is known.
    var clusterName: String {
        let id = metadataSnapshot.clusterId
        return id.isEmpty ? "local" : id
    }
}
