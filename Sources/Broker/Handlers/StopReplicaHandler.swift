import KafkaProtocol
import Replication

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
        let results = await core.replicas.stopReplicas(Self.partitions(request, version: context.apiVersion))
        return StopReplicaResponse(
            errorCode: 0,
            partitionErrors: results.map {
                .init(
                    topicName: $0.topic, partitionIndex: $0.partition,
                    errorCode: $0.error.map { ErrorCode($0).rawValue } ?? 0)
            })
    }

    /// The request's partitions in domain terms: v0–2 carry no epochs (-1) and one deletePartitions flag.
    static func partitions(_ request: StopReplicaRequest, version: Int16) -> [StopReplicaPartition] {
        var items: [StopReplicaPartition] = []
        if version == 0 {
            items = request.ungroupedPartitions.map {
                StopReplicaPartition(
                    topic: $0.topicName, partition: $0.partitionIndex, leaderEpoch: -1,
                    deletePartition: request.deletePartitions)
            }
        } else if version <= 2 {
            for t in request.topics {
                for p in t.partitionIndexes {
                    items.append(
                        StopReplicaPartition(
                            topic: t.name, partition: p, leaderEpoch: -1, deletePartition: request.deletePartitions))
                }
            }
        } else {
            for t in request.topicStates {
                for p in t.partitionStates {
                    items.append(
                        StopReplicaPartition(
                            topic: t.topicName, partition: p.partitionIndex, leaderEpoch: p.leaderEpoch,
                            deletePartition: p.deletePartition))
                }
            }
        }
        return items
    }
}
