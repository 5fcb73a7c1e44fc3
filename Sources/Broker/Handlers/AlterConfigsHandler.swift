import KafkaProtocol

/// AlterConfigs (legacy, replaces the whole set of a resource's overrides).
struct AlterConfigsHandler: APIHandler {
    typealias Request = AlterConfigsRequest
    let versions: ClosedRange<Int16> = 0...2
    let core: BrokerCore

    func handle(_ request: AlterConfigsRequest, context: RequestContext) async -> AlterConfigsResponse? {
        var response = AlterConfigsResponse()
        for resource in request.resources {
            var result = AlterConfigsResponse.AlterConfigsResourceResponse(
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
                try await core.configs.replace(
                    resourceType: resource.resourceType, name: resource.resourceName,
                    configs: resource.configs.map { ($0.name, $0.value) }, validateOnly: request.validateOnly)
            } catch {
                result.errorCode = ErrorCode(error).rawValue
                result.errorMessage = error.message
            }
            response.responses.append(result)
        }
        return response
    }
}
