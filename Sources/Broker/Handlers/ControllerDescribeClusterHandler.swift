import KRaft
import KafkaProtocol

/// DescribeCluster (60) on a controller-only node (Kafka's `ControllerApis.handleDescribeCluster`, KIP-919): what
/// an admin client given `bootstrap.controllers` (`--bootstrap-controller`) asks. It names the controllers — the
/// voters with their controller endpoints — and the active controller; asked for brokers (endpoint type 1) it
/// answers UNSUPPORTED_ENDPOINT_TYPE, since a controller knows no client endpoints to hand out.
struct ControllerDescribeClusterHandler: APIHandler {
    typealias Request = DescribeClusterRequest
    let versions: ClosedRange<Int16> = 0...1
    let driver: RaftDriver
    let clusterId: String
    let voters: [VoterEndpoint]

    /// KIP-919's `EndpointType.CONTROLLER`.
    static let controllerEndpointType: Int8 = 2

    func handle(_ request: DescribeClusterRequest, context: RequestContext) async -> DescribeClusterResponse? {
        var response = DescribeClusterResponse()
        response.endpointType = request.endpointType
        guard request.endpointType == Self.controllerEndpointType else {
            response.errorCode = ErrorCode.unsupportedEndpointType.rawValue
            response.errorMessage = "The controller only supports the controller endpoint type"
            return response
        }
        response.clusterId = clusterId
        response.controllerId = await driver.leaderId ?? -1
        response.brokers = voters.map { .init(brokerId: $0.id.rawValue, host: $0.host, port: Int32($0.port)) }
        return response
    }
}
