import KafkaProtocol

/// ElectLeaders: preferred (0) or unclean (1) election. Leadership only moves between live ISR members, and with
/// one broker (no controller-driven failover yet) the leader already is the only candidate: partitions led by
/// their preferred replica answer ELECTION_NOT_NEEDED, as Kafka does; others PREFERRED_LEADER_NOT_AVAILABLE.
struct ElectLeadersHandler: APIHandler {
    typealias Request = ElectLeadersRequest
    let versions: ClosedRange<Int16> = 0...2
    let core: BrokerCore

    func handle(_ request: ElectLeadersRequest, context: RequestContext) async -> ElectLeadersResponse? {
        let snapshot = core.metadata.snapshot
        let wanted: [(String, [Int32])] =
            request.topicPartitions.map { $0.map { ($0.topic, $0.partitions) } }
            ?? snapshot.topics.values.sorted { $0.name < $1.name }.map { ($0.name, $0.partitions.map(\.partition)) }
        var response = ElectLeadersResponse()
        for (topic, partitions) in wanted {
            var result = ElectLeadersResponse.ReplicaElectionResult(topic: topic, partitionResult: [])
            for partition in partitions {
                var r = ElectLeadersResponse.PartitionResult(partitionId: partition, errorCode: 0, errorMessage: nil)
                if let p = snapshot.topics[topic]?.partitions.first(where: { $0.partition == partition }) {
                    let preferred = p.replicas.first ?? -1
                    if request.electionType == 0 && p.leader == preferred {
                        r.errorCode = ErrorCode.electionNotNeeded.rawValue
                        r.errorMessage = "Leader election not needed for topic partition."
                    } else if request.electionType == 1 && p.leader >= 0 && snapshot.brokers[p.leader] != nil {
                        r.errorCode = ErrorCode.electionNotNeeded.rawValue
                        r.errorMessage = "Leader election not needed for topic partition."
                    } else {
                        r.errorCode = ErrorCode.preferredLeaderNotAvailable.rawValue
                        r.errorMessage = "Failed to elect leader for partition \(topic)-\(partition) under strategy \(request.electionType == 0 ? "PreferredReplicaPartitionLeaderElectionStrategy" : "UncleanPartitionLeaderElectionStrategy")"
                    }
                } else {
                    r.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
                    r.errorMessage = "The partition does not exist."
                }
                result.partitionResult.append(r)
            }
            response.replicaElectionResults.append(result)
        }
        return response
    }
}
