import KRaft
import KafkaProtocol

/// Fetch (1) of `__cluster_metadata-0` in a KRaft node (`KafkaRaftClient.handleFetchRequest`): a follower's
/// fetch position is its acknowledgement, and the leader may hold the answer up to `MaxWaitMs` for news. Entries go
/// out as Kafka record batches with the KRaft fields (diverging epoch, current leader, snapshot id) set.
///
/// A KRaft node has no data partitions yet, so a Fetch of anything else is answered UNKNOWN_TOPIC_OR_PARTITION;
/// the broker's data-path Fetch will take those.
struct RaftFetchHandler: APIHandler {
    typealias Request = KafkaProtocol.FetchRequest
    let versions: ClosedRange<Int16> = 0...17
    let driver: RaftDriver

    func handle(_ request: Request, context: RequestContext) async -> Request.Response? {
        let version = context.apiVersion
        guard RaftWire.isMetadataFetch(request, version: version) else {
            return KafkaProtocol.FetchResponse(errorCode: ErrorCode.unknownTopicOrPartition.rawValue)
        }
        do throws(RaftWire.Failure) {
            let fetch = try RaftWire.decode(request, version: version, clusterId: driver.clusterId)
            guard case .fetchResponse(let answer)? = await driver.handle(.fetchRequest(fetch), from: fetch.replicaId)
            else { throw .error(ErrorCode.requestTimedOut.rawValue) }
            do {
                return try RaftWire.response(answer, timestamp: RaftDriver.now())
            } catch {
                throw .corruptRecords("\(error)")
            }
        } catch {
            return RaftWire.fetchError(error)
        }
    }
}
