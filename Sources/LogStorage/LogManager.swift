#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Wall-clock milliseconds since the epoch.
public let systemClockMillis: @Sendable () -> Int64 = {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

/// Owns the `log.dirs`: broker identity, directory locks, every partition log, the checkpoint files, retention and
/// clean shutdown.
///
/// ```
/// <logDir>/meta.properties                       version=0, broker.id, cluster.id
/// <logDir>/.lock                                 flock while running
/// <logDir>/.kafka_cleanshutdown                  only between a clean shutdown and the next start
/// <logDir>/recovery-point-offset-checkpoint      0\n<n>\n<topic> <partition> <offset>\n…
/// <logDir>/replication-offset-checkpoint         (high watermarks)
/// <logDir>/log-start-offset-checkpoint
/// <logDir>/cleaner-offset-checkpoint
/// <logDir>/<topic>-<partition>/…                 one PartitionLog each
/// ```
/// Thread-safe; all methods block on file I/O and must not run on an event loop.
/// `@unchecked`: its `var`s are guarded by `lock` (a `StateLock`), not yet by a `Mutex<State>` the compiler checks.
public final class LogManager: @unchecked Sendable {
    public static let cleanShutdownFile = ".kafka_cleanshutdown"
    public static let recoveryPointCheckpointFile = "recovery-point-offset-checkpoint"
    public static let highWatermarkCheckpointFile = "replication-offset-checkpoint"
    public static let logStartOffsetCheckpointFile = "log-start-offset-checkpoint"
    public static let cleanerOffsetCheckpointFile = "cleaner-offset-checkpoint"
    public static let metaPropertiesFile = "meta.properties"
    /// The KRaft metadata partition's directory (Kafka's `__cluster_metadata-0`), owned by the Raft layer.
    public static let clusterMetadataDirectory = "__cluster_metadata-0"

    public let logDirs: [String]
    public let brokerId: Int32
    public let clusterId: String
    /// Per log dir: whether `.kafka_cleanshutdown` was found at startup.
    public let hadCleanShutdown: [String: Bool]

    let lock = StateLock()
    private let clock: @Sendable () -> Int64
    private var defaultConfig: LogConfig
    var logs: [TopicPartition: (log: PartitionLog, dirIndex: Int)] = [:]
    /// Per log dir: `cleaner-offset-checkpoint` (the first dirty offset of each compacted log).
    var cleanerOffsets: [[TopicPartition: Int64]]
    /// The log cleaner (see `Cleaner/`); runs on its own queue.
    let cleaner = LogCleaner()
    private var directoryLocks: [FS.DirectoryLock]
    /// Threads that load partitions at start and close them at shutdown.
    let recoveryThreads: Int
    private var isShutDown = false

    /// Locks every directory, checks or writes `meta.properties`, and loads (recovering if needed) every
    /// partition directory found, `recoveryThreads` partitions at a time. On any failure every log opened so far is
    /// dropped (its descriptors closed) and the directory locks released: nothing stays half-open.
    /// - Parameter topicConfig: the effective config of a topic at load time (nil = `defaultConfig`).
    /// - Parameter kraftMode: the directories were formatted for KRaft (`meta.properties` version 1, checked by the
    ///   caller) and may hold `__cluster_metadata-0`, which the Raft layer owns and is not loaded here.
    public init(
        logDirs: [String], brokerId: Int32, clusterId: String, kraftMode: Bool = false,
        defaultConfig: LogConfig = LogConfig(),
        topicConfig: (String) -> LogConfig? = { _ in nil }, clock: @escaping @Sendable () -> Int64 = systemClockMillis,
        recoveryThreads: Int = LogManager.defaultRecoveryThreads
    ) throws(LogError) {
        self.logDirs = logDirs
        self.brokerId = brokerId
        self.clusterId = clusterId
        self.defaultConfig = defaultConfig
        self.clock = clock
        var locks: [FS.DirectoryLock] = []
        var clean: [String: Bool] = [:]
        var cleaner: [[TopicPartition: Int64]] = []
        var jobs: [LoadJob] = []
        var seen = Set<TopicPartition>()
        for (index, dir) in logDirs.enumerated() {
            try FS.makeDirectories(dir)
            locks.append(try FS.DirectoryLock(path: dir + "/.lock"))
            if !kraftMode { try Self.checkOrWriteMetaProperties(dir: dir, brokerId: brokerId, clusterId: clusterId) }
            let wasClean = FS.exists(dir + "/" + Self.cleanShutdownFile)
            clean[dir] = wasClean
            let recoveryPoints = try CheckpointFile.read(dir + "/" + Self.recoveryPointCheckpointFile)
            let highWatermarks = try CheckpointFile.read(dir + "/" + Self.highWatermarkCheckpointFile)
            let logStarts = try CheckpointFile.read(dir + "/" + Self.logStartOffsetCheckpointFile)
            cleaner.append(try CheckpointFile.read(dir + "/" + Self.cleanerOffsetCheckpointFile))
            for name in try FS.list(dir) where FS.isDirectory(dir + "/" + name) {
                if name.hasSuffix("-delete") {
                    try FS.removeRecursively(dir + "/" + name)
                    continue
                }
                guard !name.hasSuffix("-future"), !name.hasSuffix("-stray"), name != Self.clusterMetadataDirectory,
                    let tp = TopicPartition(directoryName: name)
                else { continue }
                if !seen.insert(tp).inserted { throw .duplicateLog(name) }
                jobs.append(
                    LoadJob(
                        directory: dir + "/" + name, topicPartition: tp, dirIndex: index,
                        config: topicConfig(tp.topic) ?? defaultConfig, recoveryPoint: recoveryPoints[tp],
                        logStartOffset: logStarts[tp], highWatermark: highWatermarks[tp], clean: wasClean))
            }
        }
        self.recoveryThreads = max(1, recoveryThreads)
        let loaded = try Self.load(jobs, threads: recoveryThreads, clock: clock)
        for dir in logDirs where clean[dir] == true { try FS.remove(dir + "/" + Self.cleanShutdownFile) }
        directoryLocks = locks
        hadCleanShutdown = clean
        cleanerOffsets = cleaner
        logs = loaded
    }

    // MARK: Loading

    /// Partitions loaded (and closed) at once by default. Most of a partition's load or close is waiting on the
    /// file system (opens, `ftruncate`, the producer snapshot's fsyncs), so this is more than the cores: at least
    /// 8, and 2 per core.
    public static let defaultRecoveryThreads = max(8, 2 * Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// Runs `body(worker)` on `count` dedicated threads and returns when all have finished. Dedicated threads, not
    /// `concurrentPerform`: that one stops at the core count, and this work mostly blocks in system calls.
    static func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        final class Start {
            let body: @Sendable (Int) -> Void
            let worker: Int
            init(_ body: @escaping @Sendable (Int) -> Void, _ worker: Int) {
                self.body = body
                self.worker = worker
            }
        }
        var threads: [pthread_t] = []
        for worker in 0..<max(1, count) {
            let start = Unmanaged.passRetained(Start(body, worker)).toOpaque()
            var thread = pthread_t()
            let rc = pthread_create(
                &thread, nil,
                { argument in
                    guard let argument else { return nil }
                    let start = Unmanaged<Start>.fromOpaque(argument).takeRetainedValue()
                    start.body(start.worker)
                    return nil
                }, start)
            if rc == 0 {
                threads.append(thread)
            } else {
                let start = Unmanaged<Start>.fromOpaque(start).takeRetainedValue()
                start.body(start.worker)  // no thread to be had: do this worker's share here
            }
        }
        for thread in threads { pthread_join(thread, nil) }
    }

    struct LoadJob: Sendable {
        var directory: String
        var topicPartition: TopicPartition
        var dirIndex: Int
        var config: LogConfig
        var recoveryPoint: Int64?
        var logStartOffset: Int64?
        var highWatermark: Int64?
        var clean: Bool
    }

    /// Opens the partitions on `threads` workers (each takes the next job until none is left). After a failure no
    /// new job starts and the first error is thrown; the logs already opened are released with it.
    static func load(_ jobs: [LoadJob], threads: Int, clock: @escaping @Sendable () -> Int64) throws(LogError)
        -> [TopicPartition: (log: PartitionLog, dirIndex: Int)]
    {
        final class Results: @unchecked Sendable {
            let lock = StateLock()
            var next = 0
            var logs: [TopicPartition: (log: PartitionLog, dirIndex: Int)] = [:]
            var firstError: LogError?
        }
        let results = Results()
        let workers = max(1, min(threads, jobs.count))
        onThreads(workers) { _ in
            while true {
                let index: Int? = results.lock.withLock {
                    guard results.firstError == nil, results.next < jobs.count else { return nil }
                    results.next += 1
                    return results.next - 1
                }
                guard let index else { return }
                let job = jobs[index]
                do throws(LogError) {
                    let log = try PartitionLog(
                        directory: job.directory, topicPartition: job.topicPartition, config: job.config,
                        recoveryPoint: job.recoveryPoint, logStartOffset: job.logStartOffset,
                        highWatermark: job.highWatermark, hadCleanShutdown: job.clean, clock: clock)
                    results.lock.withLock { results.logs[job.topicPartition] = (log, job.dirIndex) }
                } catch {
                    results.lock.withLock { if results.firstError == nil { results.firstError = error } }
                }
            }
        }
        if let error = results.firstError { throw error }
        return results.logs
    }

    // MARK: meta.properties

    static func checkOrWriteMetaProperties(dir: String, brokerId: Int32, clusterId: String) throws(LogError) {
        let path = dir + "/" + metaPropertiesFile
        if let bytes = try FS.readFile(path) {
            let meta = try BrokerMetadata.decode(bytes, path: path)
            if meta.brokerId != brokerId {
                throw .inconsistentBrokerId(directory: dir, found: meta.brokerId, expected: brokerId)
            }
            if let found = meta.clusterId {
                if found != clusterId {
                    throw .inconsistentClusterId(directory: dir, found: found, expected: clusterId)
                }
                return
            }
        }
        let meta = BrokerMetadata(brokerId: brokerId, clusterId: clusterId)
        try FS.writeAtomically(path, meta.encode(dateComment: javaDateString(systemClockMillis())))
    }

    /// `Tue Jun 20 10:00:00 UTC 2023`, the shape of Java's `Date.toString()` that Properties files start with.
    static func javaDateString(_ millis: Int64) -> String {
        var seconds = time_t(millis / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let n = strftime(&buffer, buffer.count, "%a %b %d %H:%M:%S UTC %Y", &parts)
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Logs

    /// The partition's log, creating it (in the log dir holding the fewest partitions) if needed.
    public func getOrCreateLog(topic: String, partition: Int32, config: LogConfig? = nil) throws(LogError)
        -> PartitionLog
    {
        try Self.validateTopic(topic)
        guard partition >= 0 else { throw .invalidTopic("negative partition \(partition)") }
        let tp = TopicPartition(topic: topic, partition: partition)
        return try lock.withLock { () throws(LogError) -> PartitionLog in
            if isShutDown { throw .logClosed("log manager is shut down") }
            if let existing = logs[tp] { return existing.log }
            var counts = [Int](repeating: 0, count: logDirs.count)
            for entry in logs.values { counts[entry.dirIndex] += 1 }
            guard let dirIndex = counts.indices.min(by: { counts[$0] < counts[$1] }) else {
                throw .io("no log directories configured")
            }
            let log = try PartitionLog(
                directory: logDirs[dirIndex] + "/" + tp.directoryName, topicPartition: tp,
                config: config ?? defaultConfig, hadCleanShutdown: true, clock: clock)
            logs[tp] = (log, dirIndex)
            DescriptorCache.shared.fitCapacity(partitions: logs.count)
            return log
        }
    }

    public func log(topic: String, partition: Int32) -> PartitionLog? {
        lock.withLock { logs[TopicPartition(topic: topic, partition: partition)]?.log }
    }

    public var allLogs: [PartitionLog] {
        lock.withLock { logs.keys.sorted().compactMap { logs[$0]?.log } }
    }

    /// The log dir that holds the partition.
    public func logDir(topic: String, partition: Int32) -> String? {
        lock.withLock { logs[TopicPartition(topic: topic, partition: partition)].map { logDirs[$0.dirIndex] } }
    }

    /// Deletes a partition's log: the directory is renamed to `<topic>-<partition>.<32 hex>-delete` (so a crash
    /// mid-delete finishes at the next start), the log is closed, then the directory is removed. Readers holding
    /// file slices keep their open files. Returns false when there was no such log.
    @discardableResult
    public func deleteLog(topic: String, partition: Int32) throws(LogError) -> Bool {
        let tp = TopicPartition(topic: topic, partition: partition)
        guard let entry = lock.withLock({ logs.removeValue(forKey: tp) }) else { return false }
        let parent = logDirs[entry.dirIndex]
        let source = parent + "/" + tp.directoryName
        let target = parent + "/" + tp.directoryName + "." + Self.randomHex32() + "-delete"
        entry.log.markDeleted(newDirectory: target)
        try FS.rename(source, target)
        FS.syncDirectory(parent)
        try FS.removeRecursively(target)
        return true
    }

    static func randomHex32() -> String {
        var text = ""
        for _ in 0..<2 {
            let hex = String(UInt64.random(in: .min ... .max), radix: 16)
            text += String(repeating: "0", count: 16 - hex.count) + hex
        }
        return text
    }

    /// Kafka's topic-name rule: 1–249 of `[a-zA-Z0-9._-]`, not `.` or `..`.
    static func validateTopic(_ topic: String) throws(LogError) {
        guard !topic.isEmpty, topic.utf8.count <= 249, topic != ".", topic != ".." else {
            throw .invalidTopic(topic)
        }
        for c in topic.utf8 {
            let ok =
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2E
                || c == 0x5F || c == 0x2D
            if !ok { throw .invalidTopic(topic) }
        }
    }

    // MARK: Background work

    /// Applies retention to every log (see `PartitionLog.applyRetention`). Returns the segments deleted.
    @discardableResult
    public func runRetention(now: Int64) throws(LogError) -> Int {
        var total = 0
        for log in allLogs {
            do {
                total += try log.applyRetention(now: now)
            } catch .logClosed {
                continue  // deleted meanwhile
            }
        }
        return total
    }

    /// Kafka's periodic flush plus the recovery-point and log-start-offset checkpoints.
    public func flushAndCheckpoint(now: Int64) throws(LogError) {
        for log in allLogs {
            do {
                try log.flushIfNeeded(now: now)
            } catch .logClosed {
                continue
            }
        }
        try checkpointRecoveryPointsAndLogStartOffsets()
    }

    /// Writes `replication-offset-checkpoint` in every log dir.
    public func checkpointHighWatermarks() throws(LogError) {
        for (index, dir) in logDirs.enumerated() {
            let entries = entries(in: index) { $0.highWatermark }
            try CheckpointFile.write(dir + "/" + Self.highWatermarkCheckpointFile, entries)
        }
    }

    /// Writes `recovery-point-offset-checkpoint`, `log-start-offset-checkpoint` and `cleaner-offset-checkpoint`.
    public func checkpointRecoveryPointsAndLogStartOffsets() throws(LogError) {
        for (index, dir) in logDirs.enumerated() {
            try CheckpointFile.write(
                dir + "/" + Self.recoveryPointCheckpointFile, entries(in: index) { $0.recoveryPoint })
            let starts = entries(in: index) { log -> Int64? in
                let start = log.logStartOffset
                return start > (log.segmentBaseOffsets.first ?? start) ? start : nil
            }
            try CheckpointFile.write(dir + "/" + Self.logStartOffsetCheckpointFile, starts)
            let cleaner: [(TopicPartition, Int64)] = lock.withLock {
                cleanerOffsets[index].filter { logs[$0.key] != nil }.sorted { $0.key < $1.key }.map {
                    ($0.key, $0.value)
                }
            }
            if !cleaner.isEmpty || FS.exists(dir + "/" + Self.cleanerOffsetCheckpointFile) {
                try CheckpointFile.write(dir + "/" + Self.cleanerOffsetCheckpointFile, cleaner)
            }
        }
    }

    private func entries(in dirIndex: Int, _ value: (PartitionLog) -> Int64?) -> [(TopicPartition, Int64)] {
        let members = lock.withLock { logs.filter { $0.value.dirIndex == dirIndex }.map { ($0.key, $0.value.log) } }
        return members.sorted { $0.0 < $1.0 }.compactMap { tp, log in value(log).map { (tp, $0) } }
    }

    /// Clean shutdown: every log flushed, indexes trimmed, producer snapshots written; all checkpoints written;
    /// `.kafka_cleanshutdown` created in every log dir whose logs all closed cleanly; directory locks released.
    public func shutdown() throws(LogError) {
        cleaner.stop()
        final class Outcome: @unchecked Sendable {
            let lock = StateLock()
            var next = 0
            var failedDirs = Set<Int>()
            var firstError: LogError?
        }
        let all: [(TopicPartition, PartitionLog, Int)] = lock.withLock {
            if isShutDown { return [] }
            isShutDown = true
            return logs.map { ($0.key, $0.value.log, $0.value.dirIndex) }
        }
        // Each close fsyncs the producer snapshot and its directory: on the recovery pool, so 10,000 partitions do
        // not take 10,000 fsync latencies one after another.
        let outcome = Outcome()
        Self.onThreads(min(recoveryThreads, all.count)) { _ in
            while true {
                let index: Int? = outcome.lock.withLock {
                    guard outcome.next < all.count else { return nil }
                    outcome.next += 1
                    return outcome.next - 1
                }
                guard let index else { return }
                let (_, log, dirIndex) = all[index]
                do throws(LogError) {
                    try log.close()
                } catch {
                    outcome.lock.withLock {
                        outcome.failedDirs.insert(dirIndex)
                        if outcome.firstError == nil { outcome.firstError = error }
                    }
                }
            }
        }
        let failedDirs = outcome.failedDirs
        let firstError = outcome.firstError
        try checkpointHighWatermarks()
        try checkpointRecoveryPointsAndLogStartOffsets()
        for (index, dir) in logDirs.enumerated() where !failedDirs.contains(index) {
            try FS.writeAtomically(dir + "/" + Self.cleanShutdownFile, [])
        }
        for dirLock in directoryLocks { dirLock.release() }
        directoryLocks = []
        if let firstError { throw firstError }
    }
}
