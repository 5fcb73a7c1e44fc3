import Testing

@testable import Replication

private let lag: Int64 = 10_000

@Suite("replication rules")
struct ReplicationRulesTests {
    // MARK: follower state

    @Test func aFollowerFetchingAtTheLeadersEndIsCaughtUpNow() {
        let f = FollowerState.reset(inIsr: false, now: 0)
            .afterFetch(fetchOffset: 50, logStartOffset: 0, leaderLogEndOffset: 50, now: 1_000)
        #expect(f.logEndOffset == 50)
        #expect(f.lastCaughtUpTimeMs == 1_000)
    }

    @Test func aFollowerReachingThePreviousLeaderEndIsCaughtUpAsOfThePreviousFetch() {
        var f = FollowerState.reset(inIsr: false, now: 0)
        f = f.afterFetch(fetchOffset: 10, logStartOffset: 0, leaderLogEndOffset: 40, now: 1_000)
        #expect(f.lastCaughtUpTimeMs == 0)
        f = f.afterFetch(fetchOffset: 40, logStartOffset: 0, leaderLogEndOffset: 60, now: 2_000)
        #expect(f.lastCaughtUpTimeMs == 1_000)
    }

    @Test func anIsrMemberCountsAsCaughtUpWhenLeadershipStarts() {
        let f = FollowerState.reset(inIsr: true, now: 5_000)
        #expect(f.isCaughtUp(leaderLogEndOffset: 100, now: 5_000 + lag, maxLagMs: lag))
        #expect(!f.isCaughtUp(leaderLogEndOffset: 100, now: 5_001 + lag, maxLagMs: lag))
    }

    // MARK: high watermark

    @Test func theHighWatermarkIsTheSmallestLogEndOffsetInTheIsr() {
        let followers: [Int32: FollowerState] = [
            2: FollowerState(logEndOffset: 80, lastCaughtUpTimeMs: 0),
            3: FollowerState(logEndOffset: 90, lastCaughtUpTimeMs: 0),
        ]
        let hw = ReplicationRules.advancedHighWatermark(
            leaderLogEndOffset: 100, currentHighWatermark: 10, maximalIsr: [1, 2, 3], followers: followers,
            now: 100_000, maxLagMs: lag, isAlive: { _ in true })
        #expect(hw == 80)
    }

    @Test func theHighWatermarkNeverMovesBack() {
        let followers: [Int32: FollowerState] = [2: FollowerState(logEndOffset: 5)]
        let hw = ReplicationRules.advancedHighWatermark(
            leaderLogEndOffset: 100, currentHighWatermark: 10, maximalIsr: [1, 2], followers: followers, now: 0,
            maxLagMs: lag, isAlive: { _ in true })
        #expect(hw == nil)
    }

    @Test func aSoleReplicaCommitsEverythingItAppends() {
        let hw = ReplicationRules.advancedHighWatermark(
            leaderLogEndOffset: 7, currentHighWatermark: 3, maximalIsr: [1], followers: [:], now: 0, maxLagMs: lag,
            isAlive: { _ in true })
        #expect(hw == 7)
    }

    @Test func aLaggingFollowerOutsideTheIsrDoesNotHoldTheHighWatermarkBack() {
        let followers: [Int32: FollowerState] = [
            2: FollowerState(logEndOffset: 100),
            3: FollowerState(logEndOffset: 20, lastCaughtUpTimeMs: 0),
        ]
        let hw = ReplicationRules.advancedHighWatermark(
            leaderLogEndOffset: 100, currentHighWatermark: 10, maximalIsr: [1, 2], followers: followers, now: 100_000,
            maxLagMs: lag, isAlive: { _ in true })
        #expect(hw == 100)
    }

    @Test func aCaughtUpLiveFollowerOutsideTheIsrHoldsTheHighWatermarkSoItCanJoin() {
        let followers: [Int32: FollowerState] = [3: FollowerState(logEndOffset: 60, lastCaughtUpTimeMs: 99_000)]
        let alive = ReplicationRules.advancedHighWatermark(
            leaderLogEndOffset: 100, currentHighWatermark: 10, maximalIsr: [1], followers: followers, now: 100_000,
            maxLagMs: lag, isAlive: { _ in true })
        #expect(alive == 60)
        let dead = ReplicationRules.advancedHighWatermark(
            leaderLogEndOffset: 100, currentHighWatermark: 10, maximalIsr: [1], followers: followers, now: 100_000,
            maxLagMs: lag, isAlive: { _ in false })
        #expect(dead == 100)
    }

    @Test func anIsrMemberThatHasNotFetchedYetKeepsTheHighWatermark() {
        let followers: [Int32: FollowerState] = [2: .reset(inIsr: true, now: 0)]
        let hw = ReplicationRules.advancedHighWatermark(
            leaderLogEndOffset: 100, currentHighWatermark: 40, maximalIsr: [1, 2], followers: followers, now: 0,
            maxLagMs: lag, isAlive: { _ in true })
        #expect(hw == nil)
    }

    // MARK: ISR shrink and expand

    @Test func aFollowerThatHasNotCaughtUpForTheLagTimeLeavesTheIsr() {
        let followers: [Int32: FollowerState] = [
            2: FollowerState(logEndOffset: 100, lastCaughtUpTimeMs: 0),
            3: FollowerState(logEndOffset: 50, lastCaughtUpTimeMs: 1_000),
            4: FollowerState(logEndOffset: 50, lastCaughtUpTimeMs: 95_000),
        ]
        let out = ReplicationRules.outOfSyncReplicas(
            isr: [1, 2, 3, 4], leaderId: 1, followers: followers, leaderLogEndOffset: 100, now: 100_000, maxLagMs: lag)
        #expect(out == [3])
    }

    @Test func aFollowerJoinsTheIsrOnceItReachedTheHighWatermarkAndTheEpochStart() {
        let f = FollowerState(logEndOffset: 50)
        #expect(ReplicationRules.canJoinIsr(follower: f, highWatermark: 50, leaderEpochStartOffset: 40, isAlive: true))
        #expect(!ReplicationRules.canJoinIsr(follower: f, highWatermark: 51, leaderEpochStartOffset: 40, isAlive: true))
        #expect(!ReplicationRules.canJoinIsr(follower: f, highWatermark: 50, leaderEpochStartOffset: 60, isAlive: true))
        #expect(
            !ReplicationRules.canJoinIsr(follower: f, highWatermark: 50, leaderEpochStartOffset: 40, isAlive: false))
    }

    @Test func isrChangesArePublishedWhenQuietFiveSecondsOrAMinuteAfterTheLastPublication() {
        #expect(
            !ReplicationRules.shouldPublishIsrChanges(pending: false, lastChangeMs: 0, lastPublishMs: 0, now: 99_999))
        #expect(
            !ReplicationRules.shouldPublishIsrChanges(
                pending: true, lastChangeMs: 10_000, lastPublishMs: 9_000, now: 14_999))
        #expect(
            ReplicationRules.shouldPublishIsrChanges(
                pending: true, lastChangeMs: 10_000, lastPublishMs: 9_000, now: 15_000))
        #expect(
            ReplicationRules.shouldPublishIsrChanges(
                pending: true, lastChangeMs: 69_000, lastPublishMs: 9_000, now: 69_000))
    }

    // MARK: LeaderAndIsr and StopReplica epochs

    @Test func aNewerLeaderEpochIsAppliedOnlyWhenThisBrokerIsAReplica() {
        #expect(
            ReplicationRules.leaderAndIsrDecision(
                requestEpoch: 3, currentEpoch: 2, replicas: [1, 2], localBrokerId: 1, requestHasTopicId: true,
                replicaHasTopicId: true) == .apply)
        #expect(
            ReplicationRules.leaderAndIsrDecision(
                requestEpoch: 0, currentEpoch: -1, replicas: [2, 3], localBrokerId: 1, requestHasTopicId: true,
                replicaHasTopicId: false) == .notAReplica)
    }

    @Test func anOlderOrEqualLeaderEpochIsStaleUnlessItBringsTheTopicId() {
        #expect(
            ReplicationRules.leaderAndIsrDecision(
                requestEpoch: 1, currentEpoch: 2, replicas: [1], localBrokerId: 1, requestHasTopicId: true,
                replicaHasTopicId: false) == .stale)
        #expect(
            ReplicationRules.leaderAndIsrDecision(
                requestEpoch: 2, currentEpoch: 2, replicas: [1], localBrokerId: 1, requestHasTopicId: true,
                replicaHasTopicId: true) == .stale)
        #expect(
            ReplicationRules.leaderAndIsrDecision(
                requestEpoch: 2, currentEpoch: 2, replicas: [1], localBrokerId: 1, requestHasTopicId: true,
                replicaHasTopicId: false) == .assignTopicIdOnly)
    }

    @Test func stopReplicaAcceptsDeletionUnknownAndCurrentOrNewerEpochs() {
        #expect(ReplicationRules.stopReplicaAccepted(requestEpoch: -2, currentEpoch: 5))
        #expect(ReplicationRules.stopReplicaAccepted(requestEpoch: -1, currentEpoch: 5))
        #expect(ReplicationRules.stopReplicaAccepted(requestEpoch: 5, currentEpoch: 5))
        #expect(!ReplicationRules.stopReplicaAccepted(requestEpoch: 4, currentEpoch: 5))
    }

    // MARK: truncation (KIP-101 / KIP-279)

    @Test func aFollowerTruncatesToTheLeadersEpochEndOffsetWhenBothKnowTheEpoch() {
        // Leader: epoch 1 ended at 80. Follower wrote epoch 1 up to 100 (LEO 100).
        let t = ReplicationRules.truncationOffset(
            leaderEpoch: 1, leaderEndOffset: 80, followerEndForLeaderEpoch: (1, 100), followerLogEndOffset: 100,
            highWatermark: 50)
        #expect(t.offset == 80)
        #expect(t.complete)
    }

    @Test func aFollowerThatDoesNotKnowTheLeadersEpochTruncatesToItsOwnEarlierEpochEndAndAsksAgain() {
        // KIP-279: leader answers epoch 2 end 120; follower only has epochs ≤ 1, epoch 1 ending (its LEO) at 110.
        let t = ReplicationRules.truncationOffset(
            leaderEpoch: 2, leaderEndOffset: 120, followerEndForLeaderEpoch: (1, 90), followerLogEndOffset: 110,
            highWatermark: 50)
        #expect(t.offset == 90)
        #expect(!t.complete)
    }

    @Test func aFollowerWithoutEpochEntriesTruncatesToTheLeadersEndOffset() {
        let t = ReplicationRules.truncationOffset(
            leaderEpoch: 0, leaderEndOffset: 30, followerEndForLeaderEpoch: (-1, -1), followerLogEndOffset: 70,
            highWatermark: 20)
        #expect(t == (30, true))
    }

    @Test func anUndefinedLeaderAnswerTruncatesToTheHighWatermark() {
        let t = ReplicationRules.truncationOffset(
            leaderEpoch: -1, leaderEndOffset: -1, followerEndForLeaderEpoch: (3, 70), followerLogEndOffset: 70,
            highWatermark: 42)
        #expect(t == (42, true))
    }

    @Test func truncationNeverGoesPastTheFollowersOwnEnd() {
        let t = ReplicationRules.truncationOffset(
            leaderEpoch: 1, leaderEndOffset: 500, followerEndForLeaderEpoch: (1, 300), followerLogEndOffset: 200,
            highWatermark: 0)
        #expect(t == (200, true))
    }

    @Test func theLeaderReportsADivergingEpochWhenTheFollowersLastEpochEndedEarlierOnTheLeader() {
        // The follower fetched epoch 1 up to offset 100, but the leader's epoch 1 ended at 80.
        let d = ReplicationRules.divergingEpoch(lastFetchedEpoch: 1, fetchOffset: 100, leaderEndForEpoch: (1, 80))
        #expect(d?.epoch == 1)
        #expect(d?.endOffset == 80)
        // The leader never had epoch 2: its answer is the floor epoch.
        let unknown = ReplicationRules.divergingEpoch(lastFetchedEpoch: 2, fetchOffset: 90, leaderEndForEpoch: (1, 120))
        #expect(unknown?.epoch == 1)
        #expect(
            ReplicationRules.divergingEpoch(lastFetchedEpoch: 1, fetchOffset: 80, leaderEndForEpoch: (1, 80)) == nil)
        #expect(
            ReplicationRules.divergingEpoch(lastFetchedEpoch: -1, fetchOffset: 80, leaderEndForEpoch: (-1, -1)) == nil)
    }

    @Test func anOutOfRangeFollowerTruncatesWhenAheadAndRestartsWhenBehindTheLeadersStart() {
        #expect(
            ReplicationRules.outOfRangeAction(
                followerLogEndOffset: 100, leaderLogStartOffset: 0, leaderLogEndOffset: 70)
                == .truncate(to: 70))
        #expect(
            ReplicationRules.outOfRangeAction(
                followerLogEndOffset: 10, leaderLogStartOffset: 50, leaderLogEndOffset: 90)
                == .restartAt(50))
        #expect(
            ReplicationRules.outOfRangeAction(
                followerLogEndOffset: 60, leaderLogStartOffset: 50, leaderLogEndOffset: 90)
                == .fetchFrom(60))
    }
}
