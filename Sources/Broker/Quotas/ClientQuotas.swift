import Coordination
import Foundation
import KafkaProtocol
import Logging
import Synchronization

/// Quota configs as ZooKeeper holds them (`/config/users/<user>`, `/config/users/<user>/clients/<client-id>`,
/// `/config/clients/<client-id>`, `<default>` for the default entity), with Kafka's precedence
/// (`ClientQuotaManager`, docs "Quotas"): user+client-id, user+default client, user, default user+client-id,
/// default user+default client, default user, client-id, default client-id. The first entity that sets the key wins.
struct QuotaConfigs: Sendable, Equatable {
    static let defaultEntity = "<default>"
    var users: [String: [String: String]] = [:]
    var userClients: [String: [String: [String: String]]] = [:]
    var clients: [String: [String: String]] = [:]

    /// The quota for `key` (`producer_byte_rate`, `consumer_byte_rate`, `request_percentage`) that applies to a
    /// user (the principal's name) and client id, or nil when no entity sets it.
    func quota(_ key: String, user: String, clientId: String) -> Double? {
        resolve(key, user: user, clientId: clientId).quota
    }

    /// The quota for `key` and the entity it is measured on. The entity follows the level that supplied the
    /// quota, as Kafka's `DefaultQuotaCallback.quotaMetricTags` does; a client no entity covers is measured on its
    /// client id (and only when some entity sets `key`: see `sets`).
    func resolve(_ key: String, user: String, clientId: String) -> (quota: Double?, entity: QuotaEntity) {
        let d = Self.defaultEntity
        let both = QuotaEntity(user: user, clientId: clientId)
        let userOnly = QuotaEntity(user: user, clientId: "")
        let clientOnly = QuotaEntity(user: "", clientId: clientId)
        let candidates: [([String: String]?, QuotaEntity)] = [
            (userClients[user]?[clientId], both), (userClients[user]?[d], both), (users[user], userOnly),
            (userClients[d]?[clientId], both), (userClients[d]?[d], both), (users[d], userOnly),
            (clients[clientId], clientOnly), (clients[d], clientOnly),
        ]
        for (config, entity) in candidates {
            if let value = config?[key], let number = Double(value) { return (number, entity) }
        }
        return (nil, clientOnly)
    }

    /// Whether any entity sets `key` (Kafka's `quotasEnabled` for one quota manager).
    func sets(_ key: String) -> Bool {
        users.values.contains { $0[key] != nil } || clients.values.contains { $0[key] != nil }
            || userClients.values.contains { $0.values.contains { $0[key] != nil } }
    }

    var isEmpty: Bool { users.isEmpty && userClients.isEmpty && clients.isEmpty }

    /// Replaces one entity's config (an empty one removes it); unknown paths are ignored.
    mutating func set(entityPath: String, _ config: [String: String]) {
        let parts = entityPath.split(separator: "/").map(String.init)
        let value = config.isEmpty ? nil : config
        switch (parts.first, parts.count) {
        case ("users", 2): users[parts[1]] = value
        case ("users", 4) where parts[2] == "clients":
            userClients[parts[1], default: [:]][parts[3]] = value
            if userClients[parts[1]]?.isEmpty == true { userClients[parts[1]] = nil }
        case ("clients", 2): clients[parts[1]] = value
        default: break
        }
    }
}

/// Kafka's windowed `Rate` (`quota.window.num` samples of `quota.window.size.seconds`): the rate is the total over
/// the retained samples divided by the elapsed window, which counts as at least `num - 1` full windows so a
/// first burst is not measured over a few milliseconds.
struct RateWindow: Sendable, Equatable {
    var windowMs: Int64 = 1000
    var samples: Int = 11
    private(set) var starts: [Int64] = []
    private(set) var totals: [Double] = []

    init(windowMs: Int64 = 1000, samples: Int = 11) {
        self.windowMs = windowMs
        self.samples = samples
    }

    mutating func record(_ value: Double, nowMs: Int64) {
        if let last = starts.last, nowMs - last < windowMs {
            totals[totals.count - 1] += value
        } else {
            starts.append(nowMs)
            totals.append(value)
        }
        purge(nowMs: nowMs)
    }

    private mutating func purge(nowMs: Int64) {
        let horizon = nowMs - windowMs * Int64(samples)
        while let first = starts.first, first + windowMs <= horizon {
            starts.removeFirst()
            totals.removeFirst()
        }
    }

    /// Per second, over the elapsed window (at least `samples - 1` windows, as Kafka's `Rate.windowSize`).
    /// Samples that fell out of the span since the last `record` (a scrape of an idle client) are not counted.
    func rate(nowMs: Int64) -> Double {
        let horizon = nowMs - windowMs * Int64(samples)
        guard let first = starts.firstIndex(where: { $0 + windowMs > horizon }) else { return 0 }
        let elapsed = max(nowMs - starts[first], windowMs * Int64(samples - 1))
        return totals[first...].reduce(0, +) / (Double(elapsed) / 1000)
    }

    /// `QuotaUtils.throttleTime`: how long to hold the client so its rate falls back to `quota`, capped at the
    /// whole measurement span.
    func throttleMs(quota: Double, nowMs: Int64) -> Int64 {
        guard quota > 0, let oldest = starts.first else { return 0 }
        let observed = rate(nowMs: nowMs)
        guard observed > quota else { return 0 }
        let elapsed = max(nowMs - oldest, windowMs * Int64(samples - 1))
        let ms = (observed - quota) / quota * Double(elapsed)
        return min(Int64(ms.rounded(.up)), windowMs * Int64(samples))
    }
}

/// The broker's byte-rate quotas: one `RateWindow` per (kind, user, client id), throttle times as Kafka computes
/// them. Owned by one `Mutex`; configs are replaced whole when ZooKeeper changes.
final class QuotaManager: Sendable {
    enum Kind: String, Sendable, CaseIterable {
        case produce = "producer_byte_rate", fetch = "consumer_byte_rate"
        /// Kafka's request-time quota: percent of one request thread's time per second (`ClientRequestQuotaManager`).
        case request = "request_percentage"
    }

    private struct SensorKey: Hashable {
        var kind: Kind
        var entity: QuotaEntity
    }

    private struct State {
        var configs = QuotaConfigs() {
            didSet { enabled = Set(Kind.allCases.map(\.rawValue).filter { configs.sets($0) }) }
        }
        /// The quota keys some entity sets (Kafka's `quotasEnabled` per quota manager), so a request of a client
        /// without a quota costs one set lookup rather than a scan of every entity.
        var enabled: Set<String> = []
        var sensors: [SensorKey: QuotaSensor] = [:]
        var lastExpiryMs: Int64 = 0

        /// Drops sensors idle for an hour, at most once a minute.
        mutating func expire(nowMs: Int64) {
            guard nowMs - lastExpiryMs >= 60_000 else { return }
            lastExpiryMs = nowMs
            sensors = sensors.filter { nowMs - $0.value.lastRecordMs < QuotaSensor.inactiveExpiryMs }
        }
    }

    private let state = Mutex(State())
    private let windowMs: Int64
    private let samples: Int
    /// Where the quota configs live (nil in tests that set them by hand, and in KRaft mode).
    let zk: KafkaZkClient?
    /// KRaft mode's writes (the metadata log through the active controller); nil in ZooKeeper mode.
    let store: (any QuotaWriteStore)?

    init(zk: KafkaZkClient? = nil, store: (any QuotaWriteStore)? = nil, windowMs: Int64 = 1000, samples: Int = 11) {
        self.zk = zk
        self.store = store
        self.windowMs = windowMs
        self.samples = samples
    }

    /// Re-reads every quota entity from ZooKeeper and returns the configs now in force.
    @discardableResult
    func reload() async throws -> QuotaConfigs {
        guard let zk else { return configs }
        let e = try await zk.quotaEntities()
        let loaded = QuotaConfigs(users: e.users, userClients: e.userClients, clients: e.clients)
        update(loaded)
        return loaded
    }

    /// Sets (value) or removes (nil) quota keys of one entity in ZooKeeper, keeping its other keys (SCRAM
    /// credentials share the user node), then reloads.
    func alter(_ entityPath: String, _ changes: [(String, String?)]) async throws(QuotaRequestError) {
        if let store {
            try await store.alter(entityPath, changes)
            return
        }
        guard let zk else { return }
        do {
            var config = try await zk.quotaEntityConfig(entityPath)
            for (key, value) in changes { config[key] = value }
            try await zk.setQuotaEntityConfig(entityPath, config)
            try await reload()
        } catch {
            throw QuotaRequestError(code: .unknownServerError, message: "\(error)")
        }
    }

    /// Re-reads one entity (`users/<u>`, `users/<u>/clients/<c>`, `clients/<c>`) after a change notification.
    func reload(entityPath: String) async throws {
        guard let zk else { return }
        let config = try await zk.quotaEntityConfig(entityPath)
        state.withLock { $0.configs.set(entityPath: entityPath, config) }
    }

    func update(_ configs: QuotaConfigs) {
        state.withLock { $0.configs = configs }
    }

    var configs: QuotaConfigs { state.withLock { $0.configs } }

    /// Records `bytes` for the client and returns the throttle time (ms) Kafka would report; 0 without a quota.
    func record(_ kind: Kind, principal: String, clientId: String, bytes: Int, nowMs: Int64) -> Int32 {
        record(kind, principal: principal, clientId: clientId, value: Double(bytes), nowMs: nowMs)
    }

    /// Records time spent on one request (`nanos`) against `request_percentage` and returns the throttle time.
    /// The value recorded is a percentage of one second (Kafka's `nanosToPercentage`), so the windowed rate is the
    /// percentage of one thread's time; the throttle is capped at one window, as Kafka's
    /// `ClientRequestQuotaManager.maxThrottleTimeMs`.
    func recordRequestTime(principal: String, clientId: String, nanos: Int64, nowMs: Int64) -> Int32 {
        record(.request, principal: principal, clientId: clientId, value: Double(nanos) * 100 / 1e9, nowMs: nowMs)
    }

    private func record(_ kind: Kind, principal: String, clientId: String, value: Double, nowMs: Int64) -> Int32 {
        let user = principal.hasPrefix("User:") ? String(principal.dropFirst(5)) : principal
        return state.withLock { s in
            guard s.enabled.contains(kind.rawValue) else { return 0 }
            let (quota, entity) = s.configs.resolve(kind.rawValue, user: user, clientId: clientId)
            s.expire(nowMs: nowMs)
            let key = SensorKey(kind: kind, entity: entity)
            var sensor = s.sensors[key] ?? QuotaSensor(windowMs: windowMs, samples: samples, nowMs: nowMs)
            sensor.rate.record(value, nowMs: nowMs)
            sensor.lastRecordMs = nowMs
            var ms: Int64 = 0
            if let quota { ms = sensor.rate.throttleMs(quota: quota, nowMs: nowMs) }
            // The request quota's throttle is capped at one window (see `recordRequestTime`), and Kafka's
            // throttle-time sensor sees the time actually applied.
            if kind == .request { ms = min(ms, windowMs) }
            if ms > 0 { sensor.throttle.record(Double(ms), nowMs: nowMs) }
            s.sensors[key] = sensor
            return Int32(clamping: ms)
        }
    }

    /// The active quota sensors as a scrape shows them (idle ones expire after an hour, as Kafka's do).
    func metricSamples(nowMs: Int64) -> [QuotaMetricSample] {
        state.withLock { s in
            s.expire(nowMs: nowMs)
            return s.sensors.map { key, sensor in
                QuotaMetricSample(
                    kind: key.kind, entity: key.entity, rate: sensor.rate.rate(nowMs: nowMs),
                    throttleTimeMs: sensor.throttle.average(nowMs: nowMs))
            }
        }
    }
}

/// Where quota writes go when ZooKeeper does not hold them (KRaft: `KRaftQuotaStore`).
protocol QuotaWriteStore: Sendable {
    func alter(_ entityPath: String, _ changes: [(String, String?)]) async throws(QuotaRequestError)
}

/// Responses that carry `throttle_time_ms` (v1+; v0 clients only see the muted connection).
protocol ThrottleReporting {
    var throttleTimeMs: Int32 { get set }
}

extension ProduceResponse: ThrottleReporting {}
extension FetchResponse: ThrottleReporting {}

/// Which requests count against `producer_byte_rate` / `consumer_byte_rate`, and how the throttle is applied.
enum ByteRateQuota {
    /// The throttle time reported in the response; the connection is then muted for as long (KIP-219), which
    /// also holds back pipelined requests of clients that do not wait by themselves.
    struct Throttle {
        var ms: Int32
    }

    static func throttle<R: KafkaRequest>(
        _ request: R, response: ProtocolWriter, requestBytes: Int, context: RequestContext, quotas: QuotaManager
    ) -> Throttle? {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let version = context.apiVersion
        let ms: Int32
        switch R.apiKey {
        case .produce:
            ms = quotas.record(
                .produce, principal: context.principal, clientId: context.clientId, bytes: requestBytes, nowMs: now)
        case .fetch:
            // Followers are replication traffic (Kafka's separate replication quotas), not consumers.
            guard let fetch = request as? FetchRequest, fetch.effectiveReplicaId(version: version) < 0 else {
                return nil
            }
            let bytes = response.bytes.count + response.externals.reduce(0) { $0 + $1.length }
            ms = quotas.record(
                .fetch, principal: context.principal, clientId: context.clientId, bytes: bytes, nowMs: now)
        default:
            return nil
        }
        return ms > 0 ? Throttle(ms: ms) : nil
    }
}
