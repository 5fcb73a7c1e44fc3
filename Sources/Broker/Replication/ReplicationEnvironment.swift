import KafkaConfig
import NIOConcurrencyHelpers
import Synchronization

/// What partitions consult while replicating: `replica.lag.time.max.ms` and whether a broker is alive (in the
/// metadata cache). Set once by `ReplicaManager.startReplication`; before that (unit tests, single broker) every
/// broker counts as alive and the lag limit is Kafka's default.
final class ReplicationEnvironment: Sendable {
    private struct Sources: Sendable {
        var config: NIOLockedValueBox<BrokerConfig>?
        var metadata: MetadataCache?
    }
    private let sources = NIOLockedValueBox(Sources())
    /// ISR shrinks and expansions this broker wrote as leader (read by `/metrics`).
    let isrShrinks = Atomic<Int>(0)
    let isrExpands = Atomic<Int>(0)

    init() {}

    func countIsrChange(shrink: Bool) {
        if shrink { isrShrinks.add(1, ordering: .relaxed) } else { isrExpands.add(1, ordering: .relaxed) }
    }

    func attach(config: NIOLockedValueBox<BrokerConfig>, metadata: MetadataCache) {
        sources.withLockedValue {
            $0.config = config
            $0.metadata = metadata
        }
    }

    var settings: BrokerConfig? { sources.withLockedValue { $0.config }?.withLockedValue { $0 } }

    var replicaLagTimeMaxMs: Int64 {
        sources.withLockedValue { $0.config }?.withLockedValue { $0.replicaLagTimeMaxMs } ?? 30000
    }

    func isAlive(_ broker: Int32) -> Bool {
        guard let metadata = sources.withLockedValue({ $0.metadata }) else { return true }
        return metadata.isAlive(broker)
    }
}
