import KRaftController
import KafkaProtocol
import MetadataImage

/// IncrementalAlterConfigs (44) on the controller listener (`ControllerApis.handleIncrementalAlterConfigs`): one
/// ConfigRecord per changed key of a topic, a broker or the cluster-wide broker default (""). NOT_CONTROLLER when
/// this node is not the active controller.
struct ControllerIncrementalAlterConfigsHandler: APIHandler {
    typealias Request = IncrementalAlterConfigsRequest
    let versions: ClosedRange<Int16> = 0...1
    let controller: KRaftActiveController

    func handle(_ request: IncrementalAlterConfigsRequest, context: RequestContext) async
        -> IncrementalAlterConfigsResponse?
    {
        var response = IncrementalAlterConfigsResponse()
        let validateOnly = request.validateOnly
        for resource in request.resources {
            var result = IncrementalAlterConfigsResponse.AlterConfigsResourceResponse(
                resourceType: resource.resourceType, resourceName: resource.resourceName)
            var operations: [ConfigOperation] = []
            for c in resource.configs {
                guard let kind = ConfigOperation.Kind(rawValue: c.configOperation) else {
                    result.errorCode = ErrorCode.invalidRequest.rawValue
                    result.errorMessage = "Unknown config operation \(c.configOperation) for \(c.name)"
                    break
                }
                operations.append(ConfigOperation(name: c.name, kind: kind, value: c.value))
            }
            if result.errorCode == 0 {
                let key = ConfigResourceKey(type: resource.resourceType, name: resource.resourceName)
                let ops = operations
                do {
                    let reply = try await controller.decide { c, _, _ in
                        c.incrementalAlterConfigs(resource: key, operations: ops, validateOnly: validateOnly)
                    }
                    result.errorCode = reply.errorCode.rawValue
                    result.errorMessage = reply.errorMessage
                } catch {
                    result.errorCode = ErrorCode(error).rawValue
                    result.errorMessage = error.message
                }
            }
            response.responses.append(result)
        }
        return response
    }
}
