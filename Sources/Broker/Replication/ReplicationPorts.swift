import KafkaConfig
import KafkaProtocol
import LogStorage
import Replication

import struct KafkaClient.BrokerAddress
import class KafkaClient.BrokerConnection

/// The `LeaderConnector` port over the inter-broker client: follower fetches go out as Fetch v12 with the
/// replica id (in a fetch session), leader offsets as ListOffsets v4 from a replica.
struct ClientLeaderConnector: LeaderConnector {
    func connect(to source: FetchSource, clientId: String, connectTimeoutMs: Int, requestTimeoutMs: Int) async throws
        -> any LeaderConnection
    {
        let connection = try await BrokerConnection.connect(
            to: BrokerAddress(host: source.host, port: source.port), clientId: clientId,
            connectTimeoutMs: connectTimeoutMs, requestTimeoutMs: requestTimeoutMs,
            security: InterBrokerSecurity.current.value)
        return ClientLeaderConnection(connection: connection)
    }
}

struct ClientLeaderConnection: LeaderConnection {
    let connection: BrokerConnection

    var isActive: Bool { connection.isActive }

    func fetch(_ request: FollowerFetchRequest) async throws -> FollowerFetchResponse {
        let response = try await connection.send(Self.wireRequest(request), version: 12)
        return Self.domainResponse(response)
    }

    func leaderOffset(
        _ tp: TopicPartition, replicaId: Int32, currentLeaderEpoch: Int32, _ position: LeaderOffsetPosition
    ) async throws -> Int64? {
        let request = ListOffsetsRequest(
            replicaId: replicaId, isolationLevel: 0,
            topics: [
                .init(
                    name: tp.topic,
                    partitions: [
                        .init(
                            partitionIndex: tp.partition, currentLeaderEpoch: currentLeaderEpoch,
                            timestamp: position == .latest ? -1 : -2)
                    ])
            ])
        let response = try await connection.send(request, version: 4)
        guard let p = response.topics.first?.partitions.first, p.errorCode == 0 else { return nil }
        return p.offset
    }

    func close() async { await connection.close() }

    /// Fetch v12 as a replica: read_uncommitted, one topic entry per topic (sorted), with the follower's KIP-227
    /// session id, epoch and forgotten partitions.
    static func wireRequest(_ fetch: FollowerFetchRequest) -> FetchRequest {
        var byTopic: [String: [FetchRequest.FetchPartition]] = [:]
        for p in fetch.partitions {
            byTopic[p.topicPartition.topic, default: []].append(
                FetchRequest.FetchPartition(
                    partition: p.topicPartition.partition, currentLeaderEpoch: p.currentLeaderEpoch,
                    fetchOffset: p.fetchOffset, lastFetchedEpoch: p.lastFetchedEpoch, logStartOffset: p.logStartOffset,
                    partitionMaxBytes: p.maxBytes))
        }
        var request = FetchRequest()
        request.replicaId = fetch.replicaId
        request.maxWaitMs = fetch.maxWaitMs
        request.minBytes = fetch.minBytes
        request.maxBytes = fetch.maxBytes
        request.isolationLevel = 0
        request.sessionId = fetch.sessionId
        request.sessionEpoch = fetch.sessionEpoch
        request.topics = byTopic.keys.sorted().map { FetchRequest.FetchTopic(topic: $0, partitions: byTopic[$0] ?? []) }
        var forgotten: [String: [Int32]] = [:]
        for tp in fetch.forgotten { forgotten[tp.topic, default: []].append(tp.partition) }
        request.forgottenTopicsData = forgotten.keys.sorted().map {
            FetchRequest.ForgottenTopic(topic: $0, partitions: forgotten[$0] ?? [])
        }
        return request
    }

    static func domainResponse(_ response: FetchResponse) -> FollowerFetchResponse {
        var partitions: [FollowerFetchResponse.Partition] = []
        for topic in response.responses {
            for p in topic.partitions {
                let outcome: FollowerFetchResponse.Partition.Outcome
                switch ErrorCode(rawValue: p.errorCode) ?? .unknownServerError {
                case .noError: outcome = .noError
                case .offsetOutOfRange: outcome = .offsetOutOfRange
                default: outcome = .otherError(code: p.errorCode)
                }
                var records: [UInt8] = []
                if case .bytes(let bytes) = p.records { records = bytes }
                partitions.append(
                    FollowerFetchResponse.Partition(
                        topicPartition: TopicPartition(topic: topic.topic, partition: p.partitionIndex),
                        outcome: outcome, highWatermark: p.highWatermark, logStartOffset: p.logStartOffset,
                        records: records,
                        divergingEpoch: p.divergingEpoch.isDefault
                            ? nil : (p.divergingEpoch.epoch, p.divergingEpoch.endOffset)))
            }
        }
        return FollowerFetchResponse(
            errorCode: response.errorCode, sessionId: response.sessionId, partitions: partitions)
    }
}

/// The `LiveBrokers` port over the metadata cache: a broker is alive while UpdateMetadata lists it; leaders are
/// reached on `inter.broker.listener.name`.
struct MetadataLiveBrokers: LiveBrokers {
    let metadata: MetadataCache
    let config: @Sendable () -> BrokerConfig

    func isAlive(_ broker: Int32) -> Bool { metadata.isAlive(broker) }

    func interBrokerAddress(of broker: Int32) -> (host: String, port: Int)? {
        guard let address = metadata.address(of: broker, on: config().interBrokerListenerName) else { return nil }
        return (address.host, Int(address.port))
    }
}
