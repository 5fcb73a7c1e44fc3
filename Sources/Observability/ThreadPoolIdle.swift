#if canImport(Glibc)
    import Glibc
#endif

/// Kafka's `NetworkProcessorAvgIdlePercent` and `RequestHandlerAvgIdlePercent` for a broker without Kafka's thread
/// pools, measured from per-thread CPU time in `/proc/self/task/*/stat` between two scrapes:
/// - network processors are SwiftNIO's event-loop threads (named `NIO-ELT-…`), which read, frame and write every
///   connection, as Kafka's processor threads do;
/// - request handlers are Swift concurrency's cooperative pool (Dispatch's `com.apple.root.*-qos` worker threads,
///   at most one per core), where every API handler runs, as on Kafka's `KafkaRequestHandler` threads.
/// Idle is the share of the pool's capacity (threads × wall time) not spent on a CPU. A handler awaiting a
/// replica or a long-poll Fetch is suspended, not running, so it counts as idle, as a Kafka request parked in
/// purgatory frees its handler thread. The first scrape covers the time since the process started.
public struct ThreadPoolIdle: Sendable {
    public struct Fractions: Sendable, Equatable {
        /// 0…1, Kafka's `NetworkProcessorAvgIdlePercent` (a fraction despite its name, as in Kafka).
        public var networkProcessors: Double
        /// 0…1, Kafka's `RequestHandlerAvgIdlePercent`.
        public var requestHandlers: Double
    }

    /// CPU seconds so far of one pool's threads, and how many threads it has.
    public struct PoolTime: Sendable, Equatable {
        public var cpuSeconds: Double
        public var threads: Int

        public init(cpuSeconds: Double, threads: Int) {
            self.cpuSeconds = cpuSeconds
            self.threads = threads
        }
    }

    /// One reading: wall clock (seconds since the process started) and both pools' CPU time.
    public struct Reading: Sendable, Equatable {
        public var uptimeSeconds: Double
        public var network: PoolTime
        public var handlers: PoolTime

        public init(uptimeSeconds: Double, network: PoolTime, handlers: PoolTime) {
            self.uptimeSeconds = uptimeSeconds
            self.network = network
            self.handlers = handlers
        }
    }

    private var last: Reading?
    /// The request handler pool's width: Swift's cooperative pool runs at most one thread per core.
    public let handlerCapacity: Int

    public init(handlerCapacity: Int) { self.handlerCapacity = max(1, handlerCapacity) }

    /// The idle fractions since the previous reading (or since start), then remembers `now`.
    public mutating func update(_ now: Reading) -> Fractions {
        let before =
            last
            ?? Reading(
                uptimeSeconds: 0, network: PoolTime(cpuSeconds: 0, threads: now.network.threads),
                handlers: PoolTime(cpuSeconds: 0, threads: now.handlers.threads))
        last = now
        let wall = now.uptimeSeconds - before.uptimeSeconds
        func idle(_ cpu: Double, capacity: Int) -> Double {
            guard wall > 0, capacity > 0 else { return 1 }
            return min(1, max(0, 1 - cpu / (wall * Double(capacity))))
        }
        return Fractions(
            networkProcessors: idle(
                now.network.cpuSeconds - before.network.cpuSeconds, capacity: max(1, now.network.threads)),
            requestHandlers: idle(now.handlers.cpuSeconds - before.handlers.cpuSeconds, capacity: handlerCapacity))
    }

    /// Which pool a thread belongs to, by its name (`comm`, cut to 15 bytes by Linux).
    public enum Pool: Sendable, Equatable {
        case network
        case handlers
        case other
    }

    public static func pool(ofThreadNamed name: some StringProtocol) -> Pool {
        if name.hasPrefix("NIO-ELT-") { return .network }
        // "com.apple.root.default-qos" and its siblings, cut to their last 15 bytes ("oot.default-qos"); the
        // ".overcommit" queues run blocking work off the cooperative pool and are not handlers.
        if name.hasSuffix("-qos") { return .handlers }
        return .other
    }

    #if os(Linux)
        /// Reads every thread of this process (nil when /proc is not readable).
        public static func read() -> Reading? {
            let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
            guard let dir = opendir("/proc/self/task") else { return nil }
            defer { closedir(dir) }
            var network = PoolTime(cpuSeconds: 0, threads: 0)
            var handlers = PoolTime(cpuSeconds: 0, threads: 0)
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                guard !name.hasPrefix("."), let stat = file("/proc/self/task/\(name)/stat"),
                    let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
                else { continue }
                let comm = stat[stat.index(after: open)..<close]
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                guard fields.count > 12, let utime = Double(fields[11]), let stime = Double(fields[12]) else {
                    continue
                }
                let cpu = (utime + stime) / ticks
                switch pool(ofThreadNamed: comm) {
                case .network:
                    network.cpuSeconds += cpu
                    network.threads += 1
                case .handlers:
                    handlers.cpuSeconds += cpu
                    handlers.threads += 1
                case .other: break
                }
            }
            guard let uptime = processUptime(ticks: ticks) else { return nil }
            return Reading(uptimeSeconds: uptime, network: network, handlers: handlers)
        }

        private static func processUptime(ticks: Double) -> Double? {
            guard let stat = file("/proc/self/stat"), let close = stat.lastIndex(of: ")"),
                let system = file("/proc/uptime")?.split(separator: " ").first.flatMap({ Double($0) })
            else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 19, let start = Double(fields[19]) else { return nil }
            return system - start / ticks
        }

        private static func file(_ path: String) -> String? {
            guard let f = fopen(path, "r") else { return nil }
            defer { fclose(f) }
            var buffer = [UInt8](repeating: 0, count: 1024)
            let n = fread(&buffer, 1, buffer.count, f)
            return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
        }
    #else
        public static func read() -> Reading? { nil }
    #endif
}
