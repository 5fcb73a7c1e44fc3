import KafkaProtocol

/// IncrementalAlterConfigs: SET (0), DELETE (1), APPEND (2), SUBTRACT (3) per key.
struct IncrementalAlterConfigsHandler: APIHandler {
    typealias Request = IncrementalAlterConfigsRequest
    let versions: ClosedRange<Int16> = 0...1
    let core: BrokerCore

    func handle(_ request: IncrementalAlterConfigsRequest, context: RequestContext) async
        -> IncrementalAlterConfigsResponse?
    {
        var response = IncrementalAlterConfigsResponse()
        for resource in request.resources {
            var result = IncrementalAlterConfigsResponse.AlterConfigsResourceResponse(
                errorCode: 0, errorMessage: nil, resourceType: resource.resourceType,
                resourceName: resource.resourceName)
            if let denied = ConfigResourceAccess.denial(
                .alterConfigs, type: resource.resourceType, name: resource.resourceName, context: context)
            {
                result.errorCode = denied.rawValue
                response.responses.append(result)
                continue
            }
            do {
                try await core.configs.alter(
                    resourceType: resource.resourceType, name: resource.resourceName,
                    operations: resource.configs.map { ($0.name, $0.configOperation, $0.value) },
                    validateOnly: request.validateOnly)
            } catch {
                result.errorCode = ErrorCode(error).rawValue
                result.errorMessage = error.message
            }
            response.responses.append(result)
        }
        return response
    }
}
