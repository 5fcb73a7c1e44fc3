import Testing

@testable import KafkaProtocol

/// AllocateProducerIds (KIP-730), which a KRaft broker sends to the active controller: version 0 round-trips, and a
/// hand-annotated frame (flexible from v0, so each struct ends with an empty tagged-field section) decodes.
@Suite("AllocateProducerIds messages")
struct AllocateProducerIdsMessageTests {
    @Test("AllocateProducerIds v0 round-trips and reads Kafka's flexible layout")
    func allocateProducerIds() throws {
        let request = AllocateProducerIdsRequest(brokerId: 2, brokerEpoch: 42)
        let response = AllocateProducerIdsResponse(
            throttleTimeMs: 0, errorCode: 0, producerIdStart: 5000, producerIdLen: 1000)
        try expectRoundTrips(request, versions: AllocateProducerIdsRequest.versions)
        try expectRoundTrips(response, versions: AllocateProducerIdsRequest.versions)
        #expect(AllocateProducerIdsRequest.apiKey.rawValue == 67 && AllocateProducerIdsRequest.versions == 0...0)
        #expect(AllocateProducerIdsRequest.isFlexible(0))

        let frame: [UInt8] =
            [0, 0, 0, 2]  // BrokerId
            + [0, 0, 0, 0, 0, 0, 0, 42]  // BrokerEpoch
            + [0]  // no tagged fields
        #expect(request.encoded(version: 0) == frame)
        #expect(try AllocateProducerIdsRequest(decoding: frame, version: 0) == request)

        let answer: [UInt8] =
            [0, 0, 0, 0]  // ThrottleTimeMs
            + [0, 0]  // ErrorCode
            + [0, 0, 0, 0, 0, 0, 0x13, 0x88]  // ProducerIdStart 5000
            + [0, 0, 0x03, 0xE8]  // ProducerIdLen 1000
            + [0]  // no tagged fields
        #expect(response.encoded(version: 0) == answer)
    }
}
