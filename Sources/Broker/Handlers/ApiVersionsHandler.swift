import KafkaProtocol

/// ApiVersions: the versions every route serves, taken from the router's table.
/// Versions above ours never reach here: the router answers them with Kafka's v0 downgrade response.
struct ApiVersionsHandler: APIHandler {
    typealias Request = ApiVersionsRequest
    let versions: ClosedRange<Int16> = 0...3
    let advertised: @Sendable () -> [ApiVersionsResponse.ApiVersion]

    func handle(_ request: ApiVersionsRequest, context: RequestContext) async -> ApiVersionsResponse? {
        ApiVersionsResponse(errorCode: 0, apiKeys: advertised(), throttleTimeMs: 0)
    }
}
