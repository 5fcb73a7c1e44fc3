import KRaft
import Logging

/// A request from another voter waiting for the node's answer. The core answers through `.send` effects, at once
/// for Vote, BeginQuorumEpoch and EndQuorumEpoch, later for a Fetch the leader parks until there is news.
struct WaitingRequest {
    /// Which answer this request waits for.
    enum Slot: Hashable {
        case vote(ReplicaID)
        case beginQuorumEpoch(ReplicaID)
        case endQuorumEpoch(ReplicaID)
        /// By the correlation id this node gave the request.
        case fetch(Int64)
        case fetchSnapshot(Int64)
    }

    let slot: Slot
    let continuation: CheckedContinuation<RaftMessage?, Never>
}

extension RaftDriver {
    /// Hands a request from voter `sender` to the node and returns its answer, or nil when the node gave none
    /// within `controller.quorum.request.timeout.ms` (the handler then answers REQUEST_TIMED_OUT).
    ///
    /// Fetch and FetchSnapshot get a correlation id of this node's own, which the answer echoes; a newer Fetch
    /// from the same replica replaces a parked one in the core, so the older one is answered with nil at once.
    func handle(_ request: RaftMessage, from sender: ReplicaID) async -> RaftMessage? {
        var message = request
        let slot: WaitingRequest.Slot
        switch request {
        case .voteRequest: slot = .vote(sender)
        case .beginQuorumEpochRequest: slot = .beginQuorumEpoch(sender)
        case .endQuorumEpochRequest: slot = .endQuorumEpoch(sender)
        case .fetchRequest(var r):
            nextWaitingId += 1
            r.correlationId = nextWaitingId
            message = .fetchRequest(r)
            slot = .fetch(r.correlationId)
            if let older = latestFetch[sender] { answer(.fetch(older), with: nil) }
            latestFetch[sender] = r.correlationId
        case .fetchSnapshotRequest(var r):
            nextWaitingId += 1
            r.correlationId = nextWaitingId
            message = .fetchSnapshotRequest(r)
            slot = .fetchSnapshot(r.correlationId)
        case .voteResponse, .beginQuorumEpochResponse, .endQuorumEpochResponse, .fetchResponse,
            .fetchSnapshotResponse:
            return nil
        }
        nextWaitingId += 1
        let id = nextWaitingId
        let timeout = node.config.requestTimeoutMs
        Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(timeout))
            await self?.expire(id)
        }
        return await withCheckedContinuation { continuation in
            waiting[id] = WaitingRequest(slot: slot, continuation: continuation)
            perform(node.receive(message, from: sender, now: Self.now()))
        }
    }

    /// An answer from voter `sender` to a request this node sent (``RaftPeers`` calls it).
    func receive(response: RaftMessage, from sender: ReplicaID) {
        perform(node.receive(response, from: sender, now: Self.now()))
    }

    /// A `.send` effect: answers go to the request waiting for them, requests to the peer.
    func deliver(_ message: RaftMessage, to voter: ReplicaID) {
        let slot: WaitingRequest.Slot
        switch message {
        case .voteResponse: slot = .vote(voter)
        case .beginQuorumEpochResponse: slot = .beginQuorumEpoch(voter)
        case .endQuorumEpochResponse: slot = .endQuorumEpoch(voter)
        case .fetchResponse(let r):
            slot = .fetch(r.correlationId)
            if latestFetch[voter] == r.correlationId { latestFetch[voter] = nil }
        case .fetchSnapshotResponse(let r): slot = .fetchSnapshot(r.correlationId)
        case .voteRequest, .beginQuorumEpochRequest, .endQuorumEpochRequest, .fetchRequest, .fetchSnapshotRequest:
            peers?.send(message, to: voter)
            return
        }
        answer(slot, with: message)
    }

    /// Resumes the oldest request waiting in `slot`; an answer nobody waits for (it timed out) is dropped.
    private func answer(_ slot: WaitingRequest.Slot, with message: RaftMessage?) {
        guard let id = waiting.filter({ $0.value.slot == slot }).keys.min(), let w = waiting.removeValue(forKey: id)
        else { return }
        w.continuation.resume(returning: message)
    }

    private func expire(_ id: Int64) {
        waiting.removeValue(forKey: id)?.continuation.resume(returning: nil)
    }
}
