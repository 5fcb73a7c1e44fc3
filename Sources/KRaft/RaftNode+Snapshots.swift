/// Snapshots (KIP-630) from the layer above: taking one at a committed offset, and cleaning the log below one.
/// When to do either is the caller's policy (``SnapshotPolicy``); the rules here keep the log consistent.
extension RaftNode {
    /// Takes a snapshot of the layer above's state at `endOffset` (at most the high watermark, KIP-630). The
    /// entries it covers stay until ``deleteBeforeSnapshot(_:)``.
    public mutating func createSnapshot(endOffset: Int64, data: [UInt8]) throws(RaftError) {
        guard let id = snapshotId(at: endOffset) else { throw .snapshotNotFound }
        log.createSnapshot(RaftSnapshot(id: id, data: data))
    }

    /// The id a snapshot at `endOffset` would have, or nil when one cannot be taken there: above the high
    /// watermark, past the log end, or not after the latest snapshot.
    public func snapshotId(at endOffset: Int64) -> OffsetAndEpoch? {
        guard let hw = highWatermark, endOffset <= hw, endOffset > (log.latestSnapshot?.id.offset ?? log.startOffset),
            endOffset <= log.endOffset, let lastEpoch = log.epoch(at: endOffset - 1)
        else { return nil }
        return OffsetAndEpoch(offset: endOffset, epoch: lastEpoch)
    }

    /// Moves the log start up to snapshot `id`, which this node holds (Kafka's `deleteBeforeSnapshot`); a replica
    /// that fetches below it is sent the latest snapshot. Returns false when nothing moved.
    @discardableResult
    public mutating func deleteBeforeSnapshot(_ id: OffsetAndEpoch) -> Bool {
        log.deleteBeforeSnapshot(id)
    }
}
