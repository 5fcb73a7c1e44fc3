import KafkaProtocol

/// A response whose outcome is one top-level error code (NONE on success): counted once per response in
/// `kafka_network_requestmetrics_errors_total`, as Kafka's `errorCounts` does for these APIs. Produce and Fetch are
/// counted per partition instead (`RequestObservation`); other responses carry their codes per resource and are
/// not counted yet.
protocol TopLevelErrorCode {
    var errorCode: Int16 { get }
}

extension ApiVersionsResponse: TopLevelErrorCode {}
extension ControlledShutdownResponse: TopLevelErrorCode {}
extension DescribeClusterResponse: TopLevelErrorCode {}
extension FindCoordinatorResponse: TopLevelErrorCode {}
extension HeartbeatResponse: TopLevelErrorCode {}
extension InitProducerIdResponse: TopLevelErrorCode {}
extension JoinGroupResponse: TopLevelErrorCode {}
extension LeaderAndIsrResponse: TopLevelErrorCode {}
extension LeaveGroupResponse: TopLevelErrorCode {}
extension ListGroupsResponse: TopLevelErrorCode {}
extension OffsetFetchResponse: TopLevelErrorCode {}
extension StopReplicaResponse: TopLevelErrorCode {}
extension SyncGroupResponse: TopLevelErrorCode {}
extension UpdateMetadataResponse: TopLevelErrorCode {}
