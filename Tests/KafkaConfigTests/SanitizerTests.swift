import Testing

@testable import KafkaConfig

@Suite("Sanitizer")
struct SanitizerTests {
    // The cases of Kafka's SanitizerTest plus a certificate DN.
    @Test(
        "names are URL-encoded as Kafka's Sanitizer does",
        arguments: [
            ("user1", "user1"),
            ("a.b-c_d", "a.b-c_d"),
            ("CN=alice,OU=Unknown", "CN%3Dalice%2COU%3DUnknown"),
            ("user 1", "user%201"),
            ("*", "%2A"),
            ("a+b", "a%2Bb"),
            ("user@kafka.io/host:9092", "user%40kafka.io%2Fhost%3A9092"),
            ("héllo", "h%C3%A9llo"),
            ("", ""),
        ])
    func sanitize(name: String, sanitized: String) {
        #expect(Sanitizer.sanitize(name) == sanitized)
        #expect(Sanitizer.desanitize(sanitized) == name)
    }

    @Test("desanitize reads '+' as a space, as Java's URLDecoder, and refuses broken escapes")
    func desanitize() {
        #expect(Sanitizer.desanitize("a+b") == "a b")
        #expect(Sanitizer.desanitize("%2") == nil)
        #expect(Sanitizer.desanitize("%zz") == nil)
        #expect(Sanitizer.desanitize("%FF") == nil)
    }
}

@Suite("configs --zookeeper for brokers")
struct ZooKeeperBrokerConfigsTests {
    @Test("password configs, also listener-prefixed, are refused without password.encoder.secret, in Kafka's words")
    func passwordsNeedTheEncoderSecret() {
        #expect(ZooKeeperBrokerConfigs.isPasswordConfig("ssl.keystore.password"))
        #expect(ZooKeeperBrokerConfigs.isPasswordConfig("listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config"))
        #expect(!ZooKeeperBrokerConfigs.isPasswordConfig("ssl.keystore.location"))
        #expect(!ZooKeeperBrokerConfigs.isPasswordConfig("log.cleaner.threads"))
        #expect(
            throws: ConfigError.conflict(
                "requirement failed: password.encoder.secret must be specified to update"
                    + " Set(listener.name.internal.ssl.key.password). Other password encoder configs like cipher"
                    + " algorithm and iterations may also be specified to override the default encoding parameters."
                    + " Password encoder configs will not be persisted in ZooKeeper.")
        ) {
            try ZooKeeperBrokerConfigs.configsToStore([
                ("log.cleaner.threads", "2"), ("listener.name.internal.ssl.key.password", "secret"),
            ])
        }
    }

    @Test("an encoder secret is never stored, and encoded passwords are refused as the brokers cannot read them")
    func encoderSecret() throws {
        let stored = try ZooKeeperBrokerConfigs.configsToStore([
            ("log.cleaner.threads", "2"), ("password.encoder.secret", "s"),
        ])
        #expect(stored.map(\.key) == ["log.cleaner.threads"])
        #expect(throws: ConfigError.self) {
            try ZooKeeperBrokerConfigs.configsToStore([
                ("ssl.keystore.password", "x"), ("password.encoder.secret", "s"),
            ])
        }
    }
}
