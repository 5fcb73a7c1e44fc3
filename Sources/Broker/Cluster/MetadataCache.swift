import KafkaProtocol
import Synchronization

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
    /// Replicas whose log directory is offline (from UpdateMetadata).
    var offlineReplicas: [Int32] = []
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
    private let state = Mutex(ClusterSnapshot())

    var snapshot: ClusterSnapshot { state.withLock { $0 } }

    func update(_ body: (inout ClusterSnapshot) -> Void) {
        state.withLock { body(&$0) }
    }

    func topic(_ name: String) -> TopicMetadata? { state.withLock { $0.topics[name] } }

    /// The live broker's address on `listener`, if known.
    func address(of broker: Int32, on listener: String) -> BrokerEndpoint.Address? {
        state.withLock { $0.brokers[broker]?.address(on: listener) }
    }

    func isAlive(_ broker: Int32) -> Bool { state.withLock { $0.brokers[broker] != nil } }

    /// Applies the controller's UpdateMetadata (see `ClusterSnapshot.apply`).
    func apply(_ request: UpdateMetadataRequest, version: Int16) {
        state.withLock { $0.apply(request, version: version) }
    }
}

extension ClusterSnapshot {
    /// The controller's UpdateMetadata, as Kafka's ZK-mode `MetadataCache.updateMetadata` applies it: the live
    /// broker list is replaced, the controller id taken, partition states upserted (a topic keeps partitions the
    /// request does not mention), and a partition whose leader is -2 (topic being deleted) is dropped, with its
    /// topic once no partition is left.
    mutating func apply(_ request: UpdateMetadataRequest, version: Int16) {
        controllerId = request.controllerId
        var live: [Int32: BrokerEndpoint] = [:]
        for b in request.liveBrokers {
            var endpoint = BrokerEndpoint(id: b.id, addresses: [:], rack: b.rack)
            if version == 0 {
                endpoint.addresses["PLAINTEXT"] = .init(host: b.v0Host, port: b.v0Port)
            } else {
                for e in b.endpoints {
                    let name =
                        e.listener.isEmpty ? Self.defaultListenerName(securityProtocol: e.securityProtocol) : e.listener
                    endpoint.addresses[name] = .init(host: e.host, port: e.port)
                }
            }
            live[b.id] = endpoint
        }
        brokers = live
        var states: [(name: String, topicId: UUIDValue, state: UpdateMetadataRequest.UpdateMetadataPartitionState)] = []
        for s in request.ungroupedPartitionStates { states.append((s.topicName, .zero, s)) }
        for t in request.topicStates {
            for s in t.partitionStates { states.append((t.topicName, t.topicId, s)) }
        }
        for (name, topicId, s) in states {
            if s.leader == -2 {
                guard var topic = topics[name] else { continue }
                topic.partitions.removeAll { $0.partition == s.partitionIndex }
                topics[name] = topic.partitions.isEmpty ? nil : topic
                continue
            }
            var topic = topics[name] ?? TopicMetadata(name: name, topicId: topicId, partitions: [])
            if !topicId.isZero { topic.topicId = topicId }
            let leadership = PartitionLeadership(
                partition: s.partitionIndex, leader: s.leader, leaderEpoch: s.leaderEpoch, replicas: s.replicas,
                isr: s.isr, offlineReplicas: s.offlineReplicas)
            if let i = topic.partitions.firstIndex(where: { $0.partition == s.partitionIndex }) {
                topic.partitions[i] = leadership
            } else {
                topic.partitions.append(leadership)
                topic.partitions.sort { $0.partition < $1.partition }
            }
            topics[name] = topic
        }
    }

    /// v1–v2 endpoints carry only the security protocol; the listener is named after it.
    static func defaultListenerName(securityProtocol: Int16) -> String {
        switch securityProtocol {
        case 1: "SSL"
        case 2: "SASL_PLAINTEXT"
        case 3: "SASL_SSL"
        default: "PLAINTEXT"
        }
    }
}
