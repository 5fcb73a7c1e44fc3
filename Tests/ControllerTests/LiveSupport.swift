import Coordination
import Synchronization

@testable import Controller

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Live tests run only when NEEDLETAIL_TEST_ZK holds a ZooKeeper connect string (e.g. from
/// `tools/zookeeper start --dir /tmp/zk --port 2181`). Each test works under its own random chroot.
enum LiveZooKeeper {
    static let connectString: String? = {
        guard let raw = getenv("NEEDLETAIL_TEST_ZK") else { return nil }
        let value = String(cString: raw)
        return value.isEmpty ? nil : value
    }()

    static var enabled: Bool { connectString != nil }

    static func withChroot(_ body: (String) async throws -> Void) async throws {
        guard let base = connectString else { return }
        let chroot = "/needletail-ctl-test-\(UInt64.random(in: 0...UInt64.max))"
        do {
            try await body(base + chroot)
        } catch {
            await cleanUp(base: base, chroot: chroot)
            throw error
        }
        await cleanUp(base: base, chroot: chroot)
    }

    private static func cleanUp(base: String, chroot: String) async {
        guard let session = try? await ZooKeeperSession.connect(base) else { return }
        try? await session.deleteRecursive(chroot)
        await session.close()
    }

    static func client(_ connect: String) async throws -> KafkaZkClient {
        let zk = KafkaZkClient(session: try await ZooKeeperSession.connect(connect, sessionTimeout: .seconds(6)))
        try await zk.ensureTopLevelPaths()
        return zk
    }

    static func registration(_ id: Int32) -> BrokerRegistration {
        BrokerRegistration(
            brokerId: id,
            endpoints: [
                BrokerEndpoint(listenerName: "PLAINTEXT", host: "127.0.0.1", port: 9090 + id, securityProtocol: "PLAINTEXT")
            ],
            timestamp: 1_700_000_000_000)
    }

    /// Polls `condition` every 50 ms for up to `seconds` (live ZooKeeper round trips, not a unit-test sleep).
    static func eventually(seconds: Double = 10, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }
}

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
