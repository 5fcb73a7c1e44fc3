#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Settings tests read from the environment.
public enum TestEnvironment {
    /// A non-empty environment variable, or nil.
    public static func value(_ name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        let value = String(cString: raw)
        return value.isEmpty ? nil : value
    }

    /// The ZooKeeper connect string of `NEEDLETAIL_TEST_ZK` (e.g. from `tools/zookeeper start --dir /tmp/zk
    /// --port 2181`); live ZooKeeper tests run only when it is set.
    public static let zooKeeper: String? = value("NEEDLETAIL_TEST_ZK")
}
