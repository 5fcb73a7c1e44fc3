import Foundation
import KafkaConfig
import KafkaProtocol
import LogStorage
import Testing

@testable import Broker

@Suite("KRaft storage formatted on a container's first start")
struct KRaftFirstStartTests {
    func config(logDir: String) throws -> BrokerConfig {
        try BrokerConfig(properties: [
            "process.roles": "broker,controller", "node.id": "3", "controller.quorum.voters": "3@localhost:9093",
            "listeners": "PLAINTEXT://:9092,CONTROLLER://:9093", "controller.listener.names": "CONTROLLER",
            "log.dirs": logDir,
        ])
    }

    func tempDir() -> String {
        let dir = NSTemporaryDirectory() + "kraft-first-start-" + UUID().uuidString
        return dir
    }

    @Test func aNonUUIDClusterIdBecomesTheSameValidKafkaUUIDEveryTime() {
        let a = KRaftStorage.derivedClusterId("kraft-cluster-12345")
        #expect(a == KRaftStorage.derivedClusterId("kraft-cluster-12345"))
        #expect(a != KRaftStorage.derivedClusterId("kraft-cluster-12346"))
        #expect(KRaftStorage.isValidClusterId(a))
        #expect(!a.hasPrefix("-") && !a.hasPrefix("_"))
    }

    @Test func withClusterIdTheStorageIsFormattedOnceAndThenLeftAlone() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try config(logDir: dir)
        let env = ["CLUSTER_ID": "MkU3OEVBNTcwNTJENDM2Qk"]
        let first = try KRaftStorage.formatOnFirstStart(config, environment: env, workingDirectory: "/")
        #expect(first.count == 1)
        let formatted = try KRaftStorage.checkFormatted(config, workingDirectory: "/")
        #expect(formatted.clusterId == "MkU3OEVBNTcwNTJENDM2Qk")
        let again = try KRaftStorage.formatOnFirstStart(config, environment: env, workingDirectory: "/")
        #expect(again.isEmpty)
        #expect(try MetaProperties.read(directory: dir)?.nodeId == 3)
    }

    @Test func withoutAClusterIdNothingIsFormatted() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try config(logDir: dir)
        #expect(try KRaftStorage.formatOnFirstStart(config, environment: [:], workingDirectory: "/").isEmpty)
        #expect(throws: BrokerStartupError.self) { try KRaftStorage.checkFormatted(config, workingDirectory: "/") }
    }
}
