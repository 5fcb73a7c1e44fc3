import Testing

@testable import Authorization

/// Ported from what Kafka's `AuthorizerTest` asserts (`testDenyTakesPrecedence`, `testSuperUserHasAccess`,
/// `testWildCardAcls`, `testNoAclFoundOverride`, `testAclInheritance`, prefixed resources).
@Suite("Authorizer")
struct AuthorizerTests {
    let alice = "User:alice"
    let bob = "User:bob"
    let host = "192.168.0.1"

    func entry(
        _ principal: String, _ op: AclOperation, _ permission: AclPermissionType = .allow, host: String = "*"
    ) -> AccessControlEntry {
        .init(principal: principal, host: host, operation: op, permission: permission)
    }

    func ask(_ a: Authorizer, _ principal: String, _ op: AclOperation, _ resource: Resource, host: String? = nil)
        -> Bool
    {
        a.isAllowed(.init(principal: principal, host: host ?? self.host, operation: op, resource: resource))
    }

    @Test("with no ACL on a resource, access is denied unless allow.everyone.if.no.acl.found")
    func noAclFound() {
        var a = Authorizer()
        #expect(!ask(a, alice, .read, .topic("orders")))
        a.allowEveryoneIfNoAclFound = true
        #expect(ask(a, alice, .read, .topic("orders")))
        // An ACL for someone else on the resource switches the override off for it.
        a.acls.set(ResourcePattern(.topic, "orders"), [entry(bob, .read)])
        #expect(!ask(a, alice, .read, .topic("orders")))
    }

    @Test("a super user is allowed even against a DENY")
    func superUser() {
        let a = Authorizer(
            acls: AclSnapshot([ResourcePattern(.topic, "orders"): [entry(alice, .all, .deny)]]),
            superUsers: Authorizer.parseSuperUsers("User:bob; User:alice"))
        #expect(ask(a, alice, .write, .topic("orders")))
        #expect(Authorizer.parseSuperUsers("User:CN=a,O=b;User:c") == ["User:CN=a,O=b", "User:c"])
    }

    @Test("DENY beats ALLOW, including a wildcard-principal DENY over a specific ALLOW")
    func denyBeatsAllow() {
        var a = Authorizer(
            acls: AclSnapshot([ResourcePattern(.topic, "orders"): [entry(alice, .read), entry(alice, .read, .deny)]]))
        #expect(!ask(a, alice, .read, .topic("orders")))
        a.acls.set(ResourcePattern(.topic, "orders"), [entry(alice, .read)])
        a.acls.set(ResourcePattern(.topic, "*"), [entry("User:*", .read, .deny, host: host)])
        #expect(!ask(a, alice, .read, .topic("orders")))
        #expect(ask(a, alice, .read, .topic("orders"), host: "10.0.0.1"))
    }

    @Test("DESCRIBE is implied by READ, WRITE, DELETE and ALTER; DESCRIBE_CONFIGS by ALTER_CONFIGS")
    func impliedOperations() {
        for op in [AclOperation.read, .write, .delete, .alter] {
            let a = Authorizer(acls: AclSnapshot([ResourcePattern(.topic, "t"): [entry(alice, op)]]))
            #expect(ask(a, alice, .describe, .topic("t")), "\(op.name) implies DESCRIBE")
            #expect(!ask(a, alice, .describeConfigs, .topic("t")))
        }
        let a = Authorizer(acls: AclSnapshot([ResourcePattern(.topic, "t"): [entry(alice, .alterConfigs)]]))
        #expect(ask(a, alice, .describeConfigs, .topic("t")))
        #expect(!ask(a, alice, .describe, .topic("t")))
        let all = Authorizer(acls: AclSnapshot([ResourcePattern(.group, "g"): [entry(alice, .all)]]))
        #expect(ask(all, alice, .delete, .group("g")))
        // A DENY of READ does not deny DESCRIBE (Kafka denies only the operation asked, or ALL).
        let deny = Authorizer(
            acls: AclSnapshot([ResourcePattern(.topic, "t"): [entry(alice, .write), entry(alice, .read, .deny)]]))
        #expect(ask(deny, alice, .describe, .topic("t")))
    }

    @Test("wildcard principal, wildcard host and the literal * resource match everyone, everywhere, everything")
    func wildcards() {
        let a = Authorizer(acls: AclSnapshot([ResourcePattern(.topic, "*"): [entry("User:*", .write)]]))
        #expect(ask(a, alice, .write, .topic("anything")))
        #expect(ask(a, bob, .write, .topic("x"), host: "10.1.1.1"))
        #expect(!ask(a, bob, .read, .topic("x")))
        #expect(!ask(a, bob, .write, .group("x")))
        let hosted = Authorizer(acls: AclSnapshot([ResourcePattern(.topic, "t"): [entry(alice, .read, host: host)]]))
        #expect(ask(hosted, alice, .read, .topic("t")))
        #expect(!ask(hosted, alice, .read, .topic("t"), host: "10.0.0.9"))
    }

    @Test("a PREFIXED ACL covers every name starting with the prefix, and only those")
    func prefixed() {
        let a = Authorizer(acls: AclSnapshot([ResourcePattern(.topic, "orders-", .prefixed): [entry(alice, .read)]]))
        #expect(ask(a, alice, .read, .topic("orders-eu")))
        #expect(ask(a, alice, .read, .topic("orders-")))
        #expect(!ask(a, alice, .read, .topic("order")))
        #expect(!ask(a, alice, .read, .topic("xorders-eu")))
        // A prefixed DENY beats a literal ALLOW.
        let b = Authorizer(
            acls: AclSnapshot([
                ResourcePattern(.topic, "orders-eu"): [entry(alice, .read)],
                ResourcePattern(.topic, "orders", .prefixed): [entry(alice, .read, .deny)],
            ]))
        #expect(!ask(b, alice, .read, .topic("orders-eu")))
        // Single-character names and prefixes work (testSingleCharacterResourceAcls).
        let c = Authorizer(acls: AclSnapshot([ResourcePattern(.topic, "f"): [entry(alice, .read)]]))
        #expect(ask(c, alice, .read, .topic("f")))
        #expect(!ask(c, alice, .read, .topic("foo")))
    }

    @Test("the decision names the ACL that decided it")
    func reasons() {
        let allow = AclBinding(ResourcePattern(.topic, "t"), entry(alice, .write))
        let a = Authorizer(acls: AclSnapshot(bindings: [allow]))
        let d = a.authorize(.init(principal: alice, host: host, operation: .describe, resource: .topic("t")))
        #expect(d.allowed)
        #expect(d.reason == .allowed(by: allow))
        #expect(d.resourceAcls == [allow])
        let text = AclExplanation.text(
            for: .init(principal: bob, host: host, operation: .read, resource: .topic("t")), authorizer: a)
        #expect(text.contains("DENIED"))
        #expect(text.contains("--add --allow-principal User:bob --operation Read --topic t"))
    }

    @Test("authorizeByResourceType: an ALLOW on some topic counts unless a DENY covers it")
    func byResourceType() {
        var a = Authorizer(acls: AclSnapshot([ResourcePattern(.topic, "t"): [entry(alice, .write)]]))
        #expect(a.isAllowedOnAnyResource(principal: alice, host: host, operation: .write, type: .topic))
        #expect(!a.isAllowedOnAnyResource(principal: bob, host: host, operation: .write, type: .topic))
        a.acls.set(ResourcePattern(.topic, "t", .prefixed), [entry(alice, .write, .deny)])
        #expect(!a.isAllowedOnAnyResource(principal: alice, host: host, operation: .write, type: .topic))
    }

    @Test("KIP-430 bitfield sets the bits of the allowed operation codes")
    func authorizedOperationsBits() {
        let a = Authorizer(acls: AclSnapshot([ResourcePattern(.topic, "t"): [entry(alice, .read)]]))
        let bits = a.authorizedOperationsBits(principal: alice, host: host, resource: .topic("t"))
        #expect(bits == (1 << 3) | (1 << 8))
    }

    @Test("filters: ANY, MATCH, LITERAL and PREFIXED select patterns as Kafka's ResourcePatternFilter")
    func filters() {
        let literal = ResourcePattern(.topic, "orders")
        let star = ResourcePattern(.topic, "*")
        let prefix = ResourcePattern(.topic, "ord", .prefixed)
        let other = ResourcePattern(.group, "orders")
        let all = [literal, star, prefix, other]
        #expect(all.filter(ResourcePatternFilter(.topic, "orders", .match).matches) == [literal, star, prefix])
        #expect(all.filter(ResourcePatternFilter(.any, "orders", .any).matches) == [literal, other])
        #expect(all.filter(ResourcePatternFilter(.topic, nil, .prefixed).matches) == [prefix])
        #expect(all.filter(ResourcePatternFilter(.topic, "*", .literal).matches) == [star])
    }
}

@Suite("ACL JSON in ZooKeeper")
struct AclJSONTests {
    @Test("a resource node is written with Kafka's key order and read back")
    func resourceNode() throws {
        let entries: Set<AccessControlEntry> = [
            .init(principal: "User:alice", host: "*", operation: .read, permission: .allow)
        ]
        let bytes = AclJSON.encode(entries)
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == #"{"acls":[{"principal":"User:alice","permissionType":"Allow","host":"*","operation":"Read"}],"version":1}"#
        )
        #expect(try AclJSON.decode(bytes) == entries)
    }

    @Test("a node written by Kafka's tools, in any key order and PascalCase names, decodes")
    func kafkaWritten() throws {
        let text =
            #"{"version":1,"acls":[{"principal":"User:bob","permissionType":"Deny","operation":"IdempotentWrite","host":"10.0.0.1"},{"host":"*","permissionType":"Allow","operation":"DescribeConfigs","principal":"User:*"}]}"#
        let decoded = try AclJSON.decode(Array(text.utf8))
        #expect(
            decoded == [
                .init(principal: "User:bob", host: "10.0.0.1", operation: .idempotentWrite, permission: .deny),
                .init(principal: "User:*", host: "*", operation: .describeConfigs, permission: .allow),
            ])
        #expect(try AclJSON.decode([]) == [])
        #expect(throws: AclJSON.DecodingError.self) { try AclJSON.decode(Array(#"{"version":2,"acls":[]}"#.utf8)) }
        #expect(throws: AclJSON.DecodingError.self) { try AclJSON.decode(Array("not json".utf8)) }
    }

    @Test("change notifications: TOPIC:name for literal, ExtendedAclChangeEvent JSON for prefixed")
    func changes() throws {
        let literal = ResourcePattern(.transactionalId, "tx:1")
        #expect(String(decoding: AclJSON.encodeLiteralChange(literal), as: UTF8.self) == "TRANSACTIONAL_ID:tx:1")
        #expect(try AclJSON.decodeLiteralChange(Array("Topic:foo".utf8)) == ResourcePattern(.topic, "foo"))
        #expect(try AclJSON.decodeLiteralChange(AclJSON.encodeLiteralChange(literal)) == literal)
        let prefixed = ResourcePattern(.topic, "orders-", .prefixed)
        #expect(
            String(decoding: AclJSON.encodeExtendedChange(prefixed), as: UTF8.self)
                == #"{"version":1,"resourceType":"TOPIC","name":"orders-","patternType":"PREFIXED"}"#)
        #expect(
            try AclJSON.decodeExtendedChange(
                Array(#"{"version":1,"resourceType":"Topic","name":"orders-","patternType":"PREFIXED"}"#.utf8))
                == prefixed)
    }

    @Test("znode paths follow ZkAclStore")
    func paths() {
        #expect(AclZNodePaths.path(ResourcePattern(.topic, "orders")) == "/kafka-acl/Topic/orders")
        #expect(
            AclZNodePaths.path(ResourcePattern(.transactionalId, "t", .prefixed))
                == "/kafka-acl-extended/prefixed/TransactionalId/t")
        #expect(AclZNodePaths.path(ResourcePattern(.cluster, "kafka-cluster")) == "/kafka-acl/Cluster/kafka-cluster")
        #expect(AclOperation.idempotentWrite.pascalName == "IdempotentWrite")
        #expect(AclOperation(parsing: "ClusterAction") == .clusterAction)
        #expect(AclOperation(parsing: "cluster_action") == .clusterAction)
    }
}
