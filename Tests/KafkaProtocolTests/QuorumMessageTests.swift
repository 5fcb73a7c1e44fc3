import Testing

@testable import KafkaProtocol

/// The KRaft quorum RPCs (KIP-595, KIP-630, KIP-836, KIP-853): every version round-trips fully populated values, and
/// a hand-annotated Vote v0 frame decodes field by field and re-encodes byte for byte.
@Suite("KRaft quorum messages")
struct QuorumMessageTests {
    static let directory = UUIDValue(bytes: Array(repeating: 9, count: 16))

    @Test("Vote round-trips at versions 0-2") func vote() throws {
        let request = VoteRequest(
            clusterId: "cid", voterId: 3,
            topics: [
                .init(
                    topicName: "__cluster_metadata",
                    partitions: [
                        .init(
                            partitionIndex: 0, candidateEpoch: 7, candidateId: 2, candidateDirectoryId: Self.directory,
                            voterDirectoryId: sampleTopicId, lastOffsetEpoch: 6, lastOffset: 1234)
                    ])
            ])
        let response = VoteResponse(
            errorCode: 0,
            topics: [
                .init(
                    topicName: "__cluster_metadata",
                    partitions: [.init(partitionIndex: 0, errorCode: 0, leaderId: 1, leaderEpoch: 7, voteGranted: true)]
                )
            ], nodeEndpoints: [.init(nodeId: 1, host: "kraft-1", port: 9093)])
        try expectRoundTrips(request, versions: VoteRequest.versions)
        try expectRoundTrips(response, versions: VoteRequest.versions)
        #expect(VoteRequest.apiKey.rawValue == 52 && VoteRequest.versions == 0...2)
    }

    @Test("BeginQuorumEpoch round-trips at versions 0-1") func beginQuorumEpoch() throws {
        let request = BeginQuorumEpochRequest(
            clusterId: "cid", voterId: 2,
            topics: [
                .init(
                    topicName: "__cluster_metadata",
                    partitions: [
                        .init(partitionIndex: 0, voterDirectoryId: Self.directory, leaderId: 1, leaderEpoch: 4)
                    ])
            ], leaderEndpoints: [.init(name: "CONTROLLER", host: "kraft-1", port: 9093)])
        let response = BeginQuorumEpochResponse(
            errorCode: 0,
            topics: [
                .init(
                    topicName: "__cluster_metadata",
                    partitions: [.init(partitionIndex: 0, errorCode: 74, leaderId: 1, leaderEpoch: 5)])
            ], nodeEndpoints: [.init(nodeId: 1, host: "kraft-1", port: 9093)])
        try expectRoundTrips(request, versions: BeginQuorumEpochRequest.versions)
        try expectRoundTrips(response, versions: BeginQuorumEpochRequest.versions)
        #expect(BeginQuorumEpochRequest.apiKey.rawValue == 53)
    }

    @Test("EndQuorumEpoch round-trips at versions 0-1") func endQuorumEpoch() throws {
        let request = EndQuorumEpochRequest(
            clusterId: "cid",
            topics: [
                .init(
                    topicName: "__cluster_metadata",
                    partitions: [
                        .init(
                            partitionIndex: 0, leaderId: 1, leaderEpoch: 4, preferredSuccessors: [3, 2],
                            preferredCandidates: [.init(candidateId: 3, candidateDirectoryId: Self.directory)])
                    ])
            ], leaderEndpoints: [.init(name: "CONTROLLER", host: "kraft-1", port: 9093)])
        let response = EndQuorumEpochResponse(
            errorCode: 0,
            topics: [
                .init(
                    topicName: "__cluster_metadata",
                    partitions: [.init(partitionIndex: 0, errorCode: 0, leaderId: 1, leaderEpoch: 4)])
            ], nodeEndpoints: [.init(nodeId: 1, host: "kraft-1", port: 9093)])
        try expectRoundTrips(request, versions: EndQuorumEpochRequest.versions)
        try expectRoundTrips(response, versions: EndQuorumEpochRequest.versions)
        #expect(EndQuorumEpochRequest.apiKey.rawValue == 54)
    }

    @Test("DescribeQuorum round-trips at versions 0-2") func describeQuorum() throws {
        let request = DescribeQuorumRequest(topics: [.init(topicName: "__cluster_metadata", partitions: [.init()])])
        let voter = DescribeQuorumResponse.ReplicaState(
            replicaId: 1, replicaDirectoryId: Self.directory, logEndOffset: 10, lastFetchTimestamp: 1_700_000_000_000,
            lastCaughtUpTimestamp: 1_700_000_000_001)
        let response = DescribeQuorumResponse(
            errorCode: 0, errorMessage: "none",
            topics: [
                .init(
                    topicName: "__cluster_metadata",
                    partitions: [
                        .init(
                            partitionIndex: 0, errorCode: 0, errorMessage: nil, leaderId: 1, leaderEpoch: 3,
                            highWatermark: 10, currentVoters: [voter], observers: [voter])
                    ])
            ],
            nodes: [.init(nodeId: 1, listeners: [.init(name: "CONTROLLER", host: "kraft-1", port: 9093)])])
        try expectRoundTrips(request, versions: DescribeQuorumRequest.versions)
        try expectRoundTrips(response, versions: DescribeQuorumRequest.versions)
        #expect(DescribeQuorumRequest.apiKey.rawValue == 55 && DescribeQuorumRequest.versions == 0...2)
    }

    @Test("FetchSnapshot round-trips at versions 0-1") func fetchSnapshot() throws {
        let request = FetchSnapshotRequest(
            clusterId: "cid", replicaId: 2, maxBytes: 1 << 20,
            topics: [
                .init(
                    name: "__cluster_metadata",
                    partitions: [
                        .init(
                            partition: 0, currentLeaderEpoch: 5, snapshotId: .init(endOffset: 100, epoch: 4),
                            position: 4096, replicaDirectoryId: Self.directory)
                    ])
            ])
        let response = FetchSnapshotResponse(
            throttleTimeMs: 0, errorCode: 0,
            topics: [
                .init(
                    name: "__cluster_metadata",
                    partitions: [
                        .init(
                            index: 0, errorCode: 0, snapshotId: .init(endOffset: 100, epoch: 4),
                            currentLeader: .init(leaderId: 1, leaderEpoch: 5), size: 8192, position: 4096,
                            unalignedRecords: .bytes([1, 2, 3]))
                    ])
            ], nodeEndpoints: [.init(nodeId: 1, host: "kraft-1", port: 9093)])
        try expectRoundTrips(request, versions: FetchSnapshotRequest.versions)
        try expectRoundTrips(response, versions: FetchSnapshotRequest.versions)
        #expect(FetchSnapshotRequest.apiKey.rawValue == 59)
    }

    @Test("a Vote v0 request decodes field by field and re-encodes byte for byte") func voteVector() throws {
        let bytes =
            hex("02 63")  // clusterId "c" (compact nullable string)
            + hex("02")  // topics: 1 (compact array)
            + hex("13") + utf8("__cluster_metadata")  // topicName
            + hex("02")  // partitions: 1
            + hex("00000000")  // partitionIndex 0
            + hex("00000005")  // candidateEpoch 5
            + hex("00000002")  // candidateId 2
            + hex("00000004")  // lastOffsetEpoch 4
            + hex("0000000000000064")  // lastOffset 100
            + hex("00 00 00")  // tagged fields: partition, topic, request
        try checkVector(VoteRequest.self, version: 0, bytes) { request in
            #expect(request.clusterId == "c")
            #expect(request.voterId == -1)
            let partition = request.topics.first?.partitions.first
            #expect(request.topics.first?.topicName == "__cluster_metadata")
            #expect(partition?.candidateEpoch == 5)
            #expect(partition?.candidateId == 2)
            #expect(partition?.lastOffsetEpoch == 4)
            #expect(partition?.lastOffset == 100)
        }
    }
}
