#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Every failure the log can report. The broker maps these to Kafka error codes at one boundary.
public enum LogError: Error, Equatable, Sendable {
    /// The requested offset is outside [logStartOffset, logEndOffset] (OFFSET_OUT_OF_RANGE).
    case offsetOutOfRange(requested: Int64, logStartOffset: Int64, logEndOffset: Int64)
    /// On-disk data failed a structural or CRC check where it must not (KAFKA_STORAGE_ERROR / CORRUPT_MESSAGE).
    case corruptLog(String)
    /// The batch's first sequence is not the one expected (OUT_OF_ORDER_SEQUENCE_NUMBER).
    case outOfOrderSequence(producerId: Int64, expected: Int32, received: Int32)
    /// The batch's producer epoch is older than the stored one (INVALID_PRODUCER_EPOCH).
    case invalidProducerEpoch(producerId: Int64, current: Int16, received: Int16)
    /// A transaction marker from a coordinator epoch older than the last marker's (TRANSACTION_COORDINATOR_FENCED).
    case transactionCoordinatorFenced(producerId: Int64, current: Int32, received: Int32)
    /// A transactional batch would open a transaction its leader did not verify with the coordinator, or whose
    /// verification a marker overtook (KIP-890 part 1, INVALID_TXN_STATE).
    case invalidTxnState(producerId: Int64)
    /// Reserved for pre-2.5 behaviour (UNKNOWN_PRODUCER_ID); the 3.x rules implemented here never raise it.
    case unknownProducerId(Int64)
    /// Reserved for pre-2.0 behaviour (DUPLICATE_SEQUENCE_NUMBER); duplicates are answered with the original offsets.
    case duplicateSequence(producerId: Int64)
    /// The append is larger than `segment.bytes` (RECORD_LIST_TOO_LARGE).
    case recordTooLarge(size: Int, limit: Int)
    /// The bytes handed to an append are not a well-formed v2 batch (CORRUPT_MESSAGE / INVALID_RECORD).
    case invalidBatch(String)
    /// A follower append whose offsets do not continue the log (non-monotonic or below the log end offset).
    case nonMonotonicOffsets(expectedAtLeast: Int64, received: Int64)
    /// `meta.properties` names another broker id than this broker's (InconsistentBrokerIdException).
    case inconsistentBrokerId(directory: String, found: Int32, expected: Int32)
    /// `meta.properties` names another cluster id than ZooKeeper's (InconsistentClusterIdException).
    case inconsistentClusterId(directory: String, found: String, expected: String)
    /// Another process holds the `.lock` of a log directory.
    case logDirectoryLocked(String)
    /// The log was deleted or closed; the caller holds a stale reference (NOT_LEADER_OR_FOLLOWER at the boundary).
    case logClosed(String)
    /// A topic name that is not a legal directory component (INVALID_TOPIC_EXCEPTION).
    case invalidTopic(String)
    /// The same partition exists in two log directories.
    case duplicateLog(String)
    /// A system call failed.
    case io(String)
    /// `open` failed with EMFILE/ENFILE: the process (or the system) is out of file descriptors. Kept apart from
    /// `io` so the broker can name the cause and the setting to raise.
    case tooManyOpenFiles(String)
}

extension LogError {
    /// The error for a failed `open` of `path`, read from `errno`.
    static func openFailed(_ path: String) -> LogError {
        let code = errno
        let text = "open \(path): \(lastErrorString())"
        return code == EMFILE || code == ENFILE ? .tooManyOpenFiles(text) : .io(text)
    }
}
