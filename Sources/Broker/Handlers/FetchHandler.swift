import Authorization
import Foundation
import KafkaProtocol
import LogStorage
import NIOCore
import Replication

/// Fetch: maps the request to one `ReplicaManager.fetch` call (reads, follower bookkeeping and the long poll until
/// `minBytes` arrive or `maxWaitMs` passes) and its reads back to the response. v7+ readers may use KIP-227 fetch
/// sessions (`FetchSessionCache`): epoch 0 creates one, later requests carry only changed partitions and get only
/// partitions with news; epoch -1 and v0–v6 are sessionless. Stored batches go out straight from segment files
/// (zero-copy); v0–v3 clients cannot read magic 2, so their data is down-converted to magic 1 / 0.
struct FetchHandler: APIHandler {
    typealias Request = FetchRequest
    /// v13+ names topics by id (from Metadata v10+); v15+ carries the replica id in `replicaState`.
    let versions: ClosedRange<Int16> = 0...16
    let core: BrokerCore

    func handle(_ request: FetchRequest, context: RequestContext) async -> FetchResponse? {
        let version = context.apiVersion
        // Only v13+ names topics by id; older versions skip building the id → name map.
        let names = version >= 13 ? core.metadata.snapshot.topicsById : [:]
        func key(_ topicId: UUIDValue, _ topic: String, _ partition: Int32) -> FetchSessionKey {
            version >= 13
                ? FetchSessionKey(topicId: topicId, topic: names[topicId] ?? "", partition: partition)
                : FetchSessionKey(topic: topic, partition: partition)
        }
        let replicaId = request.effectiveReplicaId(version: version)
        var requested: [(FetchSessionKey, FetchSessionRequestData)] = []
        for topic in request.topics {
            for p in topic.partitions {
                requested.append(
                    (
                        key(topic.topicId, topic.topic, p.partition),
                        FetchSessionRequestData(
                            fetchOffset: p.fetchOffset, logStartOffset: version >= 5 ? p.logStartOffset : -1,
                            maxBytes: p.partitionMaxBytes, currentLeaderEpoch: version >= 9 ? p.currentLeaderEpoch : -1,
                            lastFetchedEpoch: version >= 12 ? p.lastFetchedEpoch : -1)
                    ))
            }
        }
        let forgotten =
            version >= 7
            ? request.forgottenTopicsData.flatMap { t in t.partitions.map { key(t.topicId, t.topic, $0) } } : []
        let session = core.replicas.fetchSessions.newContext(
            sessionId: version >= 7 ? request.sessionId : 0, epoch: version >= 7 ? request.sessionEpoch : -1,
            privileged: replicaId >= 0, usesTopicIds: version >= 13, partitions: requested, forgotten: forgotten)
        if case .error(let error) = session {
            return FetchResponse(errorCode: ErrorCode(error).rawValue, sessionId: 0, responses: [])
        }
        let toRead = session.partitionsToRead

        // A follower (replica id >= 0) needs Cluster ClusterAction — trusting its id without it was CVE-2018-1288 —
        // and a consumer Topic Read per topic; refused partitions are answered TOPIC_AUTHORIZATION_FAILED.
        let topicNames = Array(Set(toRead.map { $0.0.topic }))
        let readable: Set<String> =
            replicaId >= 0
            ? (context.authorize(.clusterAction, .cluster) ? Set(topicNames) : [])
            : context.authorized(.read, .topic, topicNames)
        var partitions: [FetchPartitionSpec] = []
        for (key, data) in toRead where readable.contains(key.topic) {
            partitions.append(
                FetchPartitionSpec(
                    topic: key.topic, partition: key.partition, fetchOffset: data.fetchOffset,
                    maxBytes: Int(data.maxBytes), currentLeaderEpoch: data.currentLeaderEpoch,
                    lastFetchedEpoch: data.lastFetchedEpoch, logStartOffset: data.logStartOffset))
        }
        let readCommitted = version >= 4 && request.isolationLevel == 1
        let reads = await core.replicas.fetch(
            FetchParameters(
                replicaId: replicaId, readCommitted: readCommitted,
                minBytes: Int(request.minBytes), maxWait: .milliseconds(Int(request.maxWaitMs)),
                responseMaxBytes: version >= 3 ? Int(max(request.maxBytes, 0)) : nil,
                downConvertToMagic: version <= 1 ? 0 : (version <= 3 ? 1 : nil), partitions: partitions))

        // Each partition's answer, aligned with `toRead`; records are attached only for partitions sent.
        var answers: [(data: FetchResponse.PartitionData, read: ReplicaManager.PartitionRead?)] = []
        answers.reserveCapacity(toRead.count)
        var next = reads.makeIterator()
        for (key, _) in toRead {
            var data = FetchResponse.PartitionData(
                partitionIndex: key.partition, errorCode: 0, highWatermark: -1, lastStableOffset: -1,
                logStartOffset: -1, abortedTransactions: nil, preferredReadReplica: -1, records: .bytes([]))
            if version >= 4 { data.abortedTransactions = readCommitted ? [] : nil }
            let unknownId = version >= 13 && names[key.topicId] == nil
            guard readable.contains(key.topic) else {
                data.errorCode = (unknownId ? ErrorCode.unknownTopicId : .topicAuthorizationFailed).rawValue
                answers.append((data, nil))
                continue
            }
            var partitionRead: ReplicaManager.PartitionRead?
            switch next.next() {
            case .success(let read):
                data.highWatermark = read.highWatermark
                data.lastStableOffset = read.lastStableOffset
                data.logStartOffset = read.logStartOffset
                if version >= 4, let aborted = read.abortedTransactions {
                    data.abortedTransactions = aborted.map {
                        .init(producerId: $0.producerId, firstOffset: $0.firstOffset)
                    }
                }
                if let diverging = read.divergingEpoch {
                    data.divergingEpoch = .init(epoch: diverging.epoch, endOffset: diverging.endOffset)
                }
                partitionRead = read
            case .failure(let error):
                data.errorCode = (unknownId ? ErrorCode.unknownTopicId : ErrorCode(error)).rawValue
            case nil:
                break
            }
            answers.append((data, partitionRead))
        }

        let outcomes = answers.map { answer in
            FetchSessionPartitionOutcome(
                hasError: answer.data.errorCode != 0, highWatermark: answer.data.highWatermark,
                lastStableOffset: answer.data.lastStableOffset, logStartOffset: answer.data.logStartOffset,
                recordBytes: answer.read?.size ?? 0, hasDivergingEpoch: !answer.data.divergingEpoch.isDefault)
        }
        let sessionId: Int32
        let selected: [Int]
        switch session {
        case .full(let full, let createSession):
            // A full response carries exactly the requested partitions (clients check this).
            selected = Array(answers.indices)
            sessionId =
                createSession
                ? core.replicas.fetchSessions.createSession(
                    privileged: replicaId >= 0, usesTopicIds: version >= 13,
                    partitions: zip(full, outcomes).map { ($0.0, $0.1, $1) },
                    maxEntries: core.settings.maxIncrementalFetchSessionCacheSlots) : 0
        case .incremental(let id, let cached):
            sessionId = id
            selected = core.replicas.fetchSessions.incrementalResponse(
                sessionId: id, read: Array(zip(cached, outcomes)))
        case .error(let error):  // answered before reading; kept for exhaustiveness
            return FetchResponse(errorCode: ErrorCode(error).rawValue, sessionId: 0, responses: [])
        }

        var response = FetchResponse(errorCode: 0, sessionId: sessionId, responses: [])
        for i in selected {
            let key = toRead[i].0
            var data = answers[i].data
            if let read = answers[i].read {
                switch read.payload {
                case .bytes(let bytes):
                    data.records = .bytes(bytes)
                case .file(let slices):
                    data.records = .external(length: read.size, id: context.attach(SegmentChunks(slices: slices)))
                }
            }
            // Consecutive partitions of one topic share its entry, as in Kafka's `FetchResponse.toMessage`.
            if let last = response.responses.last,
                version >= 13 ? last.topicId == key.topicId : last.topic == key.topic
            {
                response.responses[response.responses.count - 1].partitions.append(data)
            } else {
                response.responses.append(
                    FetchResponse.FetchableTopicResponse(topic: key.topic, topicId: key.topicId, partitions: [data]))
            }
        }
        return response
    }
}

/// Segment slices of one partition's fetch answer, sent with sendfile.
struct SegmentChunks: FileChunkSource {
    let slices: [FileSlice]

    func makeFileRegions() throws -> [FileRegion] {
        try slices.map { slice in
            let fd = dup(slice.file.fileDescriptor)
            guard fd >= 0 else { throw BrokerError.storage("dup failed: errno \(errno)") }
            let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: fd)
            let start = Int(slice.position)
            return FileRegion(fileHandle: handle, readerIndex: start, endIndex: start + slice.length)
        }
    }
}
