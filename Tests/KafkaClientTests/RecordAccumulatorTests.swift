import KafkaRecords
import Testing

@testable import KafkaClient

@Suite("RecordAccumulator")
struct RecordAccumulatorTests {
    let tp0 = TopicPartition("t", 0)
    let tp1 = TopicPartition("t", 1)

    @Test("records wait for linger.ms, then their batch is handed out once")
    func linger() {
        var acc = RecordAccumulator<Int>(batchSize: 16_384, lingerMs: 100, codec: .none)
        #expect(acc.append(to: tp0, timestamp: 1, key: nil, value: [1], headers: [], token: 0, nowMs: 1000).isEmpty)
        #expect(acc.append(to: tp0, timestamp: 2, key: nil, value: [2], headers: [], token: 1, nowMs: 1050).isEmpty)
        #expect(acc.nextDeadlineMs == 1100)
        #expect(acc.expired(nowMs: 1099).isEmpty)
        let due = acc.expired(nowMs: 1100)
        #expect(due.count == 1)
        #expect(due.first?.tokens == [0, 1])
        #expect(due.first?.builder.recordCount == 2)
        #expect(acc.isEmpty)
        #expect(acc.nextDeadlineMs == nil)
    }

    @Test("a batch that would pass batch.size is closed and the record starts a new one")
    func sizeLimit() {
        var acc = RecordAccumulator<Int>(batchSize: 200, lingerMs: 1000, codec: .none)
        let value = [UInt8](repeating: 7, count: 60)
        #expect(acc.append(to: tp0, timestamp: 1, key: nil, value: value, headers: [], token: 0, nowMs: 0).isEmpty)
        let ready = acc.append(to: tp0, timestamp: 1, key: nil, value: value, headers: [], token: 1, nowMs: 0)
        #expect(ready.count == 1)
        #expect(ready.first?.tokens == [0])
        #expect(acc.open[tp0]?.tokens == [1])
    }

    @Test("a record larger than batch.size goes out alone at once")
    func oversized() {
        var acc = RecordAccumulator<Int>(batchSize: 100, lingerMs: 1000, codec: .none)
        let ready = acc.append(
            to: tp0, timestamp: 1, key: nil, value: [UInt8](repeating: 1, count: 500), headers: [], token: 0, nowMs: 0)
        #expect(ready.count == 1)
        #expect(acc.isEmpty)
    }

    @Test("partitions batch independently and flush drains them all in partition order")
    func perPartition() {
        var acc = RecordAccumulator<Int>(batchSize: 16_384, lingerMs: 1000, codec: .none)
        _ = acc.append(to: tp1, timestamp: 1, key: nil, value: [1], headers: [], token: 0, nowMs: 0)
        _ = acc.append(to: tp0, timestamp: 1, key: nil, value: [2], headers: [], token: 1, nowMs: 5)
        _ = acc.append(to: tp1, timestamp: 1, key: nil, value: [3], headers: [], token: 2, nowMs: 6)
        #expect(acc.expired(nowMs: 1000).map(\.partition) == [tp1])
        _ = acc.append(to: tp1, timestamp: 1, key: nil, value: [4], headers: [], token: 3, nowMs: 1001)
        let all = acc.drainAll()
        #expect(all.map(\.partition) == [tp0, tp1])
        #expect(all.map(\.tokens) == [[1], [3]])
    }

    @Test("linger.ms 0 sends every record immediately")
    func noLinger() {
        var acc = RecordAccumulator<Int>(batchSize: 16_384, lingerMs: 0, codec: .none)
        #expect(acc.append(to: tp0, timestamp: 1, key: nil, value: [1], headers: [], token: 0, nowMs: 0).count == 1)
    }

    @Test("a recycled record buffer is reused emptied: the next batch holds only its own records")
    func recycledBuffer() throws {
        var acc = RecordAccumulator<Int>(batchSize: 16_384, lingerMs: 10, codec: .none)
        _ = acc.append(to: tp0, timestamp: 1, key: nil, value: Array("old".utf8), headers: [], token: 0, nowMs: 0)
        let first = try #require(acc.drainAll().first)
        acc.recycle(first.builder.recordBytes)
        _ = acc.append(to: tp0, timestamp: 2, key: nil, value: Array("new".utf8), headers: [], token: 1, nowMs: 0)
        let second = try #require(acc.drainAll().first)
        let parsed = try RecordBatch(parsing: second.builder.build())
        #expect(parsed.records.map(\.value) == [Array("new".utf8)])
        #expect(second.builder.recordBytes.capacity >= 16_384)
    }

    @Test("a built batch carries the codec and decodes back to the appended records")
    func buildsWithCodec() throws {
        var acc = RecordAccumulator<Int>(batchSize: 16_384, lingerMs: 10, codec: .zstd)
        _ = acc.append(
            to: tp0, timestamp: 10, key: Array("k".utf8), value: Array("v1".utf8), headers: [], token: 0, nowMs: 0)
        _ = acc.append(
            to: tp0, timestamp: 12, key: nil, value: Array("v2".utf8), headers: [RecordHeader(key: "h", value: [1])],
            token: 1, nowMs: 0)
        let batch = try #require(acc.drainAll().first)
        let bytes = try batch.builder.build()
        let parsed = try RecordBatch(parsing: bytes)
        #expect(parsed.header.compressionCodec == CompressionCodec.zstd.rawValue)
        #expect(parsed.records.map(\.value) == [Array("v1".utf8), Array("v2".utf8)])
        #expect(parsed.records.map { parsed.timestamp(of: $0) } == [10, 12])
        #expect(parsed.records[1].headers == [RecordHeader(key: "h", value: [1])])
    }
}

@Suite("Consumer decoding")
struct ConsumerDecodeTests {
    func batch(base: Int64, values: [String], control: Bool = false) throws -> [UInt8] {
        var b = RecordBatchBuilder(baseOffset: base, isControl: control)
        for (i, v) in values.enumerated() { b.append(timestamp: 100 + Int64(i), key: nil, value: Array(v.utf8)) }
        return try b.build()
    }

    @Test("records below the fetch position are dropped and the position moves past the last batch")
    func skipsBelowPosition() throws {
        let bytes = try batch(base: 0, values: ["a", "b", "c"]) + batch(base: 3, values: ["d"])
        let (records, next) = try KafkaConsumer.decode(bytes, partition: TopicPartition("t", 0), from: 1)
        #expect(records.map(\.offset) == [1, 2, 3])
        #expect(records.map { String(decoding: $0.value ?? [], as: UTF8.self) } == ["b", "c", "d"])
        #expect(next == 4)
    }

    @Test("control batches advance the position but yield no records; a partial trailing batch is left for later")
    func controlAndPartial() throws {
        let full = try batch(base: 0, values: ["a"]) + batch(base: 1, values: ["x"], control: true)
        let partial = try batch(base: 2, values: ["z"])
        let (records, next) = try KafkaConsumer.decode(
            full + partial.prefix(partial.count - 3), partition: TopicPartition("t", 0), from: 0)
        #expect(records.map(\.offset) == [0])
        #expect(next == 2)
    }

    @Test("bootstrap lists parse host:port pairs and reject malformed ones")
    func bootstrapParsing() throws {
        #expect(
            try BrokerAddress.list("a:1, b:2") == [
                BrokerAddress(host: "a", port: 1), BrokerAddress(host: "b", port: 2),
            ])
        #expect(try BrokerAddress(parsing: "[::1]:9092") == BrokerAddress(host: "::1", port: 9092))
        #expect(throws: KafkaClientError.self) { try BrokerAddress(parsing: "nohost") }
        #expect(throws: KafkaClientError.self) { try BrokerAddress(parsing: "h:99999") }
        #expect(throws: KafkaClientError.self) { try BrokerAddress.list("") }
    }
}
