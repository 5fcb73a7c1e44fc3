// The table of every broker configuration key Needletail knows: name, type, default, validation, update mode and
// a one-line description. Defaults follow Apache Kafka 3.6 in ZooKeeper mode. DescribeConfigs for a broker lists
// these, and `BrokerConfig` reads its typed values from them.

private let longMax = ConfigValue.long(Int64.max)
private let intMax = ConfigValue.int(Int32.max)
private let compressionTypes = ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"]
private let timestampTypes = ["CreateTime", "LogAppendTime"]
private let cleanupPolicies = ["compact", "delete"]

private func key(
    _ name: String, _ type: ConfigType, _ defaultValue: ConfigValue?, _ validator: ConfigValidator = .none,
    _ mode: UpdateMode = .readOnly, _ doc: String
) -> ConfigKeyDefinition {
    ConfigKeyDefinition(
        name: name, type: type, defaultValue: defaultValue, validator: validator, updateMode: mode,
        documentation: doc)
}

enum BrokerKeys {
    /// The ZooKeeper-mode table plus the KRaft keys (`KRaftConfig.definitions`).
    static let all: [ConfigKeyDefinition] = zooKeeperModeKeys + KRaftConfig.definitions

    static let zooKeeperModeKeys: [ConfigKeyDefinition] = [
        // Identity and ZooKeeper
        key(
            "broker.id", .int, .int(-1), .none, .readOnly,
            "The id of this broker; every broker in a cluster needs a unique id (Needletail requires an explicit one)."),
        key(
            "broker.id.generation.enable", .boolean, .boolean(true), .none, .readOnly,
            "Allow generated broker ids above reserved.broker.max.id (Needletail does not generate ids)."),
        key(
            "reserved.broker.max.id", .int, .int(1000), .atLeast(0), .readOnly,
            "Largest broker id that may be configured by hand."),
        key(
            "broker.rack", .string, nil, .none, .readOnly,
            "Rack of this broker, used for rack-aware replica placement."),
        key(
            "zookeeper.connect", .string, nil, .none, .readOnly,
            "ZooKeeper connection string host:port[,host:port...][/chroot]."),
        key(
            "zookeeper.session.timeout.ms", .int, .int(18000), .none, .readOnly,
            "ZooKeeper session timeout."),
        key(
            "zookeeper.connection.timeout.ms", .int, nil, .none, .readOnly,
            "Longest wait for the ZooKeeper connection; defaults to zookeeper.session.timeout.ms."),
        key(
            "zookeeper.max.in.flight.requests", .int, .int(10), .atLeast(1), .readOnly,
            "Most unacknowledged requests the broker sends to ZooKeeper before blocking."),
        key(
            "zookeeper.set.acl", .boolean, .boolean(false), .none, .readOnly,
            "Create znodes with secure ACLs."),

        // Listeners and sockets
        key(
            "listeners", .string, .string("PLAINTEXT://:9092"), .none, .perBroker,
            "Comma-separated NAME://host:port list the broker binds; an empty host binds every interface."),
        key(
            "advertised.listeners", .string, nil, .none, .perBroker,
            "Listeners published to clients through ZooKeeper and Metadata; defaults to listeners."),
        key(
            "listener.security.protocol.map", .string,
            .string("PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL"), .none, .perBroker,
            "Map from listener name to security protocol, NAME:PROTOCOL,..."),
        key(
            "inter.broker.listener.name", .string, nil, .none, .readOnly,
            "Listener that brokers use to reach each other; defaults to the one named by security.inter.broker.protocol."
        ),
        key(
            "security.inter.broker.protocol", .string, .string("PLAINTEXT"),
            .oneOf(SecurityProtocol.allCases.map(\.rawValue)), .readOnly,
            "Security protocol between brokers; ignored when inter.broker.listener.name is set."),
        key(
            "inter.broker.protocol.version", .string, .string("3.6-IV2"), .none, .readOnly,
            "Inter-broker protocol version (accepted for compatibility; Needletail speaks one version)."),
        key(
            "num.network.threads", .int, .int(3), .atLeast(1), .clusterWide,
            "Threads (event loops) that receive requests and send responses."),
        key(
            "num.io.threads", .int, .int(8), .atLeast(1), .clusterWide,
            "Threads that process requests, including disk I/O."),
        key(
            "background.threads", .int, .int(10), .atLeast(1), .clusterWide,
            "Threads for background tasks such as retention and deletion."),
        key(
            "queued.max.requests", .int, .int(500), .atLeast(1), .readOnly,
            "Requests queued for the I/O threads before the network threads stop reading."),
        key(
            "socket.send.buffer.bytes", .int, .int(102400), .none, .readOnly,
            "SO_SNDBUF of server sockets; -1 uses the OS default."),
        key(
            "socket.receive.buffer.bytes", .int, .int(102400), .none, .readOnly,
            "SO_RCVBUF of server sockets; -1 uses the OS default."),
        key(
            "socket.request.max.bytes", .int, .int(104857600), .atLeast(1), .readOnly,
            "Largest request frame accepted; larger frames close the connection."),
        key(
            "http.listeners", .string, .string(""), .none, .readOnly,
            "HTTP://host:port of the broker's HTTP listener serving /metrics (Prometheus text format); empty is off."),
        key(
            "connections.max.idle.ms", .long, .long(600000), .none, .readOnly,
            "Idle connections are closed after this long."),
        key(
            "max.connections", .int, intMax, .atLeast(0), .clusterWide,
            "Most connections the broker accepts at once."),
        key(
            "max.connections.per.ip", .int, intMax, .atLeast(0), .clusterWide,
            "Most connections accepted from one IP address."),
        key(
            "request.timeout.ms", .int, .int(30000), .none, .readOnly,
            "Timeout of requests the broker itself sends (controller and inter-broker)."),

        // Topic defaults
        key(
            "num.partitions", .int, .int(1), .atLeast(1), .readOnly,
            "Default number of partitions of a new topic."),
        key(
            "default.replication.factor", .int, .int(1), .atLeast(1), .readOnly,
            "Default replication factor of a new topic."),
        key(
            "auto.create.topics.enable", .boolean, .boolean(true), .none, .readOnly,
            "Create a topic when a client asks for metadata of an unknown one."),
        key(
            "delete.topic.enable", .boolean, .boolean(true), .none, .readOnly,
            "Allow topic deletion; when false DeleteTopics is refused."),
        key(
            "message.max.bytes", .int, .int(1048588), .atLeast(0), .clusterWide,
            "Largest record batch the broker accepts (topic max.message.bytes)."),
        key(
            "compression.type", .string, .string("producer"), .oneOf(compressionTypes), .clusterWide,
            "Compression of stored batches; producer keeps whatever the producer used."),
        key(
            "min.insync.replicas", .int, .int(1), .atLeast(1), .clusterWide,
            "Fewest in-sync replicas an acks=all produce needs."),
        key(
            "unclean.leader.election.enable", .boolean, .boolean(false), .none, .clusterWide,
            "Allow an out-of-sync replica to become leader as a last resort (data loss)."),

        // Log
        key(
            "log.dirs", .string, nil, .none, .readOnly,
            "Comma-separated data directories; relative paths are resolved against the working directory."),
        key(
            "log.dir", .string, .string("/tmp/kafka-logs"), .none, .readOnly,
            "Data directory used when log.dirs is not set."),
        key(
            "num.recovery.threads.per.data.dir", .int, .int(1), .atLeast(1), .clusterWide,
            "Threads per data directory for recovery at startup and flushing at shutdown."),
        key(
            "log.segment.bytes", .int, .int(1073741824), .atLeast(14), .clusterWide,
            "Largest size of one segment file (topic segment.bytes)."),
        key(
            "log.roll.ms", .long, nil, .none, .clusterWide,
            "Longest time before a new segment is rolled; overrides log.roll.hours (topic segment.ms)."),
        key(
            "log.roll.hours", .int, .int(168), .atLeast(1), .readOnly,
            "Longest time in hours before a new segment is rolled."),
        key(
            "log.roll.jitter.ms", .long, nil, .none, .clusterWide,
            "Random jitter subtracted from the roll time; overrides log.roll.jitter.hours (topic segment.jitter.ms)."),
        key(
            "log.roll.jitter.hours", .int, .int(0), .atLeast(0), .readOnly,
            "Random jitter in hours subtracted from the roll time."),
        key(
            "log.retention.ms", .long, nil, .none, .clusterWide,
            "How long data is kept; overrides log.retention.minutes and hours; -1 keeps forever (topic retention.ms)."),
        key(
            "log.retention.minutes", .int, nil, .none, .readOnly,
            "How long data is kept in minutes; overrides log.retention.hours."),
        key(
            "log.retention.hours", .int, .int(168), .none, .readOnly,
            "How long data is kept in hours."),
        key(
            "log.retention.bytes", .long, .long(-1), .none, .clusterWide,
            "Largest size of one partition before old segments are deleted; -1 means no limit (topic retention.bytes)."),
        key(
            "log.retention.check.interval.ms", .long, .long(300000), .atLeast(1), .readOnly,
            "How often the retention task looks for deletable segments."),
        key(
            "log.local.retention.ms", .long, .long(-2), .atLeast(-2), .clusterWide,
            "Tiered storage: local retention time; -2 means retention.ms (accepted, tiered storage is not supported)."),
        key(
            "log.local.retention.bytes", .long, .long(-2), .atLeast(-2), .clusterWide,
            "Tiered storage: local retention size; -2 means retention.bytes (accepted, not supported)."),
        key(
            "log.cleanup.policy", .list, .list(["delete"]), .listOf(cleanupPolicies), .clusterWide,
            "Default cleanup policy: delete, compact, or both (topic cleanup.policy)."),
        key(
            "log.index.size.max.bytes", .int, .int(10485760), .atLeast(4), .clusterWide,
            "Largest size of an offset or time index (topic segment.index.bytes)."),
        key(
            "log.index.interval.bytes", .int, .int(4096), .atLeast(0), .clusterWide,
            "Bytes of log between two offset-index entries (topic index.interval.bytes)."),
        key(
            "log.segment.delete.delay.ms", .long, .long(60000), .atLeast(0), .clusterWide,
            "Delay before a deleted segment's files are removed (topic file.delete.delay.ms)."),
        key(
            "log.flush.interval.messages", .long, longMax, .atLeast(1), .clusterWide,
            "Messages appended before an fsync (topic flush.messages); the default never forces one."),
        key(
            "log.flush.interval.ms", .long, nil, .none, .clusterWide,
            "Longest time data waits in memory before an fsync; defaults to log.flush.scheduler.interval.ms (topic flush.ms)."
        ),
        key(
            "log.flush.scheduler.interval.ms", .long, longMax, .none, .readOnly,
            "How often the flusher checks whether a log needs an fsync."),
        key(
            "log.flush.offset.checkpoint.interval.ms", .int, .int(60000), .atLeast(0), .readOnly,
            "How often the recovery-point checkpoint is written."),
        key(
            "log.flush.start.offset.checkpoint.interval.ms", .int, .int(60000), .atLeast(0), .readOnly,
            "How often the log-start-offset checkpoint is written."),
        key(
            "log.preallocate", .boolean, .boolean(false), .none, .clusterWide,
            "Preallocate segment files at full size (topic preallocate)."),
        key(
            "log.message.format.version", .string, .string("3.0-IV1"), .none, .readOnly,
            "Deprecated message format version; accepted and ignored (topic message.format.version)."),
        key(
            "log.message.timestamp.type", .string, .string("CreateTime"), .oneOf(timestampTypes), .clusterWide,
            "Whether record timestamps are the producer's (CreateTime) or the broker's (LogAppendTime)."),
        key(
            "log.message.timestamp.difference.max.ms", .long, longMax, .atLeast(0), .clusterWide,
            "Deprecated: largest allowed gap between a CreateTime timestamp and the broker clock."),
        key(
            "log.message.timestamp.before.max.ms", .long, longMax, .atLeast(0), .clusterWide,
            "How far in the past a CreateTime timestamp may be."),
        key(
            "log.message.timestamp.after.max.ms", .long, longMax, .atLeast(0), .clusterWide,
            "How far in the future a CreateTime timestamp may be."),
        key(
            "log.message.downconversion.enable", .boolean, .boolean(true), .none, .clusterWide,
            "Down-convert batches for old fetch versions (topic message.downconversion.enable)."),

        // Log cleaner
        key(
            "log.cleaner.enable", .boolean, .boolean(true), .none, .readOnly,
            "Run the log cleaner, which compacts topics with cleanup.policy=compact."),
        key(
            "log.cleaner.threads", .int, .int(1), .atLeast(0), .clusterWide,
            "Threads of the log cleaner."),
        key(
            "log.cleaner.min.cleanable.ratio", .double, .double(0.5), .between(0, 1), .clusterWide,
            "Dirty share of a log that makes it eligible for cleaning (topic min.cleanable.dirty.ratio)."),
        key(
            "log.cleaner.delete.retention.ms", .long, .long(86400000), .atLeast(0), .clusterWide,
            "How long tombstones are kept in compacted topics (topic delete.retention.ms)."),
        key(
            "log.cleaner.min.compaction.lag.ms", .long, .long(0), .atLeast(0), .clusterWide,
            "Shortest time a record stays uncompacted (topic min.compaction.lag.ms)."),
        key(
            "log.cleaner.max.compaction.lag.ms", .long, longMax, .atLeast(1), .clusterWide,
            "Longest time a record may stay uncompacted (topic max.compaction.lag.ms)."),
        key(
            "log.cleaner.backoff.ms", .long, .long(15000), .atLeast(0), .clusterWide,
            "Sleep of the cleaner when there is nothing to clean."),
        key(
            "log.cleaner.dedupe.buffer.size", .long, .long(134217728), .none, .clusterWide,
            "Memory of all cleaner threads for key deduplication."),
        key(
            "log.cleaner.io.buffer.size", .int, .int(524288), .atLeast(0), .clusterWide,
            "Memory of all cleaner threads for I/O buffers."),
        key(
            "log.cleaner.io.buffer.load.factor", .double, .double(0.9), .none, .clusterWide,
            "Load factor of the cleaner's deduplication map."),
        key(
            "log.cleaner.io.max.bytes.per.second", .double, .double(Double.greatestFiniteMagnitude), .none,
            .clusterWide, "Throttle of the cleaner's combined read and write I/O."),

        // Replication
        key(
            "replica.lag.time.max.ms", .long, .long(30000), .none, .readOnly,
            "A follower that has not caught up for this long leaves the ISR."),
        key(
            "replica.fetch.max.bytes", .int, .int(1048576), .atLeast(0), .readOnly,
            "Bytes a follower asks for per partition in one fetch."),
        key(
            "replica.fetch.response.max.bytes", .int, .int(10485760), .atLeast(0), .readOnly,
            "Bytes a follower asks for in one whole fetch response."),
        key(
            "replica.fetch.wait.max.ms", .int, .int(500), .none, .readOnly,
            "Longest wait of a follower fetch; must stay below replica.lag.time.max.ms."),
        key(
            "replica.fetch.min.bytes", .int, .int(1), .none, .readOnly,
            "Bytes a follower fetch waits for."),
        key(
            "replica.fetch.backoff.ms", .int, .int(1000), .atLeast(0), .readOnly,
            "Sleep of a follower after a fetch error."),
        key(
            "replica.socket.timeout.ms", .int, .int(30000), .none, .readOnly,
            "Socket timeout of follower fetch requests."),
        key(
            "replica.socket.receive.buffer.bytes", .int, .int(65536), .none, .readOnly,
            "SO_RCVBUF of follower fetch connections."),
        key(
            "replica.high.watermark.checkpoint.interval.ms", .long, .long(5000), .none, .readOnly,
            "How often the high watermarks are checkpointed to disk."),
        key(
            "num.replica.fetchers", .int, .int(1), .none, .clusterWide,
            "Fetcher threads per source broker."),
        key(
            "fetch.max.bytes", .int, .int(57671680), .atLeast(1024), .readOnly,
            "Most bytes returned by one consumer fetch."),
        key(
            "max.incremental.fetch.session.cache.slots", .int, .int(1000), .atLeast(0), .readOnly,
            "Most incremental fetch sessions kept."),
        key(
            "controlled.shutdown.enable", .boolean, .boolean(true), .none, .readOnly,
            "Move leadership away through the controller before shutting down."),
        key(
            "controlled.shutdown.max.retries", .int, .int(3), .none, .readOnly,
            "Attempts at a controlled shutdown before an unclean one."),
        key(
            "controlled.shutdown.retry.backoff.ms", .long, .long(5000), .none, .readOnly,
            "Wait between controlled shutdown attempts."),
        key(
            "controller.socket.timeout.ms", .int, .int(30000), .none, .readOnly,
            "Socket timeout of controller-to-broker connections."),
        key(
            "auto.leader.rebalance.enable", .boolean, .boolean(true), .none, .readOnly,
            "Move leadership back to preferred replicas periodically."),
        key(
            "leader.imbalance.check.interval.seconds", .long, .long(300), .atLeast(1), .readOnly,
            "How often the controller checks leader balance."),
        key(
            "leader.imbalance.per.broker.percentage", .int, .int(10), .none, .readOnly,
            "Share of non-preferred leaders per broker that triggers a rebalance."),

        // Groups and offsets
        key(
            "offsets.topic.num.partitions", .int, .int(50), .atLeast(1), .readOnly,
            "Partitions of __consumer_offsets (do not change after deployment)."),
        key(
            "offsets.topic.replication.factor", .short, .short(3), .atLeast(1), .readOnly,
            "Replication factor of __consumer_offsets; creation fails while fewer brokers are alive."),
        key(
            "offsets.topic.segment.bytes", .int, .int(104857600), .atLeast(1), .readOnly,
            "Segment size of __consumer_offsets."),
        key(
            "offsets.topic.compression.codec", .int, .int(0), .none, .readOnly,
            "Compression codec id of offset commits written to __consumer_offsets."),
        key(
            "offsets.retention.minutes", .int, .int(10080), .atLeast(1), .readOnly,
            "Committed offsets of an empty group are kept this long."),
        key(
            "offsets.retention.check.interval.ms", .long, .long(600000), .atLeast(1), .readOnly,
            "How often expired offsets are looked for."),
        key(
            "offsets.commit.timeout.ms", .int, .int(5000), .atLeast(1), .readOnly,
            "Longest wait for an offset commit to be replicated."),
        key(
            "offsets.commit.required.acks", .short, .short(-1), .none, .readOnly,
            "Acks needed for an offset commit to be accepted."),
        key(
            "offsets.load.buffer.size", .int, .int(5242880), .atLeast(1), .readOnly,
            "Read buffer size when loading offsets into the cache."),
        key(
            "offset.metadata.max.bytes", .int, .int(4096), .none, .readOnly,
            "Largest metadata string of an offset commit."),
        key(
            "group.initial.rebalance.delay.ms", .int, .int(3000), .none, .readOnly,
            "Wait for more members before the first rebalance of a new group."),
        key(
            "group.min.session.timeout.ms", .int, .int(6000), .none, .readOnly,
            "Shortest session timeout a member may ask for."),
        key(
            "group.max.session.timeout.ms", .int, .int(1800000), .none, .readOnly,
            "Longest session timeout a member may ask for."),
        key(
            "group.max.size", .int, intMax, .atLeast(1), .readOnly,
            "Most members of one consumer group."),
        key(
            "needletail.rebalance.history.max.entries", .int, .int(100), .atLeast(0), .readOnly,
            "Finished rebalances kept per group in __consumer_offsets (consumer-groups --describe --rebalances)."),
        key(
            "needletail.rebalance.history.retention.ms", .long, .long(604800000), .atLeast(0), .readOnly,
            "How long a finished rebalance stays in its group's history."),

        // Transactions and producer ids
        key(
            "transaction.state.log.num.partitions", .int, .int(50), .atLeast(1), .readOnly,
            "Partitions of __transaction_state."),
        key(
            "transaction.state.log.replication.factor", .short, .short(3), .atLeast(1), .readOnly,
            "Replication factor of __transaction_state."),
        key(
            "transaction.state.log.min.isr", .int, .int(2), .atLeast(1), .readOnly,
            "min.insync.replicas of __transaction_state."),
        key(
            "transaction.state.log.segment.bytes", .int, .int(104857600), .atLeast(1), .readOnly,
            "Segment size of __transaction_state."),
        key(
            "transactional.id.expiration.ms", .int, .int(604800000), .atLeast(1), .readOnly,
            "A transactional id idle this long expires."),
        key(
            "transaction.max.timeout.ms", .int, .int(900000), .atLeast(1), .readOnly,
            "Largest transaction timeout a producer may ask for."),
        key(
            "transaction.abort.timed.out.transaction.cleanup.interval.ms", .int, .int(10000), .atLeast(1), .readOnly,
            "How often the coordinator aborts transactions open past their timeout."),
        key(
            "transaction.remove.expired.transaction.cleanup.interval.ms", .int, .int(3600000), .atLeast(1),
            .readOnly, "How often the coordinator removes expired transactional ids."),
        key(
            "transaction.partition.verification.enable", .boolean, .boolean(true), .none, .clusterWide,
            "Whether partition leaders verify a transactional write belongs to an ongoing transaction (KIP-890)."),
        key(
            "transaction.version", .short, .short(0), .between(0, 2), .readOnly,
            "Needletail's stand-in for Kafka 4.0's transaction.version feature in ZooKeeper mode: 2 finalizes it in ApiVersions and serves KIP-890 part 2 (EndTxn v5, Produce v12, TxnOffsetCommit v5)."
        ),
        key(
            "transaction.state.log.load.buffer.size", .int, .int(5242880), .atLeast(1), .readOnly,
            "Bytes read at a time when loading __transaction_state."),
        key(
            "producer.id.expiration.ms", .int, .int(86400000), .atLeast(1), .clusterWide,
            "A producer id with no writes for this long is forgotten."),
        key(
            "producer.id.expiration.check.interval.ms", .int, .int(600000), .atLeast(1), .readOnly,
            "How often expired producer ids are removed."),

        // TLS (any of these may be scoped to one listener as listener.name.<listener>.<key>)
        key(
            "ssl.keystore.type", .string, .string("JKS"), .oneOf(["JKS", "PKCS12", "PEM"]), .perBroker,
            "Format of the key store: PKCS12 or PEM (a JKS-named file holding PKCS12 is read as such)."),
        key("ssl.keystore.location", .string, nil, .none, .perBroker, "Path of the TLS key store."),
        key("ssl.keystore.password", .password, nil, .none, .perBroker, "Password of the TLS key store."),
        key("ssl.key.password", .password, nil, .none, .perBroker, "Password of the private key."),
        key(
            "ssl.keystore.certificate.chain", .password, nil, .none, .perBroker,
            "The broker's certificate chain as PEM text (ssl.keystore.type=PEM)."),
        key(
            "ssl.keystore.key", .password, nil, .none, .perBroker,
            "The broker's private key as PEM text (ssl.keystore.type=PEM)."),
        key(
            "ssl.truststore.type", .string, .string("JKS"), .oneOf(["JKS", "PKCS12", "PEM"]), .perBroker,
            "Format of the trust store: PKCS12 or PEM."),
        key("ssl.truststore.location", .string, nil, .none, .perBroker, "Path of the TLS trust store."),
        key("ssl.truststore.password", .password, nil, .none, .perBroker, "Password of the TLS trust store."),
        key(
            "ssl.truststore.certificates", .password, nil, .none, .perBroker,
            "Trusted CA certificates as PEM text (ssl.truststore.type=PEM)."),
        key(
            "ssl.client.auth", .string, .string("none"), .oneOf(["required", "requested", "none"]), .perBroker,
            "Whether TLS clients must present certificates."),
        key(
            "ssl.principal.mapping.rules", .string, .string("DEFAULT"), .none, .readOnly,
            "RULE:pattern/replacement/[LU] list mapping a client certificate's DN to a principal name."),
        key("ssl.protocol", .string, .string("TLSv1.3"), .none, .perBroker, "TLS protocol used to build the context."),
        key(
            "ssl.enabled.protocols", .list, .list(["TLSv1.2", "TLSv1.3"]), .none, .perBroker,
            "TLS protocol versions accepted."),
        key("ssl.cipher.suites", .list, .list([]), .none, .perBroker, "Cipher suites (empty: the library's defaults)."),
        key(
            "ssl.endpoint.identification.algorithm", .string, .string("https"), .none, .perBroker,
            "Hostname verification of the peer when the broker is the TLS client (inter-broker)."),

        // SASL
        key("sasl.enabled.mechanisms", .list, .list(["GSSAPI"]), .none, .perBroker, "Enabled SASL mechanisms."),
        key(
            "sasl.mechanism.inter.broker.protocol", .string, .string("GSSAPI"), .none, .readOnly,
            "SASL mechanism between brokers."),
        key(
            "sasl.jaas.config", .password, nil, .none, .perBroker,
            "JAAS login module entries; usually scoped as listener.name.<listener>.<mechanism>.sasl.jaas.config."),
        key(
            "sasl.server.max.receive.size", .int, .int(524288), .atLeast(1), .readOnly,
            "Largest frame accepted before authentication completes."),
        key(
            "connection.failed.authentication.delay.ms", .int, .int(100), .atLeast(0), .readOnly,
            "Delay before closing a connection whose authentication failed."),
        key(
            "connections.max.reauth.ms", .long, .long(0), .atLeast(0), .readOnly,
            "Longest SASL session before the client must re-authenticate (KIP-368); 0 disables re-authentication."),
        key(
            "authorizer.class.name", .string, .string(""), .none, .readOnly,
            "Authorizer class; empty disables authorization (kafka.security.authorizer.AclAuthorizer: ACLs in ZooKeeper)."
        ),
        key(
            "super.users", .string, .string(""), .none, .readOnly,
            "Semicolon-separated principals (User:alice;User:bob) allowed everything by the authorizer."),
        key(
            "allow.everyone.if.no.acl.found", .boolean, .boolean(false), .none, .readOnly,
            "Allow any principal on a resource no ACL names (Kafka's default false denies it)."),
    ]

    static let byName: [String: ConfigKeyDefinition] = {
        var map: [String: ConfigKeyDefinition] = [:]
        for def in all { map[def.name] = def }
        return map
    }()

    /// Kafka's broker synonyms, highest priority first: a key set earlier in the list hides the later ones.
    static let synonymGroups: [[String]] = [
        ["log.roll.ms", "log.roll.hours"],
        ["log.roll.jitter.ms", "log.roll.jitter.hours"],
        ["log.retention.ms", "log.retention.minutes", "log.retention.hours"],
        ["log.flush.interval.ms", "log.flush.scheduler.interval.ms"],
        ["log.dirs", "log.dir"],
    ]

    static func synonyms(of name: String) -> [String] {
        for group in synonymGroups where group.contains(name) { return group }
        return [name]
    }

    /// Keys outside the table that Kafka accepts without complaint (per-listener overrides and the like).
    static func isPassThrough(_ name: String) -> Bool {
        name.hasPrefix("listener.name.")
    }
}
