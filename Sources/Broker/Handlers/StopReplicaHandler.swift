import KafkaProtocol

/// StopReplica (API 5), sent by the controller (v3): stop fetching; with deletePartition also drop the replica
/// and delete its log. Deleted `__consumer_offsets` partitions are unloaded from the group coordinator.
struct StopReplicaHandler: APIHandler {
    typealias Request = StopReplicaRequest
    let versions: ClosedRange<Int16> = 0...4
    let core: BrokerCore

    func handle(_ request: StopReplicaRequest, context: RequestContext) async -> StopReplicaResponse? {
        do {
            try await ControllerRequestChecks.check(
                brokerEpoch: request.brokerEpoch, controllerEpoch: request.controllerEpoch, core: core)
        } catch {
            return StopReplicaResponse(errorCode: ErrorCode(error).rawValue)
        }
        let replicas = core.replicas
        let groups = core.groups
        let version = context.apiVersion
        let results = await replicas.stateChangeLock.withLock { () async -> [ReplicaManager.StopReplicaResult] in
            let results = replicas.stopReplicas(request, version: version)
            for r in results where r.error == nil && r.deleted && r.topic == "__consumer_offsets" {
                // Deleted (leader epoch -2 during topic deletion): drop its groups whatever epoch they were loaded at.
                await groups.partitionRemoved(partition: r.partition)
            }
            return results
        }
        return StopReplicaResponse(
            errorCode: 0,
            partitionErrors: results.map {
                .init(topicName: $0.topic, partitionIndex: $0.partition, errorCode: $0.error.map { ErrorCode($0).rawValue } ?? 0)
            })
    }
}
