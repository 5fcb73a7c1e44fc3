import Testing

@testable import Broker

@Suite("client quotas")
struct ClientQuotaTests {
    @Test("the most specific entity wins: user+client, user, default user, client id, default client")
    func precedence() {
        var c = QuotaConfigs()
        c.clients["<default>"] = ["producer_byte_rate": "1"]
        #expect(c.quota("producer_byte_rate", user: "alice", clientId: "app") == 1)
        c.clients["app"] = ["producer_byte_rate": "2"]
        #expect(c.quota("producer_byte_rate", user: "alice", clientId: "app") == 2)
        c.users["<default>"] = ["producer_byte_rate": "3"]
        #expect(c.quota("producer_byte_rate", user: "alice", clientId: "app") == 3)
        c.userClients["<default>"] = ["app": ["producer_byte_rate": "4"]]
        #expect(c.quota("producer_byte_rate", user: "alice", clientId: "app") == 4)
        c.users["alice"] = ["producer_byte_rate": "5"]
        #expect(c.quota("producer_byte_rate", user: "alice", clientId: "app") == 5)
        c.userClients["alice"] = ["<default>": ["producer_byte_rate": "6"]]
        #expect(c.quota("producer_byte_rate", user: "alice", clientId: "app") == 6)
        c.userClients["alice"]?["app"] = ["producer_byte_rate": "7"]
        #expect(c.quota("producer_byte_rate", user: "alice", clientId: "app") == 7)
        #expect(c.quota("producer_byte_rate", user: "bob", clientId: "other") == 3)
        #expect(c.quota("consumer_byte_rate", user: "alice", clientId: "app") == nil)
    }

    @Test("a rate over the quota is throttled by (rate - quota) / quota of the window, capped at the window span")
    func throttle() {
        var w = RateWindow(windowMs: 1000, samples: 11)
        // 20,000 bytes at once over a minimum span of 10 s is 2,000 B/s; a 1,000 B/s quota holds it 10 s.
        w.record(20_000, nowMs: 0)
        #expect(w.rate(nowMs: 0) == 2_000)
        #expect(w.throttleMs(quota: 1_000, nowMs: 0) == 10_000)
        #expect(w.throttleMs(quota: 4_000, nowMs: 0) == 0)
        // Samples older than the window span fall out.
        w.record(0, nowMs: 30_000)
        #expect(w.rate(nowMs: 30_000) == 0)
        var big = RateWindow(windowMs: 1000, samples: 11)
        big.record(1_000_000, nowMs: 0)
        #expect(big.throttleMs(quota: 1, nowMs: 0) == 11_000)
    }

    @Test("the manager applies the quota of the principal's user name and client id")
    func manager() {
        let m = QuotaManager()
        var c = QuotaConfigs()
        c.users["alice"] = ["producer_byte_rate": "1000"]
        m.update(c)
        #expect(m.record(.produce, principal: "User:alice", clientId: "x", bytes: 20_000, nowMs: 0) == 10_000)
        #expect(m.record(.produce, principal: "User:bob", clientId: "x", bytes: 20_000, nowMs: 0) == 0)
        #expect(m.record(.fetch, principal: "User:alice", clientId: "x", bytes: 20_000, nowMs: 0) == 0)
    }
}
