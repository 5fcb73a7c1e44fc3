import KRaft
import KafkaProtocol
import KafkaRecords
import Testing

@testable import Broker

/// The quorum RPCs between the core's ``RaftMessage``s and Kafka's wire messages: every mapping survives a trip
/// through the encoded bytes at each version, with Kafka's sentinels and field placements.
@Suite("KRaft wire mapping")
struct RaftWireTests {
    static let clusterId = "MkU3OEVBNTcwNTJENDM2Qg"

    /// Encodes `message` at `version` and decodes it back, as the peer would read it.
    func throughBytes<M: KafkaMessage>(_ message: M, version: Int16) throws -> M {
        var w = ProtocolWriter()
        message.write(to: &w, version: version)
        var r = ProtocolReader(w.bytes)
        return try M(reading: &r, version: version)
    }

    @Test("a pre-vote request keeps its flag at Vote v2 and the answer takes it from the request")
    func vote() throws {
        let request = KRaft.VoteRequest(
            candidateEpoch: 7, candidateId: 2, lastOffsetEpoch: 6, lastOffset: 1234, preVote: true)
        let wire = try throughBytes(RaftWire.request(request, clusterId: Self.clusterId, voterId: 3), version: 2)
        #expect(wire.voterId == 3 && wire.clusterId == Self.clusterId)
        #expect(wire.topics.map(\.topicName) == ["__cluster_metadata"])
        #expect(try RaftWire.decode(wire, clusterId: Self.clusterId) == request)
        // v1 has no PreVote field: an older peer reads a plain vote.
        let v1 = try throughBytes(RaftWire.request(request, clusterId: Self.clusterId, voterId: 3), version: 1)
        #expect(try RaftWire.decode(v1, clusterId: Self.clusterId).preVote == false)

        let answer = KRaft.VoteResponse(leaderEpoch: 7, leaderId: nil, voteGranted: true, preVote: true)
        let wireAnswer = try throughBytes(RaftWire.response(answer), version: 2)
        #expect(wireAnswer.topics[0].partitions[0].leaderId == -1)
        #expect(try RaftWire.decode(wireAnswer, for: request) == answer)
    }

    @Test("BeginQuorumEpoch and EndQuorumEpoch round-trip at v0 and v1 with the leader's endpoint")
    func epochs() throws {
        let begin = KRaft.BeginQuorumEpochRequest(leaderEpoch: 4, leaderId: 1)
        let endpoint = (name: "CONTROLLER", host: "127.0.0.1", port: 9093)
        for version: Int16 in 0...1 {
            let wire = try throughBytes(
                RaftWire.request(begin, clusterId: Self.clusterId, voterId: 2, leaderEndpoint: endpoint),
                version: version)
            #expect(try RaftWire.decode(wire, clusterId: Self.clusterId) == begin)
            #expect(wire.leaderEndpoints.map(\.port) == (version >= 1 ? [9093] : []))
        }
        let end = KRaft.EndQuorumEpochRequest(leaderEpoch: 4, leaderId: 1, preferredSuccessors: [3, 2])
        for version: Int16 in 0...1 {
            let wire = try throughBytes(
                RaftWire.request(end, clusterId: Self.clusterId, leaderEndpoint: endpoint), version: version)
            #expect(try RaftWire.decode(wire, version: version, clusterId: Self.clusterId) == end)
        }
        let refused = EpochResponse(leaderEpoch: 5, leaderId: 3, error: .fencedLeaderEpoch)
        let wireRefused = try throughBytes(
            RaftWire.response(refused) as KafkaProtocol.EndQuorumEpochResponse, version: 1)
        #expect(wireRefused.topics[0].partitions[0].errorCode == 74)
        #expect(try RaftWire.decode(wireRefused) == refused)
        let accepted = EpochResponse(leaderEpoch: 5, leaderId: nil)
        let wireAccepted = try throughBytes(
            RaftWire.response(accepted) as KafkaProtocol.BeginQuorumEpochResponse, version: 0)
        #expect(try RaftWire.decode(wireAccepted) == accepted)
    }

    @Test("a follower's Fetch names the replica and the metadata topic where each version carries them")
    func fetchRequest() throws {
        let fetch = KRaft.FetchRequest(
            correlationId: 9, replicaId: 2, replicaEpoch: 5, fetchOffset: 42, lastFetchedEpoch: 4)
        for version: Int16 in [12, 13, 15, 17] {
            let wire = try throughBytes(
                RaftWire.request(fetch, clusterId: Self.clusterId, version: version, maxWaitMs: 500),
                version: version)
            #expect(RaftWire.isMetadataFetch(wire, version: version))
            #expect(wire.effectiveReplicaId(version: version) == 2)
            let partition = wire.topics[0].partitions[0]
            #expect(partition.currentLeaderEpoch == 5 && partition.fetchOffset == 42 && partition.lastFetchedEpoch == 4)
            var decoded = try RaftWire.decode(wire, version: version, clusterId: Self.clusterId)
            decoded.correlationId = 9
            #expect(decoded == fetch)
        }
        // Kafka's METADATA_TOPIC_ID is (0, 1): "AAAAAAAAAAAAAAAAAAAAAQ".
        #expect(RaftWire.topicId.base64URL == "AAAAAAAAAAAAAAAAAAAAAQ")
    }

    @Test("Fetch answers carry entries as record batches with LeaderChange as a control batch")
    func fetchResponse() throws {
        let entries = [
            LogEntry(offset: 10, epoch: 3, record: .leaderChange(leaderId: 1, voters: [1, 2, 3])),
            LogEntry(offset: 11, epoch: 3, record: .data([1, 2, 3])),
            LogEntry(offset: 12, epoch: 3, record: .data([])),
            LogEntry(offset: 13, epoch: 4, record: .leaderChange(leaderId: 2, voters: [1, 2, 3])),
            LogEntry(offset: 14, epoch: 4, record: .data([9])),
        ]
        let answer = KRaft.FetchResponse(
            correlationId: 77, leaderEpoch: 4, leaderId: 2, highWatermark: 12, entries: entries)
        let request = KRaft.FetchRequest(
            correlationId: 77, replicaId: 3, replicaEpoch: 4, fetchOffset: 10, lastFetchedEpoch: 2)
        let wire = try throughBytes(try RaftWire.response(answer, timestamp: 1_700_000_000_000), version: 17)
        let partition = wire.responses[0].partitions[0]
        #expect(wire.responses[0].topicId == RaftWire.topicId)
        #expect(partition.currentLeader.leaderId == 2 && partition.currentLeader.leaderEpoch == 4)
        #expect(partition.divergingEpoch.epoch == -1 && partition.snapshotId.epoch == -1)
        #expect(try RaftWire.decode(wire, for: request) == answer)

        guard case .bytes(let bytes) = partition.records else { Issue.record("records not inline"); return }
        let batches = try RecordBatchIterator.batches(in: bytes).entries
        #expect(batches.map(\.header.baseOffset) == [10, 11, 13, 14])
        #expect(batches.map(\.header.isControl) == [true, false, true, false])
        #expect(batches.map(\.header.partitionLeaderEpoch) == [3, 3, 4, 4])
        let control = try RecordBatch(parsing: Array(bytes[batches[0].range]))
        #expect(control.records[0].key == [0, 0, 0, 2])
    }

    @Test("diverging epoch, snapshot id and an unknown high watermark use Kafka's sentinels")
    func fetchSentinels() throws {
        let request = KRaft.FetchRequest(
            correlationId: 1, replicaId: 3, replicaEpoch: 4, fetchOffset: 10, lastFetchedEpoch: 2)
        let diverging = KRaft.FetchResponse(
            correlationId: 1, leaderEpoch: 4, leaderId: 1, highWatermark: nil,
            divergingEpoch: OffsetAndEpoch(offset: 8, epoch: 2))
        let wire = try throughBytes(try RaftWire.response(diverging, timestamp: 0), version: 17)
        #expect(wire.responses[0].partitions[0].highWatermark == -1)
        #expect(wire.responses[0].partitions[0].divergingEpoch.endOffset == 8)
        #expect(try RaftWire.decode(wire, for: request) == diverging)

        let snapshot = KRaft.FetchResponse(
            correlationId: 1, leaderEpoch: 4, leaderId: 1, highWatermark: 30,
            snapshotId: OffsetAndEpoch(offset: 20, epoch: 3))
        #expect(
            try RaftWire.decode(
                try throughBytes(try RaftWire.response(snapshot, timestamp: 0), version: 17), for: request) == snapshot)

        let fenced = KRaft.FetchResponse(correlationId: 1, leaderEpoch: 6, leaderId: nil, error: .fencedLeaderEpoch)
        let wireFenced = try throughBytes(try RaftWire.response(fenced, timestamp: 0), version: 17)
        #expect(wireFenced.responses[0].partitions[0].errorCode == 74)
        #expect(try RaftWire.decode(wireFenced, for: request) == fenced)
    }

    @Test("the quorum errors travel as Kafka's codes")
    func errorCodes() {
        #expect(RaftError.fencedLeaderEpoch.code == ErrorCode.fencedLeaderEpoch.rawValue)
        #expect(RaftError.notLeaderOrFollower.code == ErrorCode.notLeaderOrFollower.rawValue)
        #expect(RaftError.unknownLeaderEpoch.code == ErrorCode.unknownLeaderEpoch.rawValue)
        #expect(RaftError.snapshotNotFound.code == ErrorCode.snapshotNotFound.rawValue)
        #expect(RaftError.inconsistentVoterSet.code == ErrorCode.inconsistentVoterSet.rawValue)
        #expect(RaftWire.Failure.inconsistentClusterId.code == .inconsistentClusterId)
        #expect(RaftWire.Failure.wrongPartition.code == .invalidRequest)
    }

    @Test("a request for another cluster, topic or partition is refused, not handed to the core")
    func refusals() {
        let vote = RaftWire.request(
            KRaft.VoteRequest(candidateEpoch: 1, candidateId: 2, lastOffsetEpoch: 0, lastOffset: 0, preVote: false),
            clusterId: "other", voterId: 1)
        #expect(throws: RaftWire.Failure.inconsistentClusterId) { try RaftWire.decode(vote, clusterId: Self.clusterId) }
        var wrongTopic = vote
        wrongTopic.clusterId = nil
        wrongTopic.topics[0].topicName = "orders"
        #expect(throws: RaftWire.Failure.wrongPartition) { try RaftWire.decode(wrongTopic, clusterId: Self.clusterId) }
        var twoPartitions = vote
        twoPartitions.clusterId = nil
        twoPartitions.topics[0].partitions.append(twoPartitions.topics[0].partitions[0])
        #expect(throws: RaftWire.Failure.wrongPartition) {
            try RaftWire.decode(twoPartitions, clusterId: Self.clusterId)
        }
        #expect(throws: RaftWire.Failure.wrongPartition) {
            try RaftWire.decode(KafkaProtocol.VoteRequest(), clusterId: Self.clusterId)
        }
        let consumerFetch = KafkaProtocol.FetchRequest(topics: [.init(topic: "orders", partitions: [.init()])])
        #expect(!RaftWire.isMetadataFetch(consumerFetch, version: 12))
    }

    @Test("garbage or out-of-sequence records in a Fetch answer are refused")
    func corruptRecords() throws {
        #expect(throws: RaftWire.Failure.self) {
            try RaftWire.decodeEntries(
                [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x30] + Array(repeating: 7, count: 60), from: 0)
        }
        let bytes = try RaftWire.encode([LogEntry(offset: 5, epoch: 1, record: .data([1]))], timestamp: 0)
        #expect(throws: RaftWire.Failure.self) { try RaftWire.decodeEntries(bytes, from: 4) }
        #expect(try RaftWire.decodeEntries(bytes, from: 5) == [LogEntry(offset: 5, epoch: 1, record: .data([1]))])
        // A batch cut by a size limit is left for the next fetch.
        #expect(try RaftWire.decodeEntries(Array(bytes.dropLast(3)), from: 5) == [])
    }

    @Test("a snapshot goes out in slices of MaxBytes from the asked position")
    func snapshotChunks() throws {
        let request = KRaft.FetchSnapshotRequest(
            correlationId: 3, replicaId: 2, replicaEpoch: 5, snapshotId: OffsetAndEpoch(offset: 100, epoch: 4))
        let data = Array(UInt8(0)..<10)
        let answer = KRaft.FetchSnapshotResponse(
            correlationId: 3, leaderEpoch: 5, leaderId: 1,
            snapshot: RaftSnapshot(id: OffsetAndEpoch(offset: 100, epoch: 4), data: data))
        var assembled: [UInt8] = []
        while assembled.count < data.count {
            let wireRequest = try throughBytes(
                RaftWire.request(request, clusterId: Self.clusterId, position: Int64(assembled.count), maxBytes: 4),
                version: 1)
            let (decoded, position, maxBytes) = try RaftWire.decode(wireRequest, clusterId: Self.clusterId)
            #expect(decoded.snapshotId == request.snapshotId && decoded.replicaId == 2)
            let wire = try throughBytes(
                RaftWire.response(answer, for: decoded, position: position, maxBytes: maxBytes), version: 1)
            guard
                case .chunk(let at, let size, let bytes, let epoch, let leader) = try RaftWire.decode(
                    wire, for: request)
            else {
                Issue.record("expected a chunk")
                return
            }
            #expect(at == Int64(assembled.count) && size == 10 && epoch == 5 && leader == 1)
            #expect(bytes.count == min(4, 10 - assembled.count))
            assembled += bytes
        }
        #expect(assembled == data)

        let missing = KRaft.FetchSnapshotResponse(
            correlationId: 3, leaderEpoch: 5, leaderId: 1, error: .snapshotNotFound)
        let wire = try throughBytes(RaftWire.response(missing, for: request, position: 0, maxBytes: 4), version: 0)
        #expect(try RaftWire.decode(wire, for: request) == .answer(missing))
    }
}
