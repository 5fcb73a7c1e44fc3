import CZooKeeper
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// libzookeeper's own log lines. The C client reports every failed reconnect attempt at ERROR level, several
/// times a second per server while an ensemble is unreachable; those lines go to one sink (the broker's logger,
/// or stderr until one is routed) and repeats are throttled: the first line of a burst passes, then at most one
/// line per `ZooKeeperLogging.intervalMs`, carrying the count of lines held back.
public enum ZooKeeperLogging {
    /// At most one libzookeeper line per this many milliseconds after the first of a burst.
    public static let intervalMs: UInt64 = 10_000

    private struct State {
        var sink: @Sendable (String) -> Void = { line in
            var bytes = Array((line + "\n").utf8)
            _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
        }
        var throttle = LogThrottle(intervalMs: ZooKeeperLogging.intervalMs)
    }
    private static let state = Mutex(State())

    private static let configured: Void = {
        zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR)
    }()

    static func configureOnce() { _ = configured }

    /// Sends libzookeeper's lines to `sink` (called on libzookeeper's threads, one line at a time).
    public static func route(to sink: @escaping @Sendable (String) -> Void) {
        state.withLock { $0.sink = sink }
    }

    /// The callback handed to `zookeeper_init2`.
    static let callback: log_callback_fn = { message in
        guard let message else { return }
        ZooKeeperLogging.receive(String(cString: message), nowMs: monotonicMilliseconds())
    }

    static func receive(_ raw: String, nowMs: UInt64) {
        let (sink, line): (@Sendable (String) -> Void, String?) = state.withLock { s in
            switch s.throttle.admit(nowMs: nowMs) {
            case .drop: return (s.sink, nil)
            case .emit(let heldBack):
                let text = "libzookeeper: " + stripPrefix(raw)
                return (s.sink, heldBack > 0 ? "\(text) (\(heldBack) similar lines held back)" : text)
            }
        }
        if let line { sink(line) }
    }

    /// Drops libzookeeper's own "date:pid(thread):ZOO_LEVEL@function@line: " prefix; the sink adds its own.
    static func stripPrefix(_ raw: String) -> String {
        let text = raw.hasSuffix("\n") ? raw.dropLast() : Substring(raw)
        guard let level = text.firstRange(of: "):ZOO_"), let end = text[level.upperBound...].firstRange(of: ": ")
        else { return String(text) }
        return String(text[end.upperBound...])
    }

    private static func monotonicMilliseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }
}

/// Lets the first line of a burst through, then one line per interval, counting the lines it drops.
struct LogThrottle: Sendable {
    enum Decision: Equatable {
        /// Write the line; `heldBack` lines were dropped since the previous written one.
        case emit(heldBack: Int)
        case drop
    }

    let intervalMs: UInt64
    private var lastEmitMs: UInt64?
    private var heldBack = 0

    init(intervalMs: UInt64) { self.intervalMs = intervalMs }

    mutating func admit(nowMs: UInt64) -> Decision {
        if let last = lastEmitMs, nowMs < last + intervalMs {
            heldBack += 1
            return .drop
        }
        lastEmitMs = nowMs
        defer { heldBack = 0 }
        return .emit(heldBack: heldBack)
    }
}
