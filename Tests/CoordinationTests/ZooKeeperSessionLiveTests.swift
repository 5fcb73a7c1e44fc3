import Testing
import ZooKeeperTestSupport

@testable import Coordination

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

@Suite(
    "ZooKeeper session against a real server", .enabled(if: LiveZooKeeper.enabled, "set NEEDLETAIL_TEST_ZK"),
    .timeLimit(.minutes(1)))
struct ZooKeeperSessionLiveTests {
    @Test("create, get, set and delete follow ZooKeeper's versioning rules; the chroot is created")
    func crud() async throws {
        try await LiveZooKeeper.withChroot { connect in
            let zk = try await ZooKeeperSession.connect(connect)
            #expect(zk.sessionId != 0)
            #expect(try await zk.exists("/") != nil)

            let (path, stat) = try await zk.create("/a", data: bytes("one"))
            #expect(path == "/a")
            #expect(stat.version == 0)
            await #expect(throws: ZooKeeperError.nodeExists) { try await zk.create("/a", data: nil) }

            let (data, got) = try await zk.get("/a")
            #expect(data == bytes("one"))
            #expect(got.version == 0 && got.ephemeralOwner == 0)

            let updated = try await zk.set("/a", data: bytes("two"), version: 0)
            #expect(updated.version == 1)
            await #expect(throws: ZooKeeperError.badVersion) { try await zk.set("/a", data: [], version: 0) }

            try await zk.create("/a/child", data: nil)
            #expect(try await zk.get("/a/child").data == [])
            #expect(try await zk.children("/a") == ["child"])
            await #expect(throws: ZooKeeperError.notEmpty) { try await zk.delete("/a") }
            await #expect(throws: ZooKeeperError.noNode) { try await zk.get("/missing") }
            #expect(try await zk.exists("/missing") == nil)

            let seq = try await zk.create("/a/item_", data: nil, mode: .persistentSequential).path
            #expect(seq.hasPrefix("/a/item_") && seq.count == "/a/item_".count + 10)

            try await zk.createRecursive("/deep/er/node", data: bytes("x"))
            #expect(try await zk.get("/deep/er/node").data == bytes("x"))

            try await zk.deleteRecursive("/a")
            #expect(try await zk.exists("/a") == nil)
            await zk.close()
            await #expect(throws: ZooKeeperError.closing) { try await zk.get("/deep") }
        }
    }

    @Test("a multi whose version check fails changes nothing and names the failing op")
    func multiAtomic() async throws {
        try await LiveZooKeeper.withChroot { connect in
            let zk = try await ZooKeeperSession.connect(connect)
            try await zk.create("/epoch", data: bytes("1"))
            try await zk.create("/existing", data: bytes("old"))
            await #expect(throws: ZooKeeperError.multiFailed(index: 1, cause: .badVersion)) {
                try await zk.multi([
                    .create(path: "/new", data: bytes("n"), mode: .persistent),
                    .check(path: "/epoch", version: 7),
                    .set(path: "/existing", data: bytes("new"), version: 0),
                ])
            }
            #expect(try await zk.exists("/new") == nil)
            #expect(try await zk.get("/existing").data == bytes("old"))

            let results = try await zk.multi([
                .check(path: "/epoch", version: 0),
                .create(path: "/new", data: bytes("n"), mode: .persistent),
                .set(path: "/existing", data: bytes("new"), version: 0),
                .create(path: "/seq_", data: nil, mode: .persistentSequential),
                .delete(path: "/new", version: 0),
            ])
            #expect(results.count == 5)
            #expect(results[0] == .checked)
            #expect(results[1] == .created(path: "/new"))
            if case .set(let stat) = results[2] { #expect(stat.version == 1) } else { Issue.record("expected set") }
            if case .created(let p) = results[3] {
                #expect(p.hasPrefix("/seq_"))
            } else {
                Issue.record("expected create")
            }
            #expect(results[4] == .deleted)
            await zk.close()
        }
    }

    @Test("an ephemeral node vanishes when its session closes")
    func ephemeralVanishes() async throws {
        try await LiveZooKeeper.withChroot { connect in
            let owner = try await ZooKeeperSession.connect(connect)
            let observer = try await ZooKeeperSession.connect(connect)
            let stat = try await owner.create("/eph", data: bytes("x"), mode: .ephemeral).stat
            #expect(stat.ephemeralOwner == owner.sessionId)
            let (present, watch) = try await observer.existsAndWatch("/eph")
            #expect(present != nil)
            await owner.close()
            #expect(try await watch.wait() == WatchEvent(kind: .deleted, path: "/eph"))
            #expect(try await observer.exists("/eph") == nil)
            await observer.close()
        }
    }

    @Test("a session left by a dead process is resumed with its password and closed, deleting its ephemerals")
    func abandonedSessionClosed() async throws {
        try await LiveZooKeeper.withChroot { connect in
            let abandoned = try await ZooKeeperSession.connect(connect)
            let observer = try await ZooKeeperSession.connect(connect)
            try await abandoned.create("/brokers-eph", data: bytes("x"), mode: .ephemeral)
            let credentials = try #require(abandoned.credentials)
            #expect(credentials.sessionId == abandoned.sessionId && credentials.password.count == 16)
            // A killed process's client no longer reconnects; without this it would win the session back.
            #expect(abandoned.goSilentForTesting())

            let outcome = await ZooKeeperSession.closeAbandoned(
                credentials, connectString: connect, sessionTimeout: .seconds(10), timeout: .seconds(10))
            #expect(outcome == .closed)
            #expect(try await observer.exists("/brokers-eph") == nil)

            let again = await ZooKeeperSession.closeAbandoned(
                credentials, connectString: connect, sessionTimeout: .seconds(10), timeout: .seconds(10))
            #expect(again == .expired)
            await abandoned.close()
            await observer.close()
        }
    }

    @Test("a wrong session password never resumes the session")
    func wrongPasswordDoesNotResume() async throws {
        try await LiveZooKeeper.withChroot { connect in
            let owner = try await ZooKeeperSession.connect(connect)
            try await owner.create("/kept", data: bytes("x"), mode: .ephemeral)
            var forged = try #require(owner.credentials)
            forged.password = [UInt8](repeating: 7, count: 16)
            let outcome = await ZooKeeperSession.closeAbandoned(
                forged, connectString: connect, sessionTimeout: .seconds(10), timeout: .seconds(10))
            #expect(outcome != .closed)
            #expect(try await owner.exists("/kept") != nil)
            await owner.close()
        }
    }

    @Test("a child watch fires once when a child is added")
    func childWatch() async throws {
        try await LiveZooKeeper.withChroot { connect in
            let a = try await ZooKeeperSession.connect(connect)
            let b = try await ZooKeeperSession.connect(connect)
            try await a.create("/parent", data: nil)
            let (kids, watch) = try await b.childrenAndWatch("/parent")
            #expect(kids.isEmpty)
            #expect(watch.firedEvent == nil)
            try await a.create("/parent/c1", data: nil)
            #expect(try await watch.wait() == WatchEvent(kind: .childrenChanged, path: "/parent"))

            let (data, _, dataWatch) = try await b.getAndWatch("/parent")
            #expect(data == [])
            try await a.set("/parent", data: bytes("v"))
            #expect(try await dataWatch.wait().kind == .dataChanged)
            await a.close()
            await b.close()
        }
    }

    @Test("closing a session fires pending watches with sessionClosed and emits closed")
    func closeFiresWatches() async throws {
        try await LiveZooKeeper.withChroot { connect in
            let zk = try await ZooKeeperSession.connect(connect)
            let (_, watch) = try await zk.existsAndWatch("/never")
            await #expect(throws: ZooKeeperError.noNode) { try await zk.getAndWatch("/never") }
            await zk.close()
            #expect(try await watch.wait().kind == .sessionClosed)
            var sawConnected = false
            var sawClosed = false
            for await event in zk.events {
                if case .connected = event { sawConnected = true }
                if event == .closed { sawClosed = true }
            }
            #expect(sawConnected && sawClosed)
        }
    }

    @Test("reconnect replaces the session: new id, old ephemerals gone")
    func reconnect() async throws {
        try await LiveZooKeeper.withChroot { connect in
            let zk = try await ZooKeeperSession.connect(connect)
            let first = zk.sessionId
            try await zk.create("/mine", data: nil, mode: .ephemeral)
            try await zk.reconnect()
            #expect(zk.sessionId != first)
            #expect(zk.previousSessionIds == [first])
            #expect(try await zk.exists("/mine") == nil)
            await zk.close()
        }
    }

    @Test("an unreachable server fails with connectTimeout")
    func connectTimeout() async throws {
        await #expect(throws: ZooKeeperError.connectTimeout) {
            _ = try await ZooKeeperSession.connect("127.0.0.1:1", connectTimeout: .milliseconds(300))
        }
    }
}
