import KRaftController
import KafkaProtocol
import MetadataImage

/// BrokerRegistration (62), controller listener: a KRaft broker registers with the active controller
/// (`ControllerApis.handleBrokerRegistration` → `ClusterControlManager.registerBroker`). NOT_CONTROLLER when this
/// node's controller is not the active one, so the broker's channel tries the new leader; INCONSISTENT_CLUSTER_ID
/// for a broker formatted for another cluster.
struct BrokerRegistrationHandler: APIHandler {
    typealias Request = BrokerRegistrationRequest
    let versions: ClosedRange<Int16> = 0...4
    let controller: KRaftActiveController
    let clusterId: String

    func handle(_ request: Request, context: RequestContext) async -> Request.Response? {
        guard request.clusterId == clusterId else {
            return Request.Response(errorCode: ErrorCode.inconsistentClusterId.rawValue)
        }
        let input = BrokerRegistrationInput(
            brokerId: request.brokerId, incarnationId: request.incarnationId,
            listeners: request.listeners.map {
                .init(name: $0.name, host: $0.host, port: $0.port, securityProtocol: $0.securityProtocol)
            },
            features: request.features.map {
                SupportedFeature(
                    name: $0.name, minSupportedVersion: $0.minSupportedVersion,
                    maxSupportedVersion: $0.maxSupportedVersion)
            },
            rack: request.rack, logDirs: request.logDirs)
        do {
            let reply = try await controller.decide { c, offset, now in
                c.registerBroker(input, logEndOffset: offset, now: now)
            }
            return Request.Response(errorCode: reply.errorCode.rawValue, brokerEpoch: reply.brokerEpoch)
        } catch {
            return Request.Response(errorCode: ErrorCode(error).rawValue)
        }
    }
}
