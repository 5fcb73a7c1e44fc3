import Testing

@testable import Controller

@Suite("Controller state planning") struct ControllerStateTests {
    typealias F = Fixtures

    @Test func newPartitionsOfATopicGetInitialLeadersFromTheirAssignments() {
        let s = F.state(brokers: [1, 2, 3], assignment: [0: [1, 2, 3], 1: [2, 3, 1], 2: [3, 1, 2]])
        let plans = s.planOnlinePartitions(s.newOrOfflinePartitions)
        #expect(plans.map(\.leaderAndIsr.leader) == [1, 2, 3])
        #expect(plans.allSatisfy { $0.isNewPartition && $0.leaderAndIsr.leaderEpoch == 0 })
        #expect(plans[1].leaderAndIsr.isr == [2, 3, 1])
    }

    @Test func aNewPartitionWhoseReplicasAreAllDownStaysNewUntilABrokerStarts() {
        var s = F.state(brokers: [1], assignment: [0: [2, 3]])
        #expect(s.planOnlinePartitions(s.newOrOfflinePartitions).isEmpty)
        #expect(s.newOrOfflinePartitions == [F.tp(0)])
        s.brokers[3] = F.broker(3)
        #expect(
            s.planOnlinePartitions(s.newOrOfflinePartitions).map(\.leaderAndIsr) == [
                LeaderAndIsr(leader: 3, leaderEpoch: 0, isr: [3])
            ])
    }

    @Test func partitionsWithALiveLeaderAreNotReElected() {
        let s = F.state(
            brokers: [1, 2], assignment: [0: [1, 2]], states: [0: LeaderAndIsr(leader: 2, leaderEpoch: 3, isr: [2, 1])])
        #expect(s.newOrOfflinePartitions.isEmpty)
        #expect(s.planOnlinePartitions([F.tp(0)]).isEmpty)
    }

    @Test func whenALeaderDiesItsPartitionsElectTheNextIsrMemberAndOtherPartitionsDropTheDeadFollower() {
        var s = F.state(
            brokers: [1, 2, 3], assignment: [0: [1, 2, 3], 1: [2, 1, 3]],
            states: [
                0: LeaderAndIsr(leader: 1, leaderEpoch: 4, isr: [1, 2, 3]),
                1: LeaderAndIsr(leader: 2, leaderEpoch: 9, isr: [2, 1, 3]),
            ])
        s.brokers[1] = nil
        let plans = s.planReplicasOffline([1])
        #expect(plans.count == 2)
        #expect(
            plans[0]
                == PlannedStateChange(
                    partition: F.tp(0), leaderAndIsr: LeaderAndIsr(leader: 2, leaderEpoch: 5, isr: [2, 3]),
                    expectedZkVersion: 10))
        #expect(
            plans[1]
                == PlannedStateChange(
                    partition: F.tp(1), leaderAndIsr: LeaderAndIsr(leader: 2, leaderEpoch: 10, isr: [2, 3]),
                    expectedZkVersion: 11))
    }

    @Test("a replica marked offline loses leadership and its ISR place in that partition only")
    func offlineReplicaIsExcludedFromElectionsOfItsPartition() {
        var s = F.state(
            brokers: [1, 2, 3], assignment: [0: [1, 2, 3], 1: [1, 2, 3]],
            states: [
                0: LeaderAndIsr(leader: 1, leaderEpoch: 4, isr: [1, 2, 3]),
                1: LeaderAndIsr(leader: 1, leaderEpoch: 2, isr: [1, 2, 3]),
            ])
        #expect(s.markReplicasOffline(broker: 1, [F.tp(0), F.tp(0), F.tp(7)]) == [F.tp(0)])
        #expect(s.markReplicasOffline(broker: 1, [F.tp(0)]).isEmpty)
        #expect(!s.isOnline(1, for: F.tp(0)) && s.isOnline(1, for: F.tp(1)))
        #expect(s.newOrOfflinePartitions == [F.tp(0)])
        #expect(
            s.planReplicasOffline([F.tp(0): [1]]) == [
                PlannedStateChange(
                    partition: F.tp(0), leaderAndIsr: LeaderAndIsr(leader: 2, leaderEpoch: 5, isr: [2, 3]),
                    expectedZkVersion: 10)
            ])
    }

    @Test func whenEveryReplicaDiesOneAfterAnotherTheLastLeaderStaysAloneInTheIsrWithoutLeader() {
        var s = F.state(
            brokers: [1, 2, 3], assignment: [0: [1, 2, 3]],
            states: [0: LeaderAndIsr(leader: 1, leaderEpoch: 0, isr: [1, 2, 3])])
        for dead: Int32 in [3, 2, 1] {
            s.brokers[dead] = nil
            for plan in s.planReplicasOffline([dead]) { s.recordWritten(plan, zkVersion: 20) }
        }
        #expect(s.partitionStates[F.tp(0)]?.leaderAndIsr == LeaderAndIsr(leader: -1, leaderEpoch: 3, isr: [1]))
        // Broker 2 comes back first: not in the ISR, so no clean election.
        s.brokers[2] = F.broker(2)
        #expect(s.planOnlinePartitions(s.newOrOfflinePartitions).isEmpty)
        #expect(s.partitionsNeedingUncleanElection(s.allPartitions) == [F.tp(0)])
        #expect(
            s.planOnlinePartitions(s.newOrOfflinePartitions, uncleanTopics: ["t"]).map(\.leaderAndIsr)
                == [LeaderAndIsr(leader: 2, leaderEpoch: 4, isr: [2])])
        // Broker 1 (the last leader) comes back: it leads again.
        s.brokers[1] = F.broker(1)
        #expect(
            s.planOnlinePartitions(s.newOrOfflinePartitions).map(\.leaderAndIsr)
                == [LeaderAndIsr(leader: 1, leaderEpoch: 4, isr: [1])])
    }

    @Test func losingSeveralReplicasOfOnePartitionBumpsItsLeaderEpochOnce() {
        var s = F.state(
            brokers: [1, 2, 3], assignment: [0: [1, 2, 3]],
            states: [0: LeaderAndIsr(leader: 1, leaderEpoch: 2, isr: [1, 2, 3])])
        s.brokers[2] = nil
        s.brokers[3] = nil
        #expect(
            s.planReplicasOffline([2, 3]).map(\.leaderAndIsr) == [LeaderAndIsr(leader: 1, leaderEpoch: 3, isr: [1])])
    }

    @Test func topicsQueuedForDeletionAreNeverElected() {
        var s = F.state(brokers: [1], assignment: [0: [1]])
        s.topicsToDelete = ["t"]
        #expect(s.newOrOfflinePartitions.isEmpty)
        #expect(s.planOnlinePartitions([F.tp(0)]).isEmpty)
    }

    @Test func shuttingDownBrokersAreNotLiveForElectionsButStillRegistered() {
        var s = F.state(brokers: [1, 2], assignment: [0: [1, 2]])
        s.shuttingDown = [1]
        #expect(!s.isLive(1) && s.isRegistered(1))
        #expect(
            s.planOnlinePartitions([F.tp(0)]).map(\.leaderAndIsr) == [LeaderAndIsr(leader: 2, leaderEpoch: 0, isr: [2])]
        )
    }

    @Test func aControlledShutdownMovesLeadershipAwayAndTakesTheBrokerOutOfFollowerIsrs() {
        var s = F.state(
            brokers: [1, 2, 3], assignment: [0: [1, 2], 1: [2, 1], 2: [1], 3: [3, 2]],
            states: [
                0: LeaderAndIsr(leader: 1, leaderEpoch: 1, isr: [1, 2]),
                1: LeaderAndIsr(leader: 2, leaderEpoch: 1, isr: [2, 1]),
                2: LeaderAndIsr(leader: 1, leaderEpoch: 1, isr: [1]),
                3: LeaderAndIsr(leader: 3, leaderEpoch: 1, isr: [3, 2]),
            ])
        s.shuttingDown = [1]
        let (changes, followed) = s.planControlledShutdown(1)
        #expect(followed == [F.tp(1)])
        #expect(changes.map(\.partition) == [F.tp(0), F.tp(1)])
        #expect(changes[0].leaderAndIsr == LeaderAndIsr(leader: 2, leaderEpoch: 2, isr: [2]))
        #expect(changes[1].leaderAndIsr == LeaderAndIsr(leader: 2, leaderEpoch: 2, isr: [2]))
        for c in changes { s.recordWritten(c, zkVersion: 1) }
        // The RF=1 partition stays with the stopping broker.
        #expect(s.partitionsLed(by: 1) == [F.tp(2)])
    }

    @Test func autoRebalanceMovesPartitionsOfABrokerWhoseImbalanceExceedsThePercentage() {
        let s = F.state(
            brokers: [1, 2], assignment: [0: [1, 2], 1: [1, 2], 2: [2, 1]],
            states: [
                0: LeaderAndIsr(leader: 2, leaderEpoch: 1, isr: [2, 1]),
                1: LeaderAndIsr(leader: 1, leaderEpoch: 1, isr: [1, 2]),
                2: LeaderAndIsr(leader: 2, leaderEpoch: 1, isr: [2, 1]),
            ])
        // Broker 1 prefers 2 partitions and leads 1: ratio 0.5.
        #expect(s.planAutoRebalance(percentage: 10).map(\.partition) == [F.tp(0)])
        #expect(s.planAutoRebalance(percentage: 50).isEmpty)
    }

    @Test func recordingAWriteStampsTheControllersEpochAndTheNewZkVersion() {
        var s = F.state(brokers: [1], assignment: [0: [1]])
        let plan = s.planOnlinePartitions([F.tp(0)])[0]
        s.recordWritten(plan, zkVersion: 0)
        #expect(
            s.partitionStates[F.tp(0)]
                == PartitionState(
                    leaderAndIsr: LeaderAndIsr(leader: 1, leaderEpoch: 0, isr: [1]), controllerEpoch: 7, zkVersion: 0))
        #expect(s.znodeState(plan).controllerEpoch == 7)
    }

    @Test func aDeadLeaderWithoutAnotherIsrMemberIsReplacedUncleanlyOnlyForTopicsThatAllowIt() {
        var s = F.state(
            brokers: [1, 2], assignment: [0: [1, 2]], states: [0: LeaderAndIsr(leader: 1, leaderEpoch: 2, isr: [1])])
        s.brokers[1] = nil
        #expect(s.partitionsNeedingUncleanElection(s.allPartitions) == [F.tp(0)])
        #expect(s.planReplicasOffline([1]).map(\.leaderAndIsr) == [LeaderAndIsr(leader: -1, leaderEpoch: 3, isr: [1])])
        #expect(
            s.planReplicasOffline([1], uncleanTopics: ["t"]).map(\.leaderAndIsr)
                == [LeaderAndIsr(leader: 2, leaderEpoch: 3, isr: [2])])
    }

    @Test func aPreferredElectionIsPlannedOnlyWhereThePreferredReplicaIsLiveInTheIsrAndNotLeading() {
        let s = F.state(
            brokers: [1, 2], assignment: [0: [1, 2], 1: [1, 2], 2: [1, 2]],
            states: [
                0: LeaderAndIsr(leader: 2, leaderEpoch: 1, isr: [2, 1]),
                1: LeaderAndIsr(leader: 2, leaderEpoch: 1, isr: [2]),
                2: LeaderAndIsr(leader: 1, leaderEpoch: 1, isr: [1, 2]),
            ])
        #expect(
            s.planPreferredElection(s.allPartitions) == [
                PlannedStateChange(
                    partition: F.tp(0), leaderAndIsr: LeaderAndIsr(leader: 1, leaderEpoch: 2, isr: [2, 1]),
                    expectedZkVersion: 10)
            ])
    }
}
