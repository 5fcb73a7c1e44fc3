import Synchronization

/// A one-shot ZooKeeper watch, returned next to the value it was registered with (`getAndWatch`,
/// `childrenAndWatch`, `existsAndWatch`). It fires at most once; `wait()` returns that event.
///
/// If the session expires or is closed (or replaced by `reconnect()`) first, the watch fires `.sessionExpired` /
/// `.sessionClosed`, so a waiter is never left hanging. A connection blip does not fire it: libzookeeper
/// re-registers watches when it reconnects the same session.
public final class ZooKeeperWatch: Sendable {
    /// The watched path (relative to the chroot).
    public let path: String
    /// The handle registry keeping this watch alive while libzookeeper holds it.
    let registry: WatchRegistry?

    private struct State {
        var event: WatchEvent?
        var waiters: [UInt64: CheckedContinuation<WatchEvent, any Error>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    init(path: String, registry: WatchRegistry?) {
        self.path = path
        self.registry = registry
    }

    /// The event, if the watch has fired.
    public var firedEvent: WatchEvent? { state.withLock { $0.event } }

    /// Waits for the event. Several tasks may wait; all get the same event. Throws `CancellationError` if the
    /// waiting task is cancelled (the watch itself stays armed).
    public func wait() async throws -> WatchEvent {
        let id = state.withLock { s in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<WatchEvent, any Error>) in
                let ready: Result<WatchEvent, any Error>? = state.withLock { s in
                    if let event = s.event { return .success(event) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    s.waiters[id] = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            let continuation = state.withLock { $0.waiters.removeValue(forKey: id) }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// Delivers the event; later calls are ignored.
    func fire(_ kind: WatchEvent.Kind) {
        let event = WatchEvent(kind: kind, path: path)
        let waiters: [CheckedContinuation<WatchEvent, any Error>] = state.withLock { s in
            guard s.event == nil else { return [] }
            s.event = event
            let all = Array(s.waiters.values)
            s.waiters = [:]
            return all
        }
        for w in waiters { w.resume(returning: event) }
    }
}

/// The watches a handle has handed to libzookeeper. libzookeeper holds only an unretained pointer to each watch;
/// this registry keeps it alive until libzookeeper is done with it (fired, expired, or the handle closed).
final class WatchRegistry: Sendable {
    private let watches = Mutex<[ObjectIdentifier: ZooKeeperWatch]>([:])

    func insert(_ watch: ZooKeeperWatch) {
        watches.withLock { $0[ObjectIdentifier(watch)] = watch }
    }

    func remove(_ watch: ZooKeeperWatch) {
        _ = watches.withLock { $0.removeValue(forKey: ObjectIdentifier(watch)) }
    }

    /// Fires and forgets every remaining watch (after `zookeeper_close` returned, so no callback can race).
    func drain(_ kind: WatchEvent.Kind) {
        let all = watches.withLock { w in
            let values = Array(w.values)
            w = [:]
            return values
        }
        for watch in all { watch.fire(kind) }
    }
}
