import KafkaProtocol
import KafkaRecords
import Synchronization
import Testing

@testable import GroupCoordinator

@Suite("__consumer_offsets records and placement")
struct RecordsAndPlacementTests {
    @Test(
        "group placement uses Java's String.hashCode and Kafka's Utils.abs",
        arguments: [
            ("my-group", Int32(-1906497762), Int32(12)), ("test-group", 627841412, 12), ("group1", -1237460590, 40),
            ("a", 97, 47), ("", 0, 0), ("polygenelubricants", Int32.min, 0),
        ])
    func placement(group: String, hash: Int32, partition: Int32) {
        #expect(GroupPlacement.javaStringHash(group) == hash)
        #expect(GroupPlacement.partition(for: group, partitionCount: 50) == partition)
    }

    @Test("offset commit key v1 and value v3 have Kafka's byte layout")
    func offsetLayouts() throws {
        let key = OffsetCommitKey(group: "g", topic: "t", partition: 2).encoded()
        #expect(key == [0, 1, 0, 1, 0x67, 0, 1, 0x74, 0, 0, 0, 2])
        let value = OffsetCommitValue(offset: 5, leaderEpoch: 3, metadata: "m", commitTimestamp: 0x0102).encoded()
        #expect(value == [0, 3, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 3, 0, 1, 0x6d, 0, 0, 0, 0, 0, 0, 1, 2])
        #expect(
            try OffsetCommitValue(decoding: value)
                == OffsetCommitValue(offset: 5, leaderEpoch: 3, metadata: "m", commitTimestamp: 0x0102))
        // v1 carries an expire timestamp and no leader epoch.
        let v1: [UInt8] = [0, 1, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 10]
        let decoded = try OffsetCommitValue(decoding: v1)
        #expect(
            decoded.offset == 7 && decoded.commitTimestamp == 9 && decoded.expireTimestamp == 10
                && decoded.leaderEpoch == -1)
        #expect(OffsetCommitValue(offset: 7, commitTimestamp: 9, expireTimestamp: 10).encoded() == v1)
        #expect(throws: ProtocolError.self) { try OffsetCommitValue(decoding: [0, 3, 0]) }
    }

    @Test("group metadata key v2 and value v3 round-trip with Kafka's field order")
    func groupLayouts() throws {
        #expect(GroupMetadataValue.key(group: "g") == [0, 2, 0, 1, 0x67])
        let value = GroupMetadataValue(
            protocolType: "consumer", generation: 4, protocolName: "range", leader: "m1", currentStateTimestamp: 99,
            members: [
                .init(
                    memberId: "m1", groupInstanceId: nil, clientId: "c", clientHost: "/h", rebalanceTimeoutMs: 300,
                    sessionTimeoutMs: 100, subscription: [1, 2], assignment: [3])
            ])
        let bytes = value.encoded()
        var expected: [UInt8] = [0, 3, 0, 8] + Array("consumer".utf8) + [0, 0, 0, 4, 0, 5] + Array("range".utf8)
        expected += [0, 2] + Array("m1".utf8) + [0, 0, 0, 0, 0, 0, 0, 99, 0, 0, 0, 1]
        expected +=
            [0, 2] + Array("m1".utf8) + [0xff, 0xff, 0, 1, 0x63, 0, 2, 0x2f, 0x68, 0, 0, 1, 0x2c, 0, 0, 0, 100]
        expected += [0, 0, 0, 2, 1, 2, 0, 0, 0, 1, 3]
        #expect(bytes == expected)
        #expect(try GroupMetadataValue(decoding: bytes) == value)
        let empty = GroupMetadataValue(
            protocolType: "", generation: 1, protocolName: nil, leader: nil, currentStateTimestamp: -1, members: [])
        #expect(try GroupMetadataValue(decoding: empty.encoded()) == empty)
    }

    @Test("a v0 member's rebalance timeout is its session timeout; a stored v1 timeout is kept as stored")
    func rebalanceTimeoutByVersion() throws {
        // protocolType "", generation 1, protocol and leader null, one member "m" / "c" / "h".
        let head: [UInt8] = [0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 1, 0x6d, 0, 1, 0x63, 0, 1, 0x68]
        let tail: [UInt8] = [0, 0, 0, 50, 0, 0, 0, 0, 0, 0, 0, 0]
        let v0 = try GroupMetadataValue(decoding: [0, 0] + head + tail)
        #expect(v0.members.first?.rebalanceTimeoutMs == 50)
        let v1 = try GroupMetadataValue(decoding: [0, 1] + head + [0xff, 0xff, 0xff, 0xff] + tail)
        #expect(v1.members.first?.rebalanceTimeoutMs == -1)
        #expect(try OffsetsTopicRecord.schemaVersion(of: [0, 1] + head) == 1)
        #expect(throws: ProtocolError.self) { try OffsetsTopicRecord.schemaVersion(of: [0]) }
        #expect(OffsetCommitValue.supportedVersions == 0...3 && GroupMetadataValue.supportedVersions == 0...3)
    }

    @Test("records are told apart by key version; tombstones decode as nil values")
    func recordKinds() throws {
        let k = OffsetCommitKey(group: "g", topic: "t", partition: 0)
        #expect(try OffsetsTopicRecord(key: k.encoded(), value: nil) == .offset(k, nil))
        #expect(try OffsetsTopicRecord(key: GroupMetadataValue.key(group: "g"), value: nil) == .group("g", nil))
        #expect(try OffsetsTopicRecord(key: [0, 9, 0, 0], value: [1]) == .unknown(keyVersion: 9))
        #expect(throws: ProtocolError.self) { try OffsetsTopicRecord(key: [0, 1, 0, 5, 0x61], value: nil) }
    }
}

/// A clock and a log the runtime tests can move and read.
final class TestEnv: Sendable {
    let now = Mutex<Int64>(1_000)
    let appended = Mutex<[(Int32, [UInt8])]>([])
    let ids = Mutex(0)

    func runtime(config: GroupConfig = GroupConfig(initialRebalanceDelayMs: 0)) -> GroupCoordinatorRuntime {
        GroupCoordinatorRuntime(
            config: config, partitionCount: 50, clock: { self.now.withLock { $0 } },
            newId: {
                self.ids.withLock {
                    $0 += 1; return "u\($0)"
                }
            }, log: { _ in },
            appender: { p, batch in
                self.appended.withLock { $0.append((p, batch)) }; return .noError
            })
    }
}

@Suite("GroupCoordinatorRuntime")
struct RuntimeTests {
    @Test("commits are appended, fetched back, and survive a reload from the appended batches")
    func commitAndReload() async {
        let env = TestEnv()
        let rt = env.runtime()
        let p = GroupPlacement.partition(for: "kcat", partitionCount: 50)
        #expect(await rt.coordinatorError(for: "kcat") == .notCoordinator)
        await rt.beginLoading(partition: p)
        #expect(await rt.coordinatorError(for: "kcat") == .coordinatorLoadInProgress)
        await rt.finishLoading(partition: p)
        let tp = TopicPartitionKey(topic: "t", partition: 0)
        let errors = await rt.commit(
            groupId: "kcat", memberId: "", groupInstanceId: nil, generationId: -1,
            offsets: [(tp, CommittedOffset(offset: 42, leaderEpoch: -1, metadata: "x", commitTimestamp: 1))])
        #expect(errors == [.noError])
        let tooBig = await rt.commit(
            groupId: "kcat", memberId: "", groupInstanceId: nil, generationId: -1,
            offsets: [
                (
                    tp,
                    CommittedOffset(
                        offset: 43, leaderEpoch: -1, metadata: String(repeating: "m", count: 4097), commitTimestamp: 1)
                )
            ])
        #expect(tooBig == [.offsetMetadataTooLarge])
        let fetched = await rt.fetchOffsets(groupId: "kcat", partitions: [tp, .init(topic: "t", partition: 1)])
        #expect(fetched.offsets[0].1?.offset == 42)
        #expect(fetched.offsets[1].1 == nil)

        // A fresh runtime replays what was appended (offsets as Kafka's log would give them back).
        var log: [UInt8] = []
        var next: Int64 = 0
        for (_, batch) in env.appended.withLock({ $0 }) {
            // The base offset is outside the CRC: patch it in place, as the log does on append.
            var b = batch
            let count = b.withUnsafeBytes { RecordBatchHeader(parsing: $0).recordsCount }
            for i in 0..<8 { b[i] = UInt8(truncatingIfNeeded: next >> (56 - 8 * i)) }
            next += Int64(count)
            log += b
        }
        let rt2 = env.runtime()
        await rt2.beginLoading(partition: p)
        await rt2.replay(partition: p, batches: log)
        await rt2.finishLoading(partition: p)
        #expect(await rt2.fetchOffsets(groupId: "kcat", partitions: nil).offsets.map { $0.1?.offset } == [42])
        #expect(await rt2.listGroups().map(\.groupId) == ["kcat"])
        #expect(await rt2.deleteGroup("kcat") == .noError)
        #expect(await rt2.fetchOffsets(groupId: "kcat", partitions: [tp]).offsets[0].1 == nil)
    }

    @Test("a JoinGroup parks until the rebalance completes and two members get one generation")
    func parkedJoins() async {
        let env = TestEnv()
        let rt = env.runtime(config: GroupConfig(initialRebalanceDelayMs: 3_000))
        let p = GroupPlacement.partition(for: "g", partitionCount: 50)
        await rt.beginLoading(partition: p)
        await rt.finishLoading(partition: p)
        func input(_ c: String) -> JoinGroupInput {
            JoinGroupInput(
                apiVersion: 3, memberId: "", clientId: c, clientHost: "h", sessionTimeoutMs: 10_000,
                rebalanceTimeoutMs: 10_000, protocolType: "consumer", protocols: [.init(name: "range", metadata: [])])
        }
        async let a = rt.join(groupId: "g", input("a"))
        async let b = rt.join(groupId: "g", input("b"))
        // Wait until both are parked, then let the initial delay pass.
        while await rt.group("g")?.members.count != 2 { await Task.yield() }
        env.now.withLock { $0 += 3_000 }
        await rt.tick()
        env.now.withLock { $0 += 3_000 }
        await rt.tick()
        let (ra, rb) = await (a, b)
        #expect(ra.error == .noError && rb.error == .noError)
        #expect(ra.generationId == 1 && rb.generationId == 1)
        #expect(ra.leaderId == rb.leaderId)
    }
}
