import Foundation
import KRaft
import KafkaProtocol

/// `bootstrap.checkpoint`, which `kafka-storage format` writes in `metadata.log.dir` (Kafka's `BootstrapDirectory`):
/// the bootstrap metadata records in the snapshot file format (SnapshotHeader, records, SnapshotFooter), here the
/// `metadata.version` FeatureLevelRecord of Kafka 3.9 (3.9-IV0). `dump-log` reads it like any `.checkpoint`.
extension KRaftStorage {
    public static let bootstrapCheckpointName = "bootstrap.checkpoint"

    /// Writes `bootstrap.checkpoint` in `metadataDirectory` (temporary file, fsync, rename), as formatting does.
    public static func writeBootstrapCheckpoint(metadataDirectory: String, now: Int64) throws {
        let records = [
            MetadataRecord.featureLevel(
                FeatureLevelRecord(name: "metadata.version", featureLevel: KRaftActiveController.metadataVersion)
            ).encoded()
        ]
        let bytes = try MetadataSnapshotFile.encode(
            records: records, id: OffsetAndEpoch(offset: 0, epoch: 0), lastContainedLogTimestamp: now, now: now)
        try MetadataSnapshotFile.write(bytes, to: metadataDirectory + "/" + bootstrapCheckpointName)
    }
}
