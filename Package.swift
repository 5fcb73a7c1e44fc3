// swift-tools-version:6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6)
]

let package = Package(
    name: "needletail",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "needletail", targets: ["NeedletailCLI"]),
        .library(name: "KafkaProtocol", targets: ["KafkaProtocol"]),
        .library(name: "KafkaClient", targets: ["KafkaClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    ],
    targets: [
        // Thin C shims; each is imported by exactly one Swift module.
        .target(name: "CChecksum", cSettings: [.unsafeFlags(["-O2"])]),
        .target(
            name: "CCompression",
            linkerSettings: [
                .linkedLibrary("zstd"), .linkedLibrary("lz4"), .linkedLibrary("snappy"), .linkedLibrary("z"),
            ]
        ),
        .target(name: "CZooKeeper", cSettings: [.define("THREADED")], linkerSettings: [.linkedLibrary("zookeeper_mt")]),
        .target(name: "CMalloc"),

        // Sans-io Kafka protocol: primitives, headers, one file per API.
        .target(name: "KafkaProtocol", exclude: ["README.md"], swiftSettings: swiftSettings),
        // Record batches (v2 and legacy message sets), CRC32C and compression codecs.
        .target(
            name: "KafkaRecords", dependencies: ["CChecksum", "CCompression"], exclude: ["README.md"],
            swiftSettings: swiftSettings),
        // Kafka's on-disk log: segments, indexes, checkpoints, recovery, retention, producer state.
        .target(
            name: "LogStorage", dependencies: ["KafkaRecords"], exclude: ["README.md"], swiftSettings: swiftSettings),
        // Order-keeping JSON values, a strict parser and Jackson's compact writer (znodes, ACLs, dump-log, the HTTP API).
        .target(name: "JSONText", exclude: ["README.md"], swiftSettings: swiftSettings),
        // Kafka's ACL model and AclAuthorizer's decision as a pure function; the ACL znode JSON (sans-io).
        .target(
            name: "Authorization", dependencies: ["JSONText"], exclude: ["README.md"], swiftSettings: swiftSettings),
        // libzookeeper behind an async Swift API, plus Kafka's znode layout.
        .target(
            name: "Coordination", dependencies: ["CZooKeeper", "Authorization", "JSONText"], exclude: ["README.md"],
            swiftSettings: swiftSettings),
        // Prometheus text format, recording cells, `process_*`, export-ownership rules, the `/metrics` listener.
        .target(
            name: "Observability",
            dependencies: [
                "JSONText",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        // Sans-io authentication: SASL state machines (PLAIN, SCRAM-SHA-256/512), Kafka's SCRAM credential strings,
        // JAAS options, ssl.principal.mapping.rules. Crypto comes from swift-crypto; no networking.
        .target(
            name: "Authentication",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        // server.properties, KAFKA_* environment, topic config definitions.
        .target(name: "KafkaConfig", dependencies: ["KRaft"], exclude: ["README.md"], swiftSettings: swiftSettings),

        // Consumer groups (classic protocol) and `__consumer_offsets` records; sans-io state machines + an actor.
        .target(
            name: "GroupCoordinator", dependencies: ["KafkaProtocol", "KafkaRecords"], exclude: ["README.md"],
            swiftSettings: swiftSettings),

        // The transaction coordinator (KIP-98): per-transactional-id state machine values, `__transaction_state`
        // records, and an actor that loads, persists and finishes transactions through ports the broker implements.
        .target(
            name: "TransactionCoordinator", dependencies: ["KafkaProtocol", "KafkaRecords"], exclude: ["README.md"],
            swiftSettings: swiftSettings),

        // The cluster controller: leader election, replica/partition state, topic lifecycle, as a value-type state
        // machine (sans-io) driven by an actor that talks to ZooKeeper and sends LeaderAndIsr/UpdateMetadata/StopReplica.
        .target(
            name: "Controller",
            dependencies: [
                "KafkaProtocol", "Coordination",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),

        // Partitions and replication: the one produce / fetch call per request, leadership, follower fetchers, ISR.
        // Talks to ZooKeeper, leaders and the group coordinator only through ports the broker implements.
        .target(
            name: "Replication",
            dependencies: [
                "KafkaRecords", "LogStorage", "KafkaConfig", "KafkaProtocol",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),

        // KRaft's quorum (KIP-595/630/996) as a sans-io state machine: elections, pull replication, the high watermark,
        // snapshots, `quorum-state`, `controller.quorum.*`. No networking, no storage: the broker drives it. Optimised
        // in debug builds too, for the simulation in KRaftTests.
        .target(
            name: "KRaft", exclude: ["README.md"],
            swiftSettings: swiftSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        // The KRaft metadata image (sans-io): Kafka's metadata records replayed into a value (brokers, topics,
        // partitions, configs, features, producer ids, SCRAM, ACLs, quotas), snapshots, per-broker replica changes.
        .target(
            name: "MetadataImage", dependencies: ["KafkaProtocol", "JSONText"], exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        // The KRaft controller's decisions as a value state machine (sans-io): registrations, heartbeats and fencing,
        // topics, AlterPartition, configs, producer id blocks; each event returns the records to append. Uses
        // Coordination only for the replica placement it shares with the ZooKeeper controller.
        .target(
            name: "KRaftController", dependencies: ["KafkaProtocol", "MetadataImage", "Coordination"],
            exclude: ["README.md"], swiftSettings: swiftSettings),

        // Kafka's TCP framing (int32 size + bytes) as one NIO decoder, shared by the broker and KafkaClient.
        .target(
            name: "KafkaFraming", dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            exclude: ["README.md"],
            swiftSettings: swiftSettings),

        // The broker: NIO server, request routing, one handler per API, metadata cache, cluster membership.
        .target(
            name: "Broker",
            dependencies: [
                "KafkaProtocol", "KafkaRecords", "LogStorage", "Coordination", "KafkaConfig", "GroupCoordinator",
                "TransactionCoordinator", "Controller", "Replication", "KafkaClient", "KafkaFraming", "CMalloc",
                "Observability", "Authorization", "Authentication", "KRaft", "KRaftController", "MetadataImage",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        // A pure-Swift Kafka client over SwiftNIO: admin, producer, consumer (used by the admin subcommands).
        .target(
            name: "KafkaClient",
            dependencies: [
                "KafkaProtocol", "KafkaRecords", "KafkaFraming", "Authentication",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        // The `needletail` executable: `broker` and the admin subcommands.
        .executableTarget(
            name: "NeedletailCLI",
            dependencies: [
                "Broker", "GroupCoordinator", "KafkaConfig", "KafkaClient", "KafkaProtocol", "KafkaRecords",
                "LogStorage", "TransactionCoordinator", "Authorization", "Authentication", "Coordination",
                "MetadataImage", "KRaft", "JSONText",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),

        // Helpers shared by test targets only (temporary directories, seeded randomness, a settable clock, the
        // environment's test settings); ZooKeeperTestSupport adds the live-ZooKeeper gating and chroots.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .target(
            name: "ZooKeeperTestSupport", dependencies: ["TestSupport", "Coordination"],
            path: "Tests/ZooKeeperTestSupport",
            swiftSettings: swiftSettings),

        .testTarget(
            name: "KafkaProtocolTests", dependencies: ["KafkaProtocol", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "KafkaRecordsTests", dependencies: ["KafkaRecords", "CChecksum", "CCompression"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "LogStorageTests", dependencies: ["LogStorage", "KafkaRecords", "TestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "CoordinationTests", dependencies: ["Coordination", "ZooKeeperTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "KafkaConfigTests", dependencies: ["KafkaConfig", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "GroupCoordinatorTests", dependencies: ["GroupCoordinator", "KafkaProtocol", "KafkaRecords"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "TransactionCoordinatorTests",
            dependencies: ["TransactionCoordinator", "KafkaProtocol", "KafkaRecords"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ControllerTests",
            dependencies: ["Controller", "Coordination", "KafkaProtocol", "ZooKeeperTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ReplicationTests",
            dependencies: [
                "Replication", "LogStorage", "KafkaConfig", "KafkaProtocol", "KafkaRecords",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "BrokerTests",
            dependencies: [
                "Broker", "Replication", "Controller", "Coordination", "KafkaConfig", "KafkaProtocol", "KafkaRecords",
                "LogStorage", "Authorization", "KRaft", "KRaftController", "MetadataImage",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(name: "AuthorizationTests", dependencies: ["Authorization"], swiftSettings: swiftSettings),
        .testTarget(name: "JSONTextTests", dependencies: ["JSONText"], swiftSettings: swiftSettings),
        .testTarget(
            name: "AuthenticationTests", dependencies: ["Authentication"], swiftSettings: swiftSettings),
        // Optimised even in debug builds: the quorum simulation runs thousands of seeds inside `swift test`.
        .testTarget(
            name: "KRaftTests", dependencies: ["KRaft"],
            swiftSettings: swiftSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        .testTarget(
            name: "MetadataImageTests", dependencies: ["MetadataImage", "KafkaProtocol"], swiftSettings: swiftSettings),
        .testTarget(
            name: "KRaftControllerTests", dependencies: ["KRaftController", "MetadataImage", "KafkaProtocol"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ObservabilityTests",
            dependencies: ["Observability", .product(name: "NIOHTTP1", package: "swift-nio")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "KafkaClientTests",
            dependencies: [
                "KafkaClient", "KafkaFraming", "KafkaProtocol", "KafkaRecords", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "KafkaFramingTests",
            dependencies: [
                "KafkaFraming",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
    ]
)
