import Foundation
import KafkaProtocol
import LogStorage
import NIOCore
import Replication

/// Fetch: maps the request to one `ReplicaManager.fetch` call (reads, follower bookkeeping and the long poll until
/// `minBytes` arrive or `maxWaitMs` passes) and its reads back to the response. Sessionless (session id 0, every
/// requested partition answered). Stored batches go out straight from segment files (zero-copy); v0–v3 clients
/// cannot read magic 2, so their data is down-converted to magic 1 / 0.
struct FetchHandler: APIHandler {
    typealias Request = FetchRequest
    /// v13+ names topics by id (from Metadata v10+); v15+ carries the replica id in `replicaState`.
    let versions: ClosedRange<Int16> = 0...16
    let core: BrokerCore

    func handle(_ request: FetchRequest, context: RequestContext) async -> FetchResponse? {
        let version = context.apiVersion
        if version >= 7 && request.sessionId != 0 && request.sessionEpoch > 0 {
            return FetchResponse(errorCode: ErrorCode.fetchSessionIdNotFound.rawValue, sessionId: 0, responses: [])
        }
        // Only v13+ names topics by id; older versions skip building the id → name map.
        let names = version >= 13 ? core.metadata.snapshot.topicsById : [:]
        var partitions: [FetchPartitionSpec] = []
        for topic in request.topics {
            let name = version >= 13 ? (names[topic.topicId] ?? "") : topic.topic
            for p in topic.partitions {
                partitions.append(
                    FetchPartitionSpec(
                        topic: name, partition: p.partition, fetchOffset: p.fetchOffset,
                        maxBytes: Int(p.partitionMaxBytes),
                        currentLeaderEpoch: version >= 9 ? p.currentLeaderEpoch : -1,
                        lastFetchedEpoch: version >= 12 ? p.lastFetchedEpoch : -1,
                        logStartOffset: version >= 5 ? p.logStartOffset : -1))
            }
        }
        let readCommitted = version >= 4 && request.isolationLevel == 1
        let reads = await core.replicas.fetch(
            FetchParameters(
                replicaId: request.effectiveReplicaId(version: version), readCommitted: readCommitted,
                minBytes: Int(request.minBytes), maxWait: .milliseconds(Int(request.maxWaitMs)),
                responseMaxBytes: version >= 3 ? Int(max(request.maxBytes, 0)) : nil,
                downConvertToMagic: version <= 1 ? 0 : (version <= 3 ? 1 : nil), partitions: partitions))

        var response = FetchResponse(errorCode: 0, sessionId: 0, responses: [])
        var next = reads.makeIterator()
        for topic in request.topics {
            let name = version >= 13 ? (names[topic.topicId] ?? "") : topic.topic
            var topicResponse = FetchResponse.FetchableTopicResponse(
                topic: name, topicId: topic.topicId, partitions: [])
            for p in topic.partitions {
                var data = FetchResponse.PartitionData(
                    partitionIndex: p.partition, errorCode: 0, highWatermark: -1, lastStableOffset: -1,
                    logStartOffset: -1, abortedTransactions: nil, preferredReadReplica: -1, records: .bytes([]))
                if version >= 4 { data.abortedTransactions = readCommitted ? [] : nil }
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
                    switch read.payload {
                    case .bytes(let bytes):
                        data.records = .bytes(bytes)
                    case .file(let slices):
                        data.records = .external(length: read.size, id: context.attach(SegmentChunks(slices: slices)))
                    }
                    if let diverging = read.divergingEpoch {
                        data.divergingEpoch = .init(epoch: diverging.epoch, endOffset: diverging.endOffset)
                    }
                case .failure(let error):
                    data.errorCode = ErrorCode(error).rawValue
                    if version >= 13, names[topic.topicId] == nil {
                        data.errorCode = ErrorCode.unknownTopicId.rawValue
                    }
                case nil:
                    break
                }
                topicResponse.partitions.append(data)
            }
            response.responses.append(topicResponse)
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
