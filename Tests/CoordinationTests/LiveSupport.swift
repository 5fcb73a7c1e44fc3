import Coordination

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

    /// A fresh connect string `<base>/needletail-test-<random>`; the chroot is deleted afterwards.
    static func withChroot(_ body: (String) async throws -> Void) async throws {
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
}
