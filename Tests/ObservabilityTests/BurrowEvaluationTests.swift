import Testing

@testable import Observability

@Suite("Burrow's consumer evaluation rules")
struct BurrowEvaluationTests {
    /// Commits every 60 s from t=0 with the given (offset, lag) pairs.
    private func window(_ commits: [(Int64, Int64)]) -> [BurrowOffset] {
        commits.enumerated().map { i, c in
            BurrowOffset(offset: c.0, timestamp: Int64(i) * 60_000, observedAt: Int64(i) * 60_000, lag: c.1)
        }
    }

    private let justAfterLast: Int64 = 4 * 60_000 + 1_000

    @Test("lag that reached zero in the window, or is zero now, is OK whatever else happened")
    func zeroLagIsOk() {
        let w = window([(10, 5), (5, 0), (5, 3), (5, 3), (5, 3)])
        #expect(BurrowEvaluation.partitionStatus(w, currentLag: 3, nowMs: justAfterLast) == .ok)
        let behind = window([(10, 5), (8, 9), (8, 9), (8, 9), (8, 9)])
        #expect(BurrowEvaluation.partitionStatus(behind, currentLag: 0, nowMs: justAfterLast) == .ok)
    }

    @Test("an offset going down is REWIND, before any other rule")
    func rewind() {
        let w = window([(10, 5), (20, 5), (15, 9), (25, 5), (30, 5)])
        #expect(BurrowEvaluation.partitionStatus(w, currentLag: 5, nowMs: 100 * 60_000) == .rewind)
    }

    @Test("no commit for longer than the window spans is STOP")
    func stop() {
        let w = window([(10, 5), (20, 5), (30, 5), (40, 5), (50, 5)])
        #expect(BurrowEvaluation.partitionStatus(w, currentLag: 5, nowMs: 4 * 60_000 + 4 * 60_000 + 1) == .stop)
        #expect(BurrowEvaluation.partitionStatus(w, currentLag: 5, nowMs: 4 * 60_000 + 4 * 60_000) == .warn)
        let once = window([(10, 5)])
        #expect(BurrowEvaluation.partitionStatus(once, currentLag: 5, nowMs: 1) == .stop)
    }

    @Test("commits that never move the offset while lag stays are STALL")
    func stall() {
        let w = window([(10, 5), (10, 6), (10, 7), (10, 8), (10, 9)])
        #expect(BurrowEvaluation.partitionStatus(w, currentLag: 9, nowMs: justAfterLast) == .stall)
    }

    @Test("advancing offsets whose lag never goes down are WARN; lag going down anywhere is OK")
    func warnAndOk() {
        let slow = window([(10, 5), (20, 5), (30, 6), (40, 7), (50, 7)])
        #expect(BurrowEvaluation.partitionStatus(slow, currentLag: 7, nowMs: justAfterLast) == .warn)
        let catchingUp = window([(10, 5), (20, 6), (30, 4), (40, 7), (50, 7)])
        #expect(BurrowEvaluation.partitionStatus(catchingUp, currentLag: 7, nowMs: justAfterLast) == .ok)
    }

    @Test("the group takes its worst partition, with STOP, STALL and REWIND reported as ERR")
    func groupStatus() {
        #expect(BurrowEvaluation.groupStatus([]) == .ok)
        #expect(BurrowEvaluation.groupStatus([.ok, .warn]) == .warn)
        #expect(BurrowEvaluation.groupStatus([.ok, .stop, .warn]) == .err)
        #expect(BurrowEvaluation.groupStatus([.rewind]) == .err)
    }

    @Test("the window keeps the last ten commits and refreshes the lag of a commit seen again")
    func windowIsBounded() {
        var w = BurrowWindow()
        for i in 0..<12 {
            w.record(BurrowOffset(offset: Int64(i), timestamp: Int64(i), observedAt: Int64(i), lag: 1))
        }
        #expect(w.offsets.map(\.offset) == Array(2..<12))
        w.record(BurrowOffset(offset: 11, timestamp: 11, observedAt: 99, lag: 0))
        #expect(w.offsets.count == 10)
        #expect(w.offsets.last?.lag == 0)
        #expect(w.complete == 1.0)
    }

    @Test("the group JSON has Burrow's field names; /status lists only partitions that are not OK")
    func groupJSON() {
        var stopped = BurrowWindow()
        stopped.record(BurrowOffset(offset: 5, timestamp: 1_000, observedAt: 1_000, lag: 7))
        let bad = BurrowPartitionStatus(
            topic: "t", partition: 0, owner: "", window: stopped, currentLag: 7, nowMs: 9_000)
        let fine = BurrowPartitionStatus(
            topic: "t", partition: 1, owner: "", window: BurrowWindow(), currentLag: 0, nowMs: 9_000)
        #expect(bad.status == .stop)
        let status = BurrowGroupStatus(cluster: "c", group: "g", partitions: [bad, fine], showAll: false)
        #expect(status.status == .err)
        #expect(status.partitions == [bad])
        #expect(status.partitionCount == 2)
        #expect(status.totallag == 7)
        #expect(status.maxlag == bad)
        #expect(status.complete == 0.5)
    }
}
