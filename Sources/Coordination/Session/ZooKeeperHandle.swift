import CZooKeeper
import Dispatch
import Synchronization

/// `zhandle_t *` made sendable: it is only dereferenced by libzookeeper, which is thread-safe (the mt flavour).
struct ZHandlePointer: @unchecked Sendable {
    let raw: OpaquePointer
}

/// Where blocking libzookeeper calls run (`zookeeper_init` resolves host names; `zookeeper_close` waits for the
/// server and joins the client's threads). A private queue, so they never block Swift's cooperative pool.
let zooKeeperLifecycleQueue = DispatchQueue(label: "needletail.zookeeper.lifecycle", attributes: .concurrent)

/// One libzookeeper-mt session handle (`zhandle_t`). Internal: `ZooKeeperSession` owns it and replaces it on
/// `reconnect()`.
///
/// Threads: libzookeeper-mt runs an I/O thread and a completion thread per handle. Every completion and every
/// watcher callback below runs on that handle's **completion thread**, one at a time; they only resume
/// continuations or yield events and never block. Requests are submitted from any thread (`zoo_a*` only queue).
///
/// Lifetime: libzookeeper holds a retained pointer to this object as the handle context; it is released after
/// `zookeeper_close` returned, so no callback can ever see a freed object.
final class ZooKeeperHandle: Sendable {
    private struct Inner {
        var zh: ZHandlePointer?
        var closed = false
        var connected = false
        var everConnected = false
        var terminalError: ZooKeeperError?
        var sessionId: Int64 = 0
        var connectWaiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let inner = Mutex(Inner())
    let watches = WatchRegistry()
    private let onEvent: @Sendable (SessionEvent) -> Void

    private init(onEvent: @escaping @Sendable (SessionEvent) -> Void) {
        self.onEvent = onEvent
    }

    /// Creates the handle (on the lifecycle queue) and waits until it is connected or `timeout` passes.
    static func open(
        connectString: String, sessionTimeout: Duration, connectTimeout: Duration,
        resuming credentials: ZooKeeperSessionCredentials? = nil,
        onEvent: @escaping @Sendable (SessionEvent) -> Void
    ) async throws -> ZooKeeperHandle {
        let handle = ZooKeeperHandle(onEvent: onEvent)
        let timeoutMs = Int32(clamping: sessionTimeout.milliseconds)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            zooKeeperLifecycleQueue.async {
                let context = Unmanaged.passRetained(handle)
                let zh = connectString.withCString { host -> OpaquePointer? in
                    guard var clientId = credentials?.clientId else {
                        return zookeeper_init2(
                            host, sessionWatcher, timeoutMs, nil, context.toOpaque(), 0, ZooKeeperLogging.callback)
                    }
                    return withUnsafePointer(to: &clientId) { id in
                        zookeeper_init2(
                            host, sessionWatcher, timeoutMs, id, context.toOpaque(), 0, ZooKeeperLogging.callback)
                    }
                }
                guard let zh else {
                    context.release()
                    continuation.resume(throwing: ZooKeeperError.initFailed(errno: currentErrno()))
                    return
                }
                handle.inner.withLock { $0.zh = ZHandlePointer(raw: zh) }
                continuation.resume()
            }
        }
        do {
            try await handle.waitConnected(timeout: connectTimeout)
        } catch {
            await handle.close()
            throw error
        }
        return handle
    }

    var sessionId: Int64 { inner.withLock { $0.sessionId } }

    /// Points the client at other servers (`zoo_set_servers`); it drops its connection when the current server is
    /// not among them. Tests use an unreachable address to make a live session go silent, as a killed process's does.
    func setServers(_ hosts: String) -> Bool {
        inner.withLock { s in
            guard let zh = s.zh else { return false }
            return hosts.withCString { zoo_set_servers(zh.raw, $0) } == ZOK.rawValue
        }
    }

    /// The session's id and password (nil before the first connection or after close).
    var credentials: ZooKeeperSessionCredentials? {
        inner.withLock { s in
            guard s.connected || s.everConnected, let zh = s.zh, let id = zoo_client_id(zh.raw) else { return nil }
            return ZooKeeperSessionCredentials(id.pointee)
        }
    }
    var isConnected: Bool { inner.withLock { $0.connected } }

    // MARK: Session events (completion thread)

    fileprivate func sessionStateChanged(_ state: Int32, zh: OpaquePointer?) {
        var event: SessionEvent?
        var waiters: [CheckedContinuation<Void, any Error>] = []
        var failure: ZooKeeperError?
        let clientId: Int64 = zh.flatMap { zoo_client_id($0)?.pointee.client_id } ?? 0
        inner.withLock { s in
            if state == ZOO_CONNECTED_STATE || state == ZOO_READONLY_STATE {
                s.connected = true
                s.everConnected = true
                s.sessionId = clientId
                event =
                    state == ZOO_CONNECTED_STATE
                    ? .connected(sessionId: clientId) : .connectedReadOnly(sessionId: clientId)
                waiters = Array(s.connectWaiters.values)
                s.connectWaiters = [:]
            } else if state == ZOO_CONNECTING_STATE || state == ZOO_ASSOCIATING_STATE {
                if s.connected { event = .disconnected }
                s.connected = false
            } else if state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE {
                s.connected = false
                failure = state == ZOO_EXPIRED_SESSION_STATE ? .sessionExpired : .authFailed
                s.terminalError = failure
                event = state == ZOO_EXPIRED_SESSION_STATE ? .expired : .authFailed
                waiters = Array(s.connectWaiters.values)
                s.connectWaiters = [:]
            }
        }
        for w in waiters {
            if let failure { w.resume(throwing: failure) } else { w.resume() }
        }
        if let event { onEvent(event) }
    }

    private func waitConnected(timeout: Duration) async throws {
        let id = inner.withLock { s in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        let wait: @Sendable () async throws -> Void = {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let ready: Result<Void, any Error>? = self.inner.withLock { s in
                        if s.connected { return .success(()) }
                        if let error = s.terminalError { return .failure(error) }
                        if s.closed { return .failure(ZooKeeperError.closing) }
                        if Task.isCancelled { return .failure(CancellationError()) }
                        s.connectWaiters[id] = continuation
                        return nil
                    }
                    if let ready { continuation.resume(with: ready) }
                }
            } onCancel: {
                let continuation = self.inner.withLock { $0.connectWaiters.removeValue(forKey: id) }
                continuation?.resume(throwing: CancellationError())
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await wait() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw ZooKeeperError.connectTimeout
            }
            defer { group.cancelAll() }
            _ = try await group.next()
        }
    }

    // MARK: Requests

    /// Runs `start` with the live handle and a retained completion context; if libzookeeper refuses the request
    /// synchronously the context is released and the error thrown.
    private func submit<T: Sendable>(
        _ start: (OpaquePointer, UnsafeRawPointer) -> Int32
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let box = Unmanaged.passRetained(Completion(continuation))
            let rc: Int32 = inner.withLock { s in
                guard !s.closed, let zh = s.zh else { return ZCLOSING.rawValue }
                return start(zh.raw, UnsafeRawPointer(box.toOpaque()))
            }
            if let error = ZooKeeperError(code: rc) {
                box.release()
                continuation.resume(throwing: error)
            }
        }
    }

    func create(_ path: String, data: [UInt8]?, mode: CreateMode) async throws -> (path: String, stat: ZooKeeperStat) {
        try await submit { zh, ctx in
            path.withCString { p in
                withOptionalBytes(data) { bytes, count in
                    zoo_acreate2(zh, p, bytes, count, nt_zoo_open_acl_unsafe(), mode.flags, createCompletion, ctx)
                }
            }
        }
    }

    func get(_ path: String, watch: ZooKeeperWatch? = nil) async throws -> (data: [UInt8], stat: ZooKeeperStat) {
        if let watch { watches.insert(watch) }
        do {
            return try await submit { zh, ctx in
                path.withCString { p in
                    if let watch {
                        return zoo_awget(zh, p, pathWatcher, opaque(watch), dataCompletion, ctx)
                    }
                    return zoo_aget(zh, p, 0, dataCompletion, ctx)
                }
            }
        } catch {
            // libzookeeper registers a data watch only when the read succeeded.
            if let watch { watches.remove(watch) }
            throw error
        }
    }

    func exists(_ path: String, watch: ZooKeeperWatch? = nil) async throws -> ZooKeeperStat? {
        if let watch { watches.insert(watch) }
        do {
            return try await submit { zh, ctx in
                path.withCString { p in
                    if let watch {
                        return zoo_awexists(zh, p, pathWatcher, opaque(watch), existsCompletion, ctx)
                    }
                    return zoo_aexists(zh, p, 0, existsCompletion, ctx)
                }
            }
        } catch {
            // An exists watch is registered on success and on NONODE (which is not an error here).
            if let watch { watches.remove(watch) }
            throw error
        }
    }

    func set(_ path: String, data: [UInt8], version: Int32) async throws -> ZooKeeperStat {
        try await submit { zh, ctx in
            path.withCString { p in
                withOptionalBytes(data) { bytes, count in
                    zoo_aset(zh, p, bytes, count, version, statCompletion, ctx)
                }
            }
        }
    }

    func delete(_ path: String, version: Int32) async throws {
        let _: VoidResult = try await submit { zh, ctx in
            path.withCString { p in zoo_adelete(zh, p, version, voidCompletion, ctx) }
        }
    }

    func children(_ path: String, watch: ZooKeeperWatch? = nil) async throws -> (
        children: [String], stat: ZooKeeperStat
    ) {
        if let watch { watches.insert(watch) }
        do {
            return try await submit { zh, ctx in
                path.withCString { p in
                    if let watch {
                        return zoo_awget_children2(zh, p, pathWatcher, opaque(watch), childrenCompletion, ctx)
                    }
                    return zoo_aget_children2(zh, p, 0, childrenCompletion, ctx)
                }
            }
        } catch {
            if let watch { watches.remove(watch) }
            throw error
        }
    }

    func multi(_ ops: [ZooKeeperOp]) async throws -> [ZooKeeperOpResult] {
        if ops.isEmpty { return [] }
        return try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<[ZooKeeperOpResult], any Error>) in
            let request = MultiRequest(ops, continuation: continuation)
            let box = Unmanaged.passRetained(request)
            let rc: Int32 = inner.withLock { s in
                guard !s.closed, let zh = s.zh else { return ZCLOSING.rawValue }
                return zoo_amulti(
                    zh.raw, Int32(request.count), request.ops, request.results, multiCompletion,
                    UnsafeRawPointer(box.toOpaque()))
            }
            if let error = ZooKeeperError(code: rc) {
                box.release()
                continuation.resume(throwing: error)
            }
        }
    }

    // MARK: Close

    /// Closes the handle: `zookeeper_close` on the lifecycle queue (it blocks), then fires `.sessionClosed` on the
    /// remaining watches and releases libzookeeper's reference to this object. Idempotent.
    func close() async {
        guard let zh = markClosed() else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            zooKeeperLifecycleQueue.async {
                self.finishClose(zh)
                continuation.resume()
            }
        }
    }

    /// Same as `close()` without waiting (for deinit paths).
    func closeDetached() {
        guard let zh = markClosed() else { return }
        zooKeeperLifecycleQueue.async { self.finishClose(zh) }
    }

    private func markClosed() -> ZHandlePointer? {
        let (zh, waiters) = inner.withLock { s -> (ZHandlePointer?, [CheckedContinuation<Void, any Error>]) in
            guard !s.closed else { return (nil, []) }
            s.closed = true
            s.connected = false
            let zh = s.zh
            s.zh = nil
            let waiters = Array(s.connectWaiters.values)
            s.connectWaiters = [:]
            return (zh, waiters)
        }
        for w in waiters { w.resume(throwing: ZooKeeperError.closing) }
        return zh
    }

    private func finishClose(_ zh: ZHandlePointer) {
        // Pending completions are called with ZCLOSING from inside zookeeper_close.
        zookeeper_close(zh.raw)
        watches.drain(.sessionClosed)
        Unmanaged.passUnretained(self).release()
    }
}

// MARK: - C callbacks (all run on the handle's completion thread)

private func opaque(_ watch: ZooKeeperWatch) -> UnsafeMutableRawPointer {
    Unmanaged.passUnretained(watch).toOpaque()
}

private func withOptionalBytes<R>(_ data: [UInt8]?, _ body: (UnsafePointer<CChar>?, Int32) -> R) -> R {
    guard let data else { return body(nil, -1) }
    return data.withUnsafeBytes { raw in
        body(raw.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(clamping: raw.count))
    }
}

private func currentErrno() -> Int32 {
    nt_errno()
}

/// A continuation handed through libzookeeper's `const void *data`.
private final class Completion<T: Sendable>: Sendable {
    let continuation: CheckedContinuation<T, any Error>
    init(_ continuation: CheckedContinuation<T, any Error>) { self.continuation = continuation }

    static func take(_ data: UnsafeRawPointer?) -> Completion<T>? {
        guard let data else { return nil }
        return Unmanaged<Completion<T>>.fromOpaque(data).takeRetainedValue()
    }
}

/// `Void` is not usable as a generic `Sendable` result for `submit` in every position; this stands in.
private struct VoidResult: Sendable {}

private let sessionWatcher: watcher_fn = { zh, type, state, _, context in
    guard let context, type == ZOO_SESSION_EVENT else { return }
    Unmanaged<ZooKeeperHandle>.fromOpaque(context).takeUnretainedValue().sessionStateChanged(state, zh: zh)
}

private let pathWatcher: watcher_fn = { _, type, state, _, context in
    guard let context else { return }
    let watch = Unmanaged<ZooKeeperWatch>.fromOpaque(context).takeUnretainedValue()
    let kind: WatchEvent.Kind
    switch type {
    case ZOO_CREATED_EVENT: kind = .created
    case ZOO_DELETED_EVENT: kind = .deleted
    case ZOO_CHANGED_EVENT: kind = .dataChanged
    case ZOO_CHILD_EVENT: kind = .childrenChanged
    case ZOO_NOTWATCHING_EVENT: kind = .notWatching
    case ZOO_SESSION_EVENT:
        // Per-path watchers also see connection-state changes; only expiry ends them.
        guard state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE else { return }
        kind = .sessionExpired
    default: return
    }
    watch.fire(kind)
    watch.registry?.remove(watch)
}

private let createCompletion: string_stat_completion_t = { rc, value, stat, data in
    guard let c = Completion<(path: String, stat: ZooKeeperStat)>.take(data) else { return }
    if let error = ZooKeeperError(code: rc) { return c.continuation.resume(throwing: error) }
    c.continuation.resume(returning: (value.map { String(cString: $0) } ?? "", ZooKeeperStat(stat)))
}

private let dataCompletion: data_completion_t = { rc, value, length, stat, data in
    guard let c = Completion<(data: [UInt8], stat: ZooKeeperStat)>.take(data) else { return }
    if let error = ZooKeeperError(code: rc) { return c.continuation.resume(throwing: error) }
    var bytes: [UInt8] = []
    if let value, length > 0 {
        bytes = Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(value), count: Int(length)))
    }
    c.continuation.resume(returning: (bytes, ZooKeeperStat(stat)))
}

private let existsCompletion: stat_completion_t = { rc, stat, data in
    guard let c = Completion<ZooKeeperStat?>.take(data) else { return }
    if rc == ZNONODE.rawValue { return c.continuation.resume(returning: nil) }
    if let error = ZooKeeperError(code: rc) { return c.continuation.resume(throwing: error) }
    c.continuation.resume(returning: ZooKeeperStat(stat))
}

private let statCompletion: stat_completion_t = { rc, stat, data in
    guard let c = Completion<ZooKeeperStat>.take(data) else { return }
    if let error = ZooKeeperError(code: rc) { return c.continuation.resume(throwing: error) }
    c.continuation.resume(returning: ZooKeeperStat(stat))
}

private let voidCompletion: void_completion_t = { rc, data in
    guard let c = Completion<VoidResult>.take(data) else { return }
    if let error = ZooKeeperError(code: rc) { return c.continuation.resume(throwing: error) }
    c.continuation.resume(returning: VoidResult())
}

private let childrenCompletion: strings_stat_completion_t = { rc, strings, stat, data in
    guard let c = Completion<(children: [String], stat: ZooKeeperStat)>.take(data) else { return }
    if let error = ZooKeeperError(code: rc) { return c.continuation.resume(throwing: error) }
    var names: [String] = []
    if let strings, strings.pointee.count > 0, let items = strings.pointee.data {
        names.reserveCapacity(Int(strings.pointee.count))
        for i in 0..<Int(strings.pointee.count) {
            if let item = items[i] { names.append(String(cString: item)) }
        }
    }
    c.continuation.resume(returning: (names, ZooKeeperStat(stat)))
}

private let multiCompletion: void_completion_t = { rc, data in
    guard let data else { return }
    Unmanaged<MultiRequest>.fromOpaque(data).takeRetainedValue().complete(rc)
}

/// The C arrays of one `zoo_amulti` call. libzookeeper keeps pointers into them (paths, data, result buffers)
/// until the completion runs, so they live in this object, which the completion releases.
private final class MultiRequest: @unchecked Sendable {
    let count: Int
    let ops: UnsafeMutablePointer<zoo_op_t>
    let results: UnsafeMutablePointer<zoo_op_result_t>
    private let kinds: [ZooKeeperOp]
    private var allocations: [UnsafeMutableRawPointer] = []
    private let continuation: CheckedContinuation<[ZooKeeperOpResult], any Error>
    private static let pathBufferSize = 4096

    init(_ requested: [ZooKeeperOp], continuation: CheckedContinuation<[ZooKeeperOpResult], any Error>) {
        count = requested.count
        kinds = requested
        self.continuation = continuation
        ops = .allocate(capacity: count)
        ops.initialize(repeating: zoo_op_t(), count: count)
        results = .allocate(capacity: count)
        results.initialize(repeating: zoo_op_result_t(), count: count)
        for (i, op) in requested.enumerated() {
            switch op {
            case .create(let path, let data, let mode):
                let buffer = allocate(Self.pathBufferSize)
                let (bytes, length) = copy(data)
                zoo_create_op_init(
                    ops + i, cString(path), bytes, length, nt_zoo_open_acl_unsafe(), mode.flags,
                    buffer.assumingMemoryBound(to: CChar.self), Int32(Self.pathBufferSize))
            case .delete(let path, let version):
                zoo_delete_op_init(ops + i, cString(path), version)
            case .set(let path, let data, let version):
                let stat = allocate(MemoryLayout<Stat>.stride).bindMemory(to: Stat.self, capacity: 1)
                stat.initialize(to: Stat())
                let (bytes, length) = copy(data)
                zoo_set_op_init(ops + i, cString(path), bytes, length, version, stat)
            case .check(let path, let version):
                zoo_check_op_init(ops + i, cString(path), version)
            }
        }
    }

    deinit {
        for p in allocations { p.deallocate() }
        ops.deallocate()
        results.deallocate()
    }

    private func allocate(_ size: Int) -> UnsafeMutableRawPointer {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(1, size), alignment: 16)
        allocations.append(p)
        return p
    }

    private func cString(_ s: String) -> UnsafePointer<CChar> {
        let utf8 = Array(s.utf8CString)
        let p = allocate(utf8.count).bindMemory(to: CChar.self, capacity: utf8.count)
        p.initialize(from: utf8, count: utf8.count)
        return UnsafePointer(p)
    }

    private func copy(_ data: [UInt8]?) -> (UnsafePointer<CChar>?, Int32) {
        guard let data else { return (nil, -1) }
        let p = allocate(data.count).bindMemory(to: CChar.self, capacity: max(1, data.count))
        data.withUnsafeBytes { raw in
            if let base = raw.baseAddress { UnsafeMutableRawPointer(p).copyMemory(from: base, byteCount: raw.count) }
        }
        return (UnsafePointer(p), Int32(clamping: data.count))
    }

    func complete(_ rc: Int32) {
        if let error = ZooKeeperError(code: rc) {
            // The server reports the culprit's own code; operations before it say OK and after it
            // RUNTIMEINCONSISTENCY. Without per-op codes (connection loss) the plain error is thrown.
            var failedIndex: Int?
            for i in 0..<count where results[i].err == rc {
                failedIndex = i
                break
            }
            if failedIndex == nil {
                failedIndex = (0..<count).first {
                    results[$0].err != ZOK.rawValue && results[$0].err != ZRUNTIMEINCONSISTENCY.rawValue
                }
            }
            if let failedIndex, !error.isSessionLevel {
                continuation.resume(throwing: ZooKeeperError.multiFailed(index: failedIndex, cause: error))
            } else {
                continuation.resume(throwing: error)
            }
            return
        }
        var out: [ZooKeeperOpResult] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            switch kinds[i] {
            case .create:
                let r = results[i]
                if let value = r.value {
                    let length = max(0, min(Int(r.valuelen), Self.pathBufferSize))
                    let bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(value), count: length)
                    let path = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                    out.append(.created(path: path))
                } else {
                    out.append(.created(path: ""))
                }
            case .delete: out.append(.deleted)
            case .set: out.append(.set(ZooKeeperStat(results[i].stat.map { UnsafePointer($0) })))
            case .check: out.append(.checked)
            }
        }
        continuation.resume(returning: out)
    }
}

extension ZooKeeperError {
    /// Errors about the session or connection rather than one operation.
    var isSessionLevel: Bool {
        switch self {
        case .connectionLoss, .sessionExpired, .sessionMoved, .operationTimeout, .invalidState, .closing,
            .marshallingError, .authFailed:
            return true
        default: return false
        }
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
