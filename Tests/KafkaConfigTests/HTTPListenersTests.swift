import Testing

@testable import KafkaConfig

@Suite("http.listeners")
struct HTTPListenersTests {
    private let minimal = ["broker.id": "0", "zookeeper.connect": "localhost:2181"]

    @Test("the HTTP listener is off unless http.listeners names one")
    func offByDefault() throws {
        #expect(try BrokerConfig(properties: minimal).httpListeners.isEmpty)
    }

    @Test("http.listeners parses HTTP://host:port, also from KAFKA_HTTP_LISTENERS")
    func parses() throws {
        let c = try BrokerConfig(properties: minimal.merging(["http.listeners": "HTTP://0.0.0.0:9404"]) { $1 })
        #expect(
            c.httpListeners == [
                Endpoint(listenerName: "HTTP", host: "0.0.0.0", port: 9404, securityProtocol: .plaintext)
            ])
        #expect(KafkaEnvironment.propertyName(forVariable: "KAFKA_HTTP_LISTENERS") == "http.listeners")
    }

    @Test("a listener that is not HTTP://host:port is a one-line error naming http.listeners")
    func rejects() {
        for bad in ["PLAINTEXT://:9404", "HTTP://nohostport", "HTTP://:99999", "HTTP://:9404,HTTP://:9405"] {
            #expect(throws: ConfigError.self) {
                try BrokerConfig(properties: minimal.merging(["http.listeners": bad]) { $1 })
            }
        }
    }
}
