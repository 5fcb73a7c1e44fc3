import KafkaProtocol
import Testing

@testable import Broker

@Suite("request-time quotas")
struct RequestQuotaTests {
    @Test("request time is recorded as a percentage of a thread and throttled at most one window")
    func percentageAndCap() {
        let quotas = QuotaManager()
        var configs = QuotaConfigs()
        configs.set(entityPath: "clients/flood", ["request_percentage": "1"])
        quotas.update(configs)
        // 50 ms over the 10 s minimum span is 0.5 % of a thread: within a 1 % quota.
        #expect(
            quotas.recordRequestTime(principal: "User:ANONYMOUS", clientId: "flood", nanos: 50_000_000, nowMs: 0) == 0)
        // 150 ms more makes 2 %: Kafka's (2 - 1) / 1 × 10 s, capped at one 1 s window.
        #expect(
            quotas.recordRequestTime(principal: "User:ANONYMOUS", clientId: "flood", nanos: 150_000_000, nowMs: 0)
                == 1000)
        // Other clients have no quota.
        #expect(
            quotas.recordRequestTime(principal: "User:ANONYMOUS", clientId: "other", nanos: 10_000_000_000, nowMs: 0)
                == 0)
    }

    @Test("a just-over quota is throttled in proportion to the excess, below the cap")
    func proportional() {
        let quotas = QuotaManager()
        var configs = QuotaConfigs()
        configs.set(entityPath: "users/alice", ["request_percentage": "40"])
        quotas.update(configs)
        // 4.2 s of time over 10 s is 42 %: (42 - 40) / 40 × 10 s = 500 ms.
        let ms = quotas.recordRequestTime(principal: "User:alice", clientId: "", nanos: 4_200_000_000, nowMs: 0)
        #expect(ms == 500)
    }

    @Test("APIs that wait for data, replication or a group are charged only the time around their handler")
    func parkingAPIs() {
        let total = Duration.milliseconds(500)
        let inHandler = Duration.milliseconds(499)
        #expect(RequestQuota.chargedNanos(apiKey: .fetch, total: total, inHandler: inHandler) == 1_000_000)
        #expect(RequestQuota.chargedNanos(apiKey: .metadata, total: total, inHandler: inHandler) == 500_000_000)
        #expect(RequestQuota.exempt.contains(.leaderAndIsr))
        #expect(!RequestQuota.exempt.contains(.apiVersions))
    }
}
