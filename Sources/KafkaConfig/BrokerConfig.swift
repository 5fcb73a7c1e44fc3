/// The broker's configuration: raw layers as given, plus typed values with Kafka's defaults.
///
/// Layers, lowest priority first: static (server.properties, then `KAFKA_*` environment, then `--override`),
/// the cluster-wide dynamic default (`/config/brokers/<default>`), and this broker's dynamic configs
/// (`/config/brokers/<id>`). Within the merged view, Kafka's synonym rule applies: `log.retention.ms` beats
/// `log.retention.minutes` beats `log.retention.hours`, whichever layer each came from.
///
/// A value type: build a new one (`withDynamicConfigs`) when ZooKeeper reports a change, then hand it to the parts
/// that need it. Typed properties are stored, so reading them on a hot path costs nothing.
public struct BrokerConfig: Sendable {
    /// Every broker key Needletail knows, for DescribeConfigs and documentation.
    public static var definitions: [ConfigKeyDefinition] { BrokerKeys.all }

    public static func definition(named name: String) -> ConfigKeyDefinition? { BrokerKeys.byName[name] }

    /// Static properties as given (unknown keys included).
    public let staticProperties: [String: String]
    /// Dynamic cluster-wide defaults that apply (only keys whose update mode is cluster-wide).
    public let dynamicDefaultProperties: [String: String]
    /// Dynamic per-broker configs that apply (only keys that are not read-only).
    public let dynamicBrokerProperties: [String: String]
    /// Keys in the static layer that are neither in the table nor pass-through (`listener.name.*`).
    public let unknownKeys: [String]

    /// Parsed values of every known key set in some layer; the highest layer wins.
    let configured: [String: ConfigValue]

    // MARK: Identity and ZooKeeper
    /// `broker.id`, or `node.id` in KRaft mode.
    public let brokerId: Int32
    /// The KRaft keys when `process.roles` is set (KRaft mode); nil in ZooKeeper mode.
    public let kraft: KRaftConfig?
    public let brokerRack: String?
    public let zookeeperConnect: String
    public let zookeeperSessionTimeoutMs: Int
    public let zookeeperConnectionTimeoutMs: Int
    public let zookeeperMaxInFlightRequests: Int

    // MARK: Listeners and sockets
    public let listeners: [Endpoint]
    public let advertisedListeners: [Endpoint]
    /// `http.listeners`: where `/metrics` is served (empty: no HTTP listener).
    public let httpListeners: [Endpoint]
    public let listenerSecurityProtocolMap: [String: SecurityProtocol]
    public let interBrokerListenerName: String
    public let numNetworkThreads: Int
    public let numIoThreads: Int
    public let backgroundThreads: Int
    public let queuedMaxRequests: Int
    public let socketSendBufferBytes: Int
    public let socketReceiveBufferBytes: Int
    public let socketRequestMaxBytes: Int
    public let connectionsMaxIdleMs: Int
    public let maxConnections: Int
    public let maxConnectionsPerIp: Int
    public let requestTimeoutMs: Int

    // MARK: Topic defaults
    public let numPartitions: Int
    public let defaultReplicationFactor: Int
    public let autoCreateTopicsEnable: Bool
    public let deleteTopicEnable: Bool
    public let messageMaxBytes: Int
    public let compressionType: BrokerCompressionType
    public let minInsyncReplicas: Int
    public let uncleanLeaderElectionEnable: Bool

    // MARK: Log
    /// `log.dirs`, else `log.dir`, as written; see `resolvedLogDirs(workingDirectory:)`.
    public let logDirs: [String]
    public let numRecoveryThreadsPerDataDir: Int
    public let logSegmentBytes: Int
    public let logRollMs: Int64
    public let logRollJitterMs: Int64
    /// -1 means keep forever.
    public let logRetentionMs: Int64
    public let logRetentionBytes: Int64
    public let logRetentionCheckIntervalMs: Int64
    public let logCleanupPolicy: CleanupPolicy
    public let logIndexSizeMaxBytes: Int
    public let logIndexIntervalBytes: Int
    public let logSegmentDeleteDelayMs: Int64
    public let logFlushIntervalMessages: Int64
    public let logFlushIntervalMs: Int64
    public let logFlushOffsetCheckpointIntervalMs: Int
    public let logFlushStartOffsetCheckpointIntervalMs: Int
    public let logPreallocate: Bool
    public let logMessageTimestampType: MessageTimestampType
    public let logMessageDownconversionEnable: Bool

    // MARK: Log cleaner
    public let logCleanerEnable: Bool
    public let logCleanerThreads: Int
    public let logCleanerMinCleanableRatio: Double
    public let logCleanerDeleteRetentionMs: Int64
    public let logCleanerMinCompactionLagMs: Int64
    public let logCleanerMaxCompactionLagMs: Int64
    public let logCleanerBackoffMs: Int64
    public let logCleanerDedupeBufferSize: Int64
    /// `log.cleaner.io.max.bytes.per.second` (Kafka's default: effectively unlimited).
    public let logCleanerIoMaxBytesPerSecond: Double

    // MARK: Replication
    public let replicaLagTimeMaxMs: Int64
    public let replicaFetchMaxBytes: Int
    public let replicaFetchResponseMaxBytes: Int
    public let replicaFetchWaitMaxMs: Int
    public let replicaFetchMinBytes: Int
    public let replicaFetchBackoffMs: Int
    public let replicaSocketTimeoutMs: Int
    public let replicaHighWatermarkCheckpointIntervalMs: Int64
    public let numReplicaFetchers: Int
    public let fetchMaxBytes: Int
    public let maxIncrementalFetchSessionCacheSlots: Int
    public let controlledShutdownEnable: Bool
    public let controlledShutdownMaxRetries: Int
    public let controlledShutdownRetryBackoffMs: Int64
    public let controllerSocketTimeoutMs: Int
    public let autoLeaderRebalanceEnable: Bool
    public let leaderImbalanceCheckIntervalSeconds: Int64
    public let leaderImbalancePerBrokerPercentage: Int

    // MARK: Groups and offsets
    public let offsetsTopicNumPartitions: Int
    public let offsetsTopicReplicationFactor: Int
    public let offsetsTopicSegmentBytes: Int
    public let offsetsRetentionMinutes: Int
    public let offsetsRetentionCheckIntervalMs: Int64
    public let offsetsCommitTimeoutMs: Int
    public let offsetsLoadBufferSize: Int
    public let offsetMetadataMaxBytes: Int
    public let groupInitialRebalanceDelayMs: Int
    public let groupMinSessionTimeoutMs: Int
    public let groupMaxSessionTimeoutMs: Int
    public let groupMaxSize: Int
    /// `needletail.rebalance.history.max.entries` / `….retention.ms`: the durable rebalance history per group.
    public let rebalanceHistoryMaxEntries: Int
    public let rebalanceHistoryRetentionMs: Int64

    // MARK: Transactions and producer ids
    public let transactionStateLogNumPartitions: Int
    public let transactionStateLogReplicationFactor: Int
    public let transactionStateLogMinIsr: Int
    public let transactionStateLogSegmentBytes: Int
    public let transactionalIdExpirationMs: Int
    public let transactionMaxTimeoutMs: Int
    public let transactionAbortTimedOutTransactionCleanupIntervalMs: Int
    public let transactionRemoveExpiredTransactionCleanupIntervalMs: Int
    public let transactionPartitionVerificationEnable: Bool
    /// The finalized `transaction.version` feature level (Kafka 4.0; a broker key here, as ZooKeeper mode has no
    /// feature finalization for it): 2 serves KIP-890 part 2.
    public let transactionVersion: Int16
    public let transactionStateLogLoadBufferSize: Int
    public let producerIdExpirationMs: Int
    public let producerIdExpirationCheckIntervalMs: Int

    /// The `host:port,...` part of `zookeeper.connect`.
    public var zookeeperHosts: String {
        guard let slash = zookeeperConnect.firstIndex(of: "/") else { return zookeeperConnect }
        return String(zookeeperConnect[..<slash])
    }

    /// The chroot path of `zookeeper.connect` (`/kafka` in `zk:2181/kafka`), nil when there is none.
    public var zookeeperChroot: String? {
        guard let slash = zookeeperConnect.firstIndex(of: "/") else { return nil }
        let path = String(zookeeperConnect[slash...])
        return path == "/" ? nil : path
    }

    /// `offsets.retention.minutes` in milliseconds.
    public var offsetsRetentionMs: Int64 { Int64(offsetsRetentionMinutes) * 60_000 }

    /// Builds the configuration from static properties (already merged from file, environment and overrides) and
    /// optional dynamic layers. Dynamic keys that may not be set at that level are ignored, as Kafka does.
    public init(
        properties: [String: String], dynamicDefault: [String: String] = [:], dynamicBroker: [String: String] = [:]
    ) throws(ConfigError) {
        staticProperties = properties
        dynamicDefaultProperties = dynamicDefault.filter { BrokerKeys.byName[$0.key]?.updateMode == .clusterWide }
        dynamicBrokerProperties = dynamicBroker.filter {
            guard let mode = BrokerKeys.byName[$0.key]?.updateMode else { return false }
            return mode != .readOnly
        }
        unknownKeys = properties.keys.filter { BrokerKeys.byName[$0] == nil && !BrokerKeys.isPassThrough($0) }.sorted()

        var configured: [String: ConfigValue] = [:]
        // Parse in key order so the first error reported is deterministic.
        for layer in [staticProperties, dynamicDefaultProperties, dynamicBrokerProperties] {
            for (name, raw) in layer.sorted(by: { $0.key < $1.key }) {
                guard let def = BrokerKeys.byName[name] else { continue }
                configured[name] = try def.parse(raw)
            }
        }
        self.configured = configured
        let r = Resolver(configured: configured)

        let kraft = try KRaftConfig.parse(staticProperties)
        self.kraft = kraft
        if let kraft { brokerId = kraft.nodeId } else { brokerId = Int32(try r.int("broker.id")) }
        brokerRack = try r.optionalString("broker.rack")
        zookeeperConnect = try r.optionalString("zookeeper.connect") ?? ""
        zookeeperSessionTimeoutMs = try r.int("zookeeper.session.timeout.ms")
        zookeeperConnectionTimeoutMs = try r.optionalInt("zookeeper.connection.timeout.ms") ?? zookeeperSessionTimeoutMs
        zookeeperMaxInFlightRequests = try r.int("zookeeper.max.in.flight.requests")

        var protocolMap = try parseSecurityProtocolMap(
            try r.string("listener.security.protocol.map"), key: "listener.security.protocol.map")
        // KRaft: an unmapped controller listener is PLAINTEXT while the map is left at its default, as Kafka's
        // effectiveListenerSecurityProtocolMap does.
        if let kraft, configured["listener.security.protocol.map"] == nil {
            for name in kraft.controllerListenerNames where protocolMap[name] == nil { protocolMap[name] = .plaintext }
        }
        listenerSecurityProtocolMap = protocolMap
        listeners = try Endpoint.parseList(
            try r.string("listeners"), securityProtocolMap: protocolMap, key: "listeners")
        httpListeners = try Endpoint.parseHTTPList(try r.string("http.listeners"))
        if let advertised = try r.optionalString("advertised.listeners") {
            advertisedListeners = try Endpoint.parseList(
                advertised, securityProtocolMap: protocolMap, key: "advertised.listeners")
        } else {
            // KRaft: controller listeners are not advertised to clients.
            advertisedListeners = listeners.filter {
                !(kraft?.controllerListenerNames.contains($0.listenerName) ?? false)
            }
        }
        if let name = try r.optionalString("inter.broker.listener.name") {
            if configured["security.inter.broker.protocol"] != nil {
                throw ConfigError.conflict(
                    "Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.")
            }
            interBrokerListenerName = name.uppercased()
        } else {
            interBrokerListenerName = try r.string("security.inter.broker.protocol")
        }
        numNetworkThreads = try r.int("num.network.threads")
        numIoThreads = try r.int("num.io.threads")
        backgroundThreads = try r.int("background.threads")
        queuedMaxRequests = try r.int("queued.max.requests")
        socketSendBufferBytes = try r.int("socket.send.buffer.bytes")
        socketReceiveBufferBytes = try r.int("socket.receive.buffer.bytes")
        socketRequestMaxBytes = try r.int("socket.request.max.bytes")
        connectionsMaxIdleMs = try r.int("connections.max.idle.ms")
        maxConnections = try r.int("max.connections")
        maxConnectionsPerIp = try r.int("max.connections.per.ip")
        requestTimeoutMs = try r.int("request.timeout.ms")

        numPartitions = try r.int("num.partitions")
        defaultReplicationFactor = try r.int("default.replication.factor")
        autoCreateTopicsEnable = try r.bool("auto.create.topics.enable")
        deleteTopicEnable = try r.bool("delete.topic.enable")
        messageMaxBytes = try r.int("message.max.bytes")
        compressionType = BrokerCompressionType(rawValue: try r.string("compression.type")) ?? .producer
        minInsyncReplicas = try r.int("min.insync.replicas")
        uncleanLeaderElectionEnable = try r.bool("unclean.leader.election.enable")

        let dirs = try r.firstString("log.dirs", "log.dir")
        logDirs = dirs.split(separator: ",").map { String($0).trimmingBlanks() }.filter { !$0.isEmpty }
        numRecoveryThreadsPerDataDir = try r.int("num.recovery.threads.per.data.dir")
        logSegmentBytes = try r.int("log.segment.bytes")
        logRollMs = try r.millis("log.roll.ms", hours: "log.roll.hours")
        logRollJitterMs = try r.millis("log.roll.jitter.ms", hours: "log.roll.jitter.hours")
        let retention: Int64
        if let ms = try r.optionalLong("log.retention.ms") {
            retention = ms
        } else if let minutes = try r.optionalInt("log.retention.minutes") {
            retention = Int64(minutes) * 60_000
        } else {
            retention = Int64(try r.int("log.retention.hours")) * 3_600_000
        }
        logRetentionMs = retention < 0 ? -1 : retention
        logRetentionBytes = try r.long("log.retention.bytes")
        logRetentionCheckIntervalMs = try r.long("log.retention.check.interval.ms")
        logCleanupPolicy = CleanupPolicy(try r.list("log.cleanup.policy"))
        logIndexSizeMaxBytes = try r.int("log.index.size.max.bytes")
        logIndexIntervalBytes = try r.int("log.index.interval.bytes")
        logSegmentDeleteDelayMs = try r.long("log.segment.delete.delay.ms")
        logFlushIntervalMessages = try r.long("log.flush.interval.messages")
        logFlushIntervalMs = try r.firstLong("log.flush.interval.ms", "log.flush.scheduler.interval.ms")
        logFlushOffsetCheckpointIntervalMs = try r.int("log.flush.offset.checkpoint.interval.ms")
        logFlushStartOffsetCheckpointIntervalMs = try r.int("log.flush.start.offset.checkpoint.interval.ms")
        logPreallocate = try r.bool("log.preallocate")
        logMessageTimestampType =
            MessageTimestampType(rawValue: try r.string("log.message.timestamp.type")) ?? .createTime
        logMessageDownconversionEnable = try r.bool("log.message.downconversion.enable")

        logCleanerEnable = try r.bool("log.cleaner.enable")
        logCleanerThreads = try r.int("log.cleaner.threads")
        logCleanerMinCleanableRatio = try r.double("log.cleaner.min.cleanable.ratio")
        logCleanerDeleteRetentionMs = try r.long("log.cleaner.delete.retention.ms")
        logCleanerMinCompactionLagMs = try r.long("log.cleaner.min.compaction.lag.ms")
        logCleanerMaxCompactionLagMs = try r.long("log.cleaner.max.compaction.lag.ms")
        logCleanerBackoffMs = try r.long("log.cleaner.backoff.ms")
        logCleanerDedupeBufferSize = try r.long("log.cleaner.dedupe.buffer.size")
        logCleanerIoMaxBytesPerSecond = try r.double("log.cleaner.io.max.bytes.per.second")

        replicaLagTimeMaxMs = try r.long("replica.lag.time.max.ms")
        replicaFetchMaxBytes = try r.int("replica.fetch.max.bytes")
        replicaFetchResponseMaxBytes = try r.int("replica.fetch.response.max.bytes")
        replicaFetchWaitMaxMs = try r.int("replica.fetch.wait.max.ms")
        replicaFetchMinBytes = try r.int("replica.fetch.min.bytes")
        replicaFetchBackoffMs = try r.int("replica.fetch.backoff.ms")
        replicaSocketTimeoutMs = try r.int("replica.socket.timeout.ms")
        replicaHighWatermarkCheckpointIntervalMs = try r.long("replica.high.watermark.checkpoint.interval.ms")
        numReplicaFetchers = try r.int("num.replica.fetchers")
        fetchMaxBytes = try r.int("fetch.max.bytes")
        maxIncrementalFetchSessionCacheSlots = try r.int("max.incremental.fetch.session.cache.slots")
        controlledShutdownEnable = try r.bool("controlled.shutdown.enable")
        controlledShutdownMaxRetries = try r.int("controlled.shutdown.max.retries")
        controlledShutdownRetryBackoffMs = try r.long("controlled.shutdown.retry.backoff.ms")
        controllerSocketTimeoutMs = try r.int("controller.socket.timeout.ms")
        autoLeaderRebalanceEnable = try r.bool("auto.leader.rebalance.enable")
        leaderImbalanceCheckIntervalSeconds = try r.long("leader.imbalance.check.interval.seconds")
        leaderImbalancePerBrokerPercentage = try r.int("leader.imbalance.per.broker.percentage")

        offsetsTopicNumPartitions = try r.int("offsets.topic.num.partitions")
        offsetsTopicReplicationFactor = try r.int("offsets.topic.replication.factor")
        offsetsTopicSegmentBytes = try r.int("offsets.topic.segment.bytes")
        offsetsRetentionMinutes = try r.int("offsets.retention.minutes")
        offsetsRetentionCheckIntervalMs = try r.long("offsets.retention.check.interval.ms")
        offsetsCommitTimeoutMs = try r.int("offsets.commit.timeout.ms")
        offsetsLoadBufferSize = try r.int("offsets.load.buffer.size")
        offsetMetadataMaxBytes = try r.int("offset.metadata.max.bytes")
        groupInitialRebalanceDelayMs = try r.int("group.initial.rebalance.delay.ms")
        groupMinSessionTimeoutMs = try r.int("group.min.session.timeout.ms")
        groupMaxSessionTimeoutMs = try r.int("group.max.session.timeout.ms")
        groupMaxSize = try r.int("group.max.size")
        rebalanceHistoryMaxEntries = try r.int("needletail.rebalance.history.max.entries")
        rebalanceHistoryRetentionMs = try r.long("needletail.rebalance.history.retention.ms")

        transactionStateLogNumPartitions = try r.int("transaction.state.log.num.partitions")
        transactionStateLogReplicationFactor = try r.int("transaction.state.log.replication.factor")
        transactionStateLogMinIsr = try r.int("transaction.state.log.min.isr")
        transactionStateLogSegmentBytes = try r.int("transaction.state.log.segment.bytes")
        transactionalIdExpirationMs = try r.int("transactional.id.expiration.ms")
        transactionMaxTimeoutMs = try r.int("transaction.max.timeout.ms")
        transactionAbortTimedOutTransactionCleanupIntervalMs = try r.int(
            "transaction.abort.timed.out.transaction.cleanup.interval.ms")
        transactionRemoveExpiredTransactionCleanupIntervalMs = try r.int(
            "transaction.remove.expired.transaction.cleanup.interval.ms")
        transactionPartitionVerificationEnable = try r.bool("transaction.partition.verification.enable")
        transactionVersion = Int16(try r.int("transaction.version"))
        transactionStateLogLoadBufferSize = try r.int("transaction.state.log.load.buffer.size")
        producerIdExpirationMs = try r.int("producer.id.expiration.ms")
        producerIdExpirationCheckIntervalMs = try r.int("producer.id.expiration.check.interval.ms")

        try validateCrossKeyRules(r)
    }

    /// The same static configuration with new dynamic layers (after a `/config/changes` notification).
    public func withDynamicConfigs(
        default dynamicDefault: [String: String], broker dynamicBroker: [String: String]
    ) throws(ConfigError) -> BrokerConfig {
        try BrokerConfig(properties: staticProperties, dynamicDefault: dynamicDefault, dynamicBroker: dynamicBroker)
    }

    /// The effective value of a known key (configured in some layer, else its default); nil for unknown keys and
    /// keys whose default is null.
    public func value(_ name: String) -> ConfigValue? {
        configured[name] ?? BrokerKeys.byName[name]?.defaultValue
    }

    /// Log directories with relative paths resolved against `workingDirectory` (the broker passes its current
    /// directory, so `log.dirs=data/broker-1` lands under the directory the broker was started from).
    public func resolvedLogDirs(workingDirectory: String) -> [String] {
        logDirs.map { dir in
            if dir.hasPrefix("/") { return dir }
            let base = workingDirectory.hasSuffix("/") ? String(workingDirectory.dropLast()) : workingDirectory
            return base + "/" + dir
        }
    }

    private func validateCrossKeyRules(_ r: Resolver) throws(ConfigError) {
        if let kraft {
            if !zookeeperConnect.trimmingBlanks().isEmpty { throw ConfigError.conflict(bothMetadataModesMessage) }
            try kraft.validate(listeners: listeners, advertisedListeners: advertisedListeners)
        } else if zookeeperConnect.trimmingBlanks().isEmpty {
            throw ConfigError.missingRequired(key: "zookeeper.connect")
        }
        if brokerId < 0 {
            throw ConfigError.invalidValue(
                key: "broker.id", value: String(brokerId),
                reason: "Value must be at least 0 (set broker.id; id generation is not supported)")
        }
        if try r.bool("broker.id.generation.enable"), brokerId > Int32(clamping: try r.int("reserved.broker.max.id")) {
            throw ConfigError.invalidValue(
                key: "broker.id", value: String(brokerId),
                reason: "Value must not be greater than reserved.broker.max.id unless broker.id.generation.enable=false"
            )
        }
        if logDirs.isEmpty {
            throw ConfigError.invalidValue(
                key: "log.dirs", value: "", reason: "At least one log directory must be defined")
        }
        if listeners.isEmpty {
            throw ConfigError.invalidValue(
                key: "listeners", value: staticProperties["listeners"] ?? "",
                reason: "At least one listener must be defined")
        }
        var bound = Set<String>()
        for endpoint in listeners
        where !bound.insert("\(endpoint.host):\(endpoint.port)").inserted && endpoint.port != 0 {
            throw ConfigError.invalidValue(
                key: "listeners", value: listeners.map(\.description).joined(separator: ","),
                reason: "Each listener must have a different port, \(endpoint.port) is repeated")
        }
        let listenerNames = Set(listeners.map(\.listenerName))
        for endpoint in advertisedListeners {
            if !listenerNames.contains(endpoint.listenerName) {
                throw ConfigError.conflict(
                    "advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. "
                        + "Found \(endpoint.listenerName). The valid options based on the current configuration are "
                        + listeners.map(\.listenerName).joined(separator: ","))
            }
            if endpoint.host == "0.0.0.0" || endpoint.host == "::" {
                throw ConfigError.invalidValue(
                    key: "advertised.listeners", value: endpoint.description,
                    reason:
                        "advertised.listeners cannot use the nonroutable meta-address \(endpoint.host). Use a routable IP address."
                )
            }
        }
        if kraft?.isBroker ?? true, !advertisedListeners.contains(where: { $0.listenerName == interBrokerListenerName })
        {
            throw ConfigError.conflict(
                "inter.broker.listener.name must be a listener name defined in advertised.listeners. "
                    + "The valid options based on currently configured listeners are "
                    + advertisedListeners.map(\.listenerName).joined(separator: ","))
        }
        if replicaFetchWaitMaxMs > replicaSocketTimeoutMs {
            throw ConfigError.conflict(
                "replica.socket.timeout.ms should always be at least replica.fetch.wait.max.ms to prevent unnecessary socket timeouts"
            )
        }
        if Int64(replicaFetchWaitMaxMs) > replicaLagTimeMaxMs {
            throw ConfigError.conflict(
                "replica.fetch.wait.max.ms should always be less than or equal to replica.lag.time.max.ms to prevent frequent changes in ISR"
            )
        }
        let requiredAcks = try r.int("offsets.commit.required.acks")
        if requiredAcks < -1 || requiredAcks > offsetsTopicReplicationFactor {
            throw ConfigError.invalidValue(
                key: "offsets.commit.required.acks", value: String(requiredAcks),
                reason: "Value must be between -1 and offsets.topic.replication.factor")
        }
        if logCleanerMinCompactionLagMs > logCleanerMaxCompactionLagMs {
            throw ConfigError.conflict(
                "conflict broker config setting log.cleaner.min.compaction.lag.ms (\(logCleanerMinCompactionLagMs)) > "
                    + "log.cleaner.max.compaction.lag.ms (\(logCleanerMaxCompactionLagMs))")
        }
    }
}

/// Reads typed values out of the merged map, falling back to the table's defaults.
struct Resolver {
    let configured: [String: ConfigValue]

    func raw(_ name: String) -> ConfigValue? {
        configured[name] ?? BrokerKeys.byName[name]?.defaultValue
    }

    func int(_ name: String) throws(ConfigError) -> Int {
        guard let n = raw(name)?.integer else { throw ConfigError.missingRequired(key: name) }
        return Int(n)
    }

    func long(_ name: String) throws(ConfigError) -> Int64 {
        guard let n = raw(name)?.integer else { throw ConfigError.missingRequired(key: name) }
        return n
    }

    func optionalInt(_ name: String) throws(ConfigError) -> Int? {
        try raw(name) == nil ? nil : int(name)
    }

    func optionalLong(_ name: String) throws(ConfigError) -> Int64? {
        try raw(name) == nil ? nil : long(name)
    }

    func firstString(_ preferred: String, _ fallback: String) throws(ConfigError) -> String {
        if let s = try optionalString(preferred) { return s }
        return try string(fallback)
    }

    func firstLong(_ preferred: String, _ fallback: String) throws(ConfigError) -> Int64 {
        if let n = try optionalLong(preferred) { return n }
        return try long(fallback)
    }

    /// `msKey` if set, else `hoursKey` converted to milliseconds.
    func millis(_ msKey: String, hours hoursKey: String) throws(ConfigError) -> Int64 {
        if let n = try optionalLong(msKey) { return n }
        return Int64(try int(hoursKey)) * 3_600_000
    }

    func bool(_ name: String) throws(ConfigError) -> Bool {
        guard case .boolean(let b) = raw(name) else { throw ConfigError.missingRequired(key: name) }
        return b
    }

    func double(_ name: String) throws(ConfigError) -> Double {
        guard let d = raw(name)?.number else { throw ConfigError.missingRequired(key: name) }
        return d
    }

    func string(_ name: String) throws(ConfigError) -> String {
        guard let s = try optionalString(name) else { throw ConfigError.missingRequired(key: name) }
        return s
    }

    func optionalString(_ name: String) throws(ConfigError) -> String? {
        switch raw(name) {
        case nil: return nil
        case .string(let s), .className(let s), .password(let s): return s
        case .some(let other): return other.description
        }
    }

    func list(_ name: String) throws(ConfigError) -> [String] {
        guard case .list(let items) = raw(name) else { throw ConfigError.missingRequired(key: name) }
        return items
    }
}
