import KafkaProtocol

/// Metadata on a KRaft node while its broker data path is not wired: the brokers are this node (when it has the
/// broker role), the controller id is this node, as Kafka's KRaft brokers name a random alive broker
/// (`KRaftMetadataCache.getRandomAliveBrokerId`), and there are no topics yet: every named topic is
/// UNKNOWN_TOPIC_OR_PARTITION.
struct KRaftMetadataHandler: APIHandler {
    typealias Request = MetadataRequest
    let versions: ClosedRange<Int16> = 0...12
    let nodeId: Int32
    let clusterId: String
    /// This node's advertised endpoint per listener name (empty for a controller-only node).
    let advertised: [String: (host: String, port: Int32)]
    let rack: String?

    func handle(_ request: MetadataRequest, context: RequestContext) async -> MetadataResponse? {
        var response = MetadataResponse()
        response.clusterId = clusterId
        if let address = advertised[context.client.listenerName] ?? advertised.values.first {
            response.brokers = [.init(nodeId: nodeId, host: address.host, port: address.port, rack: rack)]
            response.controllerId = nodeId
        }
        response.topics = (request.topics ?? []).map { topic in
            var t = MetadataResponse.MetadataResponseTopic()
            t.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
            t.name = topic.name
            t.topicId = topic.topicId
            return t
        }
        return response
    }
}
