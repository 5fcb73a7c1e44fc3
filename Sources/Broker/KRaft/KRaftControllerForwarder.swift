import KRaft
import KafkaProtocol

/// Sends a request to the active KRaft controller's controller listener, as Kafka's
/// `NodeToControllerChannelManager` does for forwarded admin writes. The active controller is the quorum's leader
/// (a combined node's controller activates once its Raft node leads); while no leader is known, or the leader is
/// unreachable or answers NOT_CONTROLLER (it has just lost or not yet taken up leadership), this waits and asks
/// again until `timeout` passes. The caller serves the write itself while its own controller is the active one.
struct KRaftControllerForwarder: Sendable {
    let driver: RaftDriver
    let nodeId: Int32
    /// How long one write keeps looking for the active controller (Kafka's `request.timeout.ms`, 30 s).
    var timeout: Duration = .seconds(30)
    /// The pause between two attempts (Kafka's `controller.quorum.retry.backoff.ms` is 20 ms; a little more
    /// here, since an election takes hundreds of milliseconds anyway).
    var backoff: Duration = .milliseconds(100)

    /// One attempt of a write: `local` while this node is the active controller, otherwise `remote` with the
    /// leader's id. Either answers nil for "not the controller: ask again". REQUEST_TIMED_OUT when no controller
    /// took the write within the timeout.
    func route<T: Sendable>(
        isActive: @Sendable () -> Bool,
        local: @Sendable () async throws(BrokerError) -> T?,
        remote: @Sendable (_ leader: Int32) async throws(BrokerError) -> T?
    ) async throws(BrokerError) -> T {
        let deadline = ContinuousClock.now + timeout
        repeat {
            if isActive() {
                if let value = try await local() { return value }
            } else if let leader = await driver.leaderId, leader != nodeId {
                if let value = try await remote(leader) { return value }
            }
            try? await Task.sleep(for: backoff)
        } while ContinuousClock.now < deadline && !Task.isCancelled
        throw .requestTimedOut
    }

    /// Sends `request` to voter `leader`'s controller listener; nil when it cannot be reached.
    func send<R: KafkaRequest>(_ request: R, to leader: Int32) async -> R.Response? {
        guard let peers = await driver.peers else { return nil }
        return await peers.forward(request, to: ReplicaID(leader))
    }
}
