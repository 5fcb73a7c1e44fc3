import Testing

@testable import KafkaConfig

@Suite("Listener security settings")
struct ListenerSecurityTests {
    static let base = [
        "broker.id": "1", "zookeeper.connect": "localhost:2181",
        "listeners": "PLAINTEXT://:9092,SSL://:9094,SASL_SSL://:9093",
        "ssl.keystore.location": "/etc/kafka/secrets/broker.p12", "ssl.keystore.type": "PKCS12",
        "listener.name.sasl_ssl.ssl.keystore.location": "/etc/kafka/secrets/sasl.p12",
        "listener.name.ssl.ssl.client.auth": "required",
        "sasl.enabled.mechanisms": "plain,SCRAM-SHA-512",
        "listener.name.sasl_ssl.plain.sasl.jaas.config": "PlainModule required user_a=\"b\";",
        "sasl.jaas.config": "ScramModule required;",
        "listener.name.sasl_ssl.connections.max.reauth.ms": "60000",
    ]

    @Test("listener.name.<listener>. keys win over plain keys, and JAAS is scoped per mechanism")
    func scoping() throws {
        let config = try BrokerConfig(properties: Self.base)
        let ssl = try config.security(for: config.listeners.first { $0.listenerName == "SSL" }!)
        #expect(ssl.usesTLS && !ssl.usesSASL)
        #expect(ssl.clientAuth == .required)
        #expect(ssl.keystoreLocation == "/etc/kafka/secrets/broker.p12")
        let sasl = try config.security(for: config.listeners.first { $0.listenerName == "SASL_SSL" }!)
        #expect(sasl.usesTLS && sasl.usesSASL)
        #expect(sasl.keystoreLocation == "/etc/kafka/secrets/sasl.p12")
        #expect(sasl.clientAuth == .none)
        #expect(sasl.enabledMechanisms == ["PLAIN", "SCRAM-SHA-512"])
        #expect(sasl.jaasConfigs["PLAIN"] == "PlainModule required user_a=\"b\";")
        #expect(sasl.jaasConfigs["SCRAM-SHA-512"] == "ScramModule required;")
        #expect(sasl.maxReceiveSize == 524288)
        #expect(sasl.maxReauthMs == 60000)
        #expect(sasl.failedAuthenticationDelayMs == 100)
    }

    @Test("an unknown ssl.client.auth value is a configuration error naming the key")
    func badClientAuth() throws {
        var props = Self.base
        props["listener.name.ssl.ssl.client.auth"] = "sometimes"
        let config = try BrokerConfig(properties: props.filter { $0.key != "ssl.client.auth" })
        #expect(throws: ConfigError.self) {
            try config.security(for: config.listeners.first { $0.listenerName == "SSL" }!)
        }
    }

    @Test("the JAAS file comes from -Djava.security.auth.login.config in KAFKA_OPTS")
    func jaasPath() {
        #expect(
            jaasFilePath(kafkaOpts: "-Xmx1g -Djava.security.auth.login.config=/etc/kafka/secrets/jaas.conf -Dx=y")
                == "/etc/kafka/secrets/jaas.conf")
        #expect(jaasFilePath(kafkaOpts: "-Xmx1g") == nil)
        #expect(jaasFilePath(kafkaOpts: nil) == nil)
    }
}
