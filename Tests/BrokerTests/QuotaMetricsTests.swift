import Observability
import Testing

@testable import Broker

@Suite("quota metrics")
struct QuotaMetricsTests {
    @Test("a user quota measures all the user's client ids on one user-tagged sensor")
    func userLevelEntity() {
        let m = QuotaManager()
        var c = QuotaConfigs()
        c.users["alice"] = ["producer_byte_rate": "1000"]
        m.update(c)
        _ = m.record(.produce, principal: "User:alice", clientId: "a", bytes: 10_000, nowMs: 0)
        // The second client id shares the user's window, so together they are over the quota.
        #expect(m.record(.produce, principal: "User:alice", clientId: "b", bytes: 10_000, nowMs: 0) == 10_000)
        let samples = m.metricSamples(nowMs: 0)
        #expect(samples.count == 1)
        #expect(samples.first?.entity == QuotaEntity(user: "alice", clientId: ""))
        #expect(samples.first?.rate == 2_000)
        #expect(samples.first?.throttleTimeMs == 10_000)
    }

    @Test("entity tags follow the level that supplied the quota, and unquoted clients are tagged by client id")
    func tags() {
        var c = QuotaConfigs()
        c.userClients["alice"] = ["app": ["producer_byte_rate": "1"]]
        c.clients["<default>"] = ["consumer_byte_rate": "1"]
        #expect(
            c.resolve("producer_byte_rate", user: "alice", clientId: "app").entity
                == .init(user: "alice", clientId: "app"))
        #expect(c.resolve("producer_byte_rate", user: "bob", clientId: "x").quota == nil)
        #expect(c.resolve("producer_byte_rate", user: "bob", clientId: "x").entity == .init(user: "", clientId: "x"))
        #expect(c.resolve("consumer_byte_rate", user: "bob", clientId: "x").entity == .init(user: "", clientId: "x"))
        #expect(!c.sets("request_percentage"))
        #expect(c.sets("consumer_byte_rate"))
    }

    @Test("sensors idle for an hour expire, so only active entities are exported")
    func expiry() {
        let m = QuotaManager()
        var c = QuotaConfigs()
        c.clients["<default>"] = ["producer_byte_rate": "1000000"]
        m.update(c)
        _ = m.record(.produce, principal: "User:ANONYMOUS", clientId: "old", bytes: 10, nowMs: 0)
        _ = m.record(.produce, principal: "User:ANONYMOUS", clientId: "new", bytes: 10, nowMs: 3_000_000)
        #expect(m.metricSamples(nowMs: 3_000_000).count == 2)
        #expect(m.metricSamples(nowMs: 3_700_000).map(\.entity.clientId) == ["new"])
        // An idle sensor's rate falls to 0 once its samples leave the window, before it expires.
        #expect(m.metricSamples(nowMs: 3_700_000).first?.rate == 0)
    }

    @Test("the page uses the jmx_exporter quota names with resource, user and clientId labels")
    func page() {
        var out = MetricsText()
        QuotaMetrics.write(
            [
                .init(kind: .produce, entity: .init(user: "", clientId: "app"), rate: 1500, throttleTimeMs: 20),
                .init(kind: .request, entity: .init(user: "alice", clientId: "app"), rate: 3, throttleTimeMs: 0),
            ], into: &out)
        let text = out.text
        #expect(text.contains("kafka_server_quota_byte_rate{resource=\"Produce\",clientId=\"app\"} 1500"))
        #expect(
            text.contains("kafka_server_quota_request_time{resource=\"Request\",user=\"alice\",clientId=\"app\"} 3"))
        #expect(text.contains("kafka_server_quota_throttle_time{resource=\"Produce\",clientId=\"app\"} 20"))
    }
}

@Suite("quota metric labels")
struct QuotaMetricLabelTests {
    @Test("the user label is URL-encoded as Kafka's Sanitizer does, the client id is left as sent")
    func sanitizedUserLabel() {
        var out = MetricsText()
        QuotaMetrics.write(
            [
                .init(
                    kind: .produce, entity: .init(user: "CN=alice,O=acme *x", clientId: "app 1"), rate: 7,
                    throttleTimeMs: 0)
            ], into: &out)
        #expect(
            out.text.contains(
                "kafka_server_quota_byte_rate{resource=\"Produce\",user=\"CN%3Dalice%2CO%3Dacme%20%2Ax\",clientId=\"app 1\"} 7"
            ))
    }
}
