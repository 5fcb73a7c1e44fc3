import KRaft
import KafkaProtocol
import KafkaRecords

/// The mapping between the quorum core's ``RaftMessage``s and Kafka's wire messages (Vote, BeginQuorumEpoch,
/// EndQuorumEpoch, Fetch with its KRaft fields, FetchSnapshot), one partition: `__cluster_metadata-0`.
///
/// Pure functions, both directions, used by the quorum handlers (server side) and ``RaftPeers`` (client side).
/// What the core does not carry on its messages (the Fetch correlation id, a Vote's pre-vote flag in the answer)
/// comes from the request the caller keeps. Kafka's sentinels: leader id -1 when unknown, high watermark -1 when
/// unknown, diverging epoch and snapshot id (-1, -1) when absent.
enum RaftWire {
    static let topicName = "__cluster_metadata"
    /// Kafka's `Uuid.METADATA_TOPIC_ID` (0, 1): the id Fetch v13+ names the metadata topic by.
    static let topicId = UUIDValue(bytes: Array(repeating: 0, count: 15) + [1])
    /// LeaderChange's control record type (Kafka's `ControlRecordType.LEADER_CHANGE`).
    static let leaderChangeType: Int16 = 2
    /// Kafka's POSITION_OUT_OF_RANGE (99): a FetchSnapshot position past the snapshot's end.
    static let positionOutOfRange: Int16 = 99

    /// Why a quorum request or answer cannot be used; the handler turns it into the request's error response.
    enum Failure: Error, Equatable {
        /// The request does not name exactly `__cluster_metadata-0` (Kafka answers INVALID_REQUEST).
        case wrongPartition
        /// The request's cluster id is not ours (INCONSISTENT_CLUSTER_ID).
        case inconsistentClusterId
        /// The answer carries an error code the core has no case for, or a top-level error.
        case error(Int16)
        /// The records could not be read as this log's entries (CORRUPT_MESSAGE).
        case corruptRecords(String)

        var code: ErrorCode {
            switch self {
            case .wrongPartition: .invalidRequest
            case .inconsistentClusterId: .inconsistentClusterId
            case .error(let code): ErrorCode(rawValue: code) ?? .unknownServerError
            case .corruptRecords: .corruptMessage
            }
        }
    }

    // MARK: Shared pieces

    static func leaderId(_ wire: Int32) -> ReplicaID? { wire < 0 ? nil : ReplicaID(wire) }
    static func wire(_ leader: ReplicaID?) -> Int32 { leader?.rawValue ?? -1 }
    static func code(_ error: RaftError?) -> Int16 { error?.code ?? 0 }

    /// The core's error for a wire code; an unknown one makes the answer unusable.
    static func raftError(_ code: Int16) throws(Failure) -> RaftError? {
        switch code {
        case 0: return nil
        case RaftError.fencedLeaderEpoch.code: return .fencedLeaderEpoch
        case RaftError.notLeaderOrFollower.code: return .notLeaderOrFollower
        case RaftError.unknownLeaderEpoch.code: return .unknownLeaderEpoch
        case RaftError.snapshotNotFound.code: return .snapshotNotFound
        case RaftError.inconsistentVoterSet.code: return .inconsistentVoterSet
        default: throw .error(code)
        }
    }

    /// Kafka's `RaftUtil` checks: a cluster id, when sent, must be ours.
    static func checkClusterId(_ sent: String?, _ ours: String) throws(Failure) {
        if let sent, sent != ours { throw .inconsistentClusterId }
    }

    /// The one partition of a request that must name `__cluster_metadata-0` and nothing else.
    static func single<T, P>(_ topics: [T], name: (T) -> String, partitions: (T) -> [P], index: (P) -> Int32)
        throws(Failure) -> P
    {
        guard topics.count == 1, name(topics[0]) == topicName else { throw .wrongPartition }
        let parts = partitions(topics[0])
        guard parts.count == 1, index(parts[0]) == 0 else { throw .wrongPartition }
        return parts[0]
    }

    // MARK: Vote

    static func request(
        _ m: KRaft.VoteRequest, clusterId: String, voterId: ReplicaID
    ) -> KafkaProtocol.VoteRequest {
        KafkaProtocol.VoteRequest(
            clusterId: clusterId, voterId: voterId.rawValue,
            topics: [
                .init(
                    topicName: topicName,
                    partitions: [
                        .init(
                            partitionIndex: 0, candidateEpoch: m.candidateEpoch, candidateId: m.candidateId.rawValue,
                            lastOffsetEpoch: m.lastOffsetEpoch, lastOffset: m.lastOffset, preVote: m.preVote)
                    ])
            ])
    }

    static func decode(_ w: KafkaProtocol.VoteRequest, clusterId: String) throws(Failure) -> KRaft.VoteRequest {
        try checkClusterId(w.clusterId, clusterId)
        let p = try single(w.topics, name: \.topicName, partitions: \.partitions, index: \.partitionIndex)
        return KRaft.VoteRequest(
            candidateEpoch: p.candidateEpoch, candidateId: ReplicaID(p.candidateId), lastOffsetEpoch: p.lastOffsetEpoch,
            lastOffset: p.lastOffset, preVote: p.preVote)
    }

    static func response(_ m: KRaft.VoteResponse) -> KafkaProtocol.VoteResponse {
        KafkaProtocol.VoteResponse(
            topics: [
                .init(
                    topicName: topicName,
                    partitions: [
                        .init(
                            partitionIndex: 0, leaderId: wire(m.leaderId), leaderEpoch: m.leaderEpoch,
                            voteGranted: m.voteGranted)
                    ])
            ])
    }

    static func voteError(_ failure: Failure) -> KafkaProtocol.VoteResponse {
        KafkaProtocol.VoteResponse(errorCode: failure.code.rawValue)
    }

    /// The answer's pre-vote flag is the request's: Vote's response has no such field.
    static func decode(_ w: KafkaProtocol.VoteResponse, for request: KRaft.VoteRequest) throws(Failure)
        -> KRaft.VoteResponse
    {
        guard w.errorCode == 0 else { throw .error(w.errorCode) }
        let p = try single(w.topics, name: \.topicName, partitions: \.partitions, index: \.partitionIndex)
        // A refused vote carries no error in the core; any partition error makes the answer unusable.
        if p.errorCode != 0 { throw .error(p.errorCode) }
        return KRaft.VoteResponse(
            leaderEpoch: p.leaderEpoch, leaderId: leaderId(p.leaderId), voteGranted: p.voteGranted,
            preVote: request.preVote)
    }

    // MARK: BeginQuorumEpoch

    static func request(
        _ m: KRaft.BeginQuorumEpochRequest, clusterId: String, voterId: ReplicaID,
        leaderEndpoint: (name: String, host: String, port: Int)?
    ) -> KafkaProtocol.BeginQuorumEpochRequest {
        KafkaProtocol.BeginQuorumEpochRequest(
            clusterId: clusterId, voterId: voterId.rawValue,
            topics: [
                .init(
                    topicName: topicName,
                    partitions: [.init(partitionIndex: 0, leaderId: m.leaderId.rawValue, leaderEpoch: m.leaderEpoch)])
            ],
            leaderEndpoints: leaderEndpoint.map { [.init(name: $0.name, host: $0.host, port: UInt16($0.port))] } ?? [])
    }

    static func decode(_ w: KafkaProtocol.BeginQuorumEpochRequest, clusterId: String) throws(Failure)
        -> KRaft.BeginQuorumEpochRequest
    {
        try checkClusterId(w.clusterId, clusterId)
        let p = try single(w.topics, name: \.topicName, partitions: \.partitions, index: \.partitionIndex)
        return KRaft.BeginQuorumEpochRequest(leaderEpoch: p.leaderEpoch, leaderId: ReplicaID(p.leaderId))
    }

    static func response(_ m: EpochResponse) -> KafkaProtocol.BeginQuorumEpochResponse {
        KafkaProtocol.BeginQuorumEpochResponse(
            topics: [
                .init(
                    topicName: topicName,
                    partitions: [
                        .init(
                            partitionIndex: 0, errorCode: code(m.error), leaderId: wire(m.leaderId),
                            leaderEpoch: m.leaderEpoch)
                    ])
            ])
    }

    static func decode(_ w: KafkaProtocol.BeginQuorumEpochResponse) throws(Failure) -> EpochResponse {
        guard w.errorCode == 0 else { throw .error(w.errorCode) }
        let p = try single(w.topics, name: \.topicName, partitions: \.partitions, index: \.partitionIndex)
        return EpochResponse(
            leaderEpoch: p.leaderEpoch, leaderId: leaderId(p.leaderId), error: try raftError(p.errorCode))
    }

    // MARK: EndQuorumEpoch

    static func request(
        _ m: KRaft.EndQuorumEpochRequest, clusterId: String,
        leaderEndpoint: (name: String, host: String, port: Int)?
    ) -> KafkaProtocol.EndQuorumEpochRequest {
        // v0 names preferred successors, v1 preferred candidates (KIP-853); both are filled, the version picks one.
        KafkaProtocol.EndQuorumEpochRequest(
            clusterId: clusterId,
            topics: [
                .init(
                    topicName: topicName,
                    partitions: [
                        .init(
                            partitionIndex: 0, leaderId: m.leaderId.rawValue, leaderEpoch: m.leaderEpoch,
                            preferredSuccessors: m.preferredSuccessors.map(\.rawValue),
                            preferredCandidates: m.preferredSuccessors.map { .init(candidateId: $0.rawValue) })
                    ])
            ],
            leaderEndpoints: leaderEndpoint.map { [.init(name: $0.name, host: $0.host, port: UInt16($0.port))] } ?? [])
    }

    static func decode(_ w: KafkaProtocol.EndQuorumEpochRequest, version: Int16, clusterId: String) throws(Failure)
        -> KRaft.EndQuorumEpochRequest
    {
        try checkClusterId(w.clusterId, clusterId)
        let p = try single(w.topics, name: \.topicName, partitions: \.partitions, index: \.partitionIndex)
        let successors = version >= 1 ? p.preferredCandidates.map(\.candidateId) : p.preferredSuccessors
        return KRaft.EndQuorumEpochRequest(
            leaderEpoch: p.leaderEpoch, leaderId: ReplicaID(p.leaderId),
            preferredSuccessors: successors.map { ReplicaID($0) })
    }

    static func response(_ m: EpochResponse) -> KafkaProtocol.EndQuorumEpochResponse {
        KafkaProtocol.EndQuorumEpochResponse(
            topics: [
                .init(
                    topicName: topicName,
                    partitions: [
                        .init(
                            partitionIndex: 0, errorCode: code(m.error), leaderId: wire(m.leaderId),
                            leaderEpoch: m.leaderEpoch)
                    ])
            ])
    }

    static func decode(_ w: KafkaProtocol.EndQuorumEpochResponse) throws(Failure) -> EpochResponse {
        guard w.errorCode == 0 else { throw .error(w.errorCode) }
        let p = try single(w.topics, name: \.topicName, partitions: \.partitions, index: \.partitionIndex)
        return EpochResponse(
            leaderEpoch: p.leaderEpoch, leaderId: leaderId(p.leaderId), error: try raftError(p.errorCode))
    }

    // MARK: Fetch

    /// A follower's Fetch (Kafka's `KafkaRaftClient.buildFetchRequest`): the replica id where the version carries
    /// it, the epoch it follows as `CurrentLeaderEpoch`, its end offset and last epoch; the leader waits up to
    /// `maxWaitMs` for news.
    static func request(
        _ m: KRaft.FetchRequest, clusterId: String, version: Int16, maxWaitMs: Int32, maxBytes: Int32 = 8 << 20
    ) -> KafkaProtocol.FetchRequest {
        KafkaProtocol.FetchRequest(
            clusterId: clusterId, replicaId: m.replicaId.rawValue,
            replicaState: .init(replicaId: m.replicaId.rawValue, replicaEpoch: -1), maxWaitMs: maxWaitMs, minBytes: 0,
            maxBytes: maxBytes,
            topics: [
                .init(
                    topic: topicName, topicId: topicId,
                    partitions: [
                        .init(
                            partition: 0, currentLeaderEpoch: m.replicaEpoch, fetchOffset: m.fetchOffset,
                            lastFetchedEpoch: m.lastFetchedEpoch, partitionMaxBytes: maxBytes)
                    ])
            ])
    }

    /// Whether a Fetch is the quorum's (names the metadata topic) rather than a consumer's or a follower's of a
    /// data partition.
    static func isMetadataFetch(_ w: KafkaProtocol.FetchRequest, version: Int16) -> Bool {
        w.topics.contains { version >= 13 ? $0.topicId == topicId : $0.topic == topicName }
    }

    /// The core's view of a Fetch; the driver gives it a correlation id of its own.
    static func decode(_ w: KafkaProtocol.FetchRequest, version: Int16, clusterId: String) throws(Failure)
        -> KRaft.FetchRequest
    {
        try checkClusterId(w.clusterId, clusterId)
        guard w.topics.count == 1, version >= 13 ? w.topics[0].topicId == topicId : w.topics[0].topic == topicName,
            w.topics[0].partitions.count == 1, w.topics[0].partitions[0].partition == 0
        else { throw .wrongPartition }
        let p = w.topics[0].partitions[0]
        return KRaft.FetchRequest(
            correlationId: 0, replicaId: ReplicaID(w.effectiveReplicaId(version: version)),
            replicaEpoch: p.currentLeaderEpoch, fetchOffset: p.fetchOffset, lastFetchedEpoch: p.lastFetchedEpoch)
    }

    static func response(_ m: KRaft.FetchResponse, timestamp: Int64) throws -> KafkaProtocol.FetchResponse {
        var partition = KafkaProtocol.FetchResponse.PartitionData(
            partitionIndex: 0, errorCode: code(m.error), highWatermark: m.highWatermark ?? -1,
            lastStableOffset: m.highWatermark ?? -1,
            currentLeader: .init(leaderId: wire(m.leaderId), leaderEpoch: m.leaderEpoch),
            records: .bytes(try encode(m.entries, timestamp: timestamp)))
        if let d = m.divergingEpoch { partition.divergingEpoch = .init(epoch: d.epoch, endOffset: d.offset) }
        if let s = m.snapshotId { partition.snapshotId = .init(endOffset: s.offset, epoch: s.epoch) }
        return KafkaProtocol.FetchResponse(
            responses: [.init(topic: topicName, topicId: topicId, partitions: [partition])])
    }

    static func fetchError(_ failure: Failure) -> KafkaProtocol.FetchResponse {
        KafkaProtocol.FetchResponse(errorCode: failure.code.rawValue)
    }

    static func decode(_ w: KafkaProtocol.FetchResponse, for request: KRaft.FetchRequest) throws(Failure)
        -> KRaft.FetchResponse
    {
        guard w.errorCode == 0 else { throw .error(w.errorCode) }
        guard w.responses.count == 1, w.responses[0].partitions.count == 1,
            w.responses[0].partitions[0].partitionIndex == 0
        else { throw .wrongPartition }
        let p = w.responses[0].partitions[0]
        let diverging = p.divergingEpoch
        let snapshot = p.snapshotId
        let bytes: [UInt8]
        switch p.records {
        case .bytes(let b): bytes = b
        case .external: throw .corruptRecords("external records in a decoded response")
        }
        return KRaft.FetchResponse(
            correlationId: request.correlationId, leaderEpoch: p.currentLeader.leaderEpoch,
            leaderId: leaderId(p.currentLeader.leaderId), error: try raftError(p.errorCode),
            highWatermark: p.highWatermark < 0 ? nil : p.highWatermark,
            entries: try decodeEntries(bytes, from: request.fetchOffset),
            divergingEpoch: diverging.epoch == -1 && diverging.endOffset == -1
                ? nil : OffsetAndEpoch(offset: diverging.endOffset, epoch: diverging.epoch),
            snapshotId: snapshot.epoch < 0 || snapshot.endOffset < 0
                ? nil : OffsetAndEpoch(offset: snapshot.endOffset, epoch: snapshot.epoch))
    }

    // MARK: FetchSnapshot

    static func request(
        _ m: KRaft.FetchSnapshotRequest, clusterId: String, position: Int64, maxBytes: Int32 = 8 << 20
    ) -> KafkaProtocol.FetchSnapshotRequest {
        KafkaProtocol.FetchSnapshotRequest(
            clusterId: clusterId, replicaId: m.replicaId.rawValue, maxBytes: maxBytes,
            topics: [
                .init(
                    name: topicName,
                    partitions: [
                        .init(
                            partition: 0, currentLeaderEpoch: m.replicaEpoch,
                            snapshotId: .init(endOffset: m.snapshotId.offset, epoch: m.snapshotId.epoch),
                            position: position)
                    ])
            ])
    }

    /// The core's request, plus the byte position and the most bytes the follower takes in this answer.
    static func decode(_ w: KafkaProtocol.FetchSnapshotRequest, clusterId: String) throws(Failure)
        -> (request: KRaft.FetchSnapshotRequest, position: Int64, maxBytes: Int32)
    {
        try checkClusterId(w.clusterId, clusterId)
        let p = try single(w.topics, name: \.name, partitions: \.partitions, index: \.partition)
        guard p.position >= 0 else { throw .wrongPartition }
        return (
            KRaft.FetchSnapshotRequest(
                correlationId: 0, replicaId: ReplicaID(w.replicaId), replicaEpoch: p.currentLeaderEpoch,
                snapshotId: OffsetAndEpoch(offset: p.snapshotId.endOffset, epoch: p.snapshotId.epoch)),
            p.position, w.maxBytes
        )
    }

    /// One chunk of the snapshot the core answered with: `maxBytes` from `position` (Kafka's
    /// `KafkaRaftClient.handleFetchSnapshotRequest` sends unaligned slices of the snapshot file).
    static func response(
        _ m: KRaft.FetchSnapshotResponse, for request: KRaft.FetchSnapshotRequest, position: Int64, maxBytes: Int32
    ) -> KafkaProtocol.FetchSnapshotResponse {
        var partition = KafkaProtocol.FetchSnapshotResponse.PartitionSnapshot(
            index: 0, errorCode: code(m.error),
            snapshotId: .init(endOffset: request.snapshotId.offset, epoch: request.snapshotId.epoch),
            currentLeader: .init(leaderId: wire(m.leaderId), leaderEpoch: m.leaderEpoch))
        if m.error == nil, let snapshot = m.snapshot {
            let size = Int64(snapshot.data.count)
            if position > size {
                partition.errorCode = positionOutOfRange
            } else {
                let end = Int(min(size, position + Int64(max(0, maxBytes))))
                partition.size = size
                partition.position = position
                partition.unalignedRecords = .bytes(Array(snapshot.data[Int(position)..<end]))
            }
        } else if m.error == nil {
            partition.errorCode = RaftError.snapshotNotFound.code
        }
        return KafkaProtocol.FetchSnapshotResponse(
            topics: [.init(name: topicName, partitions: [partition])])
    }

    static func fetchSnapshotError(_ failure: Failure) -> KafkaProtocol.FetchSnapshotResponse {
        KafkaProtocol.FetchSnapshotResponse(errorCode: failure.code.rawValue)
    }

    /// What one FetchSnapshot answer means to a follower assembling the snapshot.
    enum SnapshotChunk: Equatable {
        /// The core's answer as it is (an error, or leadership news).
        case answer(KRaft.FetchSnapshotResponse)
        /// Bytes at `position` of a snapshot of `size` bytes.
        case chunk(position: Int64, size: Int64, bytes: [UInt8], leaderEpoch: Int32, leaderId: ReplicaID?)
    }

    static func decode(_ w: KafkaProtocol.FetchSnapshotResponse, for request: KRaft.FetchSnapshotRequest)
        throws(Failure) -> SnapshotChunk
    {
        guard w.errorCode == 0 else { throw .error(w.errorCode) }
        let p = try single(w.topics, name: \.name, partitions: \.partitions, index: \.index)
        let leader = leaderId(p.currentLeader.leaderId)
        if p.errorCode != 0 {
            return .answer(
                KRaft.FetchSnapshotResponse(
                    correlationId: request.correlationId, leaderEpoch: p.currentLeader.leaderEpoch, leaderId: leader,
                    error: try raftError(p.errorCode)))
        }
        guard case .bytes(let bytes) = p.unalignedRecords, p.position >= 0, p.size >= p.position + Int64(bytes.count)
        else { throw .corruptRecords("snapshot chunk outside the snapshot") }
        return .chunk(
            position: p.position, size: p.size, bytes: bytes, leaderEpoch: p.currentLeader.leaderEpoch,
            leaderId: leader)
    }

    // MARK: Records

    /// Entries as Kafka record batches: one batch per run of data entries of one epoch, and LeaderChange as a
    /// control batch of its own (key: version 0, type 2; value: LeaderChangeMessage v0), as Kafka's
    /// `KafkaRaftClient` writes them. The batch's partition leader epoch is the entries' epoch.
    static func encode(_ entries: [LogEntry], timestamp: Int64) throws -> [UInt8] {
        var out: [UInt8] = []
        var index = entries.startIndex
        while index < entries.endIndex {
            let first = entries[index]
            switch first.record {
            case .leaderChange(let leader, let voters):
                var b = RecordBatchBuilder(
                    baseOffset: first.offset, partitionLeaderEpoch: first.epoch, isControl: true)
                b.append(
                    timestamp: timestamp, key: controlKey(leaderChangeType),
                    value: leaderChangeValue(leaderId: leader, voters: voters))
                out += try b.build()
                index += 1
            case .data:
                var b = RecordBatchBuilder(baseOffset: first.offset, partitionLeaderEpoch: first.epoch)
                while index < entries.endIndex, entries[index].epoch == first.epoch,
                    case .data(let bytes) = entries[index].record
                {
                    b.append(timestamp: timestamp, key: nil, value: bytes)
                    index += 1
                }
                out += try b.build()
            }
        }
        return out
    }

    static func controlKey(_ type: Int16) -> [UInt8] {
        let t = UInt16(bitPattern: type)
        return [0, 0, UInt8(t >> 8), UInt8(t & 0xff)]
    }

    static func leaderChangeValue(leaderId: ReplicaID, voters: [ReplicaID]) -> [UInt8] {
        var w = ProtocolWriter(capacity: 64)
        LeaderChangeMessage(
            leaderId: leaderId.rawValue, voters: voters.map { .init(voterId: $0.rawValue) },
            grantingVoters: voters.map { .init(voterId: $0.rawValue) }
        ).write(to: &w, version: 0)
        return w.bytes
    }

    /// The entries of record batches laid end to end from `offset` (records below it are skipped); a partial batch
    /// at the end (a size limit) is dropped, as Kafka's readers do. Offsets must continue one another.
    static func decodeEntries(_ bytes: [UInt8], from offset: Int64) throws(Failure) -> [LogEntry] {
        var entries: [LogEntry] = []
        var next = offset
        do {
            let (batches, _) = try RecordBatchIterator.batches(in: bytes)
            for entry in batches {
                let batch = try RecordBatch(parsing: Array(bytes[entry.range]))
                for record in batch.records {
                    let at = batch.offset(of: record)
                    // A batch read from the log may begin before the offset asked for.
                    if at < offset { continue }
                    guard at == next else { throw Failure.corruptRecords("offset \(at) where \(next) was expected") }
                    next += 1
                    let epoch = batch.header.partitionLeaderEpoch
                    if batch.header.isControl {
                        entries.append(LogEntry(offset: at, epoch: epoch, record: try controlRecord(record)))
                    } else {
                        entries.append(LogEntry(offset: at, epoch: epoch, record: .data(record.value ?? [])))
                    }
                }
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .corruptRecords("\(error)")
        }
        return entries
    }

    static func controlRecord(_ record: Record) throws(Failure) -> RaftRecord {
        guard let key = record.key, key.count >= 4 else { throw .corruptRecords("control record without a key") }
        let type = Int16(bitPattern: UInt16(key[2]) << 8 | UInt16(key[3]))
        guard type == leaderChangeType else { throw .corruptRecords("control record type \(type) in the log") }
        var r = ProtocolReader(record.value ?? [])
        do {
            let message = try LeaderChangeMessage(reading: &r, version: 0)
            return .leaderChange(
                leaderId: ReplicaID(message.leaderId), voters: message.voters.map { ReplicaID($0.voterId) })
        } catch {
            throw .corruptRecords("LeaderChange: \(error)")
        }
    }
}
