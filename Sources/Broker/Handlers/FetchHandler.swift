import KafkaProtocol

/// Fetch: whole stored batches straight from segment files (zero-copy), sessionless (session id 0, every
/// requested partition answered), long-polling until `minBytes` arrive or `maxWaitMs` passes.
/// v0–v3 clients cannot read magic 2, so their data is down-converted to magic 1 / 0.
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
        let replicaId = request.effectiveReplicaId(version: version)
        let isReplica = replicaId >= 0
        let readCommitted = version >= 4 && request.isolationLevel == 1
        let responseMaxBytes = version >= 3 ? Int(max(request.maxBytes, 0)) : Int.max
        let deadline = ContinuousClock.now + .milliseconds(Int(max(request.maxWaitMs, 0)))
        // Only v13+ names topics by id; older versions skip building the id → name map.
        let names = version >= 13 ? core.metadata.snapshot.topicsById : [:]

        var firstPass = true
        while true {
            var response = FetchResponse(errorCode: 0, sessionId: 0, responses: [])
            var totalBytes = 0
            var watches: [AppendWatch] = []
            var anyError = false
            for topic in request.topics {
                let name = version >= 13 ? (names[topic.topicId] ?? "") : topic.topic
                var topicResponse = FetchResponse.FetchableTopicResponse(
                    topic: name, topicId: topic.topicId, partitions: [])
                for p in topic.partitions {
                    var data = FetchResponse.PartitionData(
                        partitionIndex: p.partition, errorCode: 0, highWatermark: -1, lastStableOffset: -1,
                        logStartOffset: -1, abortedTransactions: nil, preferredReadReplica: -1, records: .bytes([]))
                    if version >= 4 { data.abortedTransactions = readCommitted ? [] : nil }
                    do {
                        let remaining = max(responseMaxBytes - totalBytes, 0)
                        let read = try core.replicas.read(
                            topic: name, partition: p.partition, offset: p.fetchOffset,
                            maxBytes: min(Int(max(p.partitionMaxBytes, 0)), remaining),
                            minOneBatch: version < 3 || totalBytes == 0,
                            isolation: isReplica ? .logEnd : (readCommitted ? .committed : .highWatermark),
                            currentLeaderEpoch: version >= 9 ? p.currentLeaderEpoch : -1,
                            downConvertToMagic: version <= 1 ? 0 : (version <= 3 ? 1 : nil),
                            replicaId: replicaId, lastFetchedEpoch: version >= 12 ? p.lastFetchedEpoch : -1)
                        data.highWatermark = read.highWatermark
                        data.lastStableOffset = read.lastStableOffset
                        data.logStartOffset = read.logStartOffset
                        totalBytes += read.size
                        watches.append(read.watch)
                        switch read.payload {
                        case .bytes(let bytes):
                            data.records = .bytes(bytes)
                        case .file(let chunks):
                            data.records = .external(length: read.size, id: context.attach(chunks))
                        }
                        if let diverging = read.divergingEpoch {
                            // The follower truncates first; answer at once.
                            data.divergingEpoch = .init(epoch: diverging.epoch, endOffset: diverging.endOffset)
                            anyError = true
                        } else if isReplica && firstPass {
                            core.replicas.recordFollowerFetch(
                                topic: name, partition: p.partition, replicaId: replicaId,
                                fetchOffset: p.fetchOffset, followerLogStartOffset: version >= 5 ? p.logStartOffset : -1,
                                leaderLogEndOffset: read.logEndOffset)
                        }
                    } catch {
                        anyError = true
                        data.errorCode = ErrorCode(error).rawValue
                        if version >= 13, names[topic.topicId] == nil {
                            data.errorCode = ErrorCode.unknownTopicId.rawValue
                        }
                    }
                    topicResponse.partitions.append(data)
                }
                response.responses.append(topicResponse)
            }
            firstPass = false
            let now = ContinuousClock.now
            // A cancelled request (its connection closed) answers at once: waiting again would return at once too,
            // and a loop of those spins a cooperative thread until a far-off deadline.
            if anyError || totalBytes >= Int(request.minBytes) || now >= deadline || watches.isEmpty || Task.isCancelled {
                return response
            }
            // Long poll: wait for an append to any fetched partition, or the deadline.
            context.discardAttachments()
            await AppendSignal.waitForAny(watches, until: deadline)
        }
    }
}
