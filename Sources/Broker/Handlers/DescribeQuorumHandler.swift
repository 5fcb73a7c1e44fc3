import KRaft
import KafkaProtocol

/// DescribeQuorum (55): the metadata quorum as its leader sees it (`KafkaRaftClient.handleDescribeQuorumRequest`),
/// answered on the broker and the controller listeners alike. A request on a broker listener that this node cannot
/// answer (it is not the leader) is forwarded to the active controller, as Kafka's brokers do; on a controller
/// listener a node that is not the leader answers NOT_LEADER_OR_FOLLOWER, so a request is forwarded at most once.
struct DescribeQuorumHandler: APIHandler {
    typealias Request = DescribeQuorumRequest
    let versions: ClosedRange<Int16> = 0...2
    let driver: RaftDriver
    /// This node's `directory.id` of the metadata log directory.
    let directoryId: UUIDValue
    let nodeId: Int32
    /// The voters' controller endpoints (v2's `Nodes`).
    let voterNodes: [DescribeQuorumResponse.Node]
    /// `controller.listener.names`: requests there are never forwarded again.
    let controllerListeners: Set<String>
    /// Sends the request to the active controller (the node's ``ControllerLink``); nil when none answered.
    let forward: @Sendable (DescribeQuorumRequest) async -> DescribeQuorumResponse?

    static let topicName = "__cluster_metadata"

    func handle(_ request: DescribeQuorumRequest, context: RequestContext) async -> DescribeQuorumResponse? {
        let asked = request.topics.contains { t in
            t.topicName == Self.topicName && t.partitions.contains { $0.partitionIndex == 0 }
        }
        guard asked else {
            return DescribeQuorumResponse(
                errorCode: ErrorCode.unknownTopicOrPartition.rawValue,
                errorMessage: "The request must name \(Self.topicName)-0")
        }
        var partition = DescribeQuorumResponse.PartitionData(partitionIndex: 0)
        if let d = await driver.describe() {
            func state(_ r: QuorumDescription.Replica) -> DescribeQuorumResponse.ReplicaState {
                .init(
                    replicaId: r.replicaId.rawValue,
                    replicaDirectoryId: r.replicaId.rawValue == nodeId ? directoryId : .zero,
                    logEndOffset: r.logEndOffset, lastFetchTimestamp: r.lastFetchTimestamp,
                    lastCaughtUpTimestamp: r.lastCaughtUpTimestamp)
            }
            partition.leaderId = d.leaderId.rawValue
            partition.leaderEpoch = d.leaderEpoch
            partition.highWatermark = d.highWatermark
            partition.currentVoters = d.currentVoters.map(state)
            partition.observers = d.observers.map(state)
        } else if !controllerListeners.contains(context.client.listenerName), let answer = await forward(request) {
            return answer
        } else {
            partition.errorCode = ErrorCode.notLeaderOrFollower.rawValue
            partition.errorMessage = "This node is not the leader of the metadata quorum"
            partition.leaderId = await driver.leaderId ?? -1
            partition.leaderEpoch = await driver.epoch
        }
        return DescribeQuorumResponse(
            topics: [.init(topicName: Self.topicName, partitions: [partition])], nodes: voterNodes)
    }
}
