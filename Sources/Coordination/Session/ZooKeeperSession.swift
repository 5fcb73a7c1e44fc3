import CZooKeeper
import Dispatch
import Foundation

/// Metadata of a znode (the parts Kafka uses).
public struct ZNodeStat: Sendable, Equatable {
    public var version: Int32
    public var czxid: Int64
    public var ephemeralOwner: Int64
    public var dataLength: Int32
    public var numChildren: Int32

    init(_ s: Stat) {
        version = s.version
        czxid = s.czxid
        ephemeralOwner = s.ephemeralOwner
        dataLength = s.dataLength
        numChildren = s.numChildren
    }
}

public enum CreateMode: Sendable {
    case persistent, ephemeral, persistentSequential, ephemeralSequential

    var flags: Int32 {
        switch self {
        case .persistent: 0
        case .ephemeral: 1  // ZOO_EPHEMERAL
        case .persistentSequential: 2  // ZOO_SEQUENCE
        case .ephemeralSequential: 3
        }
    }
}

/// Session state changes, as the owner needs them.
public enum SessionEvent: Sendable, Equatable {
    case connected
    case disconnected
    /// The session is gone with its ephemeral nodes: re-register with a new session.
    case expired
}

/// One operation of a `multi` transaction.
public enum ZooKeeperOp: Sendable {
    case create(path: String, data: [UInt8], mode: CreateMode)
    case set(path: String, data: [UInt8], version: Int32)
    case delete(path: String, version: Int32)
    case check(path: String, version: Int32)
}

/// Context of the session watcher: turns C state changes into `SessionEvent`s. Lives as long as the handle.
private final class SessionContext: @unchecked Sendable {
    let lock = NSLock()
    var connected = false
    var waiters: [CheckedContinuation<Bool, Never>] = []
    let events: AsyncStream<SessionEvent>.Continuation

    init(events: AsyncStream<SessionEvent>.Continuation) { self.events = events }

    /// Runs on libzookeeper's completion thread.
    func stateChanged(_ state: Int32) {
        switch state {
        case 3, 5:  // ZOO_CONNECTED_STATE, ZOO_READONLY_STATE
            lock.lock()
            connected = true
            let w = waiters
            waiters = []
            lock.unlock()
            for c in w { c.resume(returning: true) }
            events.yield(.connected)
        case -112:  // ZOO_EXPIRED_SESSION_STATE
            lock.lock()
            connected = false
            lock.unlock()
            events.yield(.expired)
        default:  // connecting / associating
            lock.lock()
            connected = false
            lock.unlock()
            events.yield(.disconnected)
        }
    }
}

/// A one-shot watch: fires once for a node/child event or for session expiry.
private final class WatchContext: @unchecked Sendable {
    let fire: @Sendable () -> Void
    init(_ fire: @escaping @Sendable () -> Void) { self.fire = fire }
}

/// Layer 1: an async Swift API over a libzookeeper-mt handle.
///
/// Calls use libzookeeper's synchronous API on a private concurrent dispatch queue (never on the cooperative
/// pool or an event loop) and resume a continuation with the result. Watch and session callbacks run on
/// libzookeeper's completion thread and only resume continuations or yield events.
public final class ZooKeeperSession: @unchecked Sendable {
    public let connectString: String
    public let sessionTimeoutMs: Int
    private let queue = DispatchQueue(label: "needletail.zookeeper", attributes: .concurrent)
    private let handleLock = NSLock()
    private var handle: OpaquePointer?
    private var context: Unmanaged<SessionContext>?
    public let events: AsyncStream<SessionEvent>
    private let eventsContinuation: AsyncStream<SessionEvent>.Continuation

    /// Connects and waits until the session is established (or `connectionTimeoutMs` passes).
    public init(connectString: String, sessionTimeoutMs: Int, connectionTimeoutMs: Int) async throws {
        self.connectString = connectString
        self.sessionTimeoutMs = sessionTimeoutMs
        let pair = AsyncStream.makeStream(of: SessionEvent.self)
        events = pair.stream
        eventsContinuation = pair.continuation
        zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR)
        try await open(connectionTimeoutMs: connectionTimeoutMs)
    }

    deinit {
        closeHandle()
        eventsContinuation.finish()
    }

    /// Replaces an expired (or any) session with a new one.
    public func reconnect(connectionTimeoutMs: Int) async throws {
        closeHandle()
        try await open(connectionTimeoutMs: connectionTimeoutMs)
    }

    private func open(connectionTimeoutMs: Int) async throws {
        let ctx = Unmanaged.passRetained(SessionContext(events: eventsContinuation))
        let watcher: watcher_fn = { _, type, state, _, raw in
            guard type == -1, let raw else { return }  // ZOO_SESSION_EVENT
            Unmanaged<SessionContext>.fromOpaque(raw).takeUnretainedValue().stateChanged(state)
        }
        let h = connectString.withCString {
            zookeeper_init($0, watcher, Int32(sessionTimeoutMs), nil, ctx.toOpaque(), 0)
        }
        guard let h else {
            ctx.release()
            throw ZooKeeperError.notConnected(connectString)
        }
        handleLock.withLock {
            handle = h
            context = ctx
        }
        let session = ctx.takeUnretainedValue()
        let connected = await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            session.lock.lock()
            if session.connected {
                session.lock.unlock()
                c.resume(returning: true)
                return
            }
            session.waiters.append(c)
            session.lock.unlock()
            queue.asyncAfter(deadline: .now() + .milliseconds(connectionTimeoutMs)) {
                session.lock.lock()
                let pending = session.waiters
                session.waiters = []
                session.lock.unlock()
                for w in pending { w.resume(returning: false) }
            }
        }
        guard connected else {
            closeHandle()
            throw ZooKeeperError.notConnected(connectString)
        }
    }

    private func closeHandle() {
        handleLock.lock()
        let h = handle
        let ctx = context
        handle = nil
        context = nil
        handleLock.unlock()
        if let h { zookeeper_close(h) }
        ctx?.release()
    }

    /// Closes the session; its ephemeral nodes disappear.
    public func close() {
        closeHandle()
    }

    /// The current session id (owner id of the ephemeral nodes it creates).
    public var sessionId: Int64 {
        handleLock.lock()
        defer { handleLock.unlock() }
        guard let h = handle, let id = zoo_client_id(h) else { return 0 }
        return id.pointee.client_id
    }

    /// Runs a blocking libzookeeper call off the cooperative pool.
    private func run<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
            queue.async { [self] in
                handleLock.lock()
                let h = handle
                handleLock.unlock()
                guard let h else {
                    c.resume(throwing: ZooKeeperError.closing)
                    return
                }
                c.resume(with: Result { try body(h) })
            }
        }
    }

    private static func check(_ rc: Int32) throws {
        if rc != 0 { throw ZooKeeperError(code: rc) }
    }

    // MARK: operations

    @discardableResult
    public func create(_ path: String, data: [UInt8], mode: CreateMode = .persistent) async throws -> String {
        try await run { h in
            var created = [CChar](repeating: 0, count: path.utf8.count + 64)
            let rc = data.withUnsafeBufferPointer { d in
                d.withMemoryRebound(to: CChar.self) { value in
                    zoo_create(
                        h, path, value.baseAddress, Int32(data.count), nt_zoo_open_acl_unsafe(), mode.flags, &created,
                        Int32(created.count))
                }
            }
            try Self.check(rc)
            return String(decoding: created.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// The node's data and stat, or nil when it does not exist.
    public func get(_ path: String) async throws -> ([UInt8], ZNodeStat)? {
        try await run { h in try Self.getSync(h, path, watcher: nil, context: nil) }
    }

    private static func getSync(_ h: OpaquePointer, _ path: String, watcher: watcher_fn?, context: UnsafeMutableRawPointer?)
        throws -> ([UInt8], ZNodeStat)?
    {
        var capacity = 64 * 1024
        while true {
            var buffer = [CChar](repeating: 0, count: capacity)
            var length = Int32(capacity)
            var stat = Stat()
            let rc = zoo_wget(h, path, watcher, context, &buffer, &length, &stat)
            if rc == -101 { return nil }
            try check(rc)
            if Int(stat.dataLength) > capacity {
                capacity = Int(stat.dataLength)
                continue
            }
            let bytes = length < 0 ? [] : buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }
            return (bytes, ZNodeStat(stat))
        }
    }

    public func exists(_ path: String) async throws -> ZNodeStat? {
        try await run { h in
            var stat = Stat()
            let rc = zoo_wexists(h, path, nil, nil, &stat)
            if rc == -101 { return nil }
            try Self.check(rc)
            return ZNodeStat(stat)
        }
    }

    @discardableResult
    public func set(_ path: String, data: [UInt8], version: Int32 = -1) async throws -> ZNodeStat {
        try await run { h in
            var stat = Stat()
            let rc = data.withUnsafeBufferPointer { d in
                d.withMemoryRebound(to: CChar.self) { zoo_set2(h, path, $0.baseAddress, Int32(data.count), version, &stat) }
            }
            try Self.check(rc)
            return ZNodeStat(stat)
        }
    }

    public func delete(_ path: String, version: Int32 = -1) async throws {
        try await run { h in try Self.check(zoo_delete(h, path, version)) }
    }

    public func children(_ path: String) async throws -> [String] {
        try await run { h in try Self.childrenSync(h, path, watcher: nil, context: nil) }
    }

    private static func childrenSync(
        _ h: OpaquePointer, _ path: String, watcher: watcher_fn?, context: UnsafeMutableRawPointer?
    ) throws -> [String] {
        var vector = String_vector()
        try check(zoo_wget_children(h, path, watcher, context, &vector))
        defer { deallocate_String_vector(&vector) }
        var out: [String] = []
        for i in 0..<Int(vector.count) {
            if let s = vector.data[i] { out.append(String(cString: s)) }
        }
        return out
    }

    /// Runs the operations atomically: all succeed or none is applied.
    public func multi(_ ops: [ZooKeeperOp]) async throws {
        try await run { h in
            var cStrings: [UnsafeMutablePointer<CChar>] = []
            var buffers: [UnsafeMutablePointer<CChar>] = []
            defer {
                cStrings.forEach { free($0) }
                buffers.forEach { $0.deallocate() }
            }
            func cstr(_ s: String) -> UnsafeMutablePointer<CChar> {
                let p = strdup(s)!
                cStrings.append(p)
                return p
            }
            func buf(_ b: [UInt8]) -> UnsafeMutablePointer<CChar> {
                let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(b.count, 1))
                for (i, x) in b.enumerated() { p[i] = CChar(bitPattern: x) }
                buffers.append(p)
                return p
            }
            var cOps = [zoo_op_t](repeating: zoo_op_t(), count: ops.count)
            var results = [zoo_op_result_t](repeating: zoo_op_result_t(), count: ops.count)
            for (i, op) in ops.enumerated() {
                switch op {
                case .create(let path, let data, let mode):
                    let pathBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: path.utf8.count + 64)
                    buffers.append(pathBuffer)
                    zoo_create_op_init(
                        &cOps[i], cstr(path), buf(data), Int32(data.count), nt_zoo_open_acl_unsafe(), mode.flags,
                        pathBuffer, Int32(path.utf8.count + 64))
                case .set(let path, let data, let version):
                    zoo_set_op_init(&cOps[i], cstr(path), buf(data), Int32(data.count), version, nil)
                case .delete(let path, let version):
                    zoo_delete_op_init(&cOps[i], cstr(path), version)
                case .check(let path, let version):
                    zoo_check_op_init(&cOps[i], cstr(path), version)
                }
            }
            let rc = zoo_multi(h, Int32(ops.count), &cOps, &results)
            if rc != 0 {
                // Report the first failing operation's own error when there is one.
                if let failed = results.first(where: { $0.err != 0 && $0.err != -2 }) {
                    throw ZooKeeperError(code: failed.err)
                }
                throw ZooKeeperError(code: rc)
            }
        }
    }

    // MARK: watches

    /// Waits until the children of `path` change (or the node is deleted, or the session expires).
    public func waitForChildrenChange(of path: String) async throws {
        try await waitForWatch { h, watcher, ctx in _ = try Self.childrenSync(h, path, watcher: watcher, context: ctx) }
    }

    /// Waits until `path` is created, changed or deleted (or the session expires).
    public func waitForNodeChange(at path: String) async throws {
        try await waitForWatch { h, watcher, ctx in
            var stat = Stat()
            let rc = zoo_wexists(h, path, watcher, ctx, &stat)
            if rc != 0 && rc != -101 { throw ZooKeeperError(code: rc) }
        }
    }

    private func waitForWatch(
        _ install: @escaping @Sendable (OpaquePointer, watcher_fn, UnsafeMutableRawPointer) throws -> Void
    ) async throws {
        let gate = Gate()
        let ctx = Unmanaged.passRetained(WatchContext { gate.open() })
        let watcher: watcher_fn = { _, type, state, _, raw in
            guard let raw else { return }
            if type == -1 {  // session event: only expiry ends the watch
                guard state == -112 else { return }
            }
            Unmanaged<WatchContext>.fromOpaque(raw).takeRetainedValue().fire()
        }
        do {
            try await run { h in try install(h, watcher, ctx.toOpaque()) }
        } catch {
            ctx.release()
            throw error
        }
        await gate.wait()
    }
}

/// Opens once; `wait` returns once it is open.
private final class Gate: @unchecked Sendable {
    private let lock = NSLock()
    private var isOpen = false
    private var waiter: CheckedContinuation<Void, Never>?

    func open() {
        lock.lock()
        isOpen = true
        let w = waiter
        waiter = nil
        lock.unlock()
        w?.resume()
    }

    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            lock.lock()
            if isOpen {
                lock.unlock()
                c.resume()
                return
            }
            waiter = c
            lock.unlock()
        }
    }
}
