import KRaft
import KafkaProtocol

/// FetchSnapshot (59), controller listener: a follower whose fetch offset fell below the leader's log start copies
/// the snapshot the leader named, one slice of at most `MaxBytes` per request (`KafkaRaftClient`,
/// KIP-630).
struct FetchSnapshotHandler: APIHandler {
    typealias Request = KafkaProtocol.FetchSnapshotRequest
    let versions: ClosedRange<Int16> = 0...1
    let driver: RaftDriver

    func handle(_ request: Request, context: RequestContext) async -> Request.Response? {
        do throws(RaftWire.Failure) {
            let (fetch, position, maxBytes) = try RaftWire.decode(request, clusterId: driver.clusterId)
            guard
                case .fetchSnapshotResponse(let answer)? = await driver.handle(
                    .fetchSnapshotRequest(fetch), from: fetch.replicaId)
            else { throw .error(ErrorCode.requestTimedOut.rawValue) }
            return RaftWire.response(answer, for: fetch, position: position, maxBytes: maxBytes)
        } catch {
            return RaftWire.fetchSnapshotError(error)
        }
    }
}
