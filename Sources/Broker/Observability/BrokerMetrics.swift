import KafkaProtocol
import NIOCore
import Observability
import Synchronization

/// The counters the request path records into (Kafka's `BrokerTopicMetrics`, `RequestMetrics` and the socket
/// server's connection count). Everything is allocated once — per API at startup, per topic on the topic's first
/// request — and recorded with relaxed atomics; per-topic cells are looked up once per topic per request, never
/// per record. A scrape reads them through `BrokerObservability`.
final class BrokerMetrics: Sendable {
    /// One topic's `BrokerTopicMetrics` (or the all-topics aggregate).
    final class TopicCounters: Sendable {
        let messagesIn = AtomicCounter()
        let bytesIn = AtomicCounter()
        let bytesOut = AtomicCounter()
        let totalProduceRequests = AtomicCounter()
        let totalFetchRequests = AtomicCounter()
        let failedProduceRequests = AtomicCounter()
        let failedFetchRequests = AtomicCounter()
    }

    /// One request name's `RequestMetrics`: requests per version and the total time.
    final class RequestCounters: Sendable {
        static let maxVersion = 31
        let perVersion: [AtomicCounter] = (0...RequestCounters.maxVersion).map { _ in AtomicCounter() }
        let totalTime = LatencyHistogram()
    }

    let allTopics = TopicCounters()
    private let topics = Mutex<[String: TopicCounters]>([:])
    /// Kafka's request names: the API name, with Fetch split into FetchConsumer and FetchFollower.
    let requests: [String: RequestCounters]
    /// (request name, error code) → count; Produce and Fetch record one entry per partition, as Kafka's
    /// `errorCounts` does (NONE included).
    private let errors = Mutex<[ErrorKey: Int64]>([:])
    private let connections = Mutex<[String: AtomicCounter]>([:])
    /// The TLS context of each SSL / SASL_SSL listener, read at scrape time for the certificate-expiry gauge (a
    /// rotated key store shows its new date at the next scrape).
    let tlsListeners = Mutex<[String: TLSContextProvider]>([:])
    /// The client quotas, whose per user / client-id sensors a scrape shows (`QuotaMetrics`).
    let quotas = Mutex<QuotaManager?>(nil)
    /// Topic names by id (Fetch v13+ names topics by id only), filled from the metadata cache on a miss.
    private let topicNames = Mutex<[UUIDValue: String]>([:])
    private let metadata: MetadataCache?

    struct ErrorKey: Hashable, Sendable {
        var request: String
        var error: Int16
    }

    init(metadata: MetadataCache? = nil) {
        self.metadata = metadata
        var table: [String: RequestCounters] = [:]
        for key in APIKey.allCases where key != .fetch { table[key.description] = RequestCounters() }
        table[Self.fetchConsumer] = RequestCounters()
        table[Self.fetchFollower] = RequestCounters()
        requests = table
    }

    static let fetchConsumer = "FetchConsumer"
    static let fetchFollower = "FetchFollower"

    func topic(_ name: String) -> TopicCounters {
        topics.withLock { table in
            if let counters = table[name] { return counters }
            let counters = TopicCounters()
            table[name] = counters
            return counters
        }
    }

    /// The per-topic table as it is now (for a scrape).
    var topicSnapshot: [(String, TopicCounters)] { topics.withLock { $0.map { ($0.key, $0.value) } } }

    var errorSnapshot: [(ErrorKey, Int64)] { errors.withLock { $0.map { ($0.key, $0.value) } } }

    var connectionSnapshot: [(String, Int64)] { connections.withLock { $0.map { ($0.key, $0.value.value) } } }

    func countErrors(request: String, _ counts: [Int16: Int64]) {
        guard !counts.isEmpty else { return }
        errors.withLock { table in
            for (code, n) in counts { table[ErrorKey(request: request, error: code), default: 0] += n }
        }
    }

    /// Counts a client connection on `listener` until its channel closes.
    func connectionOpened(listener: String, channel: any Channel) {
        let counter = connections.withLock { table in
            if let c = table[listener] { return c }
            let c = AtomicCounter()
            table[listener] = c
            return c
        }
        counter.add(1)
        channel.closeFuture.whenComplete { _ in counter.add(-1) }
    }

    func topicName(_ name: String, id: UUIDValue) -> String? {
        if !name.isEmpty { return name }
        if let known = topicNames.withLock({ $0[id] }) { return known }
        guard let found = metadata?.snapshot.topicsById[id] else { return nil }
        topicNames.withLock { $0[id] = found }
        return found
    }
}
