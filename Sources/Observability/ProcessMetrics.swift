#if canImport(Glibc)
    import Glibc
#endif

/// `process_*` families as the Prometheus client libraries define them, read from `/proc/self` at scrape time.
/// Honest process figures only: a Swift broker has no JVM, so no `jvm_*` series are ever invented.
public enum ProcessMetrics {
    public static func write(into out: inout MetricsText) {
        #if os(Linux)
            let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
            if let stat = read("/proc/self/stat"), let close = stat.lastIndex(of: ")") {
                // Fields after "(comm)": state is field 3; utime 14, stime 15, starttime 22 (1-based, in clock ticks).
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                if fields.count > 19, let utime = Double(fields[11]), let stime = Double(fields[12]),
                    let start = Double(fields[19])
                {
                    out.family(
                        "process_cpu_seconds_total", .counter, help: "Total user and system CPU time spent in seconds.",
                        [Sample((utime + stime) / ticks)])
                    if let boot = bootTime() {
                        out.family(
                            "process_start_time_seconds", .gauge,
                            help: "Start time of the process since unix epoch in seconds.",
                            [Sample(boot + start / ticks)])
                    }
                }
            }
            if let statm = read("/proc/self/statm") {
                let parts = statm.split(separator: " ")
                if parts.count > 1, let rss = Double(parts[1]) {
                    out.family(
                        "process_resident_memory_bytes", .gauge, help: "Resident memory size in bytes.",
                        [Sample(rss * Double(sysconf(Int32(_SC_PAGESIZE))))])
                }
                if let vsz = parts.first.flatMap({ Double($0) }) {
                    out.family(
                        "process_virtual_memory_bytes", .gauge, help: "Virtual memory size in bytes.",
                        [Sample(vsz * Double(sysconf(Int32(_SC_PAGESIZE))))])
                }
            }
            if let fds = openDescriptors() {
                out.family("process_open_fds", .gauge, help: "Number of open file descriptors.", [Sample(Int64(fds))])
            }
            var limit = rlimit()
            if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
                out.family(
                    "process_max_fds", .gauge, help: "Maximum number of open file descriptors.",
                    [Sample(Double(limit.rlim_cur))])
            }
        #endif
    }

    #if os(Linux)
        private static func read(_ path: String) -> String? {
            guard let f = fopen(path, "r") else { return nil }
            defer { fclose(f) }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = fread(&buffer, 1, buffer.count, f)
                if n <= 0 { break }
                bytes += buffer[0..<n]
            }
            return String(decoding: bytes, as: UTF8.self)
        }

        private static func bootTime() -> Double? {
            guard let stat = read("/proc/stat") else { return nil }
            for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
                return Double(line.dropFirst(6).trimmingPrefix(" "))
            }
            return nil
        }

        /// Entries of /proc/self/fd, minus the descriptor opendir itself holds.
        private static func openDescriptors() -> Int? {
            guard let dir = opendir("/proc/self/fd") else { return nil }
            defer { closedir(dir) }
            var n = 0
            // Only "." and ".." start with a dot; no String per entry (a broker can hold tens of thousands).
            while let entry = readdir(dir) {
                if entry.pointee.d_name.0 != CChar(UInt8(ascii: ".")) { n += 1 }
            }
            return max(0, n - 1)
        }
    #endif
}
