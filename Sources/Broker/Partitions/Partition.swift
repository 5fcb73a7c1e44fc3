import KafkaConfig
import KafkaProtocol
import KafkaRecords
import LogStorage
import NIOConcurrencyHelpers
import NIOCore

/// One partition replica on this broker: its log, its leadership facts and the topic config it runs under.
///
/// The produce path's last broker-side step: `appendAsLeader` validates the client batch (KafkaRecords),
/// rewrites it for the topic's compression and timestamp type, and hands it to `PartitionLog.appendAsLeader`,
/// which assigns offsets and runs the idempotent-producer checks. Thread-safe; never called on an event loop.
final class Partition: Sendable {
    struct Runtime: Sendable {
        var leader: Int32
        var leaderEpoch: Int32
        var replicas: [Int32]
        var isr: [Int32]
        var config: EffectiveTopicConfig
    }

    let topic: String
    let index: Int32
    let log: PartitionLog
    let signal = AppendSignal()
    private let runtime: NIOLockedValueBox<Runtime>
    private let localBrokerId: Int32

    init(topic: String, index: Int32, log: PartitionLog, runtime: Runtime, localBrokerId: Int32) {
        self.topic = topic
        self.index = index
        self.log = log
        self.runtime = NIOLockedValueBox(runtime)
        self.localBrokerId = localBrokerId
    }

    var state: Runtime { runtime.withLockedValue { $0 } }

    func update(_ body: (inout Runtime) -> Void) {
        let config = runtime.withLockedValue { r -> EffectiveTopicConfig in
            body(&r)
            return r.config
        }
        log.updateConfig(LogConfig(config))
    }

    var isLeader: Bool { runtime.withLockedValue { $0.leader == localBrokerId } }

    func checkLeaderEpoch(_ current: Int32) throws(BrokerError) {
        guard current >= 0 else { return }
        let epoch = runtime.withLockedValue { $0.leaderEpoch }
        if current < epoch { throw .fencedLeaderEpoch }
        if current > epoch { throw .unknownLeaderEpoch }
    }

    struct AppendOutcome: Sendable {
        var baseOffset: Int64
        var logAppendTime: Int64
        var logStartOffset: Int64
    }

    func appendAsLeader(records: [UInt8], produceVersion: Int16, requiredAcks: Int16, now: Int64) throws(BrokerError)
        -> AppendOutcome
    {
        let rt = state
        guard rt.leader == localBrokerId else { throw .notLeaderOrFollower }
        if requiredAcks == -1 && rt.isr.count < rt.config.minInsyncReplicas { throw .notEnoughReplicas }
        guard records.count > RecordBatchHeader.logOverhead + 5 else {
            throw .invalidRecord("produce request partition data holds no complete record batch")
        }
        // The magic byte sits at offset 16 in both legacy messages and v2 batches.
        let magic = records[16]
        var batch = records
        do {
            if magic < 2 {
                guard produceVersion <= 2 else {
                    throw BrokerError.invalidRecord("Produce v\(produceVersion) requires record batch magic 2")
                }
                batch = try LegacyMessageSet.upConvert(records)
            } else if magic > 2 {
                throw BrokerError.corruptMessage("unknown record batch magic \(magic)")
            }
            let validator = BatchValidator(
                config: .init(
                    maxMessageBytes: rt.config.maxMessageBytes,
                    isCompacted: rt.config.cleanupPolicy.contains(.compact),
                    timestampBeforeMaxMs: min(
                        rt.config.messageTimestampBeforeMaxMs, rt.config.messageTimestampDifferenceMaxMs),
                    timestampAfterMaxMs: min(
                        rt.config.messageTimestampAfterMaxMs, rt.config.messageTimestampDifferenceMaxMs),
                    allowZstd: produceVersion >= 7))
            let timestampType: TimestampType =
                rt.config.messageTimestampType == .logAppendTime ? .logAppendTime : .createTime
            let prepared = try validator.prepareForAppend(
                batch, topicCompression: TargetCompression(configValue: rt.config.compressionType.rawValue) ?? .producer,
                timestampType: timestampType, now: now)
            let result = try log.appendAsLeader(prepared.bytes, leaderEpoch: rt.leaderEpoch, now: now)
            if !result.isDuplicate { advanceHighWatermarkIfSoleReplica(rt) }
            return AppendOutcome(
                baseOffset: result.baseOffset, logAppendTime: prepared.logAppendTime,
                logStartOffset: result.logStartOffset)
        } catch let error as BrokerError {
            throw error
        } catch let error as RecordValidationError {
            throw BrokerError(error)
        } catch let error as LogError {
            throw BrokerError(error)
        } catch {
            throw .unknownServerError("\(error)")
        }
    }

    /// With an ISR of just this broker, everything appended is committed.
    private func advanceHighWatermarkIfSoleReplica(_ rt: Runtime) {
        if rt.isr == [localBrokerId] || rt.isr.isEmpty {
            log.highWatermark = log.logEndOffset
        }
        signal.notify()
    }
}

extension LogConfig {
    /// The storage view of a topic's effective config.
    init(_ c: EffectiveTopicConfig) {
        self.init()
        segmentBytes = c.segmentBytes
        segmentMs = c.maxSegmentMs
        segmentJitterMs = c.segmentJitterMs
        segmentIndexBytes = c.segmentIndexBytes
        indexIntervalBytes = c.indexIntervalBytes
        retentionMs = c.retentionMs
        retentionBytes = c.retentionBytes
        fileDeleteDelayMs = c.fileDeleteDelayMs
        flushMessages = c.flushMessages
        flushMs = c.flushMs
        cleanupPolicy =
            c.cleanupPolicy.contains(.compact)
            ? (c.cleanupPolicy.contains(.delete) ? .compactAndDelete : .compact) : .delete
        compaction = LogConfig.Compaction(c)
    }
}

extension BrokerError {
    init(_ error: RecordValidationError) {
        switch error {
        case .corruptMessage(let m): self = .corruptMessage(m)
        case .messageTooLarge(let size, let limit):
            self = .messageTooLarge("The batch of \(size) bytes exceeds max.message.bytes \(limit)")
        case .invalidBatchCount(let n): self = .invalidRecord("Produce request partition data must hold exactly one record batch, got \(n)")
        case .invalidRecord(let m): self = .invalidRecord(m)
        case .invalidTimestamp(let t, let now): self = .invalidTimestamp("Timestamp \(t) is out of range (broker time \(now))")
        case .unsupportedCompressionType: self = .unsupportedCompressionType
        case .decompressionLimitExceeded(let limit): self = .corruptMessage("decompressed batch exceeds \(limit) bytes")
        case .compressionFailed(let m): self = .unknownServerError("compression failed: \(m)")
        }
    }

    init(_ error: LogError) {
        switch error {
        case .offsetOutOfRange: self = .offsetOutOfRange
        case .corruptLog(let m): self = .storage(m)
        case .outOfOrderSequence(let pid, let expected, let received):
            self = .outOfOrderSequence("Out of order sequence number for producer \(pid): expected \(expected), received \(received)")
        case .invalidProducerEpoch: self = .invalidProducerEpoch
        case .unknownProducerId: self = .unknownProducerId
        case .duplicateSequence: self = .duplicateSequence
        case .recordTooLarge(let size, let limit): self = .recordListTooLarge("The batch of \(size) bytes exceeds segment.bytes \(limit)")
        case .invalidBatch(let m): self = .corruptMessage(m)
        case .nonMonotonicOffsets: self = .storage("non-monotonic offsets in follower append")
        case .inconsistentBrokerId, .inconsistentClusterId, .logDirectoryLocked, .duplicateLog, .io:
            self = .storage("\(error)")
        case .logClosed: self = .notLeaderOrFollower
        case .invalidTopic(let m): self = .invalidTopic(m)
        }
    }
}
