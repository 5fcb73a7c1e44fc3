import Coordination
import KafkaProtocol
import Synchronization

@testable import Controller

/// A `ControllerChannel` that records what the controller sends and answers every request successfully, except
/// LeaderAndIsr partitions a test made fail with `failStorage`.
final class RecordingChannel: ControllerChannel {
    struct Sent: Sendable {
        var broker: Int32
        var request: ControllerRequest
    }

    private let state = Mutex<(brokers: Set<Int32>, sent: [Sent], storageErrors: [Int32: Set<TopicPartition>])>(
        ([], [], [:]))

    var sent: [Sent] { state.withLock { $0.sent } }
    var brokers: Set<Int32> { state.withLock { $0.brokers } }

    /// From now on `broker` answers LeaderAndIsr for `partition` with KAFKA_STORAGE_ERROR (its log cannot open).
    func failStorage(broker: Int32, _ partition: TopicPartition) {
        _ = state.withLock { $0.storageErrors[broker, default: []].insert(partition) }
    }

    /// `broker`'s storage works again (as after a restart).
    func repairStorage(broker: Int32) { state.withLock { $0.storageErrors[broker] = nil } }

    func addBroker(_ broker: ControllerBroker) { _ = state.withLock { $0.brokers.insert(broker.id) } }
    func removeBroker(_ id: Int32) { _ = state.withLock { $0.brokers.remove(id) } }
    func close() { state.withLock { $0.brokers = [] } }

    func send(
        _ request: ControllerRequest, to broker: Int32, completion: (@Sendable (ControllerResponse?) -> Void)?
    ) {
        let (known, failing) = state.withLock { s in
            s.sent.append(Sent(broker: broker, request: request))
            return (s.brokers.contains(broker), s.storageErrors[broker] ?? [])
        }
        guard known else {
            completion?(nil)
            return
        }
        switch request {
        case .leaderAndIsr(let r): completion?(.leaderAndIsr(Self.answer(r, failing: failing)))
        case .updateMetadata: completion?(.updateMetadata(.init()))
        case .stopReplica: completion?(.stopReplica(.init()))
        }
    }

    /// A v5 answer: KAFKA_STORAGE_ERROR for the `failing` partitions, no error for the others.
    private static func answer(_ request: LeaderAndIsrRequest, failing: Set<TopicPartition>) -> LeaderAndIsrResponse {
        LeaderAndIsrResponse(
            topics: request.topicStates.map { t in
                .init(
                    topicId: t.topicId,
                    partitionErrors: t.partitionStates.map { p in
                        let tp = TopicPartition(topic: t.topicName, partition: p.partitionIndex)
                        return .init(
                            partitionIndex: p.partitionIndex,
                            errorCode: failing.contains(tp) ? ErrorCode.kafkaStorageError.rawValue : 0)
                    })
            })
    }

    /// LeaderAndIsr partition states sent to `broker`, by topic-partition.
    func leaderAndIsr(to broker: Int32) -> [(TopicPartition, Bool, Int32, Int32)] {
        sent.filter { $0.broker == broker }.flatMap { s -> [(TopicPartition, Bool, Int32, Int32)] in
            guard case .leaderAndIsr(let r) = s.request else { return [] }
            return r.topicStates.flatMap { t in
                t.partitionStates.map {
                    (
                        TopicPartition(topic: t.topicName, partition: $0.partitionIndex), $0.isNew, $0.leader,
                        $0.leaderEpoch
                    )
                }
            }
        }
    }
}
