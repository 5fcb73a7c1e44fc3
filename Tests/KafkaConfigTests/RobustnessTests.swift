import TestSupport
import Testing

@testable import KafkaConfig

@Suite("Robustness against arbitrary input")
struct RobustnessTests {
    private static let alphabet: [Character] = Array("ab=:# !\\\\\\u0AFg\n\r\t\u{0C}\u{00e9}\u{1F600},[]/9-_.")

    private func randomText(_ rng: inout SplitMix64, maxLength: Int) -> String {
        let length = Int(rng.next() % UInt64(maxLength))
        return String((0..<length).map { _ in Self.alphabet[Int(rng.next() % UInt64(Self.alphabet.count))] })
    }

    @Test("random text never traps the properties parser, listener parser or key parsers")
    func randomInput() {
        var rng = SplitMix64(state: 42)
        let map: [String: SecurityProtocol] = ["PLAINTEXT": .plaintext, "A": .ssl]
        for _ in 0..<800 {
            let text = randomText(&rng, maxLength: 60)
            _ = try? PropertiesFile(parsing: text)
            _ = try? Endpoint.parseList(text, securityProtocolMap: map, key: "listeners")
            _ = try? parseSecurityProtocolMap(text, key: "listener.security.protocol.map")
            _ = try? TopicName.validate(text)
            for def in BrokerConfig.definitions.prefix(40) { _ = try? def.parse(text) }
            for def in TopicConfig.definitions { _ = try? def.key.parse(text) }
        }
    }

    @Test("zookeeper.connect splits into hosts and chroot")
    func zookeeperChroot() throws {
        let c = try BrokerConfig(properties: ["broker.id": "1", "zookeeper.connect": "a:2181,b:2181/kafka/prod"])
        #expect(c.zookeeperHosts == "a:2181,b:2181")
        #expect(c.zookeeperChroot == "/kafka/prod")
        let plain = try BrokerConfig(properties: ["broker.id": "1", "zookeeper.connect": "a:2181"])
        #expect(plain.zookeeperHosts == "a:2181" && plain.zookeeperChroot == nil)
    }
}
