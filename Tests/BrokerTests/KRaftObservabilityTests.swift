import KRaft
import KafkaProtocol
import MetadataImage
import Observability
import Testing

@testable import Broker

@Suite("KRaft metrics")
struct KRaftObservabilityTests {
    @Test("a lone voter that elected itself reads as leader, voting for itself, with a known high watermark")
    func leaderReading() {
        var node = RaftNode(
            id: 1, voters: [1], log: InMemoryRaftLog(), persisted: nil, now: 0, seed: 7)
        var now: Int64 = 0
        while !node.isLeader, now < 60_000 {
            now += 100
            _ = node.tick(now: now)
        }
        #expect(node.isLeader)
        let reading = RaftMetricsReading(node)
        #expect(reading.state == "leader")
        #expect(reading.leader == 1)
        #expect(reading.vote == 1)
        #expect(reading.epoch == node.epoch && reading.epoch >= 1)
        #expect(reading.logEndOffset == node.log.endOffset)
        #expect(reading.highWatermark == (node.highWatermark ?? -1))
        #expect(reading.voters == 1)
    }

    @Test("a restarted follower names its leader and vote, and an unknown high watermark as -1")
    func followerReading() {
        let node = RaftNode(
            id: 2, voters: [1, 2, 3], log: InMemoryRaftLog(),
            persisted: ElectionState(epoch: 5, leaderId: 1, votedId: 1, voters: [1, 2, 3]), now: 0, seed: 7)
        let reading = RaftMetricsReading(node)
        #expect(reading.state == "follower")
        #expect(reading.leader == 1)
        #expect(reading.vote == 1)
        #expect(reading.epoch == 5)
        #expect(reading.highWatermark == -1)
        #expect(reading.voters == 3)
    }

    @Test("a voter with no vote and no leader reads as unattached with -1 for both")
    func unattachedReading() {
        let node = RaftNode(id: 3, voters: [1, 2, 3], log: InMemoryRaftLog(), persisted: nil, now: 0, seed: 7)
        let reading = RaftMetricsReading(node)
        #expect(reading.state == "unattached")
        #expect(reading.leader == -1)
        #expect(reading.vote == -1)
    }

    @Test("a broker-only node reads as an observer and exports no controller gauges")
    func observer() {
        let node = RaftNode(
            id: 4, voters: [1, 2, 3], log: InMemoryRaftLog(),
            persisted: ElectionState(epoch: 5, leaderId: 1, voters: [1, 2, 3]), now: 0, seed: 7)
        let reading = RaftMetricsReading(node)
        #expect(reading.state == "observer")
        #expect(reading.leader == 1)
        var out = MetricsText()
        KRaftObservation.write(raft: reading, appliedOffset: 10, committedOffset: nil, brokers: nil, into: &out)
        #expect(out.text.contains("kafka_server_raftmetrics_current_state{current_state=\"observer\"} 1\n"))
        #expect(out.text.contains("kafka_server_brokermetadatametrics_last_applied_record_offset 9\n"))
        #expect(!out.text.contains("kafka_controller_"))
    }

    @Test("only the active controller exports the broker counts; every node its quorum and metadata offsets")
    func families() {
        let node = RaftNode(
            id: 2, voters: [1, 2, 3], log: InMemoryRaftLog(),
            persisted: ElectionState(epoch: 5, leaderId: 1, votedId: 1, voters: [1, 2, 3]), now: 0, seed: 7)
        var standby = MetricsText()
        KRaftObservation.write(
            raft: RaftMetricsReading(node), appliedOffset: 41, committedOffset: 42, brokers: nil, into: &standby)
        #expect(standby.text.contains("kafka_server_raftmetrics_current_state{current_state=\"follower\"} 1\n"))
        #expect(standby.text.contains("# TYPE kafka_server_raftmetrics_current_state untyped\n"))
        #expect(standby.text.contains("kafka_server_raftmetrics_current_leader 1\n"))
        #expect(standby.text.contains("kafka_server_raftmetrics_high_watermark -1\n"))
        #expect(standby.text.contains("kafka_server_brokermetadatametrics_last_applied_record_offset 40\n"))
        #expect(standby.text.contains("kafka_controller_kafkacontroller_lastcommittedrecordoffset 41\n"))
        #expect(!standby.text.contains("activebrokercount"))

        var image = MetadataImage()
        for (id, fenced) in [(1, false), (2, true), (3, false)] as [(Int32, Bool)] {
            image.brokers[id] = BrokerRegistration(id: id, epoch: 1, incarnationId: UUIDValue.zero, fenced: fenced)
        }
        var active = MetricsText()
        KRaftObservation.write(
            raft: RaftMetricsReading(node), appliedOffset: 41, committedOffset: 42,
            brokers: KRaftBrokerCounts(image), into: &active)
        #expect(active.text.contains("kafka_controller_kafkacontroller_activebrokercount 2\n"))
        #expect(active.text.contains("kafka_controller_kafkacontroller_fencedbrokercount 1\n"))
    }
}
