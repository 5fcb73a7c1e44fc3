import GroupCoordinator
import Observability

import struct Foundation.Date
import class Foundation.JSONEncoder

/// JSON under `/api/` for operators and the console, from the group's coordinator. Today:
/// `GET /api/groups/<group>/rebalances`, the group's last rebalances, oldest first, with their causes and a
/// verdict on repeating ones. The history is kept in memory by the coordinator (not yet durable).
extension BrokerObservability {
    struct CauseJSON: Encodable {
        var trigger: String
        var memberId: String
        var clientId: String
        var clientHost: String
        var clientReason: String?
    }

    struct RebalanceJSON: Encodable {
        var generation: Int32
        var trigger: String?
        var causes: [CauseJSON]
        var removedOnRebalanceTimeout: [String]
        var startedAt: Int64
        var joinCompletedAt: Int64?
        var completedAt: Int64?
        var preparingMs: Int64
        var completingMs: Int64
        var members: Int
        var partitionsMoved: Int
        var moved: [String]

        init(_ e: RebalanceEntry, finished: Bool) {
            generation = e.generation
            trigger = e.causes.first?.trigger.rawValue
            causes = e.causes.map {
                CauseJSON(
                    trigger: $0.trigger.rawValue, memberId: $0.memberId, clientId: $0.clientId,
                    clientHost: $0.clientHost, clientReason: $0.clientReason)
            }
            removedOnRebalanceTimeout = e.removedOnRebalanceTimeout
            startedAt = e.startedAt
            joinCompletedAt = e.joinCompletedAt
            completedAt = finished ? e.completedAt : nil
            preparingMs = finished ? e.preparingMs : 0
            completingMs = finished ? e.completingMs : 0
            members = e.members
            partitionsMoved = e.movedCount
            moved = e.moved.map { "\($0.topic)-\($0.partition)" }
        }
    }

    struct RebalancesJSON: Encodable {
        var error = false
        var group: String
        var coordinator: Int32
        var verdict: String?
        var rebalances: [RebalanceJSON]
        var inProgress: RebalanceJSON?
    }

    func apiAnswer(path: String, host: String) async -> HTTPAnswer? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard parts.count == 4, parts[0] == "api", parts[1] == "groups", parts[3] == "rebalances" else { return nil }
        let group = parts[2].removingPercentEncodingIfPossible
        guard let stats = await groups.runtime.group(group)?.rebalances else {
            return .error(404, "group \(group) is not coordinated by broker \(brokerId)", path: path, host: host)
        }
        let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
        let body = RebalancesJSON(
            group: group, coordinator: brokerId, verdict: stats.verdict(since: nowMs - 3_600_000),
            rebalances: stats.history.map { RebalanceJSON($0, finished: true) },
            inProgress: stats.current.map { RebalanceJSON($0, finished: false) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let data = try? encoder.encode(body) else {
            return .error(500, "could not encode the history", path: path, host: host)
        }
        return HTTPAnswer(status: 200, body: String(decoding: data, as: UTF8.self))
    }
}

extension String {
    /// `%xx` escapes decoded (group ids may hold any character); the raw text when it is not valid UTF-8 escaping.
    var removingPercentEncodingIfPossible: String {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var i = utf8.startIndex
        while i < utf8.endIndex {
            let c = utf8[i]
            if c == UInt8(ascii: "%"), let h = utf8.index(i, offsetBy: 2, limitedBy: utf8.index(before: utf8.endIndex)),
                let v = UInt8(String(decoding: utf8[utf8.index(after: i)...h], as: UTF8.self), radix: 16)
            {
                bytes.append(v)
                i = utf8.index(after: h)
            } else {
                bytes.append(c)
                i = utf8.index(after: i)
            }
        }
        return String(validating: bytes, as: UTF8.self) ?? self
    }
}
