import KafkaProtocol
import KafkaRecords
import Testing

@testable import KafkaClient

/// The producer and consumer against in-process fake brokers whose partition leadership moves mid-request.
@Suite("Failover against fake brokers", .serialized)
struct ClusterFailoverTests {
    private func client(_ cluster: FakeCluster, bootstrap: Int32) -> KafkaClient {
        KafkaClient(
            configuration: KafkaClientConfiguration(
                bootstrapServers: [cluster.bootstrap(bootstrap)], requestTimeoutMs: 5_000, connectTimeoutMs: 2_000,
                retryBackoffMs: 5, retryBackoffMaxMs: 20, retryTimeoutMs: 5_000))
    }

    private static func baseSequence(_ batch: [UInt8]) -> Int32 {
        batch.withUnsafeBytes { raw in
            var it = RecordBatchIterator(raw)
            return it.next()?.header.baseSequence ?? -99
        }
    }

    @Test func anIdempotentProducerResendsTheSameBatchToTheNewLeaderAfterNotLeaderOrFollower() async throws {
        let cluster = try await FakeCluster.start(brokers: [1, 2])
        cluster.createTopic("t", partitions: 1, leader: 1)
        // Broker 1 loses leadership to broker 2 while answering the first Produce.
        cluster.state.withLock { $0.onProduce[1] = (to: 2, error: .notLeaderOrFollower) }
        let client = client(cluster, bootstrap: 1)
        let producer = KafkaProducer(
            client: client, configuration: ProducerConfiguration(lingerMs: 0, enableIdempotence: true))

        let first = try await producer.send(ProducerRecord(topic: "t", partition: 0, value: Array("a".utf8)))
        let second = try await producer.send(ProducerRecord(topic: "t", partition: 0, value: Array("b".utf8)))

        #expect(first.offset == 0 && second.offset == 1)
        let produced = cluster.state.withLock { $0.produced }
        #expect(produced.map(\.0) == [1, 2, 2])
        // The retry is byte-identical (same producer id, epoch and sequence), so a broker could deduplicate it.
        #expect(produced[0].2 == produced[1].2)
        #expect(produced.map { Self.baseSequence($0.2) } == [0, 0, 1])
        await client.close()
        await cluster.stop()
    }

    @Test func aProducerReroutesWhenTheLeaderBrokerIsUnreachable() async throws {
        // Broker 1 is dead but still named leader by the first Metadata answer; the next names broker 2.
        let cluster = try await FakeCluster.start(brokers: [1, 2], down: [1])
        cluster.createTopic("t", partitions: 1, leader: 1)
        cluster.state.withLock { $0.moveAfterMetadata = (answers: 1, to: 2) }
        let client = client(cluster, bootstrap: 2)
        let producer = KafkaProducer(client: client, configuration: ProducerConfiguration(lingerMs: 0))

        let md = try await producer.send(ProducerRecord(topic: "t", partition: 0, value: Array("x".utf8)))

        #expect(md.offset == 0)
        #expect(cluster.state.withLock { $0.produced.map(\.0) } == [2])
        await client.close()
        await cluster.stop()
    }

    @Test func aConsumerFetchesFromTheNewLeaderAtTheSamePosition() async throws {
        let cluster = try await FakeCluster.start(brokers: [1, 2])
        cluster.createTopic("t", partitions: 1, leader: 1)
        cluster.append(TopicPartition("t", 0), values: ["r0", "r1"])
        cluster.append(TopicPartition("t", 0), values: ["r2"])
        let client = client(cluster, bootstrap: 1)
        let consumer = KafkaConsumer(client: client, configuration: ConsumerConfiguration(maxWaitMs: 10))
        try await consumer.assign([TopicPartition("t", 0): .offset(2)])
        cluster.state.withLock { $0.onFetch[1] = (to: 2, error: .notLeaderOrFollower) }

        var records: [ConsumerRecord] = []
        for _ in 0..<20 where records.isEmpty { records = try await consumer.poll() }

        #expect(records.map(\.offset) == [2])
        #expect(records.first?.value == Array("r2".utf8))
        let fetched = cluster.state.withLock { $0.fetched }
        #expect(fetched.first.map { [$0.0] } == [1])
        #expect(fetched.filter { $0.0 == 2 }.first?.2 == 2)
        #expect(await consumer.assignment[TopicPartition("t", 0)] == 3)
        await client.close()
        await cluster.stop()
    }

    @Test func aConsumerRefreshesMetadataWhenTheLeaderConnectionIsRefused() async throws {
        let cluster = try await FakeCluster.start(brokers: [1, 2], down: [1])
        cluster.createTopic("t", partitions: 1, leader: 1)
        cluster.append(TopicPartition("t", 0), values: ["only"])
        cluster.state.withLock { $0.moveAfterMetadata = (answers: 1, to: 2) }
        let client = client(cluster, bootstrap: 2)
        let consumer = KafkaConsumer(client: client, configuration: ConsumerConfiguration(maxWaitMs: 10))
        try await consumer.assign([TopicPartition("t", 0): .offset(0)])

        var records: [ConsumerRecord] = []
        for _ in 0..<20 where records.isEmpty { records = try await consumer.poll() }

        #expect(records.map(\.value) == [Array("only".utf8)])
        await client.close()
        await cluster.stop()
    }
}
