import KRaft
import KafkaClient
import KafkaProtocol
import Logging
import NIOCore

/// The client side of the quorum RPCs: one ``RaftPeer`` per other voter. `send` never waits: the message is handed
/// to the peer's task and the answer comes back through ``RaftDriver/receive(response:from:)``. A message that
/// cannot be sent is dropped; the node's own timers resend (Raft tolerates lost messages).
final class RaftPeers: Sendable {
    private let peers: [ReplicaID: RaftPeer]

    init(
        voters: [VoterEndpoint], localId: ReplicaID, driver: RaftDriver, config: QuorumConfig,
        leaderEndpoint: (name: String, host: String, port: Int)?, group: any EventLoopGroup, logger: Logger
    ) {
        var peers: [ReplicaID: RaftPeer] = [:]
        for voter in voters where voter.id != localId {
            peers[voter.id] = RaftPeer(
                id: voter.id, address: BrokerAddress(host: voter.host, port: voter.port), localId: localId,
                driver: driver, config: config, leaderEndpoint: leaderEndpoint, group: group, logger: logger)
        }
        self.peers = peers
    }

    /// The client id of quorum connections (Kafka's `raft-client-<id>`).
    static let clientIdPrefix = "raft-client-"

    func send(_ message: RaftMessage, to voter: ReplicaID) {
        guard let peer = peers[voter] else { return }
        Task { await peer.send(message) }
    }

    func close() async {
        for peer in peers.values { await peer.close() }
    }
}

/// One other voter: two connections (Fetch and FetchSnapshot on one, the election RPCs on the other, so a Fetch the
/// leader parks never delays a Vote), opened on first use and again after a failure, not before a back-off that
/// doubles from `controller.quorum.retry.backoff.ms` up to one second. Requests for the active controller travel on
/// the node's ``ControllerLink``, not here.
actor RaftPeer {
    enum Lane: Hashable {
        case replication
        case election
    }

    let id: ReplicaID
    let address: BrokerAddress
    let localId: ReplicaID
    let driver: RaftDriver
    let config: QuorumConfig
    let leaderEndpoint: (name: String, host: String, port: Int)?
    let group: any EventLoopGroup
    let logger: Logger
    private var connections: [Lane: BrokerConnection] = [:]
    private var connecting: [Lane: Task<BrokerConnection?, Never>] = [:]
    private var retryAt: [Lane: ContinuousClock.Instant] = [:]
    private var backoff: [Lane: Duration] = [:]
    private var closed = false

    init(
        id: ReplicaID, address: BrokerAddress, localId: ReplicaID, driver: RaftDriver, config: QuorumConfig,
        leaderEndpoint: (name: String, host: String, port: Int)?, group: any EventLoopGroup, logger: Logger
    ) {
        self.id = id
        self.address = address
        self.localId = localId
        self.driver = driver
        self.config = config
        self.leaderEndpoint = leaderEndpoint
        self.group = group
        self.logger = logger
    }

    func close() async {
        closed = true
        for task in connecting.values { task.cancel() }
        for connection in connections.values { await connection.close() }
        connections = [:]
    }

    /// The lane's open connection, or a new one unless the last attempt failed less than a back-off ago.
    private func connection(_ lane: Lane) async -> BrokerConnection? {
        if closed { return nil }
        if let c = connections[lane], c.isActive { return c }
        connections[lane] = nil
        if let task = connecting[lane] { return await task.value }
        if let at = retryAt[lane], ContinuousClock.now < at { return nil }
        let address = address
        let timeout = Int(config.requestTimeoutMs)
        let group = group
        let clientId = RaftPeers.clientIdPrefix + "\(localId.rawValue)"
        let task = Task<BrokerConnection?, Never> {
            try? await BrokerConnection.connect(
                to: address, clientId: clientId, connectTimeoutMs: timeout, requestTimeoutMs: timeout, group: group)
        }
        connecting[lane] = task
        let connection = await task.value
        connecting[lane] = nil
        if let connection {
            connections[lane] = connection
            backoff[lane] = nil
            retryAt[lane] = nil
        } else {
            failed(lane)
        }
        return connection
    }

    private func failed(_ lane: Lane) {
        let next = min(.seconds(1), (backoff[lane] ?? .milliseconds(config.retryBackoffMs / 2)) * 2)
        backoff[lane] = next
        retryAt[lane] = ContinuousClock.now + next
        if let c = connections.removeValue(forKey: lane) { Task { await c.close() } }
    }

    func send(_ message: RaftMessage) async {
        let lane: Lane
        switch message {
        case .fetchRequest, .fetchSnapshotRequest: lane = .replication
        default: lane = .election
        }
        guard let connection = await connection(lane) else { return }
        let clusterId = driver.clusterId
        do {
            let answer: RaftMessage
            switch message {
            case .voteRequest(let r):
                let w = try await connection.send(RaftWire.request(r, clusterId: clusterId, voterId: id))
                answer = .voteResponse(try RaftWire.decode(w, for: r))
            case .beginQuorumEpochRequest(let r):
                let w = try await connection.send(
                    RaftWire.request(r, clusterId: clusterId, voterId: id, leaderEndpoint: leaderEndpoint))
                answer = .beginQuorumEpochResponse(try RaftWire.decode(w))
            case .endQuorumEpochRequest(let r):
                let w = try await connection.send(
                    RaftWire.request(r, clusterId: clusterId, leaderEndpoint: leaderEndpoint))
                answer = .endQuorumEpochResponse(try RaftWire.decode(w))
            case .fetchRequest(let r):
                let version = try connection.version(for: KafkaProtocol.FetchRequest.self)
                let w = try await connection.send(
                    RaftWire.request(
                        r, clusterId: clusterId, version: version, maxWaitMs: Int32(config.fetchMaxWaitMs)),
                    version: version)
                answer = .fetchResponse(try RaftWire.decode(w, for: r))
            case .fetchSnapshotRequest(let r):
                answer = .fetchSnapshotResponse(try await fetchSnapshot(r, connection: connection))
            case .voteResponse, .beginQuorumEpochResponse, .endQuorumEpochResponse, .fetchResponse,
                .fetchSnapshotResponse:
                return
            }
            await driver.receive(response: answer, from: id)
        } catch let error as KafkaClientError {
            logger.debug("[RaftClient id=\(localId.rawValue)] \(message) to voter \(id.rawValue) failed: \(error)")
            failed(lane)
        } catch {
            logger.warning(
                "[RaftClient id=\(localId.rawValue)] Unusable answer from voter \(id.rawValue) at \(address): \(error)")
        }
    }

    /// Copies the leader's snapshot chunk by chunk (each answer names the total size) and hands it to the core
    /// whole, as ``FetchSnapshotResponse`` carries it.
    private func fetchSnapshot(_ r: KRaft.FetchSnapshotRequest, connection: BrokerConnection) async throws
        -> KRaft.FetchSnapshotResponse
    {
        var data: [UInt8] = []
        while true {
            let w = try await connection.send(
                RaftWire.request(r, clusterId: driver.clusterId, position: Int64(data.count)))
            switch try RaftWire.decode(w, for: r) {
            case .answer(let answer):
                return answer
            case .chunk(let position, let size, let bytes, let epoch, let leader):
                guard position == Int64(data.count) else {
                    throw RaftWire.Failure.corruptRecords("snapshot chunk at \(position), expected \(data.count)")
                }
                data += bytes
                if Int64(data.count) >= size {
                    return KRaft.FetchSnapshotResponse(
                        correlationId: r.correlationId, leaderEpoch: epoch, leaderId: leader,
                        snapshot: RaftSnapshot(id: r.snapshotId, data: data))
                }
                if bytes.isEmpty { throw RaftWire.Failure.corruptRecords("empty snapshot chunk before the end") }
            }
        }
    }
}
