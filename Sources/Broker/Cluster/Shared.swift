import Synchronization

/// State several objects hold on to (the broker config, the registration's epoch, the election): a
/// `Synchronization.Mutex` behind a reference, since a `Mutex` itself cannot be shared or captured.
final class Shared<Value: Sendable>: Sendable {
    private let state: Mutex<Value>

    init(_ value: Value) { state = Mutex(value) }

    /// A copy of the current value.
    var value: Value { state.withLock { $0 } }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        state.withLock { body(&$0) }
    }
}
