import KRaft
import KafkaClient
import KafkaProtocol
import Logging
import NIOCore

/// A node's one channel to the active KRaft controller (Kafka's `NodeToControllerChannelManager`). It carries
/// everything a broker asks the controller: registration and heartbeats (`BrokerLifecycleManager`), AlterPartition
/// (`AlterPartitionManager`), the admin writes a broker forwards (CreateTopics, DeleteTopics, CreatePartitions,
/// AlterConfigs, AllocateProducerIds) and DescribeQuorum.
///
/// The active controller is the quorum's leader as this node's Raft state knows it — a voter learns it from the
/// election, a broker-only node (an observer) from the leader's Fetch answers — and is reached at its entry in
/// `controller.quorum.voters`. While no leader is known (or its endpoint is not: a quorum given only by
/// `controller.quorum.bootstrap.servers`), requests go to the bootstrap controllers in turn until one does not
/// answer NOT_CONTROLLER. A failed connection is dropped and opened again on the next attempt; attempts are spaced by
/// `controller.quorum.retry.backoff.ms`, doubling up to half a second, until the request's own timeout.
///
/// A combined node whose own controller is active connects to its own controller listener, so every broker behaves
/// alike; the admin-write callers decide in process instead (``route(timeoutMs:isActive:local:remote:)``).
actor ControllerLink {
    private let driver: RaftDriver
    private let voters: [Int32: BrokerAddress]
    /// Where to look while the leader's endpoint is unknown: the bootstrap servers, else every voter.
    private let bootstrap: [BrokerAddress]
    private let clientId: String
    private let requestTimeoutMs: Int
    private let retryBackoffMs: Int
    private let group: any EventLoopGroup
    private let logger: Logger
    private var connections: [BrokerAddress: BrokerConnection] = [:]
    private var connecting: [BrokerAddress: Task<BrokerConnection?, Never>] = [:]
    private var nextBootstrap = 0
    private var closed = false

    init(
        driver: RaftDriver, voters: [VoterEndpoint], bootstrapServers: [String] = [], localId: Int32,
        requestTimeoutMs: Int, retryBackoffMs: Int, group: any EventLoopGroup, logger: Logger
    ) {
        self.driver = driver
        var byId: [Int32: BrokerAddress] = [:]
        for v in voters { byId[v.id.rawValue] = BrokerAddress(host: v.host, port: v.port) }
        self.voters = byId
        let servers = bootstrapServers.compactMap(Self.parseHostPort)
        bootstrap =
            servers.isEmpty
            ? voters.sorted { $0.id < $1.id }.map { BrokerAddress(host: $0.host, port: $0.port) } : servers
        // Kafka's channel names itself after the broker and the purpose; the prefix differs from the quorum's own
        // `raft-client-` so the controller does not take these requests for quorum traffic.
        clientId = "broker-\(localId)-to-controller"
        self.requestTimeoutMs = requestTimeoutMs
        self.retryBackoffMs = max(1, retryBackoffMs)
        self.group = group
        self.logger = logger
    }

    /// `host:port` (an IPv6 host in brackets), as `controller.quorum.bootstrap.servers` lists them.
    static func parseHostPort(_ text: String) -> BrokerAddress? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65_535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : BrokerAddress(host: host, port: port)
    }

    /// Sends `request` to the active controller and returns its answer. Retries, until `timeoutMs` (the link's
    /// `controller.quorum.request.timeout.ms` when nil) has passed, while no controller is known or reachable and
    /// while `isNotController` says the answer came from a node that is not (or no longer) the active controller.
    /// Throws `requestTimedOut` when the time is up and `notController` once the link is closed.
    nonisolated func send<R: KafkaRequest>(
        _ request: R, timeoutMs: Int? = nil, isNotController: @Sendable (R.Response) -> Bool = { _ in false }
    ) async throws(BrokerError) -> R.Response {
        let deadline = ContinuousClock.now + .milliseconds(timeoutMs ?? requestTimeoutMs)
        var backoff = retryBackoffMs
        while true {
            guard !Task.isCancelled else { throw .requestTimedOut }
            if let address = await target(), let connection = await connection(to: address) {
                do {
                    let response = try await connection.send(request)
                    if !isNotController(response) { return response }
                    await notController(address)
                } catch {
                    await failed(address, connection)
                }
            }
            guard ContinuousClock.now < deadline else { throw .requestTimedOut }
            guard await !isClosed else { throw .notController }
            // Doubles up to half a second, so a dead leader the local state still names is not dialled in a tight
            // loop until the quorum elects another.
            try? await Task.sleep(for: .milliseconds(backoff))
            backoff = min(500, backoff * 2)
        }
    }

    /// An admin write, decided where the active controller is: `local` while this node's own controller is the
    /// active one (no hop through its own listener), otherwise `remote`, which sends the matching request over this
    /// link with the time left. Either answers nil for "not the controller: ask again". Throws `requestTimedOut`
    /// once `timeoutMs` has passed without an answer.
    nonisolated func route<T: Sendable>(
        timeoutMs: Int32?,
        isActive: @Sendable () -> Bool,
        local: @Sendable () async throws(BrokerError) -> T?,
        remote: @Sendable (_ remainingMs: Int) async throws(BrokerError) -> T?
    ) async throws(BrokerError) -> T {
        let deadline = ContinuousClock.now + .milliseconds(timeoutMs.map { Int(max($0, 0)) } ?? requestTimeoutMs)
        repeat {
            if isActive() {
                if let value = try await local() { return value }
            } else {
                let remainingMs = max(1, Int((deadline - ContinuousClock.now) / .milliseconds(1)))
                if let value = try await remote(remainingMs) { return value }
            }
            try? await Task.sleep(for: .milliseconds(retryBackoffMs))
        } while ContinuousClock.now < deadline && !Task.isCancelled
        throw .requestTimedOut
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

    /// The known leader's endpoint, else the next bootstrap controller.
    private func target() async -> BrokerAddress? {
        if closed { return nil }
        if let leader = await driver.leaderId, let address = voters[leader] { return address }
        guard !bootstrap.isEmpty else { return nil }
        return bootstrap[nextBootstrap % bootstrap.count]
    }

    /// A bootstrap controller that is not the active one: try the next.
    private func notController(_ address: BrokerAddress) {
        if !bootstrap.isEmpty, bootstrap[nextBootstrap % bootstrap.count] == address { nextBootstrap += 1 }
    }

    private func connection(to address: BrokerAddress) async -> BrokerConnection? {
        if closed { return nil }
        if let c = connections[address], c.isActive { return c }
        connections[address] = nil
        if let task = connecting[address] { return await task.value }
        let clientId = clientId
        let timeout = requestTimeoutMs
        let group = group
        let task = Task<BrokerConnection?, Never> {
            try? await BrokerConnection.connect(
                to: address, clientId: clientId, connectTimeoutMs: timeout, requestTimeoutMs: timeout, group: group)
        }
        connecting[address] = task
        let connection = await task.value
        connecting[address] = nil
        if let connection {
            connections[address] = connection
        } else {
            notController(address)
        }
        return connection
    }

    private func failed(_ address: BrokerAddress, _ connection: BrokerConnection) async {
        if connections[address] === connection { connections[address] = nil }
        notController(address)
        await connection.close()
    }
}
