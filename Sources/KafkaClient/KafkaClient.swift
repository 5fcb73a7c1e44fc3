import KafkaProtocol
import NIOCore
import NIOPosix

/// Settings shared by the admin, producer and consumer APIs.
public struct KafkaClientConfiguration: Sendable {
    public var bootstrapServers: [BrokerAddress]
    public var clientId: String
    /// How long one request may wait for its answer before the connection is dropped.
    public var requestTimeoutMs: Int
    public var connectTimeoutMs: Int
    /// First backoff between retries of a retriable error; doubles up to `retryBackoffMaxMs`.
    public var retryBackoffMs: Int
    public var retryBackoffMaxMs: Int
    /// Total time an operation keeps retrying retriable errors (Kafka's `default.api.timeout.ms` / `delivery.timeout.ms`).
    public var retryTimeoutMs: Int
    /// TLS / SASL of every connection (nil: PLAINTEXT).
    public var security: ClientSecurity? = nil

    public init(
        bootstrapServers: [BrokerAddress], clientId: String = "needletail-client", requestTimeoutMs: Int = 30_000,
        connectTimeoutMs: Int = 10_000, retryBackoffMs: Int = 100, retryBackoffMaxMs: Int = 1_000,
        retryTimeoutMs: Int = 30_000
    ) {
        self.bootstrapServers = bootstrapServers
        self.clientId = clientId
        self.requestTimeoutMs = requestTimeoutMs
        self.connectTimeoutMs = connectTimeoutMs
        self.retryBackoffMs = retryBackoffMs
        self.retryBackoffMaxMs = retryBackoffMaxMs
        self.retryTimeoutMs = retryTimeoutMs
    }
}

/// The connection pool and cluster view behind every client API.
///
/// Holds one `BrokerConnection` per broker address (opened lazily, reopened after a failure), the last Metadata
/// answer, and the retry policy. Admin operations are in `KafkaClient+Admin.swift`; `KafkaProducer` and
/// `KafkaConsumer` are built on top of a client. All methods may be called from any task.
public actor KafkaClient {
    public nonisolated let configuration: KafkaClientConfiguration
    private var connections: [BrokerAddress: Task<BrokerConnection, any Error>] = [:]
    /// The most recent Metadata answer (nil before the first).
    public private(set) var cachedMetadata: ClusterMetadata?
    /// Every topic seen in any Metadata answer (merged), for routing without a refresh per request. Dropped by
    /// `invalidateMetadata` after a retriable error, like the Java client's `requestUpdate()`.
    private var routingTopics: [String: TopicMetadata] = [:]
    private var routingBrokers: [Int32: BrokerNode] = [:]
    private var isClosed = false

    public init(configuration: KafkaClientConfiguration) {
        self.configuration = configuration
    }

    /// A client for a comma-separated `host:port` list.
    public init(bootstrapServers: String, clientId: String = "needletail-client") throws {
        self.init(
            configuration: KafkaClientConfiguration(
                bootstrapServers: try BrokerAddress.list(bootstrapServers), clientId: clientId))
    }

    // MARK: Connections

    /// The open connection to `address`, connecting (and negotiating versions) when there is none.
    public func connection(to address: BrokerAddress) async throws -> BrokerConnection {
        guard !isClosed else { throw KafkaClientError.closed }
        if let task = connections[address] {
            if let conn = try? await task.value, conn.isActive { return conn }
            if connections[address] == task { connections[address] = nil }
        }
        if let task = connections[address] { return try await task.value }
        let config = configuration
        let task = Task<BrokerConnection, any Error> {
            try await BrokerConnection.connect(
                to: address, clientId: config.clientId, connectTimeoutMs: config.connectTimeoutMs,
                requestTimeoutMs: config.requestTimeoutMs, security: config.security)
        }
        connections[address] = task
        do {
            return try await task.value
        } catch {
            if connections[address] == task { connections[address] = nil }
            throw error
        }
    }

    /// The connection to broker `id`, refreshing metadata once when the id is not known yet.
    public func connection(toBroker id: Int32) async throws -> BrokerConnection {
        if let node = routingBrokers[id] ?? cachedMetadata?.brokers[id] {
            return try await connection(to: node.address)
        }
        let md = try await metadata(topics: [])
        guard let node = md.brokers[id] else {
            throw KafkaClientError.invalidArgument(
                "broker \(id) is not in the cluster (brokers: \(md.brokers.keys.sorted()))")
        }
        return try await connection(to: node.address)
    }

    /// The connection to a broker that Metadata named as a partition leader, coordinator or controller. Failures
    /// are retriable (`brokerNotAvailable`) and mark the metadata stale: the broker may have died or lost its role,
    /// and the next refresh names its successor.
    public func connection(toRoleHolder id: Int32) async throws -> BrokerConnection {
        do {
            if let node = routingBrokers[id] ?? cachedMetadata?.brokers[id] {
                return try await connection(to: node.address)
            }
            let md = try await metadata(topics: [])
            guard let node = md.brokers[id] else {
                throw KafkaClientError.brokerNotAvailable(
                    id: id, reason: "not among the live brokers \(md.brokers.keys.sorted())")
            }
            return try await connection(to: node.address)
        } catch let e as KafkaClientError {
            switch e {
            case .brokerUnreachable(let host, let port, let reason):
                invalidateMetadata()
                throw KafkaClientError.brokerNotAvailable(id: id, reason: "unreachable at \(host):\(port) (\(reason))")
            case .brokerNotAvailable:
                invalidateMetadata()
                throw e
            default:
                throw e
            }
        }
    }

    /// A connection to any reachable broker: open ones first, then known brokers, then the bootstrap list.
    public func anyConnection() async throws -> BrokerConnection {
        for (_, task) in connections {
            if let conn = try? await task.value, conn.isActive { return conn }
        }
        var candidates = configuration.bootstrapServers
        if let md = cachedMetadata {
            candidates = md.brokers.values.sorted { $0.id < $1.id }.map(\.address) + candidates
        }
        var lastError: any Error = KafkaClientError.invalidArgument("no bootstrap servers given")
        var seen = Set<BrokerAddress>()
        for address in candidates where seen.insert(address).inserted {
            do {
                return try await connection(to: address)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    private func forget(_ conn: BrokerConnection) {
        connections[conn.address] = nil
        Task { await conn.close() }
    }

    // MARK: Sending

    /// Sends `request` on `conn`; a connection-level failure drops the connection so the next call reconnects.
    public func send<R: KafkaRequest>(_ request: R, on conn: BrokerConnection) async throws -> R.Response {
        try await send(request, atVersion: nil, on: conn)
    }

    /// Sends `request` at an explicit version on `conn` (dropping the connection on failure, as above).
    public func send<R: KafkaRequest>(_ request: R, version: Int16, on conn: BrokerConnection) async throws
        -> R.Response
    {
        try await send(request, atVersion: version, on: conn)
    }

    private func send<R: KafkaRequest>(
        _ request: R, atVersion version: Int16?, on conn: BrokerConnection
    ) async throws -> R.Response {
        do {
            return try await conn.send(request, version: version)
        } catch {
            if case .connectionClosed = error { forget(conn) }
            if case .timeout = error { forget(conn) }
            throw error
        }
    }

    /// Sends to broker `id`.
    public func send<R: KafkaRequest>(_ request: R, toBroker id: Int32) async throws -> R.Response {
        try await send(request, on: try await connection(toBroker: id))
    }

    /// Sends to a leader, coordinator or controller named by Metadata; see `connection(toRoleHolder:)`.
    public func send<R: KafkaRequest>(_ request: R, toRoleHolder id: Int32) async throws -> R.Response {
        do {
            return try await send(request, on: try await connection(toRoleHolder: id))
        } catch let e as KafkaClientError where e.isRetriable {
            invalidateMetadata()
            throw e
        }
    }

    /// Sends to whichever broker is reachable.
    public func sendToAnyBroker<R: KafkaRequest>(_ request: R) async throws -> R.Response {
        try await send(request, on: try await anyConnection())
    }

    /// Sends to the controller (Metadata's controller_id), refreshing metadata to find it, as Kafka's AdminClient
    /// does for CreateTopics, DeleteTopics, CreatePartitions and ElectLeaders. No controller, or an unreachable
    /// one, fails retriably; callers retry inside `retrying` (and on NOT_CONTROLLER answers).
    public func sendToController<R: KafkaRequest>(_ request: R) async throws -> R.Response {
        let md = try await metadata(topics: [])
        guard md.controllerId >= 0 else {
            throw KafkaClientError.kafka(code: .notController, message: "no active controller", context: "\(R.apiKey)")
        }
        return try await send(request, toRoleHolder: md.controllerId)
    }

    // MARK: Metadata

    /// Asks for metadata. `topics: nil` means every topic; `[]` means brokers and controller only.
    @discardableResult
    public func metadata(topics: [String]?, allowAutoTopicCreation: Bool = false) async throws -> ClusterMetadata {
        let conn = try await anyConnection()
        var request = MetadataRequest()
        let version = try conn.version(for: MetadataRequest.self)
        if let topics {
            if topics.isEmpty && version == 0 {
                // v0 has no way to say "no topics": ask for one that cannot exist.
                request.topics = [.init(name: "__needletail_no_topic__")]
            } else {
                request.topics = topics.map { .init(name: $0) }
            }
        } else {
            request.topics = version == 0 ? [] : nil
        }
        request.allowAutoTopicCreation = allowAutoTopicCreation
        let response = try await send(request, on: conn)
        let md = ClusterMetadata(response)
        cachedMetadata = md
        routingBrokers = md.brokers
        for (name, t) in md.topics {
            if t.errorCode == 0 { routingTopics[name] = t } else { routingTopics[name] = nil }
        }
        return md
    }

    /// Forgets the routing view (leaders and brokers) so the next routed request refreshes metadata first.
    public func invalidateMetadata(topics: some Sequence<String>) {
        for t in topics { routingTopics[t] = nil }
    }

    /// Forgets the whole routing view.
    public func invalidateMetadata() {
        routingTopics = [:]
    }

    /// The routing view of `topics` when every partition asked for has a live leader in it, else nil.
    func cachedRoute(_ partitions: some Collection<TopicPartition>) -> [Int32: [TopicPartition]]? {
        LeaderRoute.group(partitions, topics: routingTopics, liveBrokers: Set(routingBrokers.keys))
    }

    /// Metadata for `topic`, retrying while the topic is missing or a partition has no leader (a topic that was
    /// just created takes a moment to appear everywhere). Throws `unknownTopic` when it never appears.
    public func topicMetadata(_ topic: String, waitForLeaders: Bool = true) async throws -> TopicMetadata {
        try await retrying("metadata for \(topic)") {
            let md = try await self.metadata(topics: [topic])
            guard let t = md.topics[topic] else { throw KafkaClientError.unknownTopic(topic) }
            if t.errorCode == ErrorCode.unknownTopicOrPartition.rawValue {
                throw KafkaClientError.kafka(code: .unknownTopicOrPartition, message: nil, context: "topic \(topic)")
            }
            try KafkaClientError.check(t.errorCode, context: "metadata for topic \(topic)")
            if waitForLeaders, t.partitions.isEmpty || t.partitions.contains(where: { $0.leader < 0 }) {
                throw KafkaClientError.kafka(code: .leaderNotAvailable, message: nil, context: "topic \(topic)")
            }
            return t
        } mapFinal: { error in
            if case .kafka(.unknownTopicOrPartition, _, _)? = error as? KafkaClientError {
                return KafkaClientError.unknownTopic(topic)
            }
            return error
        }
    }

    // MARK: Retries

    /// Runs `body`, retrying retriable failures with exponential backoff until `retryTimeoutMs` has passed.
    /// The last failure is passed through `mapFinal` and thrown.
    public nonisolated func retrying<T: Sendable>(
        _ what: String, _ body: @Sendable () async throws -> T,
        mapFinal: @Sendable (any Error) -> any Error = { $0 }
    ) async throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(configuration.retryTimeoutMs)
        var backoff = configuration.retryBackoffMs
        while true {
            do {
                return try await body()
            } catch let error as KafkaClientError where error.isRetriable {
                let wake = clock.now + .milliseconds(backoff)
                guard wake < deadline else { throw mapFinal(error) }
                try await Task.sleep(until: wake, clock: clock)
                backoff = min(backoff * 2, configuration.retryBackoffMaxMs)
            } catch {
                throw mapFinal(error)
            }
        }
    }

    /// Closes every connection. Later calls throw `closed`.
    public func close() async {
        isClosed = true
        let tasks = connections.values
        connections = [:]
        for task in tasks {
            if let conn = try? await task.value { await conn.close() }
        }
    }
}
