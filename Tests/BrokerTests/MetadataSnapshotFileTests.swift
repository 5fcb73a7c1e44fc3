import Foundation
import KRaft
import KafkaProtocol
import KafkaRecords
import MetadataImage
import Testing

@testable import Broker

@Suite("Metadata snapshot files (.checkpoint)")
struct MetadataSnapshotFileTests {
    static let records: [[UInt8]] = [
        MetadataRecord.featureLevel(FeatureLevelRecord(name: "metadata.version", featureLevel: 21)).encoded(),
        MetadataRecord.featureLevel(FeatureLevelRecord(name: "kraft.version", featureLevel: 0)).encoded(),
    ]

    @Test("a snapshot is a header control batch, data batches and a footer control batch, offsets from 0")
    func layout() throws {
        let id = OffsetAndEpoch(offset: 1234, epoch: 7)
        let bytes = try MetadataSnapshotFile.encode(
            records: Self.records, id: id, lastContainedLogTimestamp: 1_700_000_000_123, now: 1_700_000_000_500)
        let batches = try RecordBatchIterator.batches(in: bytes).entries
        #expect(batches.map(\.header.isControl) == [true, false, true])
        #expect(batches.map(\.header.baseOffset) == [0, 1, 3])
        #expect(batches.allSatisfy { $0.header.partitionLeaderEpoch == 7 })
        let header = try RecordBatch(parsing: Array(bytes[batches[0].range])).records[0]
        #expect(header.key == [0, 0, 0, 3])
        let footer = try RecordBatch(parsing: Array(bytes[batches[2].range])).records[0]
        #expect(footer.key == [0, 0, 0, 4])
        #expect(MetadataSnapshotFile.headerTimestamp(bytes) == 1_700_000_000_123)

        let contents = try MetadataSnapshotFile.decode(bytes)
        #expect(contents.records == Self.records)
        #expect(contents.lastContainedLogTimestamp == 1_700_000_000_123)
    }

    @Test("a snapshot cut short (no footer) or not starting with a header is refused")
    func truncated() throws {
        let bytes = try MetadataSnapshotFile.encode(
            records: Self.records, id: OffsetAndEpoch(offset: 3, epoch: 1), lastContainedLogTimestamp: 0, now: 0)
        for cut in [0, 10, bytes.count / 2, bytes.count - 1] {
            #expect(throws: MetadataSnapshotFile.DecodeError.self) {
                try MetadataSnapshotFile.decode(Array(bytes[..<cut]))
            }
        }
        #expect(throws: MetadataSnapshotFile.DecodeError.self) { try MetadataSnapshotFile.decode([1, 2, 3]) }
    }

    @Test("file names are Kafka's %020d-%010d.checkpoint and nothing else parses as one")
    func names() {
        #expect(
            MetadataSnapshotFile.snapshotId(fileName: "00000000000000001234-0000000007.checkpoint")
                == OffsetAndEpoch(offset: 1234, epoch: 7))
        #expect(MetadataSnapshotFile.snapshotId(fileName: "00000000000000001234-0000000007.checkpoint.part") == nil)
        #expect(MetadataSnapshotFile.snapshotId(fileName: "bootstrap.checkpoint") == nil)
        #expect(MetadataSnapshotFile.snapshotId(fileName: "00000000000000000000.log") == nil)
    }

    @Test("an image written as a snapshot reads back as the same image")
    func imageRoundTrip() throws {
        var image = MetadataImage()
        let topicId = UUIDValue(bytes: Array(1...16))
        try image.apply(
            [
                .featureLevel(FeatureLevelRecord(name: "metadata.version", featureLevel: 21)),
                .topic(MetadataTopicRecord(name: "orders", topicId: topicId)),
                .partition(
                    PartitionRecord(
                        partitionId: 0, topicId: topicId, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0,
                        partitionEpoch: 0)),
            ])
        let bytes = try MetadataSnapshotFile.encode(
            records: image.snapshotRecords.map { $0.encoded() }, id: OffsetAndEpoch(offset: 3, epoch: 1),
            lastContainedLogTimestamp: 0, now: 0)
        let records = try MetadataSnapshotFile.decode(bytes).records.map { try MetadataRecord.decode($0).record }
        #expect(try MetadataImage(snapshot: records) == image)
    }
}
