import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Kafka's log cleaner for `cleanup.policy=compact` logs (one cleaner thread).
///
/// Each pass looks at every compacted log, cleans those whose dirty ratio is above `min.cleanable.dirty.ratio`
/// (or whose `max.compaction.lag.ms` has passed, or whose kept tombstones have reached their delete horizon),
/// dirtiest first, and records the new first dirty offsets in `cleaner-offset-checkpoint`. Passes run on a
/// dedicated dispatch queue — never on an event loop or the Swift concurrency pool — and one at a time; after a
/// pass that cleaned nothing the next waits `log.cleaner.backoff.ms`.
final class LogCleaner: Sendable {
    private struct State {
        var running = false
        var stopped = false
        var lastPassEnd: Int64?
        var lastPassCleaned = false
        /// Earliest delete horizon of a tombstone a log still keeps: the log is cleanable again from then on.
        var deleteHorizons: [TopicPartition: Int64] = [:]
        var throttler = Throttler(bytesPerSecond: .greatestFiniteMagnitude, now: DispatchTime.now().uptimeNanoseconds)
    }
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "needletail.log-cleaner")

    init() {}

    /// Sets `log.cleaner.io.max.bytes.per.second` (read at the start of every pass, so it changes live).
    func setIoLimit(bytesPerSecond: Double) { state.withLock { $0.throttler.bytesPerSecond = bytesPerSecond } }

    /// Counts cleaner I/O and sleeps the calling (cleaner) thread when it runs above the limit.
    func throttle(_ bytes: Int) {
        let pause = state.withLock { $0.throttler.observe(bytes, now: DispatchTime.now().uptimeNanoseconds) }
        guard pause > 0 else { return }
        var remaining = pause
        // Sleep in slices, so `stop()` (shutdown) is not held up by a long throttle sleep.
        while remaining > 0 && !isStopped {
            let slice = min(remaining, 100_000_000)
            var ts = timespec(tv_sec: 0, tv_nsec: Int(slice))
            nanosleep(&ts, nil)
            remaining -= slice
        }
    }

    /// Starts a pass on the cleaner queue unless one is running or the backoff has not passed.
    func startPassIfDue(now: Int64, backoffMs: Int64, _ pass: @escaping @Sendable () -> Bool) {
        let start: Bool = state.withLock { s in
            guard !s.running, !s.stopped, s.lastPassCleaned || now - (s.lastPassEnd ?? now - backoffMs) >= backoffMs
            else { return false }
            s.running = true
            return true
        }
        guard start else { return }
        queue.async {
            let cleaned = pass()
            self.state.withLock { s in
                s.running = false
                s.lastPassCleaned = cleaned
                s.lastPassEnd = systemClockMillis()
            }
        }
    }

    /// Returns once the pass started so far (if any) has finished (tests).
    func waitUntilIdle() { queue.sync {} }

    /// No new passes; a running pass stops after the log it is cleaning. Returns when it has.
    func stop() {
        state.withLock { $0.stopped = true }
        queue.sync {}
    }

    var isStopped: Bool { state.withLock { $0.stopped } }

    func deleteHorizon(of tp: TopicPartition) -> Int64? { state.withLock { $0.deleteHorizons[tp] } }

    func setDeleteHorizon(_ horizon: Int64?, for tp: TopicPartition) {
        state.withLock { $0.deleteHorizons[tp] = horizon }
    }
}

extension LogManager {
    /// The first dirty offset recorded for a log in `cleaner-offset-checkpoint`, if any.
    public func cleanerCheckpoint(topic: String, partition: Int32) -> Int64? {
        let tp = TopicPartition(topic: topic, partition: partition)
        return lock.withLock { logs[tp].flatMap { cleanerOffsets[$0.dirIndex][tp] } }
    }

    /// Runs one cleaner pass on the calling thread (blocking file I/O; tests and the cleaner queue).
    /// `dedupeBufferBytes` bounds the key map (`log.cleaner.dedupe.buffer.size`).
    /// `ioMaxBytesPerSecond` is `log.cleaner.io.max.bytes.per.second` (default: no limit).
    @discardableResult
    public func cleanLogs(
        now: Int64, dedupeBufferBytes: Int = 128 << 20, ioMaxBytesPerSecond: Double = .greatestFiniteMagnitude
    ) -> CleanerStats {
        cleaner.setIoLimit(bytesPerSecond: ioMaxBytesPerSecond)
        var candidates: [(log: PartitionLog, plan: CleaningPlan)] = []
        for log in allLogs {
            let tp = log.topicPartition
            guard
                let plan = log.cleaningPlan(
                    checkpoint: cleanerCheckpoint(topic: tp.topic, partition: tp.partition), now: now)
            else { continue }
            let horizonDue = cleaner.deleteHorizon(of: tp).map { now >= $0 } ?? false
            let ratioDue = plan.dirtyBytes > 0 && plan.dirtyRatio > plan.config.compaction.minCleanableDirtyRatio
            let lagDue = plan.dirtyBytes > 0 && plan.overdue
            if ratioDue || lagDue || horizonDue { candidates.append((log, plan)) }
        }
        candidates.sort { $0.plan.dirtyRatio > $1.plan.dirtyRatio }
        var stats = CleanerStats()
        for (log, plan) in candidates {
            if cleaner.isStopped { break }
            let tp = log.topicPartition
            do {
                let outcome = try log.clean(
                    plan, now: now, mapBudgetBytes: dedupeBufferBytes, throttle: cleaner.throttle)
                stats.add(outcome.stats)
                cleaner.setDeleteHorizon(outcome.earliestDeleteHorizon, for: tp)
                lock.withLock {
                    if let entry = logs[tp], entry.log === log {
                        cleanerOffsets[entry.dirIndex][tp] = outcome.cleanedUpTo
                    }
                }
            } catch .logClosed {
                continue  // deleted or shut down meanwhile
            } catch {
                stats.failures.append("\(tp.directoryName): \(error)")
            }
        }
        if stats.cleanedLogs > 0 {
            do {
                try writeCleanerCheckpoints()
            } catch {
                stats.failures.append("cleaner-offset-checkpoint: \(error)")
            }
        }
        return stats
    }

    /// The broker's maintenance loop calls this every tick: with `log.cleaner.enable`, starts a cleaner pass on
    /// the cleaner's own queue when none is running and `log.cleaner.backoff.ms` has passed since a pass that
    /// found nothing to clean. `report` receives a line per pass that did something, and failures.
    public func cleanLogsIfDue(
        now: Int64, enabled: Bool, backoffMs: Int64, dedupeBufferBytes: Int,
        ioMaxBytesPerSecond: Double = .greatestFiniteMagnitude, report: @escaping @Sendable (String) -> Void
    ) {
        guard enabled else { return }
        cleaner.startPassIfDue(now: now, backoffMs: backoffMs) { [self] in
            let stats = cleanLogs(
                now: systemClockMillis(), dedupeBufferBytes: dedupeBufferBytes, ioMaxBytesPerSecond: ioMaxBytesPerSecond
            )
            if stats.cleanedLogs > 0 { report("Log cleaner \(stats.summary)") }
            for failure in stats.failures { report("Log cleaner: \(failure)") }
            return stats.cleanedLogs > 0
        }
    }

    /// Writes `cleaner-offset-checkpoint` in every log dir (Kafka's checkpoint text format).
    func writeCleanerCheckpoints() throws(LogError) {
        for (index, dir) in logDirs.enumerated() {
            let entries: [(TopicPartition, Int64)] = lock.withLock {
                cleanerOffsets[index].filter { logs[$0.key] != nil }.sorted { $0.key < $1.key }.map {
                    ($0.key, $0.value)
                }
            }
            try CheckpointFile.write(dir + "/" + Self.cleanerOffsetCheckpointFile, entries)
        }
    }
}
