import KafkaConfig
import LogStorage
import Logging
import Replication

/// Background log upkeep: retention (`log.retention.check.interval.ms`), high-watermark checkpoints
/// (`replica.high.watermark.checkpoint.interval.ms`), recovery-point and log-start checkpoints
/// (`log.flush.offset.checkpoint.interval.ms`) and time-based flushes.
enum Maintenance {
    static func run(
        logManager: LogManager, replicas: ReplicaManager, config: Shared<BrokerConfig>, logger: Logger
    ) async {
        var lastRetention = systemClockMillis()
        var lastHW = lastRetention
        var lastRecovery = lastRetention
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(500))
            if Task.isCancelled { return }
            let c = config.value
            let now = systemClockMillis()
            if now - lastRetention >= c.logRetentionCheckIntervalMs {
                lastRetention = now
                do {
                    let deleted = try logManager.runRetention(now: now)
                    if deleted > 0 { logger.info("Retention deleted \(deleted) segments") }
                } catch {
                    logger.error("retention failed: \(error)")
                }
            }
            logManager.cleanLogsIfDue(
                now: now, enabled: c.logCleanerEnable, backoffMs: c.logCleanerBackoffMs,
                dedupeBufferBytes: Int(clamping: c.logCleanerDedupeBufferSize),
                ioMaxBytesPerSecond: c.logCleanerIoMaxBytesPerSecond
            ) { logger.info("\($0)") }
            if now - lastHW >= c.replicaHighWatermarkCheckpointIntervalMs {
                lastHW = now
                do { try logManager.checkpointHighWatermarks() } catch {
                    logger.error("HW checkpoint failed: \(error)")
                }
            }
            if now - lastRecovery >= Int64(c.logFlushOffsetCheckpointIntervalMs) {
                lastRecovery = now
                do {
                    try logManager.flushAndCheckpoint(now: now)
                } catch {
                    logger.error("checkpoint failed: \(error)")
                }
            }
        }
    }
}
