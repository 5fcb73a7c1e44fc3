import Controller
import Coordination
import KafkaClient
import KafkaProtocol
import Logging
import NIOCore
import Synchronization

/// The broker's `ControllerChannel` (Kafka's `ControllerChannelManager`): one connection and one ordered queue per
/// target broker, itself included, to its endpoint on `inter.broker.listener.name`. A request is retried with
/// backoff (reconnecting as needed) until it is answered or the broker leaves; a broker that does not serve the
/// API at our version gets the request dropped (logged once per API).
final class ControllerChannelManager: ControllerChannel {
    private let queues = Mutex<[Int32: BrokerRequestQueue]>([:])
    private let controllerId: Int32
    private let listener: String
    private let requestTimeoutMs: Int
    private let group: any EventLoopGroup
    private let logger: Logger

    init(controllerId: Int32, listener: String, requestTimeoutMs: Int, group: any EventLoopGroup, logger: Logger) {
        self.controllerId = controllerId
        self.listener = listener
        self.requestTimeoutMs = requestTimeoutMs
        self.group = group
        self.logger = logger
    }

    func addBroker(_ broker: ControllerBroker) {
        let replaced: BrokerRequestQueue? = queues.withLock { queues in
            if let existing = queues[broker.id], existing.broker == broker { return nil }
            let old = queues[broker.id]
            queues[broker.id] = BrokerRequestQueue(
                broker: broker, listener: listener, clientId: "controller-\(controllerId)-to-broker-\(broker.id)",
                requestTimeoutMs: requestTimeoutMs, group: group, logger: logger)
            return old
        }
        replaced?.stop()
    }

    func removeBroker(_ id: Int32) {
        queues.withLock { $0.removeValue(forKey: id) }?.stop()
    }

    func send(
        _ request: ControllerRequest, to broker: Int32, completion: (@Sendable (ControllerResponse?) -> Void)?
    ) {
        guard let queue = queues.withLock({ $0[broker] }) else {
            completion?(nil)
            return
        }
        queue.enqueue(request, completion: completion)
    }

    func close() {
        for queue in takeAll() { queue.stop() }
    }

    /// Closes every queue and waits until their connections are closed (before the event loops shut down).
    func shutdown() async {
        for queue in takeAll() { await queue.stopAndWait() }
    }

    private func takeAll() -> [BrokerRequestQueue] {
        queues.withLock { queues in
            let all = Array(queues.values)
            queues = [:]
            return all
        }
    }
}

/// The ordered request queue to one broker, drained by one task.
final class BrokerRequestQueue: Sendable {
    struct Item: Sendable {
        var request: ControllerRequest
        var completion: (@Sendable (ControllerResponse?) -> Void)?
    }

    let broker: ControllerBroker
    private let sink: AsyncStream<Item>.Continuation
    private let stopped = Shared(false)
    private let connection = Shared<BrokerConnection?>(nil)
    private let drained = Shared<Task<Void, Never>?>(nil)

    init(
        broker: ControllerBroker, listener: String, clientId: String, requestTimeoutMs: Int, group: any EventLoopGroup,
        logger: Logger
    ) {
        self.broker = broker
        let (stream, sink) = AsyncStream.makeStream(of: Item.self)
        self.sink = sink
        let endpoint = broker.endpoint(on: listener)
        let loop = Task { [stopped, connection] in
            var backoffMs = 100
            var warnedUnsupported: Set<Int16> = []
            var warnedTLS = false
            for await item in stream {
                var delivered = false
                while !delivered && !stopped.value {
                    guard let endpoint else {
                        logger.error("broker \(broker.id) has no \(listener) endpoint; dropping controller request")
                        break
                    }
                    do {
                        let conn: BrokerConnection
                        if let open = connection.value, open.isActive {
                            conn = open
                        } else {
                            conn = try await BrokerConnection.connect(
                                to: BrokerAddress(host: endpoint.host ?? "127.0.0.1", port: Int(endpoint.port)),
                                clientId: clientId, connectTimeoutMs: min(requestTimeoutMs, 5000),
                                requestTimeoutMs: requestTimeoutMs, security: InterBrokerSecurity.current.value,
                                group: group)
                            connection.withLock { $0 = conn }
                            if stopped.value { await conn.close() }
                        }
                        guard Self.supports(conn, item.request) else {
                            if warnedUnsupported.insert(Self.apiKey(item.request)).inserted {
                                logger.warning(
                                    "broker \(broker.id) does not serve API \(Self.apiKey(item.request)) v\(item.request.version); dropping controller requests of that kind"
                                )
                            }
                            break
                        }
                        let response = try await Self.deliver(item.request, over: conn)
                        item.completion?(response)
                        delivered = true
                        backoffMs = 100
                        warnedTLS = false
                    } catch {
                        if stopped.value { break }
                        // A refused TLS handshake will not heal by retrying: say it once per failure streak.
                        if case KafkaClientError.brokerUnreachable(_, _, let reason) = error,
                            reason.hasPrefix("TLS"), !warnedTLS
                        {
                            warnedTLS = true
                            logger.warning("controller request to broker \(broker.id) failed: \(error); retrying")
                        } else {
                            logger.debug("controller request to broker \(broker.id) failed: \(error); retrying")
                        }
                        if let conn = connection.withLock({ c in
                            let old = c
                            c = nil
                            return old
                        }) {
                            await conn.close()
                        }
                        try? await Task.sleep(for: .milliseconds(backoffMs))
                        backoffMs = min(backoffMs * 2, 1000)
                    }
                }
                if !delivered { item.completion?(nil) }
            }
            if let conn = connection.value { await conn.close() }
        }
        drained.withLock { $0 = loop }
    }

    func enqueue(_ request: ControllerRequest, completion: (@Sendable (ControllerResponse?) -> Void)?) {
        if case .terminated = sink.yield(Item(request: request, completion: completion)) { completion?(nil) }
    }

    /// Stops, closes the connection and waits for the queue's task to finish.
    func stopAndWait() async {
        stopped.withLock { $0 = true }
        sink.finish()
        if let conn = connection.value { await conn.close() }
        await drained.value?.value
    }

    /// Stops delivering: queued requests complete with nil, an in-flight one is abandoned.
    func stop() {
        stopped.withLock { $0 = true }
        sink.finish()
        if let conn = connection.value {
            Task { await conn.close() }
        }
    }

    private static func apiKey(_ request: ControllerRequest) -> Int16 {
        switch request {
        case .leaderAndIsr: LeaderAndIsrRequest.apiKey.rawValue
        case .updateMetadata: UpdateMetadataRequest.apiKey.rawValue
        case .stopReplica: StopReplicaRequest.apiKey.rawValue
        }
    }

    private static func supports(_ conn: BrokerConnection, _ request: ControllerRequest) -> Bool {
        conn.brokerVersions[apiKey(request)]?.contains(request.version) ?? false
    }

    private static func deliver(_ request: ControllerRequest, over conn: BrokerConnection) async throws
        -> ControllerResponse
    {
        switch request {
        case .leaderAndIsr(let r): .leaderAndIsr(try await conn.send(r, version: request.version))
        case .updateMetadata(let r): .updateMetadata(try await conn.send(r, version: request.version))
        case .stopReplica(let r): .stopReplica(try await conn.send(r, version: request.version))
        }
    }
}
