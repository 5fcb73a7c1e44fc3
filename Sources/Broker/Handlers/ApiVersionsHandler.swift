import KafkaProtocol

/// ApiVersions: the versions every route serves, taken from the router's table.
/// Versions above ours never reach here: the router answers them with Kafka's v0 downgrade response.
///
/// Kafka 4.0 finalizes the `transaction.version` feature; ZooKeeper mode has no finalization for it, so the broker
/// key `transaction.version` stands in. At 2 the answer finalizes the feature (Java 4.x producers then run the
/// KIP-890 part 2 flow) and advertises the versions that carry it: Produce v12, EndTxn v5, TxnOffsetCommit v5.
/// Below 2 those APIs are advertised only up to their v0-era ranges and no feature is listed, so today's clients
/// see the answer they always saw.
struct ApiVersionsHandler: APIHandler {
    typealias Request = ApiVersionsRequest
    let versions: ClosedRange<Int16> = 0...3
    let advertised: @Sendable () -> [ApiVersionsResponse.ApiVersion]
    var transactionVersion: @Sendable () -> Int16 = { 0 }

    static let transactionVersionFeature = "transaction.version"

    /// The highest version of each API that exists only for transaction version 2.
    static let preTransactionVersion2Caps: [Int16: Int16] = [
        APIKey.produce.rawValue: 9, APIKey.endTxn.rawValue: 4, APIKey.txnOffsetCommit.rawValue: 4,
    ]

    func handle(_ request: ApiVersionsRequest, context: RequestContext) async -> ApiVersionsResponse? {
        var response = ApiVersionsResponse(errorCode: 0, apiKeys: advertised(), throttleTimeMs: 0)
        let level = transactionVersion()
        if level < 2 {
            for i in response.apiKeys.indices {
                if let cap = Self.preTransactionVersion2Caps[response.apiKeys[i].apiKey] {
                    response.apiKeys[i].maxVersion = min(response.apiKeys[i].maxVersion, cap)
                }
            }
        }
        if level > 0 {
            response.supportedFeatures = [.init(name: Self.transactionVersionFeature, minVersion: 0, maxVersion: 2)]
            response.finalizedFeaturesEpoch = 0
            response.finalizedFeatures = [
                .init(name: Self.transactionVersionFeature, maxVersionLevel: level, minVersionLevel: level)
            ]
        }
        return response
    }
}
