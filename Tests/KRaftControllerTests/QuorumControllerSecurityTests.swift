import KRaftController
import KafkaProtocol
import MetadataImage
import Testing

@Suite("KRaft quorum controller: SCRAM credentials, ACLs and client quotas")
struct QuorumControllerSecurityTests {
    static func credential(iterations: Int32 = 4096) -> ScramCredential {
        ScramCredential(salt: [1, 2], storedKey: [3], serverKey: [4], iterations: iterations)
    }

    static func acl(_ topic: String, principal: String = "User:alice", operation: Int8 = 4) -> AclEntry {
        AclEntry(
            AccessControlEntryRecord(
                id: .zero, resourceType: 2, resourceName: topic, patternType: 3, principal: principal, host: "*",
                operation: operation, permissionType: 3))
    }

    @Test("an upserted SCRAM credential is one UserScramCredentialRecord and a deletion one removal")
    func scramUpsertAndDelete() {
        var h = Harness(brokers: [1])
        let upsert = h.controller.alterUserScramCredentials([
            ScramCredentialChange(user: "alice", mechanism: 2, credential: Self.credential())
        ])
        #expect(upsert.response["alice"] == SecurityReply())
        #expect(
            upsert.records == [
                .userScramCredential(
                    UserScramCredentialRecord(
                        name: "alice", mechanism: 2, salt: [1, 2], storedKey: [3], serverKey: [4], iterations: 4096))
            ])
        #expect(h.controller.image.scramCredentials["alice"]?[2] == Self.credential())
        let delete = h.controller.alterUserScramCredentials([
            ScramCredentialChange(user: "alice", mechanism: 2, credential: nil)
        ])
        #expect(
            delete.records == [.removeUserScramCredential(RemoveUserScramCredentialRecord(name: "alice", mechanism: 2))]
        )
        #expect(h.controller.image.scramCredentials.isEmpty)
    }

    @Test("SCRAM changes are refused with Kafka's error codes and write nothing for that user")
    func scramRefusals() {
        var h = Harness(brokers: [1])
        let r = h.controller.alterUserScramCredentials([
            ScramCredentialChange(user: "gone", mechanism: 1, credential: nil),
            ScramCredentialChange(user: "few", mechanism: 1, credential: Self.credential(iterations: 100)),
            ScramCredentialChange(user: "many", mechanism: 1, credential: Self.credential(iterations: 20_000)),
            ScramCredentialChange(user: "odd", mechanism: 7, credential: Self.credential()),
            ScramCredentialChange(user: "twice", mechanism: 1, credential: Self.credential()),
            ScramCredentialChange(user: "twice", mechanism: 1, credential: nil),
            ScramCredentialChange(user: "", mechanism: 1, credential: Self.credential()),
            ScramCredentialChange(user: "fine", mechanism: 1, credential: Self.credential()),
        ])
        #expect(r.response["gone"]?.errorCode == .resourceNotFound)
        #expect(r.response["few"]?.errorCode == .unacceptableCredential)
        #expect(r.response["many"]?.errorCode == .unacceptableCredential)
        #expect(r.response["odd"]?.errorCode == .unsupportedSaslMechanism)
        #expect(r.response["twice"]?.errorCode == .duplicateResource)
        #expect(r.response[""]?.errorCode == .unacceptableCredential)
        #expect(r.response["fine"]?.errorCode == .noError)
        #expect(Set(h.controller.image.scramCredentials.keys) == ["fine"])
    }

    @Test("CreateAcls gives each new ACL an id and does not store a binding twice")
    func createAcls() {
        var h = Harness(brokers: [1])
        let first = h.controller.createAcls([Self.acl("orders"), Self.acl("payments")], using: &h.rng)
        #expect(first.records.count == 2 && Set(first.response).count == 2 && !first.response.contains(.zero))
        let again = h.controller.createAcls([Self.acl("orders")], using: &h.rng)
        #expect(again.records.isEmpty && again.response == [first.response[0]])
        #expect(h.controller.image.acls.count == 2)
    }

    @Test("DeleteAcls removes every ACL a filter matches, once, and names them under the first filter")
    func deleteAcls() {
        var h = Harness(brokers: [1])
        _ = h.controller.createAcls(
            [Self.acl("orders"), Self.acl("orders", principal: "User:bob"), Self.acl("payments")], using: &h.rng)
        let r = h.controller.deleteAcls([{ $0.resourceName == "orders" }, { $0.principal == "User:alice" }])
        #expect(r.response[0].count == 2 && r.response[1] == [Self.acl("payments")])
        #expect(r.records.count == 3 && h.controller.image.acls.isEmpty)
        let none = h.controller.deleteAcls([{ _ in true }])
        #expect(none.records.isEmpty && none.response == [[]])
    }

    @Test("a quota set writes a ClientQuotaRecord only when the value changes, and a removal only when set")
    func quotas() {
        var h = Harness(brokers: [1])
        let alice = QuotaEntity([.init(type: "user", name: "alice"), .init(type: "client-id", name: nil)])
        let set = h.controller.alterClientQuotas([(alice, [QuotaChange(key: "producer_byte_rate", value: 1024)])])
        #expect(set.response == [SecurityReply()] && set.records.count == 1)
        #expect(h.controller.image.quotas[alice] == ["producer_byte_rate": 1024])
        let same = h.controller.alterClientQuotas([(alice, [QuotaChange(key: "producer_byte_rate", value: 1024)])])
        #expect(same.records.isEmpty)
        let removeUnset = h.controller.alterClientQuotas([(alice, [QuotaChange(key: "consumer_byte_rate", value: nil)])]
        )
        #expect(removeUnset.records.isEmpty && removeUnset.response == [SecurityReply()])
        let remove = h.controller.alterClientQuotas([(alice, [QuotaChange(key: "producer_byte_rate", value: nil)])])
        #expect(remove.records.count == 1 && h.controller.image.quotas.isEmpty)
    }

    @Test("quota changes Kafka refuses get INVALID_REQUEST and write nothing")
    func quotaRefusals() {
        var h = Harness(brokers: [1])
        let user = QuotaEntity([.init(type: "user", name: "u")])
        let r = h.controller.alterClientQuotas([
            (user, [QuotaChange(key: "producer_byte_rate", value: 10.5)]),
            (user, [QuotaChange(key: "no_such_quota", value: 1)]),
            (QuotaEntity([.init(type: "ip", name: "1.2.3.4"), .init(type: "user", name: "u")]), []),
            (QuotaEntity([.init(type: "group", name: "g")]), []),
            (QuotaEntity([]), []),
            (user, [QuotaChange(key: "request_percentage", value: -1)]),
        ])
        #expect(r.response.allSatisfy { $0.errorCode == .invalidRequest })
        #expect(r.records.isEmpty && h.controller.image.quotas.isEmpty)
    }
}
