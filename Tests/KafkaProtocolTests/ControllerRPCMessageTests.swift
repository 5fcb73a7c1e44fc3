import Testing

@testable import KafkaProtocol

/// The KRaft controller RPCs a broker sends to the active controller (KIP-631, KIP-497/841/903): every version
/// round-trips fully populated values, and fields outside their versions are neither written nor read.
@Suite("KRaft controller RPC messages")
struct ControllerRPCMessageTests {
    static let incarnation = UUIDValue(bytes: Array(repeating: 7, count: 16))

    @Test("BrokerRegistration round-trips at versions 0-4") func brokerRegistration() throws {
        let request = BrokerRegistrationRequest(
            brokerId: 2, clusterId: "cid", incarnationId: Self.incarnation,
            listeners: [.init(name: "PLAINTEXT", host: "kraft-2", port: 9092, securityProtocol: 0)],
            features: [.init(name: "metadata.version", minSupportedVersion: 1, maxSupportedVersion: 21)],
            rack: "r1", isMigratingZkBroker: false, logDirs: [sampleTopicId], previousBrokerEpoch: 42)
        try expectRoundTrips(request, versions: BrokerRegistrationRequest.versions)
        try expectRoundTrips(
            BrokerRegistrationResponse(errorCode: 0, brokerEpoch: 17), versions: BrokerRegistrationRequest.versions)
        #expect(BrokerRegistrationRequest.apiKey.rawValue == 62 && BrokerRegistrationRequest.versions == 0...4)
        // v0 carries neither the log directories nor the previous epoch.
        let v0 = try BrokerRegistrationRequest(decoding: request.encoded(version: 0), version: 0)
        #expect(v0.logDirs.isEmpty && v0.previousBrokerEpoch == -1 && v0.rack == "r1")
    }

    @Test("BrokerHeartbeat round-trips at versions 0-1") func brokerHeartbeat() throws {
        let request = BrokerHeartbeatRequest(
            brokerId: 3, brokerEpoch: 17, currentMetadataOffset: 99, wantFence: false, wantShutDown: true,
            offlineLogDirs: [sampleTopicId])
        try expectRoundTrips(request, versions: BrokerHeartbeatRequest.versions)
        try expectRoundTrips(
            BrokerHeartbeatResponse(errorCode: 0, isCaughtUp: true, isFenced: false, shouldShutDown: true),
            versions: BrokerHeartbeatRequest.versions)
        #expect(BrokerHeartbeatRequest.apiKey.rawValue == 63 && BrokerHeartbeatRequest.versions == 0...1)
        #expect(BrokerHeartbeatResponse().isFenced, "a broker is fenced unless the controller says otherwise")
    }

    @Test("AlterPartition round-trips at versions 0-3, names before v2 and ids from v2") func alterPartition() throws {
        for version: Int16 in 0...3 {
            let request = AlterPartitionRequest(
                brokerId: 1, brokerEpoch: 12,
                topics: [
                    .init(
                        topicName: version < 2 ? "orders" : "", topicId: version >= 2 ? sampleTopicId : .zero,
                        partitions: [
                            .init(
                                partitionIndex: 4, leaderEpoch: 3, newIsr: version <= 2 ? [1, 2] : [],
                                newIsrWithEpochs: version >= 3 ? [.init(brokerId: 1, brokerEpoch: 12)] : [],
                                leaderRecoveryState: version >= 1 ? 1 : 0, partitionEpoch: 8)
                        ])
                ])
            try expectRoundTrips(request, versions: version...version)
            let response = AlterPartitionResponse(
                errorCode: 0,
                topics: [
                    .init(
                        topicName: version < 2 ? "orders" : "", topicId: version >= 2 ? sampleTopicId : .zero,
                        partitions: [
                            .init(
                                partitionIndex: 4, errorCode: 107, leaderId: 1, leaderEpoch: 3, isr: [1, 2],
                                leaderRecoveryState: version >= 1 ? 1 : 0, partitionEpoch: 9)
                        ])
                ])
            try expectRoundTrips(response, versions: version...version)
        }
        #expect(AlterPartitionRequest.apiKey.rawValue == 56 && AlterPartitionRequest.versions == 0...3)
    }
}
