/// Hands out producer ids from blocks of 1000 (as Kafka does), claimed through the `MetadataWriter`:
/// `/latest_producer_id_block` in ZooKeeper mode, a ProducerIdsRecord from the KRaft controller in KRaft mode.
actor ProducerIdManager {
    private let writer: any MetadataWriter
    private let brokerId: Int32
    private var next: Int64 = 0
    private var last: Int64 = -1

    init(writer: any MetadataWriter, brokerId: Int32) {
        self.writer = writer
        self.brokerId = brokerId
    }

    func nextId() async throws(BrokerError) -> Int64 {
        if next > last {
            let block = try await writer.allocateProducerIdBlock(brokerId: brokerId)
            next = block.lowerBound
            last = block.upperBound
        }
        defer { next += 1 }
        return next
    }
}
