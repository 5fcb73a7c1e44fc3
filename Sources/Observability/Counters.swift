import Synchronization

/// One relaxed atomic integer: the unit of recording on the request path (no lock, no allocation).
public final class AtomicCounter: Sendable {
    private let cell = Atomic<Int64>(0)

    public init() {}

    @inline(__always)
    public func add(_ n: Int64 = 1) { cell.wrappingAdd(n, ordering: .relaxed) }

    public var value: Int64 { cell.load(ordering: .relaxed) }
}

/// A latency distribution with fixed exponential buckets (upper bounds 0.125 ms · 2^k, k = 0…19, then +Inf), counted
/// with atomics. Recording is one bucket search over 21 bounds and three relaxed adds; quantiles are estimated at
/// scrape time by interpolating inside the bucket that holds them (within a factor of two, as Kafka's own sampled
/// histograms are approximations too).
public final class LatencyHistogram: Sendable {
    /// Upper bounds in microseconds.
    public static let boundsMicros: [Int64] = (0..<20).map { Int64(125) << $0 }
    private let buckets: [AtomicCounter]
    private let count = AtomicCounter()
    private let sumMicros = AtomicCounter()

    public init() {
        buckets = (0...Self.boundsMicros.count).map { _ in AtomicCounter() }
    }

    public func record(micros: Int64) {
        let m = max(0, micros)
        var i = 0
        while i < Self.boundsMicros.count, m > Self.boundsMicros[i] { i += 1 }
        buckets[i].add()
        count.add()
        sumMicros.add(m)
    }

    /// What a scrape reads: per-bucket counts, total count, sum.
    public var snapshot: Snapshot {
        Snapshot(buckets: buckets.map(\.value), count: count.value, sumMicros: sumMicros.value)
    }

    public struct Snapshot: Sendable, Equatable {
        public var buckets: [Int64]
        public var count: Int64
        public var sumMicros: Int64

        public init(buckets: [Int64], count: Int64, sumMicros: Int64) {
            self.buckets = buckets
            self.count = count
            self.sumMicros = sumMicros
        }

        /// The `q` quantile in milliseconds, linearly interpolated inside its bucket; 0 with no samples.
        public func quantileMillis(_ q: Double) -> Double {
            let total = buckets.reduce(0, +)
            guard total > 0 else { return 0 }
            let rank = q * Double(total)
            var seen: Int64 = 0
            for (i, n) in buckets.enumerated() where n > 0 {
                if Double(seen + n) >= rank {
                    let lower = i == 0 ? 0 : Double(LatencyHistogram.boundsMicros[i - 1])
                    let upper =
                        i < LatencyHistogram.boundsMicros.count
                        ? Double(LatencyHistogram.boundsMicros[i]) : lower * 2
                    let within = max(0, min(1, (rank - Double(seen)) / Double(n)))
                    return (lower + (upper - lower) * within) / 1000
                }
                seen += n
            }
            return Double(LatencyHistogram.boundsMicros.last!) / 1000
        }
    }
}
