import KafkaProtocol

/// UpdateMetadata (API 6), sent by the controller (v7): the broker's metadata feed (Kafka's ZK-mode `MetadataCache.updateMetadata`). Live
/// brokers, controller id and partition states go into the `MetadataCache`; leader -2 removes a partition.
struct UpdateMetadataHandler: APIHandler {
    typealias Request = UpdateMetadataRequest
    let versions: ClosedRange<Int16> = 0...8
    let core: BrokerCore

    func handle(_ request: UpdateMetadataRequest, context: RequestContext) async -> UpdateMetadataResponse? {
        do {
            try await ControllerRequestChecks.check(
                brokerEpoch: request.brokerEpoch, controllerEpoch: request.controllerEpoch, core: core)
        } catch {
            core.logger.warning(
                "[Broker id=\(core.brokerId)] ignoring UpdateMetadata from controller \(request.controllerId) epoch \(request.controllerEpoch): \(error)"
            )
            return UpdateMetadataResponse(errorCode: ErrorCode(error).rawValue)
        }
        core.metadata.apply(request, version: context.apiVersion)
        await core.replicas.leaderAddressesChanged()
        return UpdateMetadataResponse(errorCode: 0)
    }
}
