import KRaft
import KafkaProtocol

/// Vote (52), controller listener: a candidate (or, with `PreVote`, a prospective candidate, KIP-996) asks for
/// this voter's vote (`KafkaRaftClient.handleVoteRequest`). The quorum core decides; the answer is its.
struct VoteHandler: APIHandler {
    typealias Request = KafkaProtocol.VoteRequest
    let versions: ClosedRange<Int16> = 0...2
    let driver: RaftDriver

    func handle(_ request: Request, context: RequestContext) async -> Request.Response? {
        do throws(RaftWire.Failure) {
            let vote = try RaftWire.decode(request, clusterId: driver.clusterId)
            guard case .voteResponse(let answer)? = await driver.handle(.voteRequest(vote), from: vote.candidateId)
            else { throw .error(ErrorCode.requestTimedOut.rawValue) }
            return RaftWire.response(answer)
        } catch {
            return RaftWire.voteError(error)
        }
    }
}
