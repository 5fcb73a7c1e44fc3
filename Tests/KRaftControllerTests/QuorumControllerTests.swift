import KRaftController
import KafkaProtocol
import MetadataImage
import Testing

/// Deterministic randomness for placement and topic ids (SplitMix64).
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A controller with a fake clock and a fake log end offset, and brokers that register and catch up.
struct Harness {
    var controller: QuorumController
    var now: Int64 = 1_000
    var logEndOffset: Int64 = 0
    var rng = SeededRandom(state: 42)
    var epochs: [Int32: Int64] = [:]
    /// Every record the controller produced, in order.
    var log: [MetadataRecord] = []

    init(brokers: [Int32], config: QuorumControllerConfig = .init()) {
        controller = QuorumController(config: config, now: now)
        for id in brokers { startBroker(id) }
    }

    mutating func commit(_ records: [MetadataRecord]) {
        log += records
        logEndOffset += Int64(records.count)
    }

    /// Registers a broker and heartbeats it once caught up, so it is unfenced.
    mutating func startBroker(_ id: Int32, incarnation: UInt8? = nil) {
        let r = controller.registerBroker(
            BrokerRegistrationInput(
                brokerId: id, incarnationId: UUIDValue(bytes: Array(repeating: incarnation ?? UInt8(id), count: 16)),
                listeners: [BrokerEndpoint(name: "PLAINTEXT", host: "b\(id)", port: 9092)]),
            logEndOffset: logEndOffset, now: now)
        commit(r.records)
        epochs[id] = r.response.brokerEpoch
        heartbeat(id)
    }

    @discardableResult
    mutating func heartbeat(_ id: Int32, wantShutDown: Bool = false) -> BrokerHeartbeatReply {
        let r = controller.heartbeat(
            BrokerHeartbeatInput(
                brokerId: id, brokerEpoch: epochs[id] ?? -1, currentMetadataOffset: logEndOffset,
                wantShutDown: wantShutDown), now: now)
        commit(r.records)
        return r.response
    }

    mutating func advance(_ ms: Int64) {
        now += ms
        commit(controller.tick(now: now))
    }

    @discardableResult
    mutating func createTopic(_ name: String, partitions: Int32 = 1, rf: Int16 = 3, assignments: [Int32: [Int32]] = [:])
        -> CreateTopicReply
    {
        let r = controller.createTopics(
            [
                CreateTopicInput(
                    name: name, numPartitions: assignments.isEmpty ? partitions : -1,
                    replicationFactor: assignments.isEmpty ? rf : -1, assignments: assignments)
            ],
            using: &rng)
        commit(r.records)
        return r.response[0]
    }

    func partition(_ name: String, _ pid: Int32) -> PartitionImage? {
        controller.image.topic(named: name)?.partitions[pid]
    }
}

@Suite("KRaft quorum controller")
struct QuorumControllerTests {
    @Test("a registered broker stays fenced until it has replayed its own registration") func unfenceWhenCaughtUp() {
        var h = Harness(brokers: [])
        let r = h.controller.registerBroker(
            BrokerRegistrationInput(brokerId: 1, incarnationId: UUIDValue(bytes: Array(repeating: 1, count: 16))),
            logEndOffset: 5, now: h.now)
        #expect(r.response.errorCode == .noError && r.response.brokerEpoch == 5)
        #expect(h.controller.image.brokers[1]?.fenced == true)
        let behind = h.controller.heartbeat(
            BrokerHeartbeatInput(brokerId: 1, brokerEpoch: 5, currentMetadataOffset: 4), now: h.now)
        #expect(behind.records.isEmpty && behind.response.isFenced && !behind.response.isCaughtUp)
        let caughtUp = h.controller.heartbeat(
            BrokerHeartbeatInput(brokerId: 1, brokerEpoch: 5, currentMetadataOffset: 5), now: h.now)
        #expect(!caughtUp.response.isFenced && caughtUp.response.isCaughtUp)
        #expect(
            caughtUp.records == [
                .brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: 1, brokerEpoch: 5, fenced: -1))
            ])
    }

    @Test("a heartbeat naming an old broker epoch gets STALE_BROKER_EPOCH") func staleHeartbeat() {
        var h = Harness(brokers: [1])
        let r = h.controller.heartbeat(
            BrokerHeartbeatInput(brokerId: 1, brokerEpoch: 99, currentMetadataOffset: 9), now: h.now)
        #expect(r.response.errorCode == .staleBrokerEpoch && r.records.isEmpty)
    }

    @Test("a broker id held by a live session of another incarnation is refused, and free after the session expires")
    func duplicateRegistration() {
        var h = Harness(brokers: [1, 2])
        let other = BrokerRegistrationInput(
            brokerId: 1, incarnationId: UUIDValue(bytes: Array(repeating: 77, count: 16)))
        let refused = h.controller.registerBroker(other, logEndOffset: h.logEndOffset, now: h.now)
        #expect(refused.response.errorCode == .duplicateBrokerRegistration && refused.records.isEmpty)
        h.advance(9_001)
        let accepted = h.controller.registerBroker(other, logEndOffset: h.logEndOffset, now: h.now)
        #expect(accepted.response.errorCode == .noError)
    }

    @Test("the leader moves when its broker is fenced after broker.session.timeout.ms without heartbeats")
    func leaderMovesOnFence() throws {
        var h = Harness(brokers: [1, 2, 3])
        h.createTopic("t", rf: 3, assignments: [0: [1, 2, 3]])
        #expect(h.partition("t", 0)?.leader == 1)
        h.advance(5_000)
        h.heartbeat(2)
        h.heartbeat(3)
        #expect(h.controller.tick(now: h.now).isEmpty)
        h.advance(4_001)  // broker 1 silent for 9,001 ms
        let p = try #require(h.partition("t", 0))
        #expect(p.leader == 2 && p.isr == [2, 3] && p.leaderEpoch == 1 && p.partitionEpoch == 1)
        #expect(h.controller.image.brokers[1]?.fenced == true)
        #expect(h.controller.image.brokers[2]?.fenced == false)
        // The partition change comes before the fence, as in Kafka's handleBrokerFenced.
        #expect(h.log.suffix(2).map(\.type) == [.partitionChange, .brokerRegistrationChange])
    }

    @Test("fencing a follower shrinks the ISR under the same leader and bumps the leader epoch")
    func followerFenceBumpsLeaderEpoch() throws {
        var h = Harness(brokers: [1, 2, 3])
        h.createTopic("t", rf: 3, assignments: [0: [1, 2, 3]])
        h.advance(5_000)
        h.heartbeat(1)
        h.heartbeat(2)
        h.advance(4_001)  // broker 3 silent for 9,001 ms
        let p = try #require(h.partition("t", 0))
        // The new epoch is how the leader learns its smaller ISR and the partition epoch its next AlterPartition names.
        #expect(p.leader == 1 && p.isr == [1, 2] && p.leaderEpoch == 1 && p.partitionEpoch == 1)
    }

    @Test("the last ISR member stays in the ISR when fenced, and the partition has no leader until it returns")
    func lastIsrMember() throws {
        var h = Harness(brokers: [1, 2])
        h.createTopic("t", rf: 1, assignments: [0: [1]])
        h.advance(5_000)
        h.heartbeat(2)
        h.advance(4_001)
        var p = try #require(h.partition("t", 0))
        #expect(p.leader == -1 && p.isr == [1])
        h.heartbeat(2)
        // Broker 1 restarts: a new registration, caught up, unfenced, and elected again.
        h.startBroker(1, incarnation: 9)
        p = try #require(h.partition("t", 0))
        #expect(p.leader == 1 && p.leaderEpoch == 2)
    }

    @Test("controlled shutdown moves leaders off the broker, then lets it shut down") func controlledShutdown() throws {
        var h = Harness(brokers: [1, 2, 3])
        h.createTopic("t", partitions: 3, rf: 2, assignments: [0: [1, 2], 1: [2, 3], 2: [3, 1]])
        let reply = h.heartbeat(1, wantShutDown: true)
        #expect(reply.shouldShutDown && !reply.isFenced)
        #expect(h.controller.image.brokers[1]?.inControlledShutdown == true)
        #expect(h.partition("t", 0)?.leader == 2 && h.partition("t", 0)?.isr == [2])
        #expect(h.partition("t", 2)?.leader == 3 && h.partition("t", 2)?.isr == [3])
        #expect(h.partition("t", 1)?.partitionEpoch == 0)  // untouched
        // A broker in controlled shutdown is not placed on new topics.
        let created = h.createTopic("u", partitions: 4, rf: 2)
        #expect(created.errorCode == .noError)
        let hosts = Set(h.controller.image.topic(named: "u")!.partitions.values.flatMap(\.replicas))
        #expect(!hosts.contains(1))
    }

    @Test("a stale AlterPartition gets FENCED_LEADER_EPOCH or INVALID_UPDATE_VERSION, as in Kafka")
    func staleAlterPartition()
        throws
    {
        var h = Harness(brokers: [1, 2, 3])
        let t = h.createTopic("t", rf: 3, assignments: [0: [1, 2, 3]])
        let epoch1 = h.epochs[1]!
        func alter(_ leaderEpoch: Int32, _ partitionEpoch: Int32, isr: [Int32] = [1, 2]) -> AlterPartitionResult {
            let r = h.controller.alterPartition(
                brokerId: 1, brokerEpoch: epoch1,
                partitions: [
                    AlterPartitionInput(
                        topicId: t.topicId, partitionId: 0, leaderEpoch: leaderEpoch, newIsr: isr,
                        partitionEpoch: partitionEpoch)
                ])
            h.commit(r.records)
            return r.response
        }
        let ok = alter(0, 0)
        #expect(ok.partitions[0].errorCode == .noError)
        #expect(
            ok.partitions[0].isr == [1, 2] && ok.partitions[0].partitionEpoch == 1 && ok.partitions[0].leaderEpoch == 0)
        #expect(alter(0, 0, isr: [1, 2, 3]).partitions[0].errorCode == .invalidUpdateVersion)
        #expect(alter(-1, 1).partitions[0].errorCode == .fencedLeaderEpoch)
        #expect(alter(0, 1, isr: [2, 3]).partitions[0].errorCode == .invalidRequest)  // drops the leader
        #expect(alter(0, 1, isr: [1, 4]).partitions[0].errorCode == .invalidRequest)  // not a replica
        #expect(h.partition("t", 0)?.partitionEpoch == 1)
        let stale = h.controller.alterPartition(brokerId: 1, brokerEpoch: epoch1 - 1, partitions: [])
        #expect(stale.response.errorCode == .staleBrokerEpoch)
        let unknown = h.controller.alterPartition(
            brokerId: 1, brokerEpoch: epoch1,
            partitions: [.init(topicId: .zero, partitionId: 0, leaderEpoch: 0, newIsr: [1], partitionEpoch: 1)])
        #expect(unknown.response.partitions[0].errorCode == .unknownTopicId)
    }

    @Test("an ISR expansion to a fenced broker gets INELIGIBLE_REPLICA") func ineligibleReplica() throws {
        var h = Harness(brokers: [1, 2, 3])
        let t = h.createTopic("t", rf: 3, assignments: [0: [1, 2, 3]])
        let shrink = h.controller.alterPartition(
            brokerId: 1, brokerEpoch: h.epochs[1]!,
            partitions: [.init(topicId: t.topicId, partitionId: 0, leaderEpoch: 0, newIsr: [1, 2], partitionEpoch: 0)])
        h.commit(shrink.records)
        h.advance(5_000)
        h.heartbeat(1)
        h.heartbeat(2)
        h.advance(4_001)  // broker 3 fenced
        let grow = h.controller.alterPartition(
            brokerId: 1, brokerEpoch: h.epochs[1]!,
            partitions: [
                .init(topicId: t.topicId, partitionId: 0, leaderEpoch: 0, newIsr: [1, 2, 3], partitionEpoch: 1)
            ])
        #expect(grow.response.partitions[0].errorCode == .ineligibleReplica && grow.records.isEmpty)
        let old = h.controller.alterPartition(
            brokerId: 1, brokerEpoch: h.epochs[1]!,
            partitions: [
                .init(topicId: t.topicId, partitionId: 0, leaderEpoch: 0, newIsr: [1, 2, 3], partitionEpoch: 1)
            ],
            requestVersion: 0)
        #expect(old.response.partitions[0].errorCode == .operationNotAttempted)
    }

    @Test("producer id blocks never overlap, across brokers and controller failover") func producerIdBlocks() throws {
        var h = Harness(brokers: [1, 2])
        var blocks: [ClosedRange<Int64>] = []
        for i in 0..<6 {
            let id: Int32 = i % 2 == 0 ? 1 : 2
            let r = h.controller.allocateProducerIds(brokerId: id, brokerEpoch: h.epochs[id]!)
            h.commit(r.records)
            #expect(r.response.errorCode == .noError && r.response.length == 1000)
            blocks.append(r.response.start...(r.response.start + Int64(r.response.length) - 1))
        }
        // A new active controller continues from the committed image.
        var image = MetadataImage()
        try image.apply(h.log)
        var successor = QuorumController(image: image, now: h.now)
        let next = successor.allocateProducerIds(brokerId: 1, brokerEpoch: h.epochs[1]!)
        blocks.append(next.response.start...(next.response.start + 999))
        #expect(blocks.first == 0...999)
        for (i, a) in blocks.enumerated() {
            for b in blocks[(i + 1)...] { #expect(!a.overlaps(b)) }
        }
        #expect(h.controller.allocateProducerIds(brokerId: 1, brokerEpoch: 999).response.errorCode == .staleBrokerEpoch)
    }

    @Test("topics are placed over active brokers with Kafka's validation errors") func createTopics() throws {
        var h = Harness(brokers: [1, 2, 3])
        let ok = h.createTopic("orders", partitions: 6, rf: 2)
        #expect(ok.errorCode == .noError && ok.numPartitions == 6 && ok.replicationFactor == 2)
        let topic = try #require(h.controller.image.topic(named: "orders"))
        #expect(topic.partitions.count == 6)
        for p in topic.partitions.values {
            #expect(p.replicas.count == 2 && Set(p.replicas).count == 2)
            #expect(p.isr == p.replicas && p.leader == p.replicas[0] && p.leaderEpoch == 0 && p.partitionEpoch == 0)
        }
        // Leaders spread evenly, as assignReplicasToBrokers does.
        let leaders = Dictionary(grouping: topic.partitions.values, by: \.leader).mapValues(\.count)
        #expect(leaders.values.allSatisfy { $0 == 2 })
        #expect(h.createTopic("orders").errorCode == .topicAlreadyExists)
        #expect(h.createTopic("big", rf: 4).errorCode == .invalidReplicationFactor)
        #expect(h.createTopic("bad/name").errorCode == .invalidTopicException)
        #expect(h.createTopic("zero", partitions: 0).errorCode == .invalidPartitions)
        #expect(
            h.createTopic("gap", partitions: -1, rf: -1, assignments: [0: [1], 2: [2]]).errorCode
                == .invalidReplicaAssignment)
        #expect(
            h.createTopic("ghost", partitions: -1, rf: -1, assignments: [0: [9]]).errorCode == .invalidReplicaAssignment
        )
        let mixed = h.controller.createTopics(
            [CreateTopicInput(name: "mixed", numPartitions: 2, assignments: [0: [1]])], using: &h.rng)
        #expect(mixed.response[0].errorCode == .invalidRequest && mixed.records.isEmpty)
        let topicRecords = h.log.filter { $0.type == .topic }
        #expect(topicRecords.count == 1)
    }

    @Test("deleting a topic writes one RemoveTopicRecord; unknown topics get UNKNOWN_TOPIC_OR_PARTITION")
    func deleteTopics() {
        var h = Harness(brokers: [1])
        h.createTopic("a", rf: 1)
        let r = h.controller.deleteTopics(["a", "nope"])
        #expect(r.records.map(\.type) == [.removeTopic])
        #expect(r.response.map(\.errorCode) == [.noError, .unknownTopicOrPartition])
        #expect(h.controller.image.topic(named: "a") == nil)
    }

    @Test("adding partitions continues the numbering; a decrease gets INVALID_PARTITIONS") func createPartitions() {
        var h = Harness(brokers: [1, 2, 3])
        h.createTopic("a", partitions: 2, rf: 2)
        let r = h.controller.createPartitions(topic: "a", count: 5)
        h.commit(r.records)
        #expect(r.response.errorCode == .noError)
        #expect(h.controller.image.topic(named: "a")?.partitions.keys.sorted() == [0, 1, 2, 3, 4])
        #expect(h.controller.image.topic(named: "a")?.partitions.values.allSatisfy { $0.replicas.count == 2 } == true)
        #expect(h.controller.createPartitions(topic: "a", count: 3).response.errorCode == .invalidPartitions)
        #expect(h.controller.createPartitions(topic: "b", count: 3).response.errorCode == .unknownTopicOrPartition)
        let manual = h.controller.createPartitions(topic: "a", count: 6, assignments: [[3, 1]])
        #expect(
            manual.response.errorCode == .noError
                && h.controller.image.topic(named: "a")?.partitions[5]?.replicas == [3, 1])
    }

    @Test("incremental config changes write one ConfigRecord per changed key") func configs() {
        var h = Harness(brokers: [1])
        h.createTopic("a", rf: 1)
        let r = h.controller.incrementalAlterConfigs(
            resource: .topic("a"),
            operations: [
                .init(name: "retention.ms", kind: .set, value: "1000"),
                .init(name: "cleanup.policy", kind: .append, value: "compact"),
                .init(name: "segment.ms", kind: .delete, value: nil),
            ])
        #expect(r.records.count == 2)
        #expect(h.controller.image.configs[.topic("a")] == ["retention.ms": "1000", "cleanup.policy": "compact"])
        let sub = h.controller.incrementalAlterConfigs(
            resource: .topic("a"), operations: [.init(name: "cleanup.policy", kind: .subtract, value: "compact")])
        #expect(sub.records.count == 1)
        #expect(h.controller.image.configs[.topic("a")] == ["retention.ms": "1000", "cleanup.policy": ""])
        #expect(
            h.controller.incrementalAlterConfigs(resource: .topic("nope"), operations: []).response.errorCode
                == .unknownTopicOrPartition)
    }

    @Test("replaying the controller's records from an empty image gives the controller's image") func replayMatches()
        throws
    {
        var h = Harness(brokers: [1, 2, 3])
        h.createTopic("a", partitions: 3, rf: 3)
        h.heartbeat(2, wantShutDown: true)
        h.advance(9_001)
        var image = MetadataImage()
        try image.apply(h.log)
        #expect(image == h.controller.image)
        // And a standby following the log decides the same next time.
        var standby = QuorumController(now: h.now)
        for (offset, record) in h.log.enumerated() { try standby.replay(record, offset: Int64(offset), now: h.now) }
        #expect(standby.image == h.controller.image)
    }
}
