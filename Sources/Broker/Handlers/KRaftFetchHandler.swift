import KafkaProtocol

/// Fetch (1) on a combined KRaft node: a fetch of `__cluster_metadata-0` is a voter's Raft fetch
/// (`RaftFetchHandler`); every other fetch is the broker's data path (`FetchHandler`), as Kafka's `KafkaApis`
/// hands metadata-partition fetches to the Raft manager.
struct KRaftFetchHandler: APIHandler {
    typealias Request = FetchRequest
    let data: FetchHandler
    let raft: RaftFetchHandler
    var versions: ClosedRange<Int16> { data.versions }

    func handle(_ request: FetchRequest, context: RequestContext) async -> FetchResponse? {
        if RaftWire.isMetadataFetch(request, version: context.apiVersion) {
            return await raft.handle(request, context: context)
        }
        return await data.handle(request, context: context)
    }
}
