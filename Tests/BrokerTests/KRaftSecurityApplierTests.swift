import Authorization
import KafkaProtocol
import MetadataImage
import Testing

@testable import Broker

@Suite("KRaft security: the metadata image as the broker's SCRAM, ACL and quota caches")
struct KRaftSecurityApplierTests {
    @Test("quota entities of the image resolve with Kafka's precedence, a nil name being the default entity")
    func quotaConfigs() {
        let image: [MetadataImage.ClientQuotaEntity: [String: Double]] = [
            .init([.init(type: "user", name: "alice")]): ["producer_byte_rate": 1024],
            .init([.init(type: "user", name: nil), .init(type: "client-id", name: "app")]): [
                "consumer_byte_rate": 2048
            ],
            .init([.init(type: "client-id", name: nil)]): ["request_percentage": 12.5, "producer_byte_rate": 1e300],
            .init([.init(type: "ip", name: "10.0.0.1")]): ["connection_creation_rate": 5],
        ]
        let configs = KRaftSecurityApplier.quotaConfigs(image)
        #expect(configs.users == ["alice": ["producer_byte_rate": "1024"]])
        #expect(configs.userClients == ["<default>": ["app": ["consumer_byte_rate": "2048"]]])
        #expect(configs.quota("producer_byte_rate", user: "alice", clientId: "x") == 1024)
        #expect(configs.quota("consumer_byte_rate", user: "bob", clientId: "app") == 2048)
        #expect(configs.quota("request_percentage", user: "bob", clientId: "other") == 12.5)
        #expect(configs.quota("producer_byte_rate", user: "bob", clientId: "other") == 1e300)
    }

    @Test("the quota handler's entity paths name the same entities the controller records")
    func quotaEntityPaths() {
        #expect(
            KRaftSecurityApplier.quotaEntity(path: "users/alice/clients/<default>")
                == .init([.init(type: "user", name: "alice"), .init(type: "client-id", name: nil)]))
        #expect(KRaftSecurityApplier.quotaEntity(path: "clients/app") == .init([.init(type: "client-id", name: "app")]))
        #expect(KRaftSecurityApplier.quotaEntity(path: "users/<default>") == .init([.init(type: "user", name: nil)]))
        #expect(KRaftSecurityApplier.quotaEntity(path: "groups/g") == nil)
    }

    @Test("an ACL record becomes the authorizer's binding and back, and unknown codes are skipped")
    func aclBindings() {
        let binding = AclBinding(
            ResourcePattern(.topic, "orders-", .prefixed),
            AccessControlEntry(principal: "User:alice", host: "*", operation: .write, permission: .deny))
        let entry = KRaftSecurityApplier.entry(binding)
        #expect(KRaftSecurityApplier.binding(entry) == binding)
        var unknown = entry
        unknown.operation = 99
        let id = UUIDValue(bytes: Array(repeating: 1, count: 16))
        let other = UUIDValue(bytes: Array(repeating: 2, count: 16))
        #expect(KRaftSecurityApplier.acls([id: entry, other: unknown]) == AclSnapshot(bindings: [binding]))
    }

    @Test("image credentials become the login cache's, by mechanism")
    func credentials() {
        let c = MetadataImage.Credential(salt: [1], storedKey: [2], serverKey: [3], iterations: 8192)
        let cache = KRaftSecurityApplier.credentials(["alice": [2: c, 9: c]])
        // Mechanism 9 is none of Kafka's and is dropped; 2 is SCRAM-SHA-512.
        #expect(cache["alice"]?.count == 1)
        #expect(cache["alice"]?.keys.first?.mechanismName == "SCRAM-SHA-512")
        let credential = cache["alice"]?.values.first
        #expect(credential?.storedKey == [2] && credential?.serverKey == [3] && credential?.iterations == 8192)
    }
}
