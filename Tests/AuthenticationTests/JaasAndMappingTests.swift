import Testing

@testable import Authentication

@Suite("JAAS configuration")
struct JaasTests {
    @Test("an inline sasl.jaas.config yields PLAIN's user_ options")
    func inline() throws {
        let entries = try Jaas.parseEntries(
            #"org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice;secret";"#
        )
        #expect(entries.count == 1)
        #expect(entries[0].loginModule == "org.apache.kafka.common.security.plain.PlainLoginModule")
        #expect(entries[0].options["username"] == "admin")
        #expect(entries[0].plainUsers == ["admin": "admin-secret", "alice": "alice;secret"])
    }

    @Test("a JAAS file keeps its sections, comments and several modules apart")
    func file() throws {
        let text = """
            // Confluent-style broker JAAS file
            KafkaServer {
               org.apache.kafka.common.security.plain.PlainLoginModule required
               username="admin"
               password="admin-secret"
               user_admin="admin-secret";
               org.apache.kafka.common.security.scram.ScramLoginModule required;
            };
            /* ZooKeeper client */
            Client {
               org.apache.zookeeper.server.auth.DigestLoginModule required username="kafka" password="zk";
            };
            """
        let sections = try Jaas.parseFile(text)
        #expect(sections.keys.sorted() == ["Client", "KafkaServer"])
        #expect(sections["KafkaServer"]?.count == 2)
        #expect(sections["KafkaServer"]?[0].plainUsers == ["admin": "admin-secret"])
    }

    @Test("an entry without a control flag or a terminating semicolon is an error")
    func errors() {
        #expect(throws: Jaas.ParseError.self) { try Jaas.parseEntries("Module user_a=\"b\";") }
        #expect(throws: Jaas.ParseError.self) { try Jaas.parseEntries("Module required user_a=\"b\"") }
    }
}

@Suite("ssl.principal.mapping.rules")
struct PrincipalMappingTests {
    @Test("Kafka's documented rules map DNs, with L lower-casing and DEFAULT as fallback")
    func documentedRules() throws {
        let rules = try PrincipalMappingRules(
            parsing:
                "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,DEFAULT"
        )
        #expect(rules.name(for: "CN=kafka1,OU=ServiceUsers,O=Org,C=US") == "kafka1")
        #expect(rules.name(for: "CN=Duke,OU=JavaSoft,O=Sun Microsystems,L=Santa Clara,ST=CA,C=US") == "duke@javasoft")
        #expect(rules.name(for: "CN=other,O=x") == "CN=other,O=x")
    }

    @Test("without DEFAULT an unmatched DN has no principal, and a bad rule is refused")
    func noDefault() throws {
        let rules = try PrincipalMappingRules(parsing: "RULE:^CN=(.*?),.*$/$1/U")
        #expect(rules.name(for: "CN=app,O=x") == "APP")
        #expect(rules.name(for: "O=x") == nil)
        #expect(throws: PrincipalMappingRules.ParseError.self) { try PrincipalMappingRules(parsing: "RULE:abc") }
        #expect(PrincipalMappingRules.default.name(for: "CN=a") == "CN=a")
    }

    @Test("RFC 2253 names put the most specific RDN first and escape specials")
    func rfc2253() {
        #expect(
            rfc2253Name([("C", "US"), ("O", "Acme, Inc"), ("CN", "writeuser")]) == #"CN=writeuser,O=Acme\, Inc,C=US"#)
    }
}
