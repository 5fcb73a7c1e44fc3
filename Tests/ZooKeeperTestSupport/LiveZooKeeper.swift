import Coordination
import TestSupport

/// Live ZooKeeper tests run only when `NEEDLETAIL_TEST_ZK` holds a connect string; each works under its own
/// random chroot, deleted afterwards.
public enum LiveZooKeeper {
    public static var connectString: String? { TestEnvironment.zooKeeper }

    /// For `.enabled(if: LiveZooKeeper.enabled, "set NEEDLETAIL_TEST_ZK")`.
    public static var enabled: Bool { connectString != nil }

    /// Runs `body` with a fresh connect string `<base>/needletail-test-<random>`, then deletes the chroot.
    public static func withChroot(_ body: (String) async throws -> Void) async throws {
        guard let base = connectString else { return }
        let chroot = "/needletail-test-\(UInt64.random(in: 0...UInt64.max))"
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

    /// A Kafka client on a new session, with the top-level paths created.
    public static func client(_ connect: String, sessionTimeout: Duration = .seconds(6)) async throws -> KafkaZkClient {
        let zk = KafkaZkClient(session: try await ZooKeeperSession.connect(connect, sessionTimeout: sessionTimeout))
        try await zk.ensureTopLevelPaths()
        return zk
    }

    /// A broker registration listening on PLAINTEXT 127.0.0.1:(9090 + id).
    public static func registration(_ id: Int32, port: Int32? = nil) -> BrokerRegistration {
        BrokerRegistration(
            brokerId: id,
            endpoints: [
                BrokerEndpoint(
                    listenerName: "PLAINTEXT", host: "127.0.0.1", port: port ?? 9090 + id, securityProtocol: "PLAINTEXT"
                )
            ],
            timestamp: 1_700_000_000_000)
    }

    /// Polls `condition` every 50 ms for up to `seconds`: for live ZooKeeper round trips only, never in-process.
    public static func eventually(seconds: Double = 10, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }
}
