import Synchronization

/// Wakes long-polling fetches when a partition gets new data (or its high watermark moves).
/// A reader remembers the generation it saw; waiting returns at once if the generation has moved since,
/// so an append between the read and the wait is never missed.
final class AppendSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var callbacks: [Int: @Sendable () -> Void] = [:]
        var nextId = 0
    }
    private let state = Mutex(State())

    func watch() -> AppendWatch { AppendWatch(signal: self, generation: state.withLock { $0.generation }) }

    /// Called after an append or a high-watermark advance.
    func notify() {
        let callbacks = state.withLock { s -> [@Sendable () -> Void] in
            s.generation &+= 1
            defer { s.callbacks.removeAll() }
            return Array(s.callbacks.values)
        }
        for callback in callbacks { callback() }
    }

    /// Registers `callback` unless the generation already moved (then calls it at once and returns nil).
    func register(since generation: UInt64, _ callback: @escaping @Sendable () -> Void) -> Int? {
        let id: Int? = state.withLock { s in
            guard s.generation == generation else { return nil }
            let id = s.nextId
            s.nextId += 1
            s.callbacks[id] = callback
            return id
        }
        if id == nil { callback() }
        return id
    }

    func unregister(_ id: Int) {
        _ = state.withLock { $0.callbacks.removeValue(forKey: id) }
    }

    /// Waits until any watched partition changes, or until `deadline`.
    static func waitForAny(_ watches: [AppendWatch], until deadline: ContinuousClock.Instant) async {
        let gate = WakeGate()
        var registrations: [(AppendSignal, Int)] = []
        for w in watches {
            if let id = w.signal.register(since: w.generation, { gate.fire() }) {
                registrations.append((w.signal, id))
            }
        }
        let timer = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            gate.fire()
        }
        await withTaskCancellationHandler {
            await gate.wait()
        } onCancel: {
            gate.fire()
        }
        timer.cancel()
        for (signal, id) in registrations { signal.unregister(id) }
    }
}

/// A partition's signal and the generation a reader saw.
struct AppendWatch: Sendable {
    let signal: AppendSignal
    let generation: UInt64
}

/// A one-shot wake-up: `fire` before or during `wait` both release the waiter, exactly once.
public final class WakeGate: Sendable {
    private struct State {
        var fired = false
        var continuation: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    public init() {}

    public func fire() {
        let c = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.fired = true
            defer { s.continuation = nil }
            return s.continuation
        }
        c?.resume()
    }

    public func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { s -> Bool in
                if s.fired { return true }
                s.continuation = c
                return false
            }
            if resumeNow { c.resume() }
        }
    }
}
