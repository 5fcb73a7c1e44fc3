import KRaftController
import KafkaProtocol
import MetadataImage

/// AlterPartition (56), controller listener: a partition leader proposes a new ISR
/// (`ControllerApis.handleAlterPartitionRequest` → `ReplicationControlManager.alterPartition`). Before v2 topics
/// are named, from v2 identified; v3 carries each ISR member's broker epoch, and a member whose epoch is not its
/// current registration's is INELIGIBLE_REPLICA (KIP-903: a restarted follower must catch up again first).
struct AlterPartitionHandler: APIHandler {
    typealias Request = AlterPartitionRequest
    let versions: ClosedRange<Int16> = 0...3
    let controller: KRaftActiveController

    /// One partition's answer, with the index of its topic in the request.
    private struct Answer: Sendable {
        var topic: Int
        var partition: Request.Response.PartitionData
    }

    private struct Outcome: Sendable {
        var errorCode: ErrorCode
        var answers: [Answer]
    }

    func handle(_ request: Request, context: RequestContext) async -> Request.Response? {
        let version = context.apiVersion
        let brokerId = request.brokerId
        let brokerEpoch = request.brokerEpoch
        do {
            let outcome: Outcome = try await controller.decide { c, _, _ in
                // Partitions refused before the controller's own checks (an unknown topic name, a stale member
                // epoch) are answered here; the rest go to the controller in one decision.
                var answers: [Answer] = []
                var inputs: [(topic: Int, input: AlterPartitionInput)] = []
                for (t, topic) in request.topics.enumerated() {
                    let topicId = version >= 2 ? topic.topicId : (c.image.topicIds[topic.topicName] ?? .zero)
                    for p in topic.partitions {
                        let isr = version >= 3 ? p.newIsrWithEpochs.map(\.brokerId) : p.newIsr
                        let staleMember =
                            version >= 3
                            && p.newIsrWithEpochs.contains { member in
                                member.brokerEpoch != -1
                                    && c.image.brokers[member.brokerId]?.epoch != member.brokerEpoch
                            }
                        if topicId == .zero || staleMember {
                            let code: ErrorCode =
                                topicId != .zero
                                ? .ineligibleReplica : version >= 2 ? .unknownTopicId : .unknownTopicOrPartition
                            answers.append(
                                Answer(
                                    topic: t,
                                    partition: .init(
                                        partitionIndex: p.partitionIndex, errorCode: code.rawValue, leaderId: -1,
                                        leaderEpoch: -1, partitionEpoch: -1)))
                            continue
                        }
                        inputs.append(
                            (
                                t,
                                AlterPartitionInput(
                                    topicId: topicId, partitionId: p.partitionIndex, leaderEpoch: p.leaderEpoch,
                                    newIsr: isr, leaderRecoveryState: p.leaderRecoveryState,
                                    partitionEpoch: p.partitionEpoch)
                            ))
                    }
                }
                let decided = c.alterPartition(
                    brokerId: brokerId, brokerEpoch: brokerEpoch, partitions: inputs.map(\.input),
                    requestVersion: version)
                for (i, r) in decided.response.partitions.enumerated() {
                    answers.append(
                        Answer(
                            topic: inputs[i].topic,
                            partition: .init(
                                partitionIndex: r.partitionId, errorCode: r.errorCode.rawValue, leaderId: r.leaderId,
                                leaderEpoch: r.leaderEpoch, isr: r.isr, leaderRecoveryState: r.leaderRecoveryState,
                                partitionEpoch: r.partitionEpoch)))
                }
                return ControllerResult(
                    records: decided.records, response: Outcome(errorCode: decided.response.errorCode, answers: answers)
                )
            }
            guard outcome.errorCode == .noError else { return Request.Response(errorCode: outcome.errorCode.rawValue) }
            let topics = request.topics.enumerated().map { t, topic in
                Request.Response.TopicData(
                    topicName: topic.topicName, topicId: topic.topicId,
                    partitions: outcome.answers.filter { $0.topic == t }.map(\.partition))
            }
            return Request.Response(errorCode: ErrorCode.noError.rawValue, topics: topics)
        } catch {
            return Request.Response(errorCode: ErrorCode(error).rawValue)
        }
    }
}
