import Testing

@testable import KafkaProtocol

// Strings used: "g" 67, "m" 6d, "c" 63, "h" 68, "Stable" 53 74 61 62 6c 65, "classic" 63 6c 61 73 73 69 63,
// "consumer" 63 6f 6e 73 75 6d 65 72, "range" 72 61 6e 67 65.

@Suite("ListGroups")
struct GroupListGroupsTests {
    @Test("v0 request is empty and v4/v5 requests carry filters")
    func requests() throws {
        let v0 = try GroupWire.vector(ListGroupsRequest.self, [], version: 0)
        #expect(v0 == ListGroupsRequest())
        let v4wire: [UInt8] = [
            0x02, 0x07, 0x53, 0x74, 0x61, 0x62, 0x6C, 0x65,  // states_filter ["Stable"]
            0x00,  // tags
        ]
        let v4 = try GroupWire.vector(ListGroupsRequest.self, v4wire, version: 4)
        #expect(v4.statesFilter == ["Stable"])
        let v5wire: [UInt8] = [
            0x01,  // states_filter []
            0x02, 0x08, 0x63, 0x6C, 0x61, 0x73, 0x73, 0x69, 0x63,  // types_filter ["classic"]
            0x00,  // tags
        ]
        let v5 = try GroupWire.vector(ListGroupsRequest.self, v5wire, version: 5)
        #expect(v5.typesFilter == ["classic"])
    }

    @Test("v0 response lists group ids and protocol types")
    func responseV0() throws {
        let wire: [UInt8] = [
            0x00, 0x00,  // error_code
            0x00, 0x00, 0x00, 0x01,  // groups: 1
            0x00, 0x01, 0x67,  // group_id
            0x00, 0x08, 0x63, 0x6F, 0x6E, 0x73, 0x75, 0x6D, 0x65, 0x72,  // protocol_type
        ]
        let v = try GroupWire.vector(ListGroupsResponse.self, wire, version: 0)
        #expect(v.groups == [.init(groupId: "g", protocolType: "consumer")])
    }

    @Test("v4 response adds the group state")
    func responseV4() throws {
        let wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x00,  // throttle_time_ms
            0x00, 0x00,  // error_code
            0x02,  // groups: 1
            0x02, 0x67,  // group_id
            0x09, 0x63, 0x6F, 0x6E, 0x73, 0x75, 0x6D, 0x65, 0x72,  // protocol_type
            0x07, 0x53, 0x74, 0x61, 0x62, 0x6C, 0x65,  // group_state
            0x00,  // group tags
            0x00,  // tags
        ]
        let v = try GroupWire.vector(ListGroupsResponse.self, wire, version: 4)
        #expect(v.groups == [.init(groupId: "g", protocolType: "consumer", groupState: "Stable")])
    }

    @Test("round trips at every version 0–5")
    func roundTrips() {
        GroupWire.roundTrip(
            ListGroupsRequest(statesFilter: ["Stable", "Empty"], typesFilter: ["classic"]),
            versions: ListGroupsRequest.versions, exactAt: [5])
        GroupWire.roundTrip(
            ListGroupsResponse(
                throttleTimeMs: 1, errorCode: 0,
                groups: [.init(groupId: "g", protocolType: "consumer", groupState: "Stable", groupType: "classic")]),
            versions: ListGroupsRequest.versions, exactAt: [5])
    }
}

@Suite("DescribeGroups")
struct GroupDescribeGroupsTests {
    @Test("v0 and v5 requests decode")
    func requests() throws {
        let v0 = try GroupWire.vector(DescribeGroupsRequest.self, [0, 0, 0, 1, 0x00, 0x01, 0x67], version: 0)
        #expect(v0.groups == ["g"])
        let v5 = try GroupWire.vector(DescribeGroupsRequest.self, [0x02, 0x02, 0x67, 0x01, 0x00], version: 5)
        #expect(v5.groups == ["g"])
        #expect(v5.includeAuthorizedOperations)
    }

    @Test("v0 response describes members with their metadata and assignment")
    func responseV0() throws {
        let wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x01,  // groups: 1
            0x00, 0x00,  // error_code
            0x00, 0x01, 0x67,  // group_id
            0x00, 0x06, 0x53, 0x74, 0x61, 0x62, 0x6C, 0x65,  // group_state
            0x00, 0x08, 0x63, 0x6F, 0x6E, 0x73, 0x75, 0x6D, 0x65, 0x72,  // protocol_type
            0x00, 0x05, 0x72, 0x61, 0x6E, 0x67, 0x65,  // protocol_data
            0x00, 0x00, 0x00, 0x01,  // members: 1
            0x00, 0x01, 0x6D,  // member_id
            0x00, 0x01, 0x63,  // client_id
            0x00, 0x01, 0x68,  // client_host
            0x00, 0x00, 0x00, 0x01, 0x01,  // member_metadata
            0x00, 0x00, 0x00, 0x01, 0x02,  // member_assignment
        ]
        let v = try GroupWire.vector(DescribeGroupsResponse.self, wire, version: 0)
        let g = try #require(v.groups.first)
        #expect(g.groupId == "g")
        #expect(g.groupState == "Stable")
        #expect(g.protocolType == "consumer")
        #expect(g.protocolData == "range")
        #expect(
            g.members == [
                .init(memberId: "m", clientId: "c", clientHost: "h", memberMetadata: [1], memberAssignment: [2])
            ])
    }

    @Test("v5 response is flexible and carries authorized operations")
    func responseV5() throws {
        let wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x00,  // throttle_time_ms
            0x02,  // groups: 1
            0x00, 0x00,  // error_code
            0x02, 0x67,  // group_id
            0x07, 0x53, 0x74, 0x61, 0x62, 0x6C, 0x65,  // group_state
            0x09, 0x63, 0x6F, 0x6E, 0x73, 0x75, 0x6D, 0x65, 0x72,  // protocol_type
            0x06, 0x72, 0x61, 0x6E, 0x67, 0x65,  // protocol_data
            0x02,  // members: 1
            0x02, 0x6D,  // member_id
            0x00,  // group_instance_id null
            0x02, 0x63,  // client_id
            0x02, 0x68,  // client_host
            0x02, 0x01,  // member_metadata
            0x02, 0x02,  // member_assignment
            0x00,  // member tags
            0x80, 0x00, 0x00, 0x00,  // authorized_operations Int32.min
            0x00,  // group tags
            0x00,  // tags
        ]
        let v = try GroupWire.vector(DescribeGroupsResponse.self, wire, version: 5)
        let g = try #require(v.groups.first)
        #expect(g.authorizedOperations == Int32.min)
        #expect(g.members.first?.memberAssignment == [2])
    }

    @Test("round trips at every version 0–5")
    func roundTrips() {
        GroupWire.roundTrip(
            DescribeGroupsRequest(groups: ["a", "b"], includeAuthorizedOperations: true),
            versions: DescribeGroupsRequest.versions, exactAt: [3, 4, 5])
        GroupWire.roundTrip(
            DescribeGroupsResponse(
                throttleTimeMs: 1,
                groups: [
                    .init(
                        errorCode: 0, groupId: "g", groupState: "Stable", protocolType: "consumer",
                        protocolData: "range",
                        members: [
                            .init(
                                memberId: "m", groupInstanceId: "i", clientId: "c", clientHost: "/127.0.0.1",
                                memberMetadata: [1, 2], memberAssignment: [3])
                        ], authorizedOperations: 0x0F)
                ]),
            versions: DescribeGroupsRequest.versions, exactAt: [4, 5])
    }
}

@Suite("DeleteGroups")
struct GroupDeleteGroupsTests {
    @Test("v1 and v2 requests decode")
    func requests() throws {
        let v1 = try GroupWire.vector(DeleteGroupsRequest.self, [0, 0, 0, 1, 0x00, 0x01, 0x67], version: 1)
        #expect(v1.groupsNames == ["g"])
        let v2 = try GroupWire.vector(DeleteGroupsRequest.self, [0x02, 0x02, 0x67, 0x00], version: 2)
        #expect(v2.groupsNames == ["g"])
    }

    @Test("v1 and v2 responses decode per-group results")
    func responses() throws {
        let v1wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x00,  // throttle_time_ms
            0x00, 0x00, 0x00, 0x01,  // results: 1
            0x00, 0x01, 0x67,  // group_id
            0x00, 0x45,  // error_code 69 GROUP_ID_NOT_FOUND
        ]
        let v1 = try GroupWire.vector(DeleteGroupsResponse.self, v1wire, version: 1)
        #expect(v1.results == [.init(groupId: "g", errorCode: 69)])
        let v2wire: [UInt8] = [0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x67, 0x00, 0x00, 0x00, 0x00]
        let v2 = try GroupWire.vector(DeleteGroupsResponse.self, v2wire, version: 2)
        #expect(v2.results == [.init(groupId: "g", errorCode: 0)])
    }

    @Test("round trips at every version 0–2")
    func roundTrips() {
        GroupWire.roundTrip(
            DeleteGroupsRequest(groupsNames: ["a", "b"]), versions: DeleteGroupsRequest.versions, exactAt: [0, 1, 2])
        GroupWire.roundTrip(
            DeleteGroupsResponse(throttleTimeMs: 3, results: [.init(groupId: "a", errorCode: 68)]),
            versions: DeleteGroupsRequest.versions, exactAt: [0, 1, 2])
    }
}
