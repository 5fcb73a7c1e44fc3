import KRaft
import KafkaProtocol

/// DescribeQuorum (55): the metadata quorum as its leader sees it (`KafkaRaftClient.handleDescribeQuorumRequest`),
/// answered on the broker and the controller listeners alike. A node that is not the leader forwards the request to
/// the leader it knows, and answers NOT_LEADER_OR_FOLLOWER for the partition when it knows none or cannot reach it.
struct DescribeQuorumHandler: APIHandler {
    typealias Request = DescribeQuorumRequest
    let versions: ClosedRange<Int16> = 0...2
    let driver: RaftDriver
    /// This node's `directory.id` of the metadata log directory.
    let directoryId: UUIDValue
    let nodeId: Int32
    /// The voters' controller endpoints (v2's `Nodes`).
    let voterNodes: [DescribeQuorumResponse.Node]

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
        } else if !context.clientId.hasPrefix(RaftPeers.clientIdPrefix), let leader = await driver.leaderId,
            leader != nodeId, let answer = await driver.peers?.forward(request, to: ReplicaID(leader))
        {
            // Kafka's brokers forward DescribeQuorum to the active controller; a node that is not the leader asks
            // the leader once (never a request another node forwarded, so two nodes cannot bounce it).
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
