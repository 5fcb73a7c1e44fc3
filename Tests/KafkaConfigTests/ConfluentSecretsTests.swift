import Foundation
import TestSupport
import Testing

@testable import KafkaConfig

@Suite("The Confluent images' secrets conventions")
struct ConfluentSecretsTests {
    static let base = [
        "KAFKA_BROKER_ID": "1", "KAFKA_ZOOKEEPER_CONNECT": "zk:2181",
        "KAFKA_LISTENERS": "SSL://:9093", "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "SSL:SSL",
        "KAFKA_INTER_BROKER_LISTENER_NAME": "SSL",
        "KAFKA_SSL_KEYSTORE_FILENAME": "broker.keystore.jks", "KAFKA_SSL_KEYSTORE_CREDENTIALS": "keystore_creds",
        "KAFKA_SSL_KEY_CREDENTIALS": "key_creds", "KAFKA_SSL_TRUSTSTORE_FILENAME": "kafka.truststore.jks",
        "KAFKA_SSL_TRUSTSTORE_CREDENTIALS": "truststore_creds",
    ]

    @Test("*_FILENAME names a file in the secrets directory and *_CREDENTIALS files hold the passwords")
    func filenamesAndCredentials() throws {
        let dir = TempDir()
        try "store-secret\n".write(toFile: dir.path + "/keystore_creds", atomically: true, encoding: .utf8)
        try "key-secret".write(toFile: dir.path + "/key_creds", atomically: true, encoding: .utf8)
        try "trust-secret\r\n".write(toFile: dir.path + "/truststore_creds", atomically: true, encoding: .utf8)
        var env = Self.base
        env[ConfluentSecrets.directoryVariable] = dir.path
        let loaded = try BrokerConfig.load(propertiesFile: nil, environment: env)
        let security = try loaded.config.security(for: loaded.config.listeners[0])
        #expect(security.keystoreLocation == dir.path + "/broker.keystore.jks")
        #expect(security.keystorePassword == "store-secret")
        #expect(security.keyPassword == "key-secret")
        #expect(security.truststoreLocation == dir.path + "/kafka.truststore.jks")
        #expect(security.truststorePassword == "trust-secret")
        #expect(loaded.origins["ssl.key.password"] == .environment(variable: "KAFKA_SSL_KEY_CREDENTIALS"))
        #expect(loaded.warnings.allSatisfy { !$0.key.contains("filename") && !$0.key.contains("credentials") })
    }

    @Test("the secrets directory defaults to /etc/kafka/secrets, and a missing credentials file names its variable")
    func missingCredentials() {
        #expect(throws: ConfigError.self) {
            try BrokerConfig.load(propertiesFile: nil, environment: Self.base)
        }
        do {
            _ = try BrokerConfig.load(propertiesFile: nil, environment: Self.base)
        } catch {
            #expect("\(error)".contains("/etc/kafka/secrets/"))
            #expect("\(error)".contains("KAFKA_SSL_"))
        }
    }

    @Test("ssl.enabled.protocols and ssl.cipher.suites default as in Kafka 3.9 and are read as lists")
    func protocolsAndSuites() throws {
        let config = try BrokerConfig(properties: [
            "broker.id": "1", "zookeeper.connect": "zk:2181", "listeners": "SSL://:9093,TLS13://:9094",
            "listener.security.protocol.map": "SSL:SSL,TLS13:SSL", "inter.broker.listener.name": "SSL",
            "listener.name.tls13.ssl.enabled.protocols": "TLSv1.3",
            "ssl.cipher.suites": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256",
        ])
        let plain = try config.security(for: config.listeners[0])
        #expect(plain.enabledProtocols == ["TLSv1.2", "TLSv1.3"])
        #expect(plain.cipherSuites == ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256"])
        #expect(try config.security(for: config.listeners[1]).enabledProtocols == ["TLSv1.3"])
    }
}
