import Testing

@testable import KafkaProtocol

// Hand-built vectors follow the field order of Kafka's JSON message definitions.
// Strings used: "g" 67, "m" 6d, "n" 6e, "i" 69, "h" 68, "range" 72 61 6e 67 65, "consumer" 63 6f 6e 73 75 6d 65 72.

@Suite("FindCoordinator")
struct GroupFindCoordinatorTests {
    @Test("v1 request carries a key and key type")
    func requestV1() throws {
        let wire: [UInt8] = [
            0x00, 0x01, 0x67,  // key "g"
            0x00,  // key_type 0 (group)
        ]
        let v = try GroupWire.vector(FindCoordinatorRequest.self, wire, version: 1)
        #expect(v.key == "g")
        #expect(v.keyType == 0)
    }

    @Test("v4 request batches coordinator keys in a compact array")
    func requestV4() throws {
        let wire: [UInt8] = [
            0x00,  // key_type
            0x02, 0x02, 0x67,  // coordinator_keys ["g"]
            0x00,  // tags
        ]
        let v = try GroupWire.vector(FindCoordinatorRequest.self, wire, version: 4)
        #expect(v.coordinatorKeys == ["g"])
        #expect(v.key == "")
    }

    @Test("v1 response carries a single coordinator")
    func responseV1() throws {
        let wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x00,  // throttle_time_ms
            0x00, 0x00,  // error_code
            0xFF, 0xFF,  // error_message null
            0x00, 0x00, 0x00, 0x01,  // node_id
            0x00, 0x01, 0x68,  // host "h"
            0x00, 0x00, 0x23, 0x84,  // port 9092
        ]
        let v = try GroupWire.vector(FindCoordinatorResponse.self, wire, version: 1)
        #expect(v.errorCode == 0)
        #expect(v.errorMessage == nil)
        #expect(v.nodeId == 1)
        #expect(v.host == "h")
        #expect(v.port == 9092)
    }

    @Test("v4 response carries one coordinator per key")
    func responseV4() throws {
        let wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x00,  // throttle_time_ms
            0x02,  // coordinators: 1
            0x02, 0x67,  // key "g"
            0x00, 0x00, 0x00, 0x01,  // node_id
            0x02, 0x68,  // host "h"
            0x00, 0x00, 0x23, 0x84,  // port
            0x00, 0x0F,  // error_code 15
            0x00,  // error_message null
            0x00,  // coordinator tags
            0x00,  // tags
        ]
        let v = try GroupWire.vector(FindCoordinatorResponse.self, wire, version: 4)
        #expect(v.coordinators == [.init(key: "g", nodeId: 1, host: "h", port: 9092, errorCode: 15)])
    }

    @Test("round trips at every version 0–6")
    func roundTrips() {
        GroupWire.roundTrip(
            FindCoordinatorRequest(key: "group", keyType: 1, coordinatorKeys: ["a", "b"]),
            versions: FindCoordinatorRequest.versions)
        GroupWire.roundTrip(
            FindCoordinatorResponse(
                throttleTimeMs: 5, errorCode: 0, errorMessage: "ok", nodeId: 3, host: "broker", port: 9093,
                coordinators: [.init(key: "a", nodeId: 1, host: "x", port: 1, errorCode: 0, errorMessage: nil)]),
            versions: FindCoordinatorRequest.versions)
    }
}

@Suite("JoinGroup")
struct GroupJoinGroupTests {
    @Test("v1 request decodes field by field")
    func requestV1() throws {
        let wire: [UInt8] = [
            0x00, 0x01, 0x67,  // group_id "g"
            0x00, 0x00, 0x27, 0x10,  // session_timeout_ms 10000
            0x00, 0x04, 0x93, 0xE0,  // rebalance_timeout_ms 300000
            0x00, 0x00,  // member_id ""
            0x00, 0x08, 0x63, 0x6F, 0x6E, 0x73, 0x75, 0x6D, 0x65, 0x72,  // protocol_type "consumer"
            0x00, 0x00, 0x00, 0x01,  // protocols: 1
            0x00, 0x05, 0x72, 0x61, 0x6E, 0x67, 0x65,  // name "range"
            0x00, 0x00, 0x00, 0x02, 0xAB, 0xCD,  // metadata
        ]
        let v = try GroupWire.vector(JoinGroupRequest.self, wire, version: 1)
        #expect(v.groupId == "g")
        #expect(v.sessionTimeoutMs == 10000)
        #expect(v.rebalanceTimeoutMs == 300000)
        #expect(v.memberId == "")
        #expect(v.groupInstanceId == nil)
        #expect(v.protocolType == "consumer")
        #expect(v.protocols == [.init(name: "range", metadata: [0xAB, 0xCD])])
    }

    @Test("v6 request uses compact types and tagged-field sections")
    func requestV6() throws {
        let wire: [UInt8] = [
            0x02, 0x67,  // group_id
            0x00, 0x00, 0x27, 0x10,  // session_timeout_ms
            0x00, 0x04, 0x93, 0xE0,  // rebalance_timeout_ms
            0x02, 0x6D,  // member_id "m"
            0x00,  // group_instance_id null
            0x09, 0x63, 0x6F, 0x6E, 0x73, 0x75, 0x6D, 0x65, 0x72,  // protocol_type
            0x02,  // protocols: 1
            0x06, 0x72, 0x61, 0x6E, 0x67, 0x65,  // name
            0x03, 0xAB, 0xCD,  // metadata
            0x00,  // protocol tags
            0x00,  // tags
        ]
        let v = try GroupWire.vector(JoinGroupRequest.self, wire, version: 6)
        #expect(v.memberId == "m")
        #expect(v.groupInstanceId == nil)
        #expect(v.protocols.first?.metadata == [0xAB, 0xCD])
    }

    @Test("v1 response decodes the member list for the leader")
    func responseV1() throws {
        let wire: [UInt8] = [
            0x00, 0x00,  // error_code
            0x00, 0x00, 0x00, 0x01,  // generation_id
            0x00, 0x05, 0x72, 0x61, 0x6E, 0x67, 0x65,  // protocol_name
            0x00, 0x01, 0x6D,  // leader
            0x00, 0x01, 0x6D,  // member_id
            0x00, 0x00, 0x00, 0x01,  // members: 1
            0x00, 0x01, 0x6D,  // member_id
            0x00, 0x00, 0x00, 0x01, 0x01,  // metadata
        ]
        let v = try GroupWire.vector(JoinGroupResponse.self, wire, version: 1)
        #expect(v.errorCode == 0)
        #expect(v.generationId == 1)
        #expect(v.protocolName == "range")
        #expect(v.leader == "m")
        #expect(v.memberId == "m")
        #expect(v.members == [.init(memberId: "m", metadata: [1])])
    }

    @Test("v7 response carries a nullable protocol type and name")
    func responseV7() throws {
        let wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x00,  // throttle_time_ms
            0x00, 0x00,  // error_code
            0x00, 0x00, 0x00, 0x01,  // generation_id
            0x09, 0x63, 0x6F, 0x6E, 0x73, 0x75, 0x6D, 0x65, 0x72,  // protocol_type
            0x06, 0x72, 0x61, 0x6E, 0x67, 0x65,  // protocol_name
            0x02, 0x6D,  // leader
            0x02, 0x6E,  // member_id "n"
            0x02,  // members: 1
            0x02, 0x6D,  // member_id
            0x02, 0x69,  // group_instance_id "i"
            0x02, 0x01,  // metadata
            0x00,  // member tags
            0x00,  // tags
        ]
        let v = try GroupWire.vector(JoinGroupResponse.self, wire, version: 7)
        #expect(v.protocolType == "consumer")
        #expect(v.protocolName == "range")
        #expect(v.memberId == "n")
        #expect(v.members == [.init(memberId: "m", groupInstanceId: "i", metadata: [1])])
    }

    @Test("round trips at every version 0–9")
    func roundTrips() {
        let request = JoinGroupRequest(
            groupId: "g1", sessionTimeoutMs: 45000, rebalanceTimeoutMs: 300000, memberId: "m-1",
            groupInstanceId: "static-1", protocolType: "consumer",
            protocols: [.init(name: "range", metadata: [0, 1, 2]), .init(name: "roundrobin", metadata: [])],
            reason: "rejoin")
        GroupWire.roundTrip(request, versions: JoinGroupRequest.versions, exactAt: [8, 9])
        let response = JoinGroupResponse(
            throttleTimeMs: 1, errorCode: 0, generationId: 7, protocolType: "consumer", protocolName: "range",
            leader: "m-1", skipAssignment: true, memberId: "m-1",
            members: [.init(memberId: "m-1", groupInstanceId: "s", metadata: [9]), .init(memberId: "m-2")])
        GroupWire.roundTrip(response, versions: JoinGroupRequest.versions, exactAt: [9])
    }

    @Test("a null protocol name is written as an empty string before v7")
    func nullProtocolNameOldVersion() throws {
        let bytes = GroupWire.encode(JoinGroupResponse(protocolName: nil), version: 6)
        let v = try GroupWire.decode(JoinGroupResponse.self, bytes, version: 6)
        #expect(v.protocolName == "")
    }
}

@Suite("SyncGroup")
struct GroupSyncGroupTests {
    @Test("v1 request carries the leader's assignments")
    func requestV1() throws {
        let wire: [UInt8] = [
            0x00, 0x01, 0x67,  // group_id
            0x00, 0x00, 0x00, 0x01,  // generation_id
            0x00, 0x01, 0x6D,  // member_id
            0x00, 0x00, 0x00, 0x01,  // assignments: 1
            0x00, 0x01, 0x6D,  // member_id
            0x00, 0x00, 0x00, 0x02, 0x00, 0x03,  // assignment
        ]
        let v = try GroupWire.vector(SyncGroupRequest.self, wire, version: 1)
        #expect(v.groupId == "g")
        #expect(v.generationId == 1)
        #expect(v.memberId == "m")
        #expect(v.assignments == [.init(memberId: "m", assignment: [0, 3])])
    }

    @Test("v5 request carries protocol type and name")
    func requestV5() throws {
        let wire: [UInt8] = [
            0x02, 0x67,  // group_id
            0x00, 0x00, 0x00, 0x01,  // generation_id
            0x02, 0x6D,  // member_id
            0x00,  // group_instance_id null
            0x09, 0x63, 0x6F, 0x6E, 0x73, 0x75, 0x6D, 0x65, 0x72,  // protocol_type
            0x06, 0x72, 0x61, 0x6E, 0x67, 0x65,  // protocol_name
            0x02,  // assignments: 1
            0x02, 0x6D,  // member_id
            0x03, 0x00, 0x03,  // assignment
            0x00,  // assignment tags
            0x00,  // tags
        ]
        let v = try GroupWire.vector(SyncGroupRequest.self, wire, version: 5)
        #expect(v.protocolType == "consumer")
        #expect(v.protocolName == "range")
        #expect(v.assignments.first?.assignment == [0, 3])
    }

    @Test("v0 response carries the member's assignment")
    func responseV0() throws {
        let wire: [UInt8] = [
            0x00, 0x00,  // error_code
            0x00, 0x00, 0x00, 0x02, 0x00, 0x03,  // assignment
        ]
        let v = try GroupWire.vector(SyncGroupResponse.self, wire, version: 0)
        #expect(v.assignment == [0, 3])
    }

    @Test("v4 response is flexible")
    func responseV4() throws {
        let wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x00,  // throttle_time_ms
            0x00, 0x1B,  // error_code 27 REBALANCE_IN_PROGRESS
            0x01,  // assignment empty
            0x00,  // tags
        ]
        let v = try GroupWire.vector(SyncGroupResponse.self, wire, version: 4)
        #expect(v.errorCode == 27)
        #expect(v.assignment == [])
    }

    @Test("round trips at every version 0–5")
    func roundTrips() {
        GroupWire.roundTrip(
            SyncGroupRequest(
                groupId: "g", generationId: 3, memberId: "m", groupInstanceId: "i", protocolType: "consumer",
                protocolName: "range", assignments: [.init(memberId: "m", assignment: [1, 2]), .init(memberId: "n")]),
            versions: SyncGroupRequest.versions, exactAt: [5])
        GroupWire.roundTrip(
            SyncGroupResponse(
                throttleTimeMs: 2, errorCode: 0, protocolType: "consumer", protocolName: "range", assignment: [7]),
            versions: SyncGroupRequest.versions, exactAt: [5])
    }
}

@Suite("Heartbeat")
struct GroupHeartbeatTests {
    @Test("v0 request decodes field by field")
    func requestV0() throws {
        let wire: [UInt8] = [
            0x00, 0x01, 0x67,  // group_id
            0x00, 0x00, 0x00, 0x01,  // generation_id
            0x00, 0x01, 0x6D,  // member_id
        ]
        let v = try GroupWire.vector(HeartbeatRequest.self, wire, version: 0)
        #expect(v == HeartbeatRequest(groupId: "g", generationId: 1, memberId: "m"))
    }

    @Test("v4 request is flexible and carries a group instance id")
    func requestV4() throws {
        let wire: [UInt8] = [
            0x02, 0x67,  // group_id
            0x00, 0x00, 0x00, 0x01,  // generation_id
            0x02, 0x6D,  // member_id
            0x02, 0x69,  // group_instance_id "i"
            0x00,  // tags
        ]
        let v = try GroupWire.vector(HeartbeatRequest.self, wire, version: 4)
        #expect(v == HeartbeatRequest(groupId: "g", generationId: 1, memberId: "m", groupInstanceId: "i"))
    }

    @Test("v0 and v4 responses decode their error code")
    func responses() throws {
        let v0 = try GroupWire.vector(HeartbeatResponse.self, [0x00, 0x1B], version: 0)
        #expect(v0.errorCode == 27)
        let v4 = try GroupWire.vector(HeartbeatResponse.self, [0x00, 0x00, 0x00, 0x0A, 0x00, 0x00, 0x00], version: 4)
        #expect(v4.throttleTimeMs == 10)
        #expect(v4.errorCode == 0)
    }

    @Test("unknown tagged fields are skipped and not re-emitted")
    func unknownTagsSkipped() throws {
        let wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x00,  // throttle_time_ms
            0x00, 0x00,  // error_code
            0x01, 0x05, 0x02, 0xAA, 0xBB,  // tags: one unknown tag 5 with 2 bytes
        ]
        let v = try GroupWire.decode(HeartbeatResponse.self, wire, version: 4)
        #expect(v.errorCode == 0)
        #expect(GroupWire.encode(v, version: 4) == [0, 0, 0, 0, 0, 0, 0])
    }

    @Test("round trips at every version 0–4")
    func roundTrips() {
        GroupWire.roundTrip(
            HeartbeatRequest(groupId: "g", generationId: 9, memberId: "m", groupInstanceId: "i"),
            versions: HeartbeatRequest.versions, exactAt: [3, 4])
        GroupWire.roundTrip(
            HeartbeatResponse(throttleTimeMs: 3, errorCode: 22), versions: HeartbeatRequest.versions,
            exactAt: [1, 2, 3, 4])
    }
}

@Suite("LeaveGroup")
struct GroupLeaveGroupTests {
    @Test("v1 request names one member")
    func requestV1() throws {
        let wire: [UInt8] = [0x00, 0x01, 0x67, 0x00, 0x01, 0x6D]  // group_id "g", member_id "m"
        let v = try GroupWire.vector(LeaveGroupRequest.self, wire, version: 1)
        #expect(v.groupId == "g")
        #expect(v.memberId == "m")
    }

    @Test("v4 request batches members")
    func requestV4() throws {
        let wire: [UInt8] = [
            0x02, 0x67,  // group_id
            0x02,  // members: 1
            0x02, 0x6D,  // member_id
            0x00,  // group_instance_id null
            0x00,  // member tags
            0x00,  // tags
        ]
        let v = try GroupWire.vector(LeaveGroupRequest.self, wire, version: 4)
        #expect(v.members == [.init(memberId: "m")])
    }

    @Test("v1 and v4 responses decode")
    func responses() throws {
        let v1 = try GroupWire.vector(LeaveGroupResponse.self, [0, 0, 0, 0, 0x00, 0x19], version: 1)
        #expect(v1.errorCode == 25)
        let wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x00,  // throttle_time_ms
            0x00, 0x00,  // error_code
            0x02,  // members: 1
            0x02, 0x6D,  // member_id
            0x02, 0x69,  // group_instance_id
            0x00, 0x00,  // error_code
            0x00,  // member tags
            0x00,  // tags
        ]
        let v4 = try GroupWire.vector(LeaveGroupResponse.self, wire, version: 4)
        #expect(v4.members == [.init(memberId: "m", groupInstanceId: "i", errorCode: 0)])
    }

    @Test("round trips at every version 0–5")
    func roundTrips() {
        GroupWire.roundTrip(
            LeaveGroupRequest(
                groupId: "g", memberId: "m", members: [.init(memberId: "a", groupInstanceId: "i", reason: "bye")]),
            versions: LeaveGroupRequest.versions)
        GroupWire.roundTrip(
            LeaveGroupResponse(
                throttleTimeMs: 1, errorCode: 0, members: [.init(memberId: "a", groupInstanceId: nil, errorCode: 25)]),
            versions: LeaveGroupRequest.versions, exactAt: [3, 4, 5])
    }
}
