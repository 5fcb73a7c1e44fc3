import Coordination
import KafkaProtocol

@testable import Controller

enum Fixtures {
    static func broker(_ id: Int32, epoch: Int64? = nil, rack: String? = nil) -> ControllerBroker {
        ControllerBroker(
            id: id, epoch: epoch ?? Int64(100 + id),
            endpoints: [
                BrokerEndpoint(
                    listenerName: "PLAINTEXT", host: "h\(id)", port: 9090 + id, securityProtocol: "PLAINTEXT"),
                BrokerEndpoint(
                    listenerName: "INTERNAL", host: "i\(id)", port: 19090 + id, securityProtocol: "SASL_SSL"),
            ], rack: rack)
    }

    static let topicId = UUIDValue(bytes: Array(1...16))

    /// A controller (id 1, epoch 7) with `brokers` registered and one topic "t" with `assignment`, states as given.
    static func state(
        brokers: [Int32], assignment: [Int32: [Int32]], states: [Int32: LeaderAndIsr] = [:]
    ) -> ControllerState {
        var s = ControllerState(controllerId: 1, controllerEpoch: 7)
        for id in brokers { s.brokers[id] = broker(id) }
        s.topics["t"] = ControllerTopic(name: "t", topicId: topicId, assignment: assignment)
        for (p, lai) in states {
            s.partitionStates[tp(p)] = PartitionState(leaderAndIsr: lai, controllerEpoch: 6, zkVersion: 10 + p)
        }
        return s
    }

    static func tp(_ p: Int32, _ topic: String = "t") -> TopicPartition { TopicPartition(topic: topic, partition: p) }
}
