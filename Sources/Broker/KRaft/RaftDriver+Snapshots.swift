import KRaft
import KafkaProtocol

// MARK: - Snapshots of the metadata (KIP-630): taken by the publisher, cleaned by retention

extension RaftDriver {
    /// Writes a snapshot of `records` (the published image) at `endOffset`, a committed offset the image covers
    /// exactly, then cleans the log if retention says so. Returns the snapshot's id, nil when none can be taken
    /// there (not committed yet, or not past the latest snapshot).
    func createSnapshot(endOffset: Int64, records: [[UInt8]], now: Int64) -> OffsetAndEpoch? {
        guard let id = node.snapshotId(at: endOffset) else { return nil }
        let data: [UInt8]
        do {
            data = try MetadataSnapshotFile.encode(records: records, id: id, lastContainedLogTimestamp: now, now: now)
        } catch {
            logger.error("[SnapshotGenerator id=\(nodeId)] Cannot encode the snapshot at \(endOffset): \(error)")
            return nil
        }
        do throws(RaftError) {
            try node.createSnapshot(endOffset: endOffset, data: data)
        } catch {
            return nil
        }
        logger.info(
            "[SnapshotGenerator id=\(nodeId)] Created snapshot \(RaftSnapshot(id: id, data: []).fileName) (\(records.count) records, \(data.count) bytes)"
        )
        cleanLog(now: now)
        return id
    }

    /// Kafka's `KafkaMetadataLog.maybeClean`: moves the log start up to a later snapshot while the log and its
    /// snapshots exceed `metadata.max.retention.bytes` or an older snapshot is past `metadata.max.retention.ms`.
    func cleanLog(now: Int64) {
        let log = node.log
        guard
            let id = snapshotPolicy.snapshotToDeleteBefore(
                snapshots: log.snapshots, logSizeInBytes: log.sizeInBytes, now: now)
        else { return }
        let before = log.startOffset
        if node.deleteBeforeSnapshot(id) {
            logger.info(
                "[RaftManager id=\(nodeId)] Log start offset moved from \(before) to \(id.offset) (snapshot \(RaftSnapshot(id: id, data: []).fileName))"
            )
        }
    }

    /// The latest snapshot when it ends past `offset`: what a publisher that has applied the log up to `offset`
    /// must load (at startup, and after the node installed a snapshot from the leader).
    func snapshot(after offset: Int64) -> RaftSnapshot? {
        guard let snapshot = node.log.latestSnapshot, snapshot.id.offset > offset else { return nil }
        return snapshot
    }
}
