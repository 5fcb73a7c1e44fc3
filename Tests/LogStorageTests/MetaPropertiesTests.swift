import Foundation
import TestSupport
import Testing

@testable import LogStorage

@Suite("meta.properties versions 0 and 1")
struct MetaPropertiesTests {
    @Test("a KRaft meta.properties is version 1 with cluster.id, node.id and directory.id and reads back")
    func versionOneRoundTrip() throws {
        let dir = TempDir()
        let meta = MetaProperties(
            version: 1, clusterId: "MkU3OEVBNTcwNTJENDM2Qg", nodeId: 1, directoryId: "b2ZpcmFlbGxhbW9udGFuYQ")
        try meta.write(directory: dir.path)
        let text = String(
            decoding: try #require(FileManager.default.contents(atPath: dir.path + "/meta.properties")), as: UTF8.self)
        #expect(text.hasPrefix("#\n#"))
        #expect(
            text.contains("\nversion=1\n") && text.contains("\nnode.id=1\n")
                && text.contains("\ncluster.id=MkU3OEVBNTcwNTJENDM2Qg\n")
                && text.contains("\ndirectory.id=b2ZpcmFlbGxhbW9udGFuYQ\n"))
        #expect(!text.contains("broker.id"))
        #expect(try MetaProperties.read(directory: dir.path) == meta)
    }

    @Test("a ZooKeeper-mode meta.properties reads as version 0 with broker.id as the node id")
    func versionZero() throws {
        let meta = try MetaProperties.decode(Array("#\nversion=0\nbroker.id=7\ncluster.id=abc\n".utf8), path: "m")
        #expect(meta == MetaProperties(version: 0, clusterId: "abc", nodeId: 7))
    }

    @Test("a directory without meta.properties reads as unformatted")
    func unformatted() throws {
        #expect(try MetaProperties.read(directory: TempDir().path) == nil)
    }

    @Test("a ZooKeeper-mode broker refuses a directory formatted for KRaft with one clear line")
    func zooKeeperBrokerRefusesKRaftDirectory() throws {
        let dir = TempDir()
        try MetaProperties(version: 1, clusterId: "MkU3OEVBNTcwNTJENDM2Qg", nodeId: 1, directoryId: "x").write(
            directory: dir.path)
        do {
            _ = try LogManager(logDirs: [dir.path], brokerId: 1, clusterId: "c", clock: TestClock().function)
            Issue.record("a KRaft directory was accepted")
        } catch {
            #expect("\(error)".contains("KRaft-mode meta.properties"))
        }
    }
}
