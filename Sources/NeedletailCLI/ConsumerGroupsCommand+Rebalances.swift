import Foundation
import GroupCoordinator
import KafkaClient
import KafkaProtocol

// `consumer-groups --describe --group G --rebalances`: the group's rebalance history, oldest first.
//
// The coordinator writes one record per finished rebalance into the group's `__consumer_offsets` partition (a key
// version of our own that Kafka's readers skip; see GroupCoordinator's RebalanceHistoryRecords). The tool reads that
// partition from its start to its high watermark with an ordinary consumer and keeps the last record per
// generation, as the coordinator's loader does. That needs nothing but --bootstrap-server and works through any
// broker of the cluster, whoever coordinates the group, while the coordinator moves, and on a cluster whose HTTP
// listeners are off; the price is reading the whole partition, which compaction keeps small.
extension ConsumerGroupsCommand {
    /// The history entries of `group` stored in `__consumer_offsets`, oldest first.
    static func readRebalanceHistory(_ client: KafkaClient, group: String) async throws -> [RebalanceEntry] {
        let topic = GroupPlacement.offsetsTopic
        let md = try await client.topicMetadata(topic)
        let partition = GroupPlacement.partition(for: group, partitionCount: Int32(md.partitions.count))
        let tp = TopicPartition(topic, partition)
        let end = try await client.listOffsets([tp: .latest])[tp]?.offset ?? 0
        let consumer = KafkaConsumer(client: client, configuration: ConsumerConfiguration(maxWaitMs: 100))
        try await consumer.assign([tp: .earliest])
        var byGeneration: [Int32: RebalanceEntry?] = [:]
        while (await consumer.assignment[tp] ?? end) < end {
            for record in try await consumer.poll() {
                guard let key = record.key, let k = try? RebalanceHistoryKey(decoding: key), k.group == group else {
                    continue
                }
                byGeneration[k.generation] = .some(record.value.flatMap { try? RebalanceHistoryValue.decode($0) })
            }
        }
        return byGeneration.values.compactMap { $0 }.sorted {
            ($0.completedAt, $0.generation) < ($1.completedAt, $1.generation)
        }
    }

    func printRebalances(_ client: KafkaClient, group: String) async throws {
        let entries = try await Self.readRebalanceHistory(client, group: group)
        if entries.isEmpty {
            Output.line("\nConsumer group '\(group)' has no recorded rebalances.")
            return
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var rows: [[String]] = []
        for e in entries {
            let when = formatter.string(from: Date(timeIntervalSince1970: Double(e.startedAt) / 1000))
            var causes: [[String]] = e.causes.map {
                [$0.trigger.rawValue, $0.memberId, $0.clientId, hostText($0.clientHost), $0.clientReason ?? "-"]
            }
            causes += e.removedOnRebalanceTimeout.map { ["rebalance_timeout", $0, "-", "-", "-"] }
            if causes.isEmpty { causes = [["-", "-", "-", "-", "-"]] }
            let moved =
                e.moved.isEmpty
                ? String(e.movedCount)
                : String(e.movedCount) + " ("
                    + e.moved.map { "\($0.topic)-\($0.partition)" }.joined(separator: ",")
                    + (e.movedCount > e.moved.count ? ",…" : "") + ")"
            for (i, c) in causes.enumerated() {
                let head =
                    i == 0
                    ? [group, String(e.generation), when]
                    : [group, String(e.generation), "-"]
                let tail =
                    i == 0
                    ? [String(e.preparingMs), String(e.completingMs), String(e.members), moved]
                    : ["-", "-", "-", "-"]
                rows.append(head + c + tail)
            }
        }
        let header = [
            "GROUP", "GENERATION", "STARTED", "TRIGGER", "MEMBER-ID", "CLIENT-ID", "HOST", "CLIENT-REASON",
            "PREPARING-MS", "COMPLETING-MS", "MEMBERS", "PARTITIONS-MOVED",
        ]
        var widths = header.map(\.count)
        for r in rows {
            for (i, cell) in r.enumerated() where i < header.count - 1 { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i == cells.count - 1 ? c : pad(c, widths[i]) }.joined(separator: " ")
        }
        Output.line("")
        Output.line(line(header))
        for r in rows { Output.line(line(r)) }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let verdict =
            RebalanceEntry.verdict(entries, since: now - 3_600_000)
            ?? "no member caused more than one rebalance in the last hour"
        Output.line("\nVerdict: \(verdict)")
    }
}
