import Authorization
import KafkaProtocol

/// DescribeCluster (Java admin's describeCluster): brokers, controller, cluster id.
struct DescribeClusterHandler: APIHandler {
    typealias Request = DescribeClusterRequest
    let versions: ClosedRange<Int16> = 0...1
    let core: BrokerCore

    func handle(_ request: DescribeClusterRequest, context: RequestContext) async -> DescribeClusterResponse? {
        let snapshot = core.metadata.snapshot
        var response = DescribeClusterResponse()
        response.clusterId = snapshot.clusterId
        response.controllerId = snapshot.controllerId
        response.endpointType = request.endpointType
        let listener = context.client.listenerName
        response.brokers = snapshot.brokers.values.sorted { $0.id < $1.id }.compactMap { b in
            b.address(on: listener).map { .init(brokerId: b.id, host: $0.host, port: $0.port, rack: b.rack) }
        }
        // Kafka checks nothing here but fills the authorized-operations field when asked (zero without Describe).
        if request.includeClusterAuthorizedOperations {
            response.clusterAuthorizedOperations =
                context.authorize(.describe, .cluster, Resource.clusterName, logIfDenied: false)
                ? context.authorizedOperations(.cluster, Resource.clusterName) : 0
        }
        if request.endpointType != 1 {
            response.errorCode = ErrorCode.unsupportedEndpointType.rawValue
            response.brokers = []
        }
        return response
    }
}
