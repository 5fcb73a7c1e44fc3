import KafkaProtocol

/// DescribeConfigs for topics (resource type 2) and brokers (4): value, source, default flag, synonyms and
/// documentation, as `kafka-configs --describe` shows them.
struct DescribeConfigsHandler: APIHandler {
    typealias Request = DescribeConfigsRequest
    let versions: ClosedRange<Int16> = 0...4
    let core: BrokerCore

    func handle(_ request: DescribeConfigsRequest, context: RequestContext) async -> DescribeConfigsResponse? {
        let version = context.apiVersion
        var response = DescribeConfigsResponse()
        for resource in request.resources {
            var result = DescribeConfigsResponse.DescribeConfigsResult(
                errorCode: 0, errorMessage: nil, resourceType: resource.resourceType,
                resourceName: resource.resourceName, configs: [])
            if let denied = ConfigResourceAccess.denial(
                .describeConfigs, type: resource.resourceType, name: resource.resourceName, context: context)
            {
                result.errorCode = denied.rawValue
                response.results.append(result)
                continue
            }
            do {
                let entries = try await core.configs.describe(
                    resourceType: resource.resourceType, name: resource.resourceName,
                    keys: resource.configurationKeys)
                result.configs = entries.map { e in
                    var c = DescribeConfigsResponse.DescribeConfigsResourceResult(
                        name: e.name, value: e.isSensitive ? nil : e.value, readOnly: e.readOnly,
                        isDefault: e.source == 5, configSource: e.source, isSensitive: e.isSensitive)
                    if version >= 1 && request.includeSynonyms {
                        c.synonyms = e.synonyms.map { .init(name: $0.name, value: $0.value, source: $0.source) }
                    }
                    if version >= 3 {
                        c.configType = e.configType
                        if request.includeDocumentation { c.documentation = e.documentation }
                    }
                    return c
                }
            } catch {
                result.errorCode = ErrorCode(error).rawValue
                result.errorMessage = error.message
            }
            response.results.append(result)
        }
        return response
    }
}
