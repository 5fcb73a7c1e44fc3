import Synchronization

/// A settable clock in milliseconds for code that takes an injected `() -> Int64` clock.
public final class TestClock: Sendable {
    private let value: Mutex<Int64>

    public init(_ start: Int64 = 1_700_000_000_000) { value = Mutex(start) }

    public var now: Int64 {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }

    /// The clock as a closure.
    public var function: @Sendable () -> Int64 { { [self] in self.now } }
}
