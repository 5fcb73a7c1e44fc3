import Testing

@testable import Controller

@Suite("Leader election rules") struct ElectionTests {
    let live: Set<Int32> = [1, 2, 3]
    func isLive(_ id: Int32) -> Bool { live.contains(id) }

    @Test func aNewPartitionIsLedByTheFirstLiveReplicaWithEveryLiveReplicaInTheIsrAtEpochZero() {
        let result = Election.newPartition(assignment: [4, 2, 3], isLive: isLive)
        #expect(result == LeaderAndIsr(leader: 2, leaderEpoch: 0, isr: [2, 3]))
    }

    @Test func aNewPartitionWithoutAnyLiveReplicaGetsNoLeader() {
        #expect(Election.newPartition(assignment: [4, 5], isLive: isLive) == nil)
    }

    @Test func anOfflinePartitionElectsTheFirstReplicaInAssignmentOrderThatIsLiveAndInTheIsr() {
        let current = LeaderAndIsr(leader: 4, leaderEpoch: 7, isr: [4, 3, 2])
        let result = Election.offlinePartition(
            assignment: [4, 1, 2, 3], current: current, uncleanEnabled: false, isLive: isLive)
        // 1 is live but not in the ISR; 2 comes before 3 in the assignment.
        #expect(result == LeaderAndIsr(leader: 2, leaderEpoch: 8, isr: [3, 2]))
    }

    @Test func anOfflinePartitionWithoutALiveIsrMemberStaysOfflineUnlessUncleanElectionIsEnabled() {
        let current = LeaderAndIsr(leader: 4, leaderEpoch: 3, isr: [4])
        #expect(
            Election.offlinePartition(assignment: [4, 1, 2], current: current, uncleanEnabled: false, isLive: isLive)
                == nil)
    }

    @Test func anUncleanElectionPicksTheFirstLiveReplicaAloneInTheIsr() {
        let current = LeaderAndIsr(leader: -1, leaderEpoch: 3, isr: [4])
        let result = Election.offlinePartition(
            assignment: [4, 2, 1], current: current, uncleanEnabled: true, isLive: isLive)
        #expect(result == LeaderAndIsr(leader: 2, leaderEpoch: 4, isr: [2]))
    }

    @Test func anUncleanElectionIsNotUsedWhileACleanOneIsPossible() {
        let current = LeaderAndIsr(leader: 4, leaderEpoch: 3, isr: [4, 3])
        let result = Election.offlinePartition(
            assignment: [4, 2, 3], current: current, uncleanEnabled: true, isLive: isLive)
        #expect(result == LeaderAndIsr(leader: 3, leaderEpoch: 4, isr: [3]))
    }

    @Test func removingTheLeaderFromTheIsrLeavesThePartitionWithoutLeaderAndBumpsTheEpoch() {
        let current = LeaderAndIsr(leader: 1, leaderEpoch: 2, isr: [1, 2])
        #expect(
            Election.removeReplicaFromIsr(1, current: current) == LeaderAndIsr(leader: -1, leaderEpoch: 3, isr: [2]))
    }

    @Test func removingAFollowerKeepsTheLeaderAndBumpsTheEpoch() {
        let current = LeaderAndIsr(leader: 1, leaderEpoch: 2, isr: [1, 2, 3])
        #expect(
            Election.removeReplicaFromIsr(3, current: current) == LeaderAndIsr(leader: 1, leaderEpoch: 3, isr: [1, 2]))
    }

    @Test func theIsrIsNeverShrunkToEmpty() {
        let current = LeaderAndIsr(leader: 3, leaderEpoch: 5, isr: [3])
        #expect(
            Election.removeReplicaFromIsr(3, current: current) == LeaderAndIsr(leader: -1, leaderEpoch: 6, isr: [3]))
    }

    @Test func removingAReplicaOutsideTheIsrChangesNothing() {
        let current = LeaderAndIsr(leader: 1, leaderEpoch: 5, isr: [1])
        #expect(Election.removeReplicaFromIsr(2, current: current) == nil)
    }

    @Test func aPreferredElectionMovesLeadershipToTheFirstAssignedReplicaKeepingTheIsr() {
        let current = LeaderAndIsr(leader: 2, leaderEpoch: 1, isr: [2, 1])
        #expect(
            Election.preferredReplica(assignment: [1, 2], current: current, isLive: isLive)
                == LeaderAndIsr(leader: 1, leaderEpoch: 2, isr: [2, 1]))
    }

    @Test func aPreferredElectionFailsWhenThePreferredReplicaIsOutOfTheIsrOrOffline() {
        let outOfIsr = LeaderAndIsr(leader: 2, leaderEpoch: 1, isr: [2])
        #expect(Election.preferredReplica(assignment: [1, 2], current: outOfIsr, isLive: isLive) == nil)
        let offline = LeaderAndIsr(leader: 2, leaderEpoch: 1, isr: [2, 4])
        #expect(Election.preferredReplica(assignment: [4, 2], current: offline, isLive: isLive) == nil)
    }

    @Test func aControlledShutdownElectionSkipsShuttingDownBrokersAndDropsThemFromTheIsr() {
        let current = LeaderAndIsr(leader: 1, leaderEpoch: 4, isr: [1, 2, 3])
        let result = Election.controlledShutdown(
            assignment: [1, 2, 3], current: current, isRegistered: isLive, shuttingDown: [1, 2])
        #expect(result == LeaderAndIsr(leader: 3, leaderEpoch: 5, isr: [3]))
    }

    @Test func aControlledShutdownElectionFailsWithoutAnotherIsrMember() {
        let current = LeaderAndIsr(leader: 1, leaderEpoch: 4, isr: [1])
        #expect(
            Election.controlledShutdown(assignment: [1, 2], current: current, isRegistered: isLive, shuttingDown: [1])
                == nil)
    }
}
