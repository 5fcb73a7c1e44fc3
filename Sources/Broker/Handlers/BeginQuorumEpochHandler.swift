import KRaft
import KafkaProtocol

/// BeginQuorumEpoch (53), controller listener: a newly elected leader announces its epoch
/// (`KafkaRaftClient.handleBeginQuorumEpochRequest`); the voter follows it and starts fetching.
struct BeginQuorumEpochHandler: APIHandler {
    typealias Request = KafkaProtocol.BeginQuorumEpochRequest
    let versions: ClosedRange<Int16> = 0...1
    let driver: RaftDriver

    func handle(_ request: Request, context: RequestContext) async -> Request.Response? {
        do throws(RaftWire.Failure) {
            let begin = try RaftWire.decode(request, clusterId: driver.clusterId)
            guard
                case .beginQuorumEpochResponse(let answer)? = await driver.handle(
                    .beginQuorumEpochRequest(begin), from: begin.leaderId)
            else { throw .error(ErrorCode.requestTimedOut.rawValue) }
            return RaftWire.response(answer)
        } catch {
            return KafkaProtocol.BeginQuorumEpochResponse(errorCode: error.code.rawValue)
        }
    }
}
