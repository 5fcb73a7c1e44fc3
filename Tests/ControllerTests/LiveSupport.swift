import Coordination
import Synchronization

@testable import Controller

/// A `ControllerChannel` that records what the controller sends and answers every request successfully.
final class RecordingChannel: ControllerChannel {
    struct Sent: Sendable {
        var broker: Int32
        var request: ControllerRequest
    }

    private let state = Mutex<(brokers: Set<Int32>, sent: [Sent])>(([], []))

    var sent: [Sent] { state.withLock { $0.sent } }
    var brokers: Set<Int32> { state.withLock { $0.brokers } }

    func addBroker(_ broker: ControllerBroker) { _ = state.withLock { $0.brokers.insert(broker.id) } }
    func removeBroker(_ id: Int32) { _ = state.withLock { $0.brokers.remove(id) } }
    func close() { state.withLock { $0.brokers = [] } }

    func send(
        _ request: ControllerRequest, to broker: Int32, completion: (@Sendable (ControllerResponse?) -> Void)?
    ) {
        let known = state.withLock { s in
            s.sent.append(Sent(broker: broker, request: request))
            return s.brokers.contains(broker)
        }
        guard known else {
            completion?(nil)
            return
        }
        switch request {
        case .leaderAndIsr: completion?(.leaderAndIsr(.init()))
        case .updateMetadata: completion?(.updateMetadata(.init()))
        case .stopReplica: completion?(.stopReplica(.init()))
        }
    }

    /// LeaderAndIsr partition states sent to `broker`, by topic-partition.
    func leaderAndIsr(to broker: Int32) -> [(TopicPartition, Bool, Int32, Int32)] {
        sent.filter { $0.broker == broker }.flatMap { s -> [(TopicPartition, Bool, Int32, Int32)] in
            guard case .leaderAndIsr(let r) = s.request else { return [] }
            return r.topicStates.flatMap { t in
                t.partitionStates.map { (TopicPartition(topic: t.topicName, partition: $0.partitionIndex), $0.isNew, $0.leader, $0.leaderEpoch) }
            }
        }
    }
}
