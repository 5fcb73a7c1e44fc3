/// Everything that can be wrong with record data handed to this module.
///
/// Decoding, validation and compression all throw this one type so callers map it to a Kafka error code in one
/// place (the broker's `BrokerError.init(_: RecordValidationError)`). The codes in the case comments are the ones
/// that mapping gives.
public enum RecordValidationError: Error, Equatable, Sendable {
    /// Checksum mismatch or batch framing that contradicts itself (CORRUPT_MESSAGE, 2).
    case corruptMessage(String)
    /// A batch larger than `max.message.bytes` (MESSAGE_TOO_LARGE, 10).
    case messageTooLarge(size: Int, limit: Int)
    /// A produce payload for one partition that does not hold exactly one batch (INVALID_RECORD, 87).
    case invalidBatchCount(Int)
    /// Structurally or semantically invalid records (INVALID_RECORD, 87).
    case invalidRecord(String)
    /// A CreateTime timestamp outside the configured window (INVALID_TIMESTAMP, 32).
    case invalidTimestamp(timestamp: Int64, now: Int64)
    /// Unknown codec id, or zstd where the request version does not allow it (UNSUPPORTED_COMPRESSION_TYPE, 76).
    case unsupportedCompressionType(Int)
    /// Decompressed data would exceed the configured cap (treated as CORRUPT_MESSAGE).
    case decompressionLimitExceeded(limit: Int)
    /// The compression library refused to compress (an internal fault: UNKNOWN_SERVER_ERROR, -1).
    case compressionFailed(String)
}
