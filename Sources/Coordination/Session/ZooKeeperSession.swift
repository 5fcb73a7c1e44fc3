import CZooKeeper
import Synchronization

/// An async ZooKeeper session over libzookeeper-mt (layer 1 of the coordination module).
///
/// - Connect string: `host:port[,host:port…][/chroot]`. libzookeeper applies the chroot; when it does not exist
///   yet it is created (persistent, empty) through a short-lived session without the chroot, as Kafka does.
/// - Reconnects after connection loss are the C client's job; they surface as `.disconnected` then `.connected`
///   on `events`. After `.expired` the session is dead: call `reconnect()` to get a new one (new session id,
///   no ephemeral nodes, no watches).
/// - Errors are always `ZooKeeperError` (see `ZooKeeperError.multiFailed` for `multi`).
/// - Callbacks from libzookeeper run on its completion thread and only resume continuations, so every method
///   here is safe to call from any task. Blocking C calls (`zookeeper_init`, `zookeeper_close`) run on a private
///   dispatch queue. Dropping the last reference closes the session in the background; prefer `close()`.
public final class ZooKeeperSession: Sendable {
    public struct Configuration: Sendable {
        /// `host:port[,host:port…][/chroot]`.
        public var connectString: String
        /// Requested session timeout (`zookeeper.session.timeout.ms`, Kafka default 18 s); the server clamps it to
        /// [2, 20] × its tickTime.
        public var sessionTimeout: Duration
        /// How long `connect`/`reconnect` wait for the first connection (`zookeeper.connection.timeout.ms`).
        public var connectTimeout: Duration
        /// Create the chroot path when missing.
        public var createChroot: Bool

        public init(
            connectString: String, sessionTimeout: Duration = .seconds(18), connectTimeout: Duration = .seconds(18),
            createChroot: Bool = true
        ) {
            self.connectString = connectString
            self.sessionTimeout = sessionTimeout
            self.connectTimeout = connectTimeout
            self.createChroot = createChroot
        }

        /// The host list and the chroot (nil when absent or `/`).
        public var hostsAndChroot: (hosts: String, chroot: String?) {
            guard let slash = connectString.firstIndex(of: "/") else { return (connectString, nil) }
            var chroot = String(connectString[slash...])
            while chroot.count > 1 && chroot.hasSuffix("/") { chroot.removeLast() }
            return (String(connectString[..<slash]), chroot == "/" ? nil : chroot)
        }
    }

    public let configuration: Configuration
    /// Session state changes across the life of this object, including the sessions made by `reconnect()`.
    /// Single consumer; the newest 256 events are buffered.
    public let events: AsyncStream<SessionEvent>
    private let eventSink: AsyncStream<SessionEvent>.Continuation

    private struct State {
        var handle: ZooKeeperHandle?
        var closed = false
        var previousSessionIds: [Int64] = []
    }

    private let state = Mutex(State())

    private init(configuration: Configuration) {
        self.configuration = configuration
        (events, eventSink) = AsyncStream.makeStream(of: SessionEvent.self, bufferingPolicy: .bufferingNewest(256))
    }

    /// Connects (waiting up to `connectTimeout`) and creates the chroot if needed.
    public static func connect(_ configuration: Configuration) async throws -> ZooKeeperSession {
        ZooKeeperLogging.configureOnce()
        let session = ZooKeeperSession(configuration: configuration)
        if configuration.createChroot, let chroot = configuration.hostsAndChroot.chroot {
            try await session.ensureChroot(chroot, hosts: configuration.hostsAndChroot.hosts)
        }
        let handle = try await session.openHandle()
        session.state.withLock { $0.handle = handle }
        return session
    }

    /// Convenience for `connect(Configuration(connectString:…))`.
    public static func connect(
        _ connectString: String, sessionTimeout: Duration = .seconds(18), connectTimeout: Duration = .seconds(18)
    ) async throws -> ZooKeeperSession {
        try await connect(
            Configuration(connectString: connectString, sessionTimeout: sessionTimeout, connectTimeout: connectTimeout))
    }

    deinit {
        let handle = state.withLock { $0.handle }
        handle?.closeDetached()
        eventSink.finish()
    }

    private func openHandle() async throws -> ZooKeeperHandle {
        let sink = eventSink
        return try await ZooKeeperHandle.open(
            connectString: configuration.connectString, sessionTimeout: configuration.sessionTimeout,
            connectTimeout: configuration.connectTimeout, onEvent: { sink.yield($0) })
    }

    private func ensureChroot(_ chroot: String, hosts: String) async throws {
        let root = try await ZooKeeperHandle.open(
            connectString: hosts, sessionTimeout: configuration.sessionTimeout,
            connectTimeout: configuration.connectTimeout, onEvent: { _ in })
        do {
            if try await root.exists(chroot) == nil {
                try await Self.createParents(of: chroot + "/x", using: root)
            }
        } catch {
            await root.close()
            throw error
        }
        await root.close()
    }

    private static func createParents(of path: String, using handle: ZooKeeperHandle) async throws {
        var prefix = ""
        let components = path.split(separator: "/", omittingEmptySubsequences: true).dropLast()
        for component in components {
            prefix += "/" + component
            do {
                _ = try await handle.create(prefix, data: nil, mode: .persistent)
            } catch ZooKeeperError.nodeExists {
                continue
            }
        }
    }

    private func handle() throws -> ZooKeeperHandle {
        try state.withLock { s throws(ZooKeeperError) in
            guard !s.closed, let h = s.handle else { throw ZooKeeperError.closing }
            return h
        }
    }

    /// The current session id (0 before the first connection).
    public var sessionId: Int64 { (try? handle().sessionId) ?? 0 }

    /// The current session's id and password, to resume it from another process (nil when not connected yet).
    public var credentials: ZooKeeperSessionCredentials? { try? handle().credentials }

    /// Resumes a session a previous process left behind (it died without closing it) and closes it, so the server
    /// deletes that session's ephemeral nodes now rather than after its timeout. ZooKeeper allows the resume only
    /// with the session's password, and only while it is alive; an expired session is reported as such. Waits at
    /// most `timeout`.
    public static func closeAbandoned(
        _ credentials: ZooKeeperSessionCredentials, connectString: String, sessionTimeout: Duration,
        timeout: Duration
    ) async -> AbandonedSessionOutcome {
        ZooKeeperLogging.configureOnce()
        do {
            let handle = try await ZooKeeperHandle.open(
                connectString: connectString, sessionTimeout: sessionTimeout, connectTimeout: timeout,
                resuming: credentials, onEvent: { _ in })
            let resumed = handle.sessionId == credentials.sessionId
            await handle.close()
            return resumed ? .closed : .unknown("the server gave a different session")
        } catch ZooKeeperError.sessionExpired {
            return .expired
        } catch {
            return .unknown("\(error)")
        }
    }

    /// Makes this session behave like one whose process was killed: the client stops talking to ZooKeeper (it
    /// is pointed at an unreachable address) but never closes the session, which lives on until it times out.
    func goSilentForTesting() -> Bool {
        (try? handle().setServers("127.0.0.1:1")) ?? false
    }

    /// Ids of the sessions this object had before `reconnect()` replaced them (oldest first).
    public var previousSessionIds: [Int64] { state.withLock { $0.previousSessionIds } }

    /// True while connected to a server.
    public var isConnected: Bool { (try? handle().isConnected) ?? false }

    /// Replaces the session (normally after `.expired`) with a new one on the same connect string. The old
    /// handle is closed; its pending watches fire `.sessionClosed`. Call from one owner at a time.
    public func reconnect() async throws {
        guard !state.withLock({ $0.closed }) else { throw ZooKeeperError.closing }
        let fresh = try await openHandle()
        let old: ZooKeeperHandle? = state.withLock { s in
            let old = s.handle
            if let old, old.sessionId != 0 { s.previousSessionIds.append(old.sessionId) }
            s.handle = s.closed ? nil : fresh
            return old
        }
        if state.withLock({ $0.closed }) {
            await fresh.close()
            throw ZooKeeperError.closing
        }
        await old?.close()
    }

    /// Closes the session: the server deletes its ephemeral nodes at once; pending requests fail with `.closing`
    /// and pending watches fire `.sessionClosed`. Idempotent.
    public func close() async {
        let handle: ZooKeeperHandle? = state.withLock { s in
            guard !s.closed else { return nil }
            s.closed = true
            let h = s.handle
            s.handle = nil
            return h
        }
        guard let handle else { return }
        await handle.close()
        eventSink.yield(.closed)
        eventSink.finish()
    }

    // MARK: Operations

    /// Creates a node and returns its path (with the sequence suffix for sequential modes) and stat.
    @discardableResult
    public func create(_ path: String, data: [UInt8]?, mode: CreateMode = .persistent) async throws -> (
        path: String, stat: ZooKeeperStat
    ) {
        try await handle().create(path, data: data, mode: mode)
    }

    /// Creates `path` and any missing parents (parents persistent, with null data). Throws `.nodeExists` only
    /// for `path` itself.
    @discardableResult
    public func createRecursive(_ path: String, data: [UInt8]?, mode: CreateMode = .persistent) async throws -> (
        path: String, stat: ZooKeeperStat
    ) {
        let h = try handle()
        do {
            return try await h.create(path, data: data, mode: mode)
        } catch ZooKeeperError.noNode {
            try await Self.createParents(of: path, using: h)
            return try await h.create(path, data: data, mode: mode)
        }
    }

    /// Makes sure a persistent path exists (creating parents), ignoring `.nodeExists`.
    public func ensurePath(_ path: String) async throws {
        do {
            try await createRecursive(path, data: nil)
        } catch ZooKeeperError.nodeExists {
        }
    }

    /// The node's data (empty for null data) and stat. Throws `.noNode`.
    public func get(_ path: String) async throws -> (data: [UInt8], stat: ZooKeeperStat) {
        try await handle().get(path)
    }

    /// The node's stat, or nil if it does not exist.
    public func exists(_ path: String) async throws -> ZooKeeperStat? {
        try await handle().exists(path)
    }

    /// Conditional write: `version` must equal the node's data version (or `anyZkVersion`). Throws `.badVersion`.
    @discardableResult
    public func set(_ path: String, data: [UInt8], version: Int32 = anyZkVersion) async throws -> ZooKeeperStat {
        try await handle().set(path, data: data, version: version)
    }

    /// Conditional delete. Throws `.noNode`, `.badVersion` or `.notEmpty`.
    public func delete(_ path: String, version: Int32 = anyZkVersion) async throws {
        try await handle().delete(path, version: version)
    }

    /// Deletes a node and everything under it (not atomic; tolerates concurrent deletes).
    public func deleteRecursive(_ path: String) async throws {
        let h = try handle()
        let kids: [String]
        do {
            kids = try await h.children(path).children
        } catch ZooKeeperError.noNode {
            return
        }
        for child in kids {
            try await deleteRecursive(path == "/" ? "/\(child)" : "\(path)/\(child)")
        }
        do {
            try await h.delete(path, version: anyZkVersion)
        } catch ZooKeeperError.noNode {
        }
    }

    /// Child names (not full paths), unsorted as ZooKeeper returns them. Throws `.noNode`.
    public func children(_ path: String) async throws -> [String] {
        try await handle().children(path).children
    }

    /// Applies all operations atomically or none. On a rejected operation throws
    /// `.multiFailed(index:cause:)`; on a session problem the plain error (outcome unknown for `.connectionLoss`).
    @discardableResult
    public func multi(_ ops: [ZooKeeperOp]) async throws -> [ZooKeeperOpResult] {
        try await handle().multi(ops)
    }

    // MARK: Watches

    /// Reads a node and leaves a one-shot watch for its change or deletion. Throws `.noNode` (no watch is left).
    public func getAndWatch(_ path: String) async throws -> (data: [UInt8], stat: ZooKeeperStat, watch: ZooKeeperWatch)
    {
        let h = try handle()
        let watch = ZooKeeperWatch(path: path, registry: h.watches)
        let (data, stat) = try await h.get(path, watch: watch)
        return (data, stat, watch)
    }

    /// Reads the child list and leaves a one-shot watch for a child being added or removed (or the node
    /// deleted). Throws `.noNode` (no watch is left).
    public func childrenAndWatch(_ path: String) async throws -> (children: [String], watch: ZooKeeperWatch) {
        let h = try handle()
        let watch = ZooKeeperWatch(path: path, registry: h.watches)
        let (children, _) = try await h.children(path, watch: watch)
        return (children, watch)
    }

    /// Checks existence and leaves a one-shot watch for creation, change or deletion (also when absent).
    public func existsAndWatch(_ path: String) async throws -> (stat: ZooKeeperStat?, watch: ZooKeeperWatch) {
        let h = try handle()
        let watch = ZooKeeperWatch(path: path, registry: h.watches)
        let stat = try await h.exists(path, watch: watch)
        return (stat, watch)
    }
}
