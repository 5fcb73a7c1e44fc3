import Foundation
import KafkaClient
import KafkaProtocol
import KafkaRecords
import Testing

/// A stand-in controller for checking replication by hand before the controller branch is merged: with two brokers
/// running (ids 1 and 2, addresses in NEEDLETAIL_REPLICATION_E2E="host:port,host:port") and a topic `rep` whose
/// partition 0 is assigned to [1, 2] (state znode at zkVersion 0), it sends UpdateMetadata and LeaderAndIsr
/// (leader 1, epoch 1) to both, produces with acks=all to broker 1, and checks broker 2 copied the data.
/// Skipped unless the variable is set.
@Suite("replication driver (manual)")
struct ReplicationDriverTests {
    static let addresses = ProcessInfo.processInfo.environment["NEEDLETAIL_REPLICATION_E2E"]
    /// Later rounds (after an ISR change): "epoch,zkVersion,isr…", e.g. "2,1,1".
    static let round = (ProcessInfo.processInfo.environment["NEEDLETAIL_REPLICATION_E2E_STATE"] ?? "1,0,1,2")
        .split(separator: ",").compactMap { Int32($0) }
    /// "leader;targets;acks", e.g. "2;2;1": broker 2 leads, only broker 2 gets the requests, produce with acks=1.
    static let plan = (ProcessInfo.processInfo.environment["NEEDLETAIL_REPLICATION_E2E_PLAN"] ?? "1;1,2;-1")
        .split(separator: ";").map(String.init)

    @Test(.enabled(if: addresses != nil))
    func twoBrokersReplicateAnAcksAllProduce() async throws {
        let list = try BrokerAddress.list(Self.addresses ?? "")
        try #require(list.count == 2)
        let b1 = try await BrokerConnection.connect(to: list[0], clientId: "driver", connectTimeoutMs: 5000, requestTimeoutMs: 30000)
        let b2 = try await BrokerConnection.connect(to: list[1], clientId: "driver", connectTimeoutMs: 5000, requestTimeoutMs: 30000)
        let create = CreateTopicsRequest(
            topics: [.init(name: "rep", numPartitions: -1, replicationFactor: -1, assignments: [.init(partitionIndex: 0, brokerIds: [1, 2])])],
            timeoutMs: 10_000)
        let created = try await b1.send(create, version: 4)
        print("CreateTopics: \(created.topics.map { ($0.name, $0.errorCode) })")
        let metadata = try await b1.send(MetadataRequest(topics: [.init(name: "rep")]), version: 12)
        let topicId = try #require(metadata.topics.first?.topicId)
        let brokers: [UpdateMetadataRequest.UpdateMetadataBroker] = list.enumerated().map { i, a in
            .init(id: Int32(i + 1), endpoints: [.init(port: Int32(a.port), host: a.host, listener: "PLAINTEXT", securityProtocol: 0)])
        }
        let leader = Int32(Self.plan[0]) ?? 1
        let targets = Self.plan[1].split(separator: ",").compactMap { Int($0) }
        let acks = Int16(Self.plan[2]) ?? -1
        let conns = [b1, b2]
        let leaderConn = conns[Int(leader) - 1]
        let followerConn = conns[2 - Int(leader)]
        let epoch = Self.round[0]
        let zkVersion = Self.round[1]
        let isr = Array(Self.round.dropFirst(2))
        let update = UpdateMetadataRequest(
            controllerId: 1, controllerEpoch: 100, brokerEpoch: -1,
            topicStates: [
                .init(
                    topicName: "rep", topicId: topicId,
                    partitionStates: [
                        .init(partitionIndex: 0, controllerEpoch: 100, leader: leader, leaderEpoch: epoch, isr: isr, zkVersion: zkVersion, replicas: [1, 2])
                    ])
            ], liveBrokers: brokers)
        let leaderAndIsr = LeaderAndIsrRequest(
            controllerId: 1, controllerEpoch: 100, brokerEpoch: -1,
            topicStates: [
                .init(
                    topicName: "rep", topicId: topicId,
                    partitionStates: [
                        .init(partitionIndex: 0, controllerEpoch: 100, leader: leader, leaderEpoch: epoch, isr: isr, partitionEpoch: zkVersion, replicas: [1, 2])
                    ])
            ],
            liveLeaders: [.init(brokerId: leader, hostName: list[Int(leader) - 1].host, port: Int32(list[Int(leader) - 1].port))])
        for b in targets.map({ conns[$0 - 1] }) {
            let l = try await b.send(leaderAndIsr, version: 5)
            #expect(l.errorCode == 0)
            #expect(l.topics.flatMap(\.partitionErrors).map(\.errorCode) == [0])
            let u = try await b.send(update, version: 7)
            #expect(u.errorCode == 0)
        }
        let started = ContinuousClock.now
        for round in 0..<20 {
            var builder = RecordBatchBuilder()
            builder.append(timestamp: 1_000, key: nil, value: Array("message \(round)".utf8))
            let produce = ProduceRequest(
                transactionalId: nil, acks: acks, timeoutMs: 10_000,
                topicData: [.init(name: "rep", partitionData: [.init(index: 0, records: try builder.build())])])
            let r = try await leaderConn.send(produce, version: 9)
            #expect(r.responses.first?.partitionResponses.first?.errorCode == 0)
        }
        print("20 acks=all produces took \(ContinuousClock.now - started)")
        // A consumer may not read from the follower.
        let fetch = FetchRequest(
            replicaId: -1, maxWaitMs: 0, minBytes: 0,
            topics: [.init(topic: "rep", partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)])])
        let fromFollower = try await followerConn.send(fetch, version: 11)
        #expect(fromFollower.responses.first?.partitions.first?.errorCode == ErrorCode.notLeaderOrFollower.rawValue)
        let fromLeader = try await leaderConn.send(fetch, version: 11)
        print("leader HW \(fromLeader.responses.first?.partitions.first?.highWatermark ?? -1)")
        #expect(fromLeader.responses.first?.partitions.first?.highWatermark ?? 0 >= 20)
        // The follower's copy: fetch from it as the leader would (replica 1) is refused, so compare log sizes.
        let dirs = try await followerConn.send(DescribeLogDirsRequest(topics: nil), version: 1)
        let size = dirs.results.flatMap(\.topics).filter { $0.name == "rep" }.flatMap(\.partitions).first?.partitionSize ?? 0
        print("follower partition size \(size)")
        #expect(size > 0)
        await b1.close()
        await b2.close()
    }
}
