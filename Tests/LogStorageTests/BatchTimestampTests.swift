import TestSupport
import Testing

@testable import LogStorage

@Suite("batch timestamp of the first unconsumed record")
struct BatchTimestampTests {
    @Test("the batch holding an offset gives its base timestamp; at the high watermark there is none")
    func batchTimestampFollowsTheOffset() throws {
        let dir = TempDir()
        let clock = TestClock()
        let log = try makeManager(dir, config: LogConfig(segmentBytes: 400), clock: clock)
            .getOrCreateLog(topic: "t", partition: 0)
        for i in 0..<10 {
            _ = try log.appendAsLeader(
                makeBatch(count: 4, timestamp: 1000 + Int64(i) * 100, timestampStep: 10), leaderEpoch: 0,
                now: clock.now)
        }
        log.highWatermark = 36
        #expect(log.segmentCount > 1)
        #expect(try log.batchTimestamp(from: 0, upTo: 36) == 1000)
        #expect(try log.batchTimestamp(from: 6, upTo: 36) == 1100)
        #expect(try log.batchTimestamp(from: 35, upTo: 36) == 1800)
        #expect(try log.batchTimestamp(from: 36, upTo: 36) == nil)
        #expect(try log.batchTimestamp(from: 40, upTo: 36) == nil)
    }
}
