import Controller
import KafkaProtocol

/// ElectLeaders: preferred (0) or unclean (1) election, run by the controller (other brokers answer
/// NOT_CONTROLLER). Per partition: ELECTION_NOT_NEEDED when the leader already is the one the strategy picks,
/// PREFERRED_LEADER_NOT_AVAILABLE / ELIGIBLE_LEADERS_NOT_AVAILABLE when nobody qualifies, as Kafka answers.
struct ElectLeadersHandler: APIHandler {
    typealias Request = ElectLeadersRequest
    let versions: ClosedRange<Int16> = 0...2
    let core: BrokerCore

    func handle(_ request: ElectLeadersRequest, context: RequestContext) async -> ElectLeadersResponse? {
        let type: ElectionType = request.electionType == 1 ? .unclean : .preferred
        let wanted = request.topicPartitions.map { list in
            list.flatMap { t in t.partitions.map { TopicPartition(topic: t.topic, partition: $0) } }
        }
        guard let controller = core.topics.controller?.runtime,
            let outcomes = await controller.electLeaders(type, partitions: wanted)
        else {
            return Self.notController(wanted, version: context.apiVersion)
        }
        let strategy =
            type == .preferred
            ? "PreferredReplicaPartitionLeaderElectionStrategy" : "OfflinePartitionLeaderElectionStrategy(true)"
        var rows: [(topic: String, result: ElectLeadersResponse.PartitionResult)] = []
        for (tp, outcome) in outcomes.sorted(by: { $0.key < $1.key }) {
            var r = ElectLeadersResponse.PartitionResult(partitionId: tp.partition, errorCode: 0, errorMessage: nil)
            switch outcome {
            case .elected:
                break
            case .notNeeded:
                r.errorCode = ErrorCode.electionNotNeeded.rawValue
                r.errorMessage = "Leader election not needed for topic partition."
            case .preferredLeaderNotAvailable:
                r.errorCode = ErrorCode.preferredLeaderNotAvailable.rawValue
                r.errorMessage =
                    "Failed to elect leader for partition \(tp.topic)-\(tp.partition) under strategy \(strategy)"
            case .eligibleLeadersNotAvailable:
                r.errorCode = ErrorCode.eligibleLeadersNotAvailable.rawValue
                r.errorMessage =
                    "Failed to elect leader for partition \(tp.topic)-\(tp.partition) under strategy \(strategy)"
            case .unknownPartition:
                r.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
                r.errorMessage = "The partition does not exist."
            case .failed(let message):
                r.errorCode = ErrorCode.unknownServerError.rawValue
                r.errorMessage = message
            }
            rows.append((tp.topic, r))
        }
        var response = ElectLeadersResponse()
        response.replicaElectionResults = Self.grouped(rows)
        return response
    }

    static func notController(_ wanted: [TopicPartition]?, version: Int16) -> ElectLeadersResponse {
        var response = ElectLeadersResponse()
        if version >= 1 { response.errorCode = ErrorCode.notController.rawValue }
        response.replicaElectionResults = grouped(
            (wanted ?? []).map {
                (
                    $0.topic,
                    .init(partitionId: $0.partition, errorCode: ErrorCode.notController.rawValue, errorMessage: nil)
                )
            })
        return response
    }

    /// One result entry per topic, topics in name order, partitions in the order given.
    private static func grouped(
        _ rows: [(topic: String, result: ElectLeadersResponse.PartitionResult)]
    ) -> [ElectLeadersResponse.ReplicaElectionResult] {
        var byTopic: [String: [ElectLeadersResponse.PartitionResult]] = [:]
        for row in rows { byTopic[row.topic, default: []].append(row.result) }
        return byTopic.sorted { $0.key < $1.key }.map { .init(topic: $0.key, partitionResult: $0.value) }
    }
}
