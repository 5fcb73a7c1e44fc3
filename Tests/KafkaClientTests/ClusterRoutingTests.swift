import KafkaProtocol
import Testing

@testable import KafkaClient

@Suite("Routing in a cluster")
struct ClusterRoutingTests {
    private func partition(_ p: Int32, leader: Int32, replicas: [Int32] = [1, 2, 3]) -> PartitionMetadata {
        PartitionMetadata(
            partition: p, leader: leader, leaderEpoch: 0, replicas: replicas, isr: replicas, offlineReplicas: [],
            errorCode: leader < 0 ? ErrorCode.leaderNotAvailable.rawValue : 0)
    }

    private func topic(_ name: String, leaders: [Int32]) -> TopicMetadata {
        TopicMetadata(
            name: name, topicId: .zero, isInternal: false,
            partitions: leaders.enumerated().map { partition(Int32($0.offset), leader: $0.element) }, errorCode: 0)
    }

    @Test func partitionsAreGroupedByTheirCurrentLeader() {
        let topics = ["t": topic("t", leaders: [1, 2, 3, 1])]
        let route = LeaderRoute.group(
            (0..<4).map { TopicPartition("t", $0) }, topics: topics, liveBrokers: [1, 2, 3])
        #expect(route?.mapValues { $0.map(\.partition).sorted() } == [1: [0, 3], 2: [1], 3: [2]])
    }

    @Test func aPartitionWithoutALeaderIsALeaderNotAvailableMissThatIsRetried() {
        let topics = ["t": topic("t", leaders: [1, -1])]
        let result = LeaderRoute.resolve([TopicPartition("t", 1)], topics: topics, liveBrokers: [1, 2])
        #expect(result == .failure(.noLeader(TopicPartition("t", 1))))
        let error = LeaderRoute.error(for: .noLeader(TopicPartition("t", 1)))
        #expect(error.errorCode == .leaderNotAvailable)
        #expect(error.isRetriable)
    }

    @Test func aLeaderThatIsNoLongerALiveBrokerIsTreatedAsNoLeader() {
        // Broker 2 died; the controller has not elected a new leader yet, but Metadata no longer lists broker 2.
        let topics = ["t": topic("t", leaders: [2])]
        let result = LeaderRoute.resolve([TopicPartition("t", 0)], topics: topics, liveBrokers: [1, 3])
        #expect(result == .failure(.noLeader(TopicPartition("t", 0))))
    }

    @Test func aTopicMissingFromTheViewIsARetriableUnknownTopicOrPartition() {
        let result = LeaderRoute.resolve([TopicPartition("new", 0)], topics: [:], liveBrokers: [1])
        #expect(result == .failure(.unknownTopic("new")))
        let error = LeaderRoute.error(for: .unknownTopic("new"))
        #expect(error.errorCode == .unknownTopicOrPartition)
        #expect(error.isRetriable)
    }

    @Test func aPartitionBeyondTheTopicsCountIsACallerErrorNotRetried() {
        let topics = ["t": topic("t", leaders: [1, 1])]
        let result = LeaderRoute.resolve([TopicPartition("t", 5)], topics: topics, liveBrokers: [1])
        #expect(result == .failure(.noSuchPartition(TopicPartition("t", 5), partitionCount: 2)))
        #expect(!LeaderRoute.error(for: .noSuchPartition(TopicPartition("t", 5), partitionCount: 2)).isRetriable)
    }

    @Test func leaderMovesAndReplicationShortfallsAreRetriableLikeTheJavaClient() {
        for code: ErrorCode in [
            .notLeaderOrFollower, .leaderNotAvailable, .unknownTopicOrPartition, .fencedLeaderEpoch,
            .notEnoughReplicas, .notEnoughReplicasAfterAppend, .requestTimedOut, .notController, .notCoordinator,
            .coordinatorNotAvailable, .coordinatorLoadInProgress,
        ] {
            #expect(KafkaClientError.kafka(code: code, message: nil, context: "x").isRetriable, "\(code)")
        }
        #expect(!KafkaClientError.kafka(code: .topicAlreadyExists, message: nil, context: "x").isRetriable)
        #expect(!KafkaClientError.kafka(code: .rebalanceInProgress, message: nil, context: "x").isRetriable)
    }

    @Test func anUnreachableRoleHolderIsRetriableButAnUnreachableBootstrapIsNot() {
        #expect(KafkaClientError.brokerNotAvailable(id: 2, reason: "unreachable").isRetriable)
        #expect(KafkaClientError.connectionClosed(host: "h", port: 1).isRetriable)
        #expect(!KafkaClientError.brokerUnreachable(host: "h", port: 1, reason: "refused").isRetriable)
        #expect(
            KafkaClientError.brokerNotAvailable(id: 2, reason: "unreachable at h:1 (refused)").description
                == "broker 2 not available (unreachable at h:1 (refused))")
    }

    @Test func anOutOfOrderSequenceIsRetriedOnlyWhileAnEarlierBatchIsUnacknowledged() {
        let outOfOrder = KafkaClientError.kafka(code: .outOfOrderSequenceNumber, message: nil, context: "produce")
        #expect(KafkaProducer.shouldRetry(outOfOrder, baseSequence: 10, idempotent: true, unacknowledged: [5, 10]))
        #expect(!KafkaProducer.shouldRetry(outOfOrder, baseSequence: 10, idempotent: true, unacknowledged: [10]))
        #expect(!KafkaProducer.shouldRetry(outOfOrder, baseSequence: 10, idempotent: false, unacknowledged: [5]))
        let notLeader = KafkaClientError.kafka(code: .notLeaderOrFollower, message: nil, context: "produce")
        #expect(KafkaProducer.shouldRetry(notLeader, baseSequence: -1, idempotent: false, unacknowledged: []))
        let tooLarge = KafkaClientError.kafka(code: .messageTooLarge, message: nil, context: "produce")
        #expect(!KafkaProducer.shouldRetry(tooLarge, baseSequence: 3, idempotent: true, unacknowledged: [1]))
    }

    @Test func coordinatorMovesAreTheGroupErrorsThatTriggerFindCoordinatorAgain() {
        #expect(KafkaClient.isCoordinatorError(ErrorCode.notCoordinator.rawValue))
        #expect(KafkaClient.isCoordinatorError(ErrorCode.coordinatorNotAvailable.rawValue))
        #expect(KafkaClient.isCoordinatorError(ErrorCode.coordinatorLoadInProgress.rawValue))
        #expect(!KafkaClient.isCoordinatorError(ErrorCode.rebalanceInProgress.rawValue))
        #expect(!KafkaClient.isCoordinatorError(ErrorCode.illegalGeneration.rawValue))
    }

    @Test func metadataAnswersCarryTheControllerAndMultiReplicaPartitionState() {
        var response = MetadataResponse()
        response.controllerId = 2
        response.brokers = [.init(nodeId: 1, host: "a", port: 9092), .init(nodeId: 2, host: "b", port: 9093)]
        var t = MetadataResponse.MetadataResponseTopic()
        t.name = "t"
        var p = MetadataResponse.MetadataResponsePartition()
        p.partitionIndex = 0
        p.leaderId = 2
        p.leaderEpoch = 4
        p.replicaNodes = [2, 1]
        p.isrNodes = [2]
        t.partitions = [p]
        response.topics = [t]
        let md = ClusterMetadata(response)
        #expect(md.controllerId == 2)
        #expect(md.leader(of: TopicPartition("t", 0)) == 2)
        #expect(md.topics["t"]?.replicationFactor == 2)
        #expect(md.topics["t"]?.partitions.first?.isr == [2])
        #expect(md.brokers[2]?.address == BrokerAddress(host: "b", port: 9093))
    }
}
