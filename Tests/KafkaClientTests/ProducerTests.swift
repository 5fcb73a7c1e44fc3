import KafkaProtocol
import KafkaRecords
import Synchronization
import Testing

@testable import KafkaClient

/// The producer's callback API, buffer limit and deferred errors against an in-process fake broker.
@Suite("Producer against a fake broker")
struct ProducerTests {
    private func client(_ cluster: FakeCluster) -> KafkaClient {
        let configuration = KafkaClientConfiguration(
            bootstrapServers: [cluster.bootstrap(1)], requestTimeoutMs: 5_000, connectTimeoutMs: 2_000,
            retryBackoffMs: 5, retryBackoffMaxMs: 20, retryTimeoutMs: 2_000)
        return KafkaClient(configuration: configuration)
    }

    /// The values the fake broker stored for `tp`, in offset order.
    private func stored(_ cluster: FakeCluster, _ tp: TopicPartition) throws -> [String] {
        let batches = cluster.state.withLock { $0.batches[tp] ?? [] }
        return try batches.flatMap { try RecordBatch(parsing: $0.1).records }.map {
            String(decoding: $0.value ?? [], as: UTF8.self)
        }
    }

    @Test func everyRecordSentWithACompletionIsAcknowledgedOnceInOrder() async throws {
        let cluster = try await FakeCluster.start(brokers: [1])
        cluster.createTopic("t", partitions: 2, leader: 1)
        let client = client(cluster)
        let producer = KafkaProducer(client: client, configuration: ProducerConfiguration(lingerMs: 5, batchSize: 200))
        let results = Mutex<[Int: [Result<RecordMetadata, any Error>]]>([:])

        for i in 0..<300 {
            try await producer.send(ProducerRecord(topic: "t", partition: Int32(i % 2), value: Array("v\(i)".utf8))) {
                result in results.withLock { $0[i, default: []].append(result) }
            }
        }
        try await producer.flush()

        let all = results.withLock { $0 }
        #expect(all.count == 300)
        #expect(all.values.allSatisfy { $0.count == 1 })
        for p in 0..<2 {
            let offsets = (0..<300).filter { $0 % 2 == p }.map { i -> Int64 in
                guard case .success(let md)? = all[i]?.first else { return -1 }
                return md.partition == Int32(p) ? md.offset : -1
            }
            #expect(offsets == (0..<150).map(Int64.init))
            let values = try stored(cluster, TopicPartition("t", Int32(p)))
            #expect(values == (0..<300).filter { $0 % 2 == p }.map { "v\($0)" })
        }
        // batch.size 200 splits the records over many batches.
        #expect(cluster.state.withLock { $0.produced.count } > 10)
        await client.close()
        await cluster.stop()
    }

    @Test func batchesInFlightWhenTheLeaderMovesAreResentInSequenceOrder() async throws {
        let cluster = try await FakeCluster.start(brokers: [1, 2])
        cluster.createTopic("t", partitions: 1, leader: 1)
        cluster.state.withLock { $0.onProduce[1] = (to: 2, error: .notLeaderOrFollower) }
        let client = client(cluster)
        let producer = KafkaProducer(
            client: client, configuration: ProducerConfiguration(lingerMs: 0, enableIdempotence: true))
        let offsets = Mutex<[Int: Int64]>([:])

        for i in 0..<200 {
            try await producer.send(ProducerRecord(topic: "t", partition: 0, value: Array("v\(i)".utf8))) { result in
                if case .success(let md) = result { offsets.withLock { $0[i] = md.offset } }
            }
        }
        try await producer.flush()

        #expect(offsets.withLock { $0 } == Dictionary(uniqueKeysWithValues: (0..<200).map { ($0, Int64($0)) }))
        #expect(try stored(cluster, TopicPartition("t", 0)) == (0..<200).map { "v\($0)" })
        // Every batch the new leader received carries the next sequence: nothing was reordered.
        let sequences = cluster.state.withLock { s in s.produced.filter { $0.0 == 2 }.map(\.2) }.map { bytes in
            bytes.withUnsafeBytes { raw in
                var it = RecordBatchIterator(raw)
                return it.next()?.header.baseSequence ?? -1
            }
        }
        #expect(sequences == (0..<200).map(Int32.init))
        await client.close()
        await cluster.stop()
    }

    @Test func aFullBufferMakesSendWaitForAcknowledgementsButLosesNothing() async throws {
        let cluster = try await FakeCluster.start(brokers: [1])
        cluster.createTopic("t", partitions: 1, leader: 1)
        let client = client(cluster)
        let producer = KafkaProducer(
            client: client, configuration: ProducerConfiguration(lingerMs: 1, batchSize: 100, bufferMemory: 1))
        let acked = Mutex(0)

        for i in 0..<50 {
            try await producer.send(ProducerRecord(topic: "t", value: Array("v\(i)".utf8))) { result in
                if case .success = result { acked.withLock { $0 += 1 } }
            }
        }
        _ = try await producer.send(ProducerRecord(topic: "t", value: Array("last".utf8)))
        try await producer.close()

        #expect(acked.withLock { $0 } == 50)
        #expect(try stored(cluster, TopicPartition("t", 0)) == (0..<50).map { "v\($0)" } + ["last"])
        await client.close()
        await cluster.stop()
    }

    @Test func enqueuedRecordsReportTheirDeliveryFailureFromFlush() async throws {
        let cluster = try await FakeCluster.start(brokers: [1])
        cluster.createTopic("t", partitions: 1, leader: 1)
        cluster.state.withLock { $0.onProduce[1] = (to: 1, error: .messageTooLarge) }
        let client = client(cluster)
        let producer = KafkaProducer(client: client, configuration: ProducerConfiguration(lingerMs: 1_000))

        await #expect(throws: KafkaClientError.self) {
            try await producer.enqueue(ProducerRecord(topic: "t", partition: 3, value: [1]))
        }
        try await producer.enqueue(ProducerRecord(topic: "t", value: [1]))
        try await producer.enqueue(ProducerRecord(topic: "t", value: [2]))
        await #expect(throws: KafkaClientError.self) { try await producer.flush() }
        // The failure is reported once; later records go through.
        try await producer.enqueue(ProducerRecord(topic: "t", value: [3]))
        try await producer.flush()
        #expect(try stored(cluster, TopicPartition("t", 0)) == [String(decoding: [3], as: UTF8.self)])
        await client.close()
        await cluster.stop()
    }
}
