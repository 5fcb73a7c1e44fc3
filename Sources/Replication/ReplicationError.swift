import KafkaRecords
import LogStorage

/// Typed failures of the replication domain (produce, fetch, leadership, offsets). Storage and record errors are
/// translated here, where they surface; the broker maps these to Kafka error codes at its one boundary
/// (`Broker/Errors/BrokerError.swift`).
public enum ReplicationError: Error, Sendable, Equatable {
    case unknownTopicOrPartition
    case notLeaderOrFollower
    case fencedLeaderEpoch
    case unknownLeaderEpoch
    case offsetOutOfRange
    /// A new leader's high watermark is still below its leader epoch's start offset (KIP-207): a client asking for
    /// offsets now would get an offset that moves backwards; it retries.
    case offsetNotAvailable
    case invalidTopic(String)
    case notEnoughReplicas
    case notEnoughReplicasAfterAppend
    case requestTimedOut
    case corruptMessage(String)
    case messageTooLarge(String)
    case recordListTooLarge(String)
    case invalidRecord(String)
    /// A legacy (magic 0/1) message set from a writer that must send magic 2 record batches.
    case legacyRecordFormatNotAccepted
    case invalidTimestamp(String)
    case unsupportedCompressionType
    case outOfOrderSequence(String)
    case invalidProducerEpoch
    /// KIP-890 part 1: a transactional batch outside a verified transaction.
    case invalidTxnState
    /// A transaction marker from an older coordinator epoch than the partition's last marker.
    case transactionCoordinatorFenced
    case unknownProducerId
    case duplicateSequence
    case storage(String)
    /// A controller request from an older controller epoch than one already seen.
    case staleControllerEpoch
    case invalidRequiredAcks
    case unknownServerError(String)
}

extension ReplicationError {
    init(_ error: RecordValidationError) {
        switch error {
        case .corruptMessage(let m): self = .corruptMessage(m)
        case .messageTooLarge(let size, let limit):
            self = .messageTooLarge("The batch of \(size) bytes exceeds max.message.bytes \(limit)")
        case .invalidBatchCount(let n):
            self = .invalidRecord("Produce request partition data must hold exactly one record batch, got \(n)")
        case .invalidRecord(let m): self = .invalidRecord(m)
        case .invalidTimestamp(let t, let now):
            self = .invalidTimestamp("Timestamp \(t) is out of range (broker time \(now))")
        case .unsupportedCompressionType: self = .unsupportedCompressionType
        case .decompressionLimitExceeded(let limit): self = .corruptMessage("decompressed batch exceeds \(limit) bytes")
        case .compressionFailed(let m): self = .unknownServerError("compression failed: \(m)")
        }
    }

    /// A storage failure as the replication domain reports it.
    public init(_ error: LogError) {
        switch error {
        case .offsetOutOfRange: self = .offsetOutOfRange
        case .corruptLog(let m): self = .storage(m)
        case .outOfOrderSequence(let pid, let expected, let received):
            self = .outOfOrderSequence(
                "Out of order sequence number for producer \(pid): expected \(expected), received \(received)")
        case .invalidProducerEpoch: self = .invalidProducerEpoch
        case .invalidTxnState: self = .invalidTxnState
        case .transactionCoordinatorFenced: self = .transactionCoordinatorFenced
        case .unknownProducerId: self = .unknownProducerId
        case .duplicateSequence: self = .duplicateSequence
        case .recordTooLarge(let size, let limit):
            self = .recordListTooLarge("The batch of \(size) bytes exceeds segment.bytes \(limit)")
        case .invalidBatch(let m): self = .corruptMessage(m)
        case .nonMonotonicOffsets: self = .storage("non-monotonic offsets in follower append")
        case .inconsistentBrokerId, .inconsistentClusterId, .logDirectoryLocked, .duplicateLog, .io:
            self = .storage("\(error)")
        case .tooManyOpenFiles(let m): self = .storage("\(m): out of file descriptors, raise `ulimit -n` / LimitNOFILE")
        case .logClosed: self = .notLeaderOrFollower
        case .invalidTopic(let m): self = .invalidTopic(m)
        }
    }
}
