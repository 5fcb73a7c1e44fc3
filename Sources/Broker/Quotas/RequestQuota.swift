import Foundation
import KafkaProtocol

/// Kafka's request-time quota (`request_percentage`, KIP-124): the time a user/client's requests keep the broker
/// busy, as a percentage of one request thread, measured over the quota window like the byte rates. Over the
/// quota, the response carries `throttle_time_ms` and the connection is muted for as long (KIP-219), at most one
/// window (`ClientRequestQuotaManager.maxThrottleTimeMs`).
///
/// Kafka charges network- and I/O-thread time, not time parked in a purgatory. Here a request runs on the event
/// loops and the cooperative pool, so the handler's elapsed time is charged, except for the APIs that wait for
/// something else (a long-poll fetch, acks=all, a rebalance, the controller): those are charged their decode,
/// authorization and encoding time only, which is what Kafka's purgatory exclusion amounts to for them.
enum RequestQuota {
    /// Inter-broker requests are exempt (Kafka exempts `ClusterAction` requests from request quotas).
    static let exempt: Set<APIKey> = [
        .leaderAndIsr, .stopReplica, .updateMetadata, .controlledShutdown, .writeTxnMarkers,
    ]

    /// APIs whose handlers wait for data, replication, a group or the controller.
    static let parking: Set<APIKey> = [
        .fetch, .produce, .joinGroup, .syncGroup, .createTopics, .deleteTopics, .createPartitions, .electLeaders,
        .offsetCommit, .txnOffsetCommit, .endTxn, .addPartitionsToTxn, .addOffsetsToTxn, .initProducerId,
        .deleteRecords,
    ]

    /// The time to charge: the whole handling, minus the handler's own time for APIs that park.
    static func chargedNanos(apiKey: APIKey, total: Duration, inHandler: Duration) -> Int64 {
        let charged = parking.contains(apiKey) ? total - inHandler : total
        return max(0, charged.components.seconds * 1_000_000_000 + charged.components.attoseconds / 1_000_000_000)
    }

    /// The throttle (ms, 0 when within the quota or exempt) for one request.
    static func throttle<R: KafkaRequest>(
        _ request: R, total: Duration, inHandler: Duration, context: RequestContext, quotas: QuotaManager
    ) -> Int32 {
        guard !exempt.contains(R.apiKey) else { return 0 }
        // Followers' fetches are replication (Kafka's separate replication quotas), not client load.
        if let fetch = request as? FetchRequest, fetch.effectiveReplicaId(version: context.apiVersion) >= 0 {
            return 0
        }
        let nanos = chargedNanos(apiKey: R.apiKey, total: total, inHandler: inHandler)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return quotas.recordRequestTime(
            principal: context.principal, clientId: context.clientId, nanos: nanos, nowMs: now)
    }
}

// Every response with a `throttle_time_ms` field reports request-quota throttling (Produce and Fetch are declared
// with the byte-rate quotas).
extension AddOffsetsToTxnResponse: ThrottleReporting {}
extension AddPartitionsToTxnResponse: ThrottleReporting {}
extension AlterClientQuotasResponse: ThrottleReporting {}
extension AlterConfigsResponse: ThrottleReporting {}
extension AlterUserScramCredentialsResponse: ThrottleReporting {}
extension ApiVersionsResponse: ThrottleReporting {}
extension CreateAclsResponse: ThrottleReporting {}
extension CreatePartitionsResponse: ThrottleReporting {}
extension CreateTopicsResponse: ThrottleReporting {}
extension DeleteAclsResponse: ThrottleReporting {}
extension DeleteGroupsResponse: ThrottleReporting {}
extension DeleteRecordsResponse: ThrottleReporting {}
extension DeleteTopicsResponse: ThrottleReporting {}
extension DescribeAclsResponse: ThrottleReporting {}
extension DescribeClientQuotasResponse: ThrottleReporting {}
extension DescribeClusterResponse: ThrottleReporting {}
extension DescribeConfigsResponse: ThrottleReporting {}
extension DescribeGroupsResponse: ThrottleReporting {}
extension DescribeLogDirsResponse: ThrottleReporting {}
extension DescribeProducersResponse: ThrottleReporting {}
extension DescribeTransactionsResponse: ThrottleReporting {}
extension DescribeUserScramCredentialsResponse: ThrottleReporting {}
extension ElectLeadersResponse: ThrottleReporting {}
extension EndTxnResponse: ThrottleReporting {}
extension FetchSnapshotResponse: ThrottleReporting {}
extension FindCoordinatorResponse: ThrottleReporting {}
extension HeartbeatResponse: ThrottleReporting {}
extension IncrementalAlterConfigsResponse: ThrottleReporting {}
extension InitProducerIdResponse: ThrottleReporting {}
extension JoinGroupResponse: ThrottleReporting {}
extension LeaveGroupResponse: ThrottleReporting {}
extension ListGroupsResponse: ThrottleReporting {}
extension ListOffsetsResponse: ThrottleReporting {}
extension ListTransactionsResponse: ThrottleReporting {}
extension MetadataResponse: ThrottleReporting {}
extension OffsetCommitResponse: ThrottleReporting {}
extension OffsetDeleteResponse: ThrottleReporting {}
extension OffsetFetchResponse: ThrottleReporting {}
extension OffsetForLeaderEpochResponse: ThrottleReporting {}
extension SyncGroupResponse: ThrottleReporting {}
extension TxnOffsetCommitResponse: ThrottleReporting {}
