import KafkaRecords

extension PartitionLog {
    /// The timestamp of the batch holding the first record at or after `offset` and below `maxOffset` (the high
    /// watermark): its base timestamp, or its max timestamp for LogAppendTime batches. A consumer group's lag in
    /// seconds is the age of this record. One index lookup and one 61-byte header read; nil when there is no such
    /// batch (caught up) or the segment holds a pre-v2 message set.
    public func batchTimestamp(from offset: Int64, upTo maxOffset: Int64) throws(LogError) -> Int64? {
        let result = try read(from: offset, maxBytes: 0, upTo: maxOffset, minOneBatch: true)
        guard let slice = result.slices.first, slice.length >= RecordBatchHeader.size else { return nil }
        let bytes = try slice.file.readBytes(count: RecordBatchHeader.size, at: slice.position)
        guard bytes.count == RecordBatchHeader.size else { return nil }
        let header = bytes.withUnsafeBytes { RecordBatchHeader(parsing: $0) }
        guard header.magic == 2 else { return nil }
        return header.isLogAppendTime ? header.maxTimestamp : header.baseTimestamp
    }
}
