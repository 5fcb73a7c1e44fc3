import KRaft
import KafkaClient
import KafkaProtocol
import Logging
import NIOCore

/// A broker's channel to the active KRaft controller (Kafka's `NodeToControllerChannelManager`): sends one request
/// to whichever voter leads the quorum now, as this node's Raft state knows it (leader id → the voter's endpoint in
/// `controller.quorum.voters`), and tries again — after `controller.quorum.retry.backoff.ms`, doubling — while there
/// is no leader, the leader cannot be reached, or the answer says it is not the controller (NOT_CONTROLLER after an
/// election the local state has not seen yet). The same path serves a combined node whose own controller is
/// active: it connects to its own controller listener, so every broker behaves alike.
///
/// One connection per voter, opened on first use and again after a failure; requests on it are pipelined.
actor ControllerLink {
    private let driver: RaftDriver
    private let voters: [Int32: BrokerAddress]
    private let clientId: String
    private let requestTimeoutMs: Int
    private let retryBackoffMs: Int
    private let group: any EventLoopGroup
    private let logger: Logger
    private var connections: [Int32: BrokerConnection] = [:]
    private var connecting: [Int32: Task<BrokerConnection?, Never>] = [:]
    private var closed = false

    init(
        driver: RaftDriver, voters: [VoterEndpoint], localId: Int32, requestTimeoutMs: Int, retryBackoffMs: Int,
        group: any EventLoopGroup, logger: Logger
    ) {
        self.driver = driver
        var byId: [Int32: BrokerAddress] = [:]
        for v in voters { byId[v.id.rawValue] = BrokerAddress(host: v.host, port: v.port) }
        self.voters = byId
        // Kafka's channel names itself after the broker and the purpose; the prefix differs from the quorum's own
        // `raft-client-` so the controller does not take these requests for quorum traffic.
        clientId = "broker-\(localId)-to-controller"
        self.requestTimeoutMs = requestTimeoutMs
        self.retryBackoffMs = max(1, retryBackoffMs)
        self.group = group
        self.logger = logger
    }

    /// Sends `request` to the active controller and returns its answer. Retries, until `timeoutMs` has passed,
    /// while no leader is known or reachable and while `isNotController` says the answer came from a node that is
    /// not (or no longer) the active controller. Throws `requestTimedOut` when the time is up and `notController`
    /// once the link is closed.
    nonisolated func send<R: KafkaRequest>(
        _ request: R, timeoutMs: Int? = nil, isNotController: @Sendable (R.Response) -> Bool = { _ in false }
    ) async throws(BrokerError) -> R.Response {
        let deadline = ContinuousClock.now + .milliseconds(timeoutMs ?? requestTimeoutMs)
        // Doubles from the retry back-off up to half a second, so a dead leader the local state still names is not
        // dialled in a tight loop until the quorum elects another.
        var backoff = retryBackoffMs
        while true {
            guard !Task.isCancelled else { throw .requestTimedOut }
            if let leader = await driver.leaderId, let connection = await connection(to: leader) {
                do {
                    let response = try await connection.send(request)
                    if !isNotController(response) { return response }
                } catch {
                    await failed(leader, connection)
                }
            }
            guard ContinuousClock.now < deadline else { throw .requestTimedOut }
            guard await !isClosed else { throw .notController }
            try? await Task.sleep(for: .milliseconds(backoff))
            backoff = min(500, backoff * 2)
        }
    }

    /// The id of the voter leading the quorum, as this node last learned it.
    nonisolated var activeControllerId: Int32? {
        get async { await driver.leaderId }
    }

    func close() async {
        closed = true
        for task in connecting.values { task.cancel() }
        for connection in connections.values { await connection.close() }
        connections = [:]
    }

    private var isClosed: Bool { closed }

    private func connection(to voter: Int32) async -> BrokerConnection? {
        if closed { return nil }
        if let c = connections[voter], c.isActive { return c }
        connections[voter] = nil
        if let task = connecting[voter] { return await task.value }
        guard let address = voters[voter] else { return nil }
        let clientId = clientId
        let timeout = requestTimeoutMs
        let group = group
        let task = Task<BrokerConnection?, Never> {
            try? await BrokerConnection.connect(
                to: address, clientId: clientId, connectTimeoutMs: timeout, requestTimeoutMs: timeout, group: group)
        }
        connecting[voter] = task
        let connection = await task.value
        connecting[voter] = nil
        if let connection { connections[voter] = connection }
        return connection
    }

    private func failed(_ voter: Int32, _ connection: BrokerConnection) async {
        if connections[voter] === connection { connections[voter] = nil }
        await connection.close()
    }
}
