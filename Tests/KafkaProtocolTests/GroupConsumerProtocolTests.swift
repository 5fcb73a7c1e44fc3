import Testing

@testable import KafkaProtocol

@Suite("Consumer protocol payloads")
struct GroupConsumerProtocolTests {
    @Test("a v0 subscription lists topics and a null user data")
    func subscriptionV0() throws {
        let wire: [UInt8] = [
            0x00, 0x00,  // version 0
            0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74,  // topics ["t"]
            0xFF, 0xFF, 0xFF, 0xFF,  // user_data null
        ]
        let (version, value) = try ConsumerProtocolSubscription.decode(wire)
        #expect(version == 0)
        #expect(value == ConsumerProtocolSubscription(topics: ["t"]))
        #expect(value.encoded(version: 0) == wire)
        for n in 0..<wire.count {
            #expect(throws: ProtocolError.self) { try ConsumerProtocolSubscription.decode(Array(wire[0..<n])) }
        }
    }

    @Test("a v3 subscription carries owned partitions, generation and rack")
    func subscriptionV3() throws {
        let wire: [UInt8] = [
            0x00, 0x03,  // version 3
            0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74,  // topics ["t"]
            0x00, 0x00, 0x00, 0x01, 0xAA,  // user_data
            0x00, 0x00, 0x00, 0x01,  // owned_partitions: 1
            0x00, 0x01, 0x74,  // topic
            0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // partitions [0, 1]
            0x00, 0x00, 0x00, 0x05,  // generation_id
            0x00, 0x01, 0x72,  // rack_id "r"
        ]
        let (version, value) = try ConsumerProtocolSubscription.decode(wire)
        #expect(version == 3)
        #expect(value.topics == ["t"])
        #expect(value.userData == [0xAA])
        #expect(value.ownedPartitions == [.init(topic: "t", partitions: [0, 1])])
        #expect(value.generationId == 5)
        #expect(value.rackId == "r")
        #expect(value.encoded(version: 3) == wire)
        for n in 0..<wire.count {
            #expect(throws: ProtocolError.self) { try ConsumerProtocolSubscription.decode(Array(wire[0..<n])) }
        }
    }

    @Test("a subscription from a newer version is read with the v3 layout, ignoring trailing bytes")
    func subscriptionFutureVersion() throws {
        var wire = ConsumerProtocolSubscription(topics: ["t"], generationId: 2, rackId: "r").encoded(version: 3)
        wire[1] = 4
        wire.append(0xFF)
        let (version, value) = try ConsumerProtocolSubscription.decode(wire)
        #expect(version == 4)
        #expect(value.rackId == "r")
    }

    @Test("assignments decode at v0 and v3, and empty bytes mean no assignment")
    func assignments() throws {
        let v0: [UInt8] = [
            0x00, 0x00,  // version 0
            0x00, 0x00, 0x00, 0x01,  // assigned_partitions: 1
            0x00, 0x01, 0x74,  // topic
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,  // partitions [2]
            0xFF, 0xFF, 0xFF, 0xFF,  // user_data null
        ]
        let a0 = try ConsumerProtocolAssignment.decode(v0)
        #expect(a0.version == 0)
        #expect(a0.value == ConsumerProtocolAssignment(assignedPartitions: [.init(topic: "t", partitions: [2])]))
        #expect(a0.value.encoded(version: 0) == v0)
        var v3 = v0
        v3[1] = 3
        v3.replaceSubrange(v3.count - 4..<v3.count, with: [0, 0, 0, 0])  // user_data empty
        let a3 = try ConsumerProtocolAssignment.decode(v3)
        #expect(a3.value.userData == [])
        #expect(a3.value.encoded(version: 3) == v3)
        for n in 1..<v3.count {
            #expect(throws: ProtocolError.self) { try ConsumerProtocolAssignment.decode(Array(v3[0..<n])) }
        }
        #expect(try ConsumerProtocolAssignment.decode([]).value == ConsumerProtocolAssignment())
    }

    @Test("a negative version is rejected")
    func negativeVersion() {
        #expect(throws: ProtocolError.self) {
            try ConsumerProtocolSubscription.decode([0xFF, 0xFF, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])
        }
        #expect(throws: ProtocolError.self) {
            try ConsumerProtocolAssignment.decode([0xFF, 0xFF, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])
        }
    }

    @Test("subscriptions and assignments round trip at every version 0–3")
    func roundTrips() throws {
        let s = ConsumerProtocolSubscription(
            topics: ["a", "b"], userData: [1, 2], ownedPartitions: [.init(topic: "a", partitions: [0, 3])],
            generationId: 9, rackId: "rack-1")
        let a = ConsumerProtocolAssignment(assignedPartitions: [.init(topic: "a", partitions: [0])], userData: nil)
        for version in Int16(0)...3 {
            let sd = try ConsumerProtocolSubscription.decode(s.encoded(version: version))
            #expect(sd.version == version)
            #expect(sd.value.encoded(version: version) == s.encoded(version: version))
            let ad = try ConsumerProtocolAssignment.decode(a.encoded(version: version))
            #expect(ad.value == a)
        }
        #expect(try ConsumerProtocolSubscription.decode(s.encoded()).value == s)
        GroupWire.roundTrip(s, versions: ConsumerProtocolSubscription.versions, exactAt: [3])
    }
}
