// swift-tools-version:6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6)
]

let package = Package(
    name: "needletail",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "KafkaProtocol", targets: ["KafkaProtocol"])
    ],
    dependencies: [],
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

        // Sans-io Kafka protocol: primitives, headers, one file per API.
        .target(name: "KafkaProtocol", swiftSettings: swiftSettings),
        // Record batches (v2 and legacy message sets), CRC32C and compression codecs.
        .target(name: "KafkaRecords", dependencies: ["CChecksum", "CCompression"], swiftSettings: swiftSettings),
        // Kafka's on-disk log: segments, indexes, checkpoints, recovery, retention, producer state.
        .target(name: "LogStorage", dependencies: ["KafkaRecords"], swiftSettings: swiftSettings),
        // libzookeeper behind an async Swift API, plus Kafka's znode layout.
        .target(
            name: "Coordination", dependencies: ["CZooKeeper"], exclude: ["README.md"], swiftSettings: swiftSettings),
        // server.properties, KAFKA_* environment, topic config definitions.
        .target(name: "KafkaConfig", swiftSettings: swiftSettings),

        .testTarget(name: "KafkaProtocolTests", dependencies: ["KafkaProtocol"], swiftSettings: swiftSettings),
        .testTarget(name: "KafkaRecordsTests", dependencies: ["KafkaRecords"], swiftSettings: swiftSettings),
        .testTarget(name: "LogStorageTests", dependencies: ["LogStorage", "KafkaRecords"], swiftSettings: swiftSettings),
        .testTarget(name: "CoordinationTests", dependencies: ["Coordination"], swiftSettings: swiftSettings),
        .testTarget(name: "KafkaConfigTests", dependencies: ["KafkaConfig"], swiftSettings: swiftSettings),
    ]
)
