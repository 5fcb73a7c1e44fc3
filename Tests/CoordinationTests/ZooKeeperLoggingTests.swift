import Testing

@testable import Coordination

@Suite("libzookeeper log lines")
struct ZooKeeperLoggingTests {
    @Test("a burst of reconnect errors writes its first line, then one line per interval with the count held back")
    func throttle() {
        var throttle = LogThrottle(intervalMs: 10_000)
        #expect(throttle.admit(nowMs: 1_000) == .emit(heldBack: 0))
        for t in stride(from: UInt64(1_100), to: 11_000, by: 100) { #expect(throttle.admit(nowMs: t) == .drop) }
        #expect(throttle.admit(nowMs: 11_000) == .emit(heldBack: 99))
        #expect(throttle.admit(nowMs: 11_001) == .drop)
        #expect(throttle.admit(nowMs: 60_000) == .emit(heldBack: 1))
    }

    @Test("libzookeeper's date, thread and level prefix is dropped and the message kept")
    func prefix() {
        // Captured from Debian's libzookeeper-mt 3.8 while the whole ensemble was stopped.
        let raw =
            "2026-11-26 00:03:51,400:32357(0x7f83a8dfc6c0):ZOO_ERROR@check_events@3011: Socket 127.0.0.1:2182 zk retcode=-4, errno=112(Host is down): failed while receiving a server response\n"
        #expect(
            ZooKeeperLogging.stripPrefix(raw)
                == "Socket 127.0.0.1:2182 zk retcode=-4, errno=112(Host is down): failed while receiving a server response"
        )
        #expect(ZooKeeperLogging.stripPrefix("no prefix here") == "no prefix here")
    }
}
