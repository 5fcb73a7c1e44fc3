import Testing

@testable import Coordination

@Suite("ZooKeeper session credentials file")
struct ZooKeeperSessionCredentialsTests {
    @Test("credentials survive the round trip through their file text")
    func roundTrip() {
        let credentials = ZooKeeperSessionCredentials(sessionId: 0x1_0000_abcd_f700_01, password: Array(0..<16))
        #expect(ZooKeeperSessionCredentials(fileContents: credentials.fileContents) == credentials)
        #expect(credentials.fileContents.hasPrefix("session.id=10000abcdf70001\n"))
    }

    @Test("a truncated or garbled file yields no credentials")
    func garbled() {
        #expect(ZooKeeperSessionCredentials(fileContents: "") == nil)
        #expect(ZooKeeperSessionCredentials(fileContents: "session.id=12\n") == nil)
        #expect(ZooKeeperSessionCredentials(fileContents: "session.id=zz\nsession.password=00\n") == nil)
        #expect(ZooKeeperSessionCredentials(fileContents: "session.id=12\nsession.password=0102\n") == nil)
    }

    @Test("the C client's clientid_t carries the same id and password")
    func clientId() {
        let credentials = ZooKeeperSessionCredentials(sessionId: -5, password: Array(100..<116))
        #expect(ZooKeeperSessionCredentials(credentials.clientId) == credentials)
    }
}
