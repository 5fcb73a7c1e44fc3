import KRaftController
import KafkaProtocol
import MetadataImage

/// AlterConfigs (33) on the controller listener (`ControllerApis.handleLegacyAlterConfigs`): the given set
/// replaces a resource's overrides. The controller turns it into incremental operations against its own image in
/// the same step (SET every given key, DELETE every stored key not given), so a concurrent change cannot slip
/// between the read and the write. NOT_CONTROLLER when this node is not the active controller.
struct ControllerAlterConfigsHandler: APIHandler {
    typealias Request = AlterConfigsRequest
    let versions: ClosedRange<Int16> = 0...2
    let controller: KRaftActiveController

    func handle(_ request: AlterConfigsRequest, context: RequestContext) async -> AlterConfigsResponse? {
        var response = AlterConfigsResponse()
        for resource in request.resources {
            var result = AlterConfigsResponse.AlterConfigsResourceResponse(
                resourceType: resource.resourceType, resourceName: resource.resourceName)
            do {
                let reply = try await controller.replaceConfigs(
                    ConfigResourceKey(type: resource.resourceType, name: resource.resourceName),
                    Dictionary(
                        resource.configs.compactMap { c in c.value.map { (c.name, $0) } },
                        uniquingKeysWith: { _, b in b }),
                    validateOnly: request.validateOnly)
                result.errorCode = reply.errorCode.rawValue
                result.errorMessage = reply.errorMessage
            } catch {
                result.errorCode = ErrorCode(error).rawValue
                result.errorMessage = error.message
            }
            response.responses.append(result)
        }
        return response
    }
}
