import KafkaConfig
import KafkaProtocol
import Logging
import TransactionCoordinator

import struct KafkaClient.BrokerAddress
import class KafkaClient.BrokerConnection

/// The coordinator's `TransactionMarkerWriter` (Kafka's `TransactionMarkerChannelManager`): WriteTxnMarkers to each
/// partition's current leader on `inter.broker.listener.name`, one request per leader, retried with backoff until
/// every partition acknowledged. Leaders are looked up again on every round, so markers follow leader moves.
final class TransactionMarkerChannel: TransactionMarkerWriter {
    private let metadata: MetadataCache
    private let config: @Sendable () -> BrokerConfig
    private let logger: Logger
    private let connections: MarkerConnections

    init(brokerId: Int32, metadata: MetadataCache, config: @escaping @Sendable () -> BrokerConfig, logger: Logger) {
        self.metadata = metadata
        self.config = config
        self.logger = logger
        self.connections = MarkerConnections(clientId: "broker-\(brokerId)-txn-marker-sender")
    }

    func writeMarkers(_ request: TransactionMarkerRequest, stillCoordinator: @escaping @Sendable () async -> Bool)
        async -> Bool
    {
        var pending = Set(request.partitions)
        var round = 0
        while !pending.isEmpty {
            guard await stillCoordinator() else { return false }
            var byLeader: [Int32: [TxnTopicPartition]] = [:]
            for tp in pending {
                guard let topic = metadata.topic(tp.topic),
                    let leadership = topic.partitions.first(where: { $0.partition == tp.partition })
                else {
                    // Deleted topic or partition: nothing to mark (Kafka drops it the same way).
                    logger.info("Dropping marker of \(request.transactionalId) for deleted partition \(tp)")
                    pending.remove(tp)
                    continue
                }
                if leadership.leader >= 0 { byLeader[leadership.leader, default: []].append(tp) }
            }
            let settings = config()
            for (leader, tps) in byLeader {
                guard let address = metadata.address(of: leader, on: settings.interBrokerListenerName) else { continue }
                let outcome = await send(request, partitions: tps, to: leader, address: address, settings: settings)
                switch outcome {
                case .fenced:
                    return false
                case .done(let acknowledged):
                    pending.subtract(acknowledged)
                }
            }
            guard !pending.isEmpty else { break }
            round += 1
            try? await Task.sleep(for: .milliseconds(min(50 * round, 1000)))
        }
        return true
    }

    private enum Outcome {
        case done(Set<TxnTopicPartition>)
        /// A newer coordinator or producer epoch exists: stop, as Kafka's marker handler aborts sending.
        case fenced
    }

    private func send(
        _ request: TransactionMarkerRequest, partitions: [TxnTopicPartition], to leader: Int32,
        address: BrokerEndpoint.Address, settings: BrokerConfig
    ) async -> Outcome {
        var byTopic: [String: [Int32]] = [:]
        for tp in partitions { byTopic[tp.topic, default: []].append(tp.partition) }
        let wire = WriteTxnMarkersRequest(markers: [
            .init(
                producerId: request.producerId, producerEpoch: request.producerEpoch,
                transactionResult: request.commit,
                topics: byTopic.keys.sorted().map { .init(name: $0, partitionIndexes: byTopic[$0]!.sorted()) },
                coordinatorEpoch: request.coordinatorEpoch)
        ])
        let response: WriteTxnMarkersResponse
        do {
            response = try await connections.send(
                wire, version: 1, to: leader, address: BrokerAddress(host: address.host, port: Int(address.port)),
                timeoutMs: settings.requestTimeoutMs)
        } catch {
            logger.info("WriteTxnMarkers to broker \(leader) failed (\(error)); retrying")
            return .done([])
        }
        var acknowledged = Set<TxnTopicPartition>()
        for marker in response.markers {
            for topic in marker.topics {
                for p in topic.partitions {
                    let tp = TxnTopicPartition(topic: topic.name, partition: p.partitionIndex)
                    switch ErrorCode(rawValue: p.errorCode) ?? .unknownServerError {
                    case .noError:
                        acknowledged.insert(tp)
                    case .invalidProducerEpoch, .transactionCoordinatorFenced:
                        logger.warning(
                            "Marker of \(request.transactionalId) for \(tp) fenced by broker \(leader) (\(p.errorCode)); stopping"
                        )
                        return .fenced
                    default:
                        continue
                    }
                }
            }
        }
        return .done(acknowledged)
    }
}

/// One cached inter-broker connection per broker for marker and verification requests (requests pipeline on it).
actor MarkerConnections {
    private let clientId: String
    private var open: [Int32: BrokerConnection] = [:]

    init(clientId: String) { self.clientId = clientId }

    func connection(to broker: Int32, address: BrokerAddress, timeoutMs: Int) async throws -> BrokerConnection {
        if let c = open[broker], c.isActive, c.address == address { return c }
        let c = try await BrokerConnection.connect(
            to: address, clientId: clientId, connectTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs)
        if let old = open[broker] { await old.close() }
        open[broker] = c
        return c
    }

    func drop(_ broker: Int32) async {
        if let c = open.removeValue(forKey: broker) { await c.close() }
    }

    /// Sends one request to `broker` over its cached connection; a failed connection is dropped so the next call
    /// reconnects.
    func send<R: KafkaRequest>(
        _ request: R, version: Int16, to broker: Int32, address: BrokerAddress, timeoutMs: Int
    ) async throws -> R.Response {
        do {
            return try await connection(to: broker, address: address, timeoutMs: timeoutMs)
                .send(request, version: version)
        } catch {
            await drop(broker)
            throw error
        }
    }
}
