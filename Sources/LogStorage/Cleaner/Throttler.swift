/// Kafka's cleaner throttle (`log.cleaner.io.max.bytes.per.second`): the cleaner reports the bytes it reads and
/// writes; once a check interval (300 ms) has passed, if the rate over it was above the limit, the cleaner's
/// thread sleeps long enough to bring the interval's average down to it. A value, with the clock passed in, so it
/// is tested without sleeping; the cleaner's dedicated queue does the actual sleep.
struct Throttler: Sendable {
    static let checkIntervalNanos: UInt64 = 300_000_000

    /// Bytes per second; infinite or `Double.greatestFiniteMagnitude` (Kafka's default) means no limit.
    var bytesPerSecond: Double
    private var periodStart: UInt64
    private var observed: Double = 0

    init(bytesPerSecond: Double, now: UInt64) {
        self.bytesPerSecond = bytesPerSecond
        self.periodStart = now
    }

    var isUnlimited: Bool { !(bytesPerSecond > 0) || bytesPerSecond >= Double.greatestFiniteMagnitude }

    /// Records `bytes` of I/O at `now` (nanoseconds); returns how long to sleep (nanoseconds, 0 for none).
    mutating func observe(_ bytes: Int, now: UInt64) -> UInt64 {
        guard !isUnlimited else { return 0 }
        observed += Double(bytes)
        let elapsed = now &- periodStart
        guard elapsed > Self.checkIntervalNanos, observed > 0 else { return 0 }
        let rate = observed * 1e9 / Double(elapsed)
        var sleep: UInt64 = 0
        if rate > bytesPerSecond {
            // The time the observed bytes should have taken at the limit, minus the time they did take.
            let due = observed / bytesPerSecond * 1e9 - Double(elapsed)
            if due > 0 { sleep = UInt64(due) }
        }
        periodStart = now &+ sleep
        observed = 0
        return sleep
    }
}
