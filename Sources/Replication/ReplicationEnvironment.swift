import KafkaConfig
import Synchronization

/// What partitions consult while replicating: `replica.lag.time.max.ms` and whether a broker is alive (the
/// `LiveBrokers` port; the metadata cache in the broker). Set once by `ReplicaManager.startReplication`; before that
/// (unit tests, single broker) every broker counts as alive and the lag limit is Kafka's default.
final class ReplicationEnvironment: Sendable {
    private struct Sources: Sendable {
        var config: (@Sendable () -> BrokerConfig)?
        var brokers: (any LiveBrokers)?
    }
    private let sources = Mutex(Sources())
    /// ISR shrinks and expansions this broker wrote as leader (read by `/metrics`).
    let isrShrinks = Atomic<Int>(0)
    let isrExpands = Atomic<Int>(0)

    init() {}

    func countIsrChange(shrink: Bool) {
        if shrink { isrShrinks.add(1, ordering: .relaxed) } else { isrExpands.add(1, ordering: .relaxed) }
    }

    func attach(config: @escaping @Sendable () -> BrokerConfig, brokers: any LiveBrokers) {
        sources.withLock {
            $0.config = config
            $0.brokers = brokers
        }
    }

    var settings: BrokerConfig? { sources.withLock { $0.config }?() }

    var replicaLagTimeMaxMs: Int64 { settings?.replicaLagTimeMaxMs ?? 30000 }

    func isAlive(_ broker: Int32) -> Bool {
        guard let brokers = sources.withLock({ $0.brokers }) else { return true }
        return brokers.isAlive(broker)
    }
}
