import Coordination

/// Hands out producer ids from blocks claimed in `/latest_producer_id_block` (1000 at a time, as Kafka does).
actor ProducerIdManager {
    private let zk: KafkaZkClient
    private let brokerId: Int32
    private var next: Int64 = 0
    private var last: Int64 = -1

    init(zk: KafkaZkClient, brokerId: Int32) {
        self.zk = zk
        self.brokerId = brokerId
    }

    func nextId() async throws(BrokerError) -> Int64 {
        if next > last {
            do {
                let block = try await zk.allocateProducerIdBlock(brokerId: brokerId)
                next = block.firstProducerId
                last = block.lastProducerId
            } catch {
                throw .coordinatorNotAvailable
            }
        }
        defer { next += 1 }
        return next
    }
}
