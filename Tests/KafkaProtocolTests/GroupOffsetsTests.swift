import Testing

@testable import KafkaProtocol

// Strings used: "g" 67, "m" 6d, "t" 74.

@Suite("OffsetCommit")
struct GroupOffsetCommitTests {
    @Test("v2 request carries a retention time")
    func requestV2() throws {
        let wire: [UInt8] = [
            0x00, 0x01, 0x67,  // group_id
            0x00, 0x00, 0x00, 0x01,  // generation_id_or_member_epoch
            0x00, 0x01, 0x6D,  // member_id
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // retention_time_ms -1
            0x00, 0x00, 0x00, 0x01,  // topics: 1
            0x00, 0x01, 0x74,  // name
            0x00, 0x00, 0x00, 0x01,  // partitions: 1
            0x00, 0x00, 0x00, 0x00,  // partition_index
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2A,  // committed_offset 42
            0x00, 0x00,  // committed_metadata ""
        ]
        let v = try GroupWire.vector(OffsetCommitRequest.self, wire, version: 2)
        #expect(v.groupId == "g")
        #expect(v.generationIdOrMemberEpoch == 1)
        #expect(v.memberId == "m")
        #expect(v.retentionTimeMs == -1)
        #expect(
            v.topics == [
                .init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 42, committedMetadata: "")])
            ])
    }

    @Test("v8 request is flexible and carries the leader epoch")
    func requestV8() throws {
        let wire: [UInt8] = [
            0x02, 0x67,  // group_id
            0x00, 0x00, 0x00, 0x01,  // generation_id_or_member_epoch
            0x02, 0x6D,  // member_id
            0x00,  // group_instance_id null
            0x02,  // topics: 1
            0x02, 0x74,  // name
            0x02,  // partitions: 1
            0x00, 0x00, 0x00, 0x00,  // partition_index
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2A,  // committed_offset
            0x00, 0x00, 0x00, 0x05,  // committed_leader_epoch
            0x00,  // committed_metadata null
            0x00,  // partition tags
            0x00,  // topic tags
            0x00,  // tags
        ]
        let v = try GroupWire.vector(OffsetCommitRequest.self, wire, version: 8)
        let p = try #require(v.topics.first?.partitions.first)
        #expect(p.committedOffset == 42)
        #expect(p.committedLeaderEpoch == 5)
        #expect(p.committedMetadata == nil)
    }

    @Test("v2 and v8 responses decode per-partition errors")
    func responses() throws {
        let v2wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x01,  // topics: 1
            0x00, 0x01, 0x74,  // name
            0x00, 0x00, 0x00, 0x01,  // partitions: 1
            0x00, 0x00, 0x00, 0x00,  // partition_index
            0x00, 0x00,  // error_code
        ]
        let v2 = try GroupWire.vector(OffsetCommitResponse.self, v2wire, version: 2)
        #expect(v2.topics == [.init(name: "t", partitions: [.init(partitionIndex: 0, errorCode: 0)])])
        let v8wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x00,  // throttle_time_ms
            0x02, 0x02, 0x74,  // topics: 1, name
            0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x19,  // partitions: 1, index 0, error 25
            0x00, 0x00,  // partition and topic tags
            0x00,  // tags
        ]
        let v8 = try GroupWire.vector(OffsetCommitResponse.self, v8wire, version: 8)
        #expect(v8.topics.first?.partitions.first?.errorCode == 25)
    }

    @Test("round trips at every version 0–9")
    func roundTrips() {
        let request = OffsetCommitRequest(
            groupId: "g", generationIdOrMemberEpoch: 4, memberId: "m", groupInstanceId: "i", retentionTimeMs: 1000,
            topics: [
                .init(
                    name: "orders",
                    partitions: [
                        .init(
                            partitionIndex: 1, committedOffset: 99, committedLeaderEpoch: 2, commitTimestamp: 5,
                            committedMetadata: "meta"),
                        .init(partitionIndex: 2, committedOffset: 0),
                    ])
            ])
        GroupWire.roundTrip(request, versions: OffsetCommitRequest.versions)
        GroupWire.roundTrip(
            OffsetCommitResponse(
                throttleTimeMs: 7, topics: [.init(name: "orders", partitions: [.init(partitionIndex: 1, errorCode: 0)])]
            ),
            versions: OffsetCommitRequest.versions, exactAt: [3, 4, 5, 6, 7, 8, 9])
    }
}

@Suite("OffsetFetch")
struct GroupOffsetFetchTests {
    @Test("v1 request names topics and partitions of one group")
    func requestV1() throws {
        let wire: [UInt8] = [
            0x00, 0x01, 0x67,  // group_id
            0x00, 0x00, 0x00, 0x01,  // topics: 1
            0x00, 0x01, 0x74,  // name
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,  // partition_indexes [0]
        ]
        let v = try GroupWire.vector(OffsetFetchRequest.self, wire, version: 1)
        #expect(v.groupId == "g")
        #expect(v.topics == [.init(name: "t", partitionIndexes: [0])])
    }

    @Test("v7 request with null topics asks for every partition")
    func requestV7() throws {
        let wire: [UInt8] = [
            0x02, 0x67,  // group_id
            0x00,  // topics null
            0x01,  // require_stable
            0x00,  // tags
        ]
        let v = try GroupWire.vector(OffsetFetchRequest.self, wire, version: 7)
        #expect(v.topics == nil)
        #expect(v.requireStable)
    }

    @Test("v8 request batches groups")
    func requestV8() throws {
        let wire: [UInt8] = [
            0x02,  // groups: 1
            0x02, 0x67,  // group_id
            0x00,  // topics null
            0x00,  // group tags
            0x00,  // require_stable
            0x00,  // tags
        ]
        let v = try GroupWire.vector(OffsetFetchRequest.self, wire, version: 8)
        #expect(v.groups == [.init(groupId: "g", topics: nil)])
    }

    @Test("v1 response carries committed offsets")
    func responseV1() throws {
        let wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x01,  // topics: 1
            0x00, 0x01, 0x74,  // name
            0x00, 0x00, 0x00, 0x01,  // partitions: 1
            0x00, 0x00, 0x00, 0x00,  // partition_index
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2A,  // committed_offset
            0x00, 0x00,  // metadata ""
            0x00, 0x00,  // error_code
        ]
        let v = try GroupWire.vector(OffsetFetchResponse.self, wire, version: 1)
        #expect(
            v.topics == [.init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 42, metadata: "")])])
    }

    @Test("v8 response carries one result per group")
    func responseV8() throws {
        let wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x00,  // throttle_time_ms
            0x02,  // groups: 1
            0x02, 0x67,  // group_id
            0x02,  // topics: 1
            0x02, 0x74,  // name
            0x02,  // partitions: 1
            0x00, 0x00, 0x00, 0x00,  // partition_index
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2A,  // committed_offset
            0xFF, 0xFF, 0xFF, 0xFF,  // committed_leader_epoch -1
            0x01,  // metadata ""
            0x00, 0x00,  // error_code
            0x00,  // partition tags
            0x00,  // topic tags
            0x00, 0x00,  // group error_code
            0x00,  // group tags
            0x00,  // tags
        ]
        let v = try GroupWire.vector(OffsetFetchResponse.self, wire, version: 8)
        let g = try #require(v.groups.first)
        #expect(g.groupId == "g")
        #expect(g.errorCode == 0)
        #expect(
            g.topics.first?.partitions == [
                .init(partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: -1, metadata: "")
            ])
    }

    @Test("round trips at every version 0–9")
    func roundTrips() {
        GroupWire.roundTrip(
            OffsetFetchRequest(
                groupId: "g", topics: [.init(name: "t", partitionIndexes: [0, 1])],
                groups: [
                    .init(
                        groupId: "g", memberId: "m", memberEpoch: 3, topics: [.init(name: "t", partitionIndexes: [2])]),
                    .init(groupId: "h", topics: nil),
                ], requireStable: true),
            versions: OffsetFetchRequest.versions)
        GroupWire.roundTrip(
            OffsetFetchRequest(groupId: "g", topics: nil), versions: OffsetFetchRequest.versions,
            exactAt: [2, 3, 4, 5, 6, 7])
        GroupWire.roundTrip(
            OffsetFetchResponse(
                throttleTimeMs: 1,
                topics: [
                    .init(
                        name: "t",
                        partitions: [
                            .init(
                                partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: 2, metadata: nil,
                                errorCode: 0)
                        ])
                ],
                errorCode: 0,
                groups: [
                    .init(
                        groupId: "g",
                        topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 5)])],
                        errorCode: 0)
                ]),
            versions: OffsetFetchRequest.versions)
    }
}

@Suite("OffsetDelete")
struct GroupOffsetDeleteTests {
    @Test("v0 request and response decode field by field")
    func vectors() throws {
        let requestWire: [UInt8] = [
            0x00, 0x01, 0x67,  // group_id
            0x00, 0x00, 0x00, 0x01,  // topics: 1
            0x00, 0x01, 0x74,  // name
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,  // partitions: [0]
        ]
        let request = try GroupWire.vector(OffsetDeleteRequest.self, requestWire, version: 0)
        #expect(
            request
                == OffsetDeleteRequest(groupId: "g", topics: [.init(name: "t", partitions: [.init(partitionIndex: 0)])])
        )
        let responseWire: [UInt8] = [
            0x00, 0x00,  // error_code
            0x00, 0x00, 0x00, 0x00,  // throttle_time_ms
            0x00, 0x00, 0x00, 0x01,  // topics: 1
            0x00, 0x01, 0x74,  // name
            0x00, 0x00, 0x00, 0x01,  // partitions: 1
            0x00, 0x00, 0x00, 0x00,  // partition_index
            0x00, 0x56,  // error_code 86 GROUP_SUBSCRIBED_TO_TOPIC
        ]
        let response = try GroupWire.vector(OffsetDeleteResponse.self, responseWire, version: 0)
        #expect(response.topics.first?.partitions == [.init(partitionIndex: 0, errorCode: 86)])
    }

    @Test("round trips at version 0")
    func roundTrips() {
        GroupWire.roundTrip(
            OffsetDeleteRequest(groupId: "g", topics: [.init(name: "t", partitions: [.init(partitionIndex: 3)])]),
            versions: OffsetDeleteRequest.versions, exactAt: [0])
        GroupWire.roundTrip(
            OffsetDeleteResponse(
                errorCode: 0, throttleTimeMs: 2,
                topics: [.init(name: "t", partitions: [.init(partitionIndex: 3, errorCode: 0)])]),
            versions: OffsetDeleteRequest.versions, exactAt: [0])
    }
}
