import Synchronization

/// A frame-size limit that can be raised while the connection lives: a SASL listener starts at
/// `sasl.server.max.receive.size` and moves to `socket.request.max.bytes` once the client has authenticated, so an
/// unauthenticated peer can never make the broker reserve more than the small limit (the CVE-2022-34917 class).
/// Read by the decoder on the event loop, written by the connection's task.
public final class FrameSizeLimit: Sendable {
    private let limit: Atomic<Int>

    public init(_ initial: Int) {
        limit = Atomic(initial)
    }

    public var value: Int { limit.load(ordering: .relaxed) }

    public func set(_ newValue: Int) {
        limit.store(newValue, ordering: .relaxed)
    }
}
