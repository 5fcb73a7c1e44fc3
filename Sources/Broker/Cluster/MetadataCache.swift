import KafkaProtocol
import NIOConcurrencyHelpers

/// A broker as clients see it: id and advertised address per listener name.
struct BrokerEndpoint: Sendable, Equatable {
    var id: Int32
    var addresses: [String: Address]
    var rack: String?

    struct Address: Sendable, Equatable {
        var host: String
        var port: Int32
    }

    /// The address on `listener`, or nil when the broker does not advertise that listener.
    func address(on listener: String) -> Address? { addresses[listener] }
}

/// Leadership facts of one partition (mirrors `/brokers/topics/<t>/partitions/<p>/state`).
struct PartitionLeadership: Sendable, Equatable {
    var partition: Int32
    var leader: Int32
    var leaderEpoch: Int32
    var replicas: [Int32]
    var isr: [Int32]
}

struct TopicMetadata: Sendable, Equatable {
    var name: String
    var topicId: UUIDValue
    var partitions: [PartitionLeadership]
    var isInternal: Bool { name == "__consumer_offsets" || name == "__transaction_state" }
}

/// Everything Metadata and friends answer from. Replaced wholesale on each change (copy-on-write snapshot).
struct ClusterSnapshot: Sendable {
    var clusterId: String = ""
    var controllerId: Int32 = -1
    var brokers: [Int32: BrokerEndpoint] = [:]
    var topics: [String: TopicMetadata] = [:]

    var topicsById: [UUIDValue: String] {
        Dictionary(topics.values.map { ($0.topicId, $0.name) }, uniquingKeysWith: { a, _ in a })
    }
}

/// The broker's view of the cluster, read by every request handler. Thread-safe.
final class MetadataCache: Sendable {
    private let state = NIOLockedValueBox(ClusterSnapshot())

    var snapshot: ClusterSnapshot { state.withLockedValue { $0 } }

    func update(_ body: (inout ClusterSnapshot) -> Void) {
        state.withLockedValue { body(&$0) }
    }

    func topic(_ name: String) -> TopicMetadata? { state.withLockedValue { $0.topics[name] } }
}
