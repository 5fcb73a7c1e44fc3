import Testing

@testable import Broker

@Suite("config change notifications")
struct ConfigChangeNotificationTests {
    @Test("entity paths name users, user+client pairs, clients, topics and brokers as Kafka writes them")
    func entityPaths() {
        #expect(ConfigChangeEntity(entityPath: "users/alice") == .user("alice"))
        #expect(ConfigChangeEntity(entityPath: "users/<default>") == .user("<default>"))
        #expect(
            ConfigChangeEntity(entityPath: "users/alice/clients/app") == .userClient(user: "alice", clientId: "app"))
        #expect(ConfigChangeEntity(entityPath: "clients/app") == .client("app"))
        #expect(ConfigChangeEntity(entityPath: "topics/orders") == .topic("orders"))
        #expect(ConfigChangeEntity(entityPath: "brokers/2") == .broker(2))
        #expect(ConfigChangeEntity(entityPath: "brokers/<default>") == .broker(nil))
        #expect(ConfigChangeEntity(entityPath: "brokers/x") == nil)
        #expect(ConfigChangeEntity(entityPath: "users/alice/groups/g") == nil)
        #expect(ConfigChangeEntity(entityPath: "users/") == nil)
        #expect(ConfigChangeEntity(entityPath: "ips/10.0.0.1") == nil)
        #expect(ConfigChangeEntity.user("alice").quotaEntityPath == "users/alice")
        #expect(ConfigChangeEntity.userClient(user: "a", clientId: "c").quotaEntityPath == "users/a/clients/c")
        #expect(ConfigChangeEntity.topic("t").quotaEntityPath == nil)
    }

    @Test("each notification above the last applied one is applied once, in sequence order")
    func cursorOrder() {
        var cursor = ChangeNotificationCursor(prefix: "config_change_")
        cursor.reloaded(children: ["config_change_0000000003", "config_change_0000000001"])
        #expect(cursor.lastApplied == 3)
        let children = [
            "config_change_0000000010", "config_change_0000000003", "config_change_0000000004", "junk",
        ]
        #expect(cursor.pending(children) == ["config_change_0000000004", "config_change_0000000010"])
        cursor.applied("config_change_0000000004")
        #expect(cursor.pending(children) == ["config_change_0000000010"])
        cursor.applied("config_change_0000000010")
        #expect(cursor.pending(children).isEmpty)
        // A purge by another broker never moves the cursor back.
        cursor.reloaded(children: [])
        #expect(cursor.lastApplied == 10)
    }

    @Test("notifications older than 15 minutes are obsolete")
    func expiry() {
        let minute: Int64 = 60_000
        #expect(!ChangeNotificationCursor.isObsolete(ctimeMs: 0, nowMs: 15 * minute))
        #expect(ChangeNotificationCursor.isObsolete(ctimeMs: 0, nowMs: 15 * minute + 1))
    }

    @Test("one quota entity is replaced or removed without touching the others")
    func quotaEntityUpdate() {
        var c = QuotaConfigs()
        c.set(entityPath: "users/alice", ["producer_byte_rate": "10"])
        c.set(entityPath: "users/alice/clients/app", ["consumer_byte_rate": "20"])
        c.set(entityPath: "clients/<default>", ["request_percentage": "5"])
        #expect(c.quota("producer_byte_rate", user: "alice", clientId: "app") == 10)
        #expect(c.quota("consumer_byte_rate", user: "alice", clientId: "app") == 20)
        #expect(c.quota("request_percentage", user: "bob", clientId: "x") == 5)
        c.set(entityPath: "users/alice/clients/app", [:])
        #expect(c.userClients.isEmpty)
        c.set(entityPath: "users/alice", [:])
        c.set(entityPath: "clients/<default>", [:])
        #expect(c.isEmpty)
    }
}
