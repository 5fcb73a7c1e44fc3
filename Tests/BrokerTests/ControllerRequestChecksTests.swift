import Foundation
import LogStorage
import Replication
import Testing

@testable import Broker

/// A replica manager over a temporary log directory, for the checks controller requests pass first.
private final class Fixture: Sendable {
    let dir: String
    let logs: LogManager
    let replicas: ReplicaManager

    init() throws {
        dir = NSTemporaryDirectory() + "controller-checks-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        logs = try LogManager(logDirs: [dir], brokerId: 1, clusterId: "test-cluster")
        replicas = ReplicaManager(logManager: logs, brokerId: 1)
    }

    deinit {
        try? logs.shutdown()
        try? FileManager.default.removeItem(atPath: dir)
    }
}

@Suite("controller request checks")
struct ControllerRequestChecksTests {
    @Test("a controller request counts only with this registration's own broker epoch")
    func ownBrokerEpochOnly() throws {
        let f = try Fixture()
        for other: Int64 in [99, -1, 101] {  // an earlier registration, none (v0-1 / garbled), a garbled larger one
            #expect(throws: BrokerError.staleBrokerEpoch) {
                try ControllerRequestChecks.check(
                    brokerEpoch: other, ownBrokerEpoch: 100, controllerEpoch: 1, replicas: f.replicas)
            }
        }
        // Between registering and learning its epoch the broker takes the controller's word.
        try ControllerRequestChecks.check(
            brokerEpoch: 100, ownBrokerEpoch: -1, controllerEpoch: 1, replicas: f.replicas)
        try ControllerRequestChecks.check(
            brokerEpoch: 100, ownBrokerEpoch: 100, controllerEpoch: 1, replicas: f.replicas)
        try ControllerRequestChecks.check(
            brokerEpoch: 100, ownBrokerEpoch: 100, controllerEpoch: 2, replicas: f.replicas)
        #expect(throws: BrokerError.staleControllerEpoch) {
            try ControllerRequestChecks.check(
                brokerEpoch: 100, ownBrokerEpoch: 100, controllerEpoch: 1, replicas: f.replicas)
        }
    }

}
