import Testing

@testable import KafkaProtocol

/// Request frames (size prefix stripped) captured from kcat 1.7.1 / librdkafka 2.0.2 talking to a capture stub:
/// `kcat -L`, `kcat -P -t orders -p 0`, `kcat -C -t orders -p 0 -o 0`. librdkafka 2.0.2 tops out at Metadata v4,
/// Produce v7 and Fetch v11, all classic encodings with request header v1.
@Suite("frames captured from kcat / librdkafka 2.0.2")
struct CapturedFrameTests {
    /// Splits a captured frame into its v1 header and body, decodes the body and checks it re-encodes byte-exact.
    func decodeFrame<T: KafkaRequest & Equatable>(_: T.Type, _ frame: [UInt8]) throws -> (RequestHeader, T) {
        var reader = ProtocolReader(frame)
        let header = try RequestHeader(reading: &reader, headerVersion: T.requestHeaderVersion(0))
        #expect(header.apiKey == T.apiKey.rawValue)
        #expect(header.clientId == "rdkafka")
        let body = Array(frame[reader.position...])
        let value = try decodeAll(T.self, body, version: header.apiVersion)
        #expect(value.encoded(version: header.apiVersion) == body)
        expectEveryPrefixThrows(T.self, body, version: header.apiVersion)
        return (header, value)
    }

    @Test("librdkafka's brokers-only Metadata v4 request has an empty topic array")
    func metadataBrokersOnly() throws {
        let (h, r) = try decodeFrame(MetadataRequest.self, hex("0003 0004 00000002 0007 72646b61666b61 00000000 00"))
        #expect(h.apiVersion == 4)
        #expect(r.topics == [])
        #expect(r.allowAutoTopicCreation == false)
    }

    @Test("kcat -L sends Metadata v4 with a null topic array for all topics")
    func metadataAllTopics() throws {
        let (_, r) = try decodeFrame(MetadataRequest.self, hex("0003 0004 00000003 0007 72646b61666b61 ffffffff 01"))
        #expect(r.topics == nil)
        #expect(r.allowAutoTopicCreation == true)
    }

    @Test("the producer's Metadata v4 request names its topic")
    func metadataOneTopic() throws {
        let (_, r) = try decodeFrame(
            MetadataRequest.self, hex("0003 0004 00000002 0007 72646b61666b61 00000001 0006 6f7264657273 01"))
        #expect(r.topics == [.init(name: "orders")])
    }

    @Test("kcat's Produce v7 request carries one v2 record batch")
    func produceV7() throws {
        let frame = hex(
            """
            0000 0007 00000003 0007 72646b61666b61      # header v1: Produce v7, correlation 3, "rdkafka"
            ffff ffff 00007530                          # transactional_id null, acks -1, timeout 30000
            00000001 0006 6f7264657273                  # 1 topic "orders"
            00000001 00000000                           # 1 partition, index 0
            00000049                                    # records: 73 bytes
            0000000000000000 0000003d 00000000 02 9fcba296 0000 00000000
            000001a2133fba08 000001a2133fba08 ffffffffffffffff ffff ffffffff 00000001
            16 00 00 00 01 0a 68656c6c6f 00
            """)
        let (_, r) = try decodeFrame(ProduceRequest.self, frame)
        #expect(r.acks == -1)
        #expect(r.timeoutMs == 30000)
        let records = try #require(r.topicData.first?.partitionData.first?.records)
        #expect(records.count == 73)
        #expect(records[16] == 2)  // magic byte of a v2 batch
    }

    @Test("kcat's Fetch v11 request is read_committed with session epoch -1")
    func fetchV11() throws {
        let frame = hex(
            """
            0001 000b 00000004 0007 72646b61666b61      # header v1: Fetch v11
            ffffffff 000001f4 00000001 03200000 01      # replica -1, max wait 500, min 1, max 50 MiB, read_committed
            00000000 ffffffff                           # session id 0, epoch -1
            00000001 0006 6f7264657273                  # 1 topic "orders"
            00000001 00000000 ffffffff                  #   partition 0, current leader epoch -1
            0000000000000000 ffffffffffffffff 00100000  #   fetch offset 0, log start -1, max 1 MiB
            00000000 0000                               # no forgotten topics, rack ""
            """)
        let (_, r) = try decodeFrame(FetchRequest.self, frame)
        #expect(r.isolationLevel == 1)
        #expect(r.sessionId == 0)
        #expect(r.sessionEpoch == -1)
        #expect(
            r.topics.first?.partitions == [
                .init(
                    partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1,
                    partitionMaxBytes: 1_048_576)
            ])
        #expect(r.rackId == "")
    }
}
