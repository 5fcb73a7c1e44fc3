import KRaft
import KafkaProtocol

/// EndQuorumEpoch (54), controller listener: a resigning leader asks the voters to elect a successor now, the
/// preferred ones first (`KafkaRaftClient.handleEndQuorumEpochRequest`).
struct EndQuorumEpochHandler: APIHandler {
    typealias Request = KafkaProtocol.EndQuorumEpochRequest
    let versions: ClosedRange<Int16> = 0...1
    let driver: RaftDriver

    func handle(_ request: Request, context: RequestContext) async -> Request.Response? {
        do throws(RaftWire.Failure) {
            let end = try RaftWire.decode(request, version: context.apiVersion, clusterId: driver.clusterId)
            guard
                case .endQuorumEpochResponse(let answer)? = await driver.handle(
                    .endQuorumEpochRequest(end), from: end.leaderId)
            else { throw .error(ErrorCode.requestTimedOut.rawValue) }
            return RaftWire.response(answer)
        } catch {
            return KafkaProtocol.EndQuorumEpochResponse(errorCode: error.code.rawValue)
        }
    }
}
