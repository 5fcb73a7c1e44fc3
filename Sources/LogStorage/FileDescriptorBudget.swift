#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// How many file descriptors the logs need, and the process's `RLIMIT_NOFILE`.
///
/// Each partition keeps one descriptor (its active segment's `.log`); indexes are mapped and hold none; older
/// segments borrow descriptors from `DescriptorCache`. The broker checks the budget before it opens any log, so a
/// limit that is too low stops it with one line instead of failing half-way through loading.
public enum FileDescriptorBudget {
    /// Descriptors kept for everything but the active segments: listener and client sockets, ZooKeeper,
    /// controller and replica-fetcher connections, checkpoint and snapshot writes, and the smallest useful cache
    /// of older segments' `.log` files.
    public static let reserve = 256

    /// Raises the soft `RLIMIT_NOFILE` to the hard limit (an infinite hard limit: to 1,048,576, Linux's default
    /// `fs.nr_open`). Returns the limits in force afterwards.
    public static func raiseSoftLimit() -> (soft: Int, hard: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (0, 0) }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) != 0, limit.rlim_max == rlim_t.max {
                // RLIM_INFINITY (all ones; its C macro does not import): Linux refuses values above fs.nr_open, whose
                // default is 1,048,576.
                raised.rlim_cur = 1_048_576
                _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised)
            }
            _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return (clamp(limit.rlim_cur), clamp(limit.rlim_max))
    }

    /// `<topic>-<partition>` directories under the log dirs: the logs the broker will open at start.
    public static func partitionDirectories(in logDirs: [String]) -> Int {
        var count = 0
        for dir in logDirs {
            guard let names = try? FS.list(dir) else { continue }
            for name in names
            where !name.hasSuffix("-delete") && !name.hasSuffix("-future") && !name.hasSuffix("-stray") {
                if TopicPartition(directoryName: name) != nil && FS.isDirectory(dir + "/" + name) { count += 1 }
            }
        }
        return count
    }

    /// Descriptors needed to run with `partitions` local logs.
    public static func required(partitions: Int) -> Int { partitions + reserve }

    /// How many older segments may keep their `.log` open within `limit`: half of what the active segments and
    /// the reserve leave, between 16 and 4,096.
    public static func cacheCapacity(limit: Int, partitions: Int) -> Int {
        max(16, min(4096, (limit - required(partitions: partitions)) / 2))
    }

    private static func clamp(_ value: rlim_t) -> Int {
        value > rlim_t(Int.max) ? Int.max : Int(value)
    }
}
