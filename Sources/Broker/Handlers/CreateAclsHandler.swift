import Authorization
import KafkaProtocol

/// CreateAcls: each creation is validated, then written to its resource znode with a conditional update and a
/// change notification (Kafka's `AclAuthorizer.createAcls`). Needs Cluster Alter (the router checks it).
struct CreateAclsHandler: APIHandler {
    typealias Request = CreateAclsRequest
    let versions: ClosedRange<Int16> = 0...3

    func handle(_ request: CreateAclsRequest, context: RequestContext) async -> CreateAclsResponse? {
        var response = CreateAclsResponse()
        guard let authority = context.authority else {
            response.results = request.creations.map { _ in
                .init(errorCode: ErrorCode.securityDisabled.rawValue, errorMessage: AclWire.securityDisabledMessage)
            }
            return response
        }
        var results = [CreateAclsResponse.AclCreationResult](repeating: .init(), count: request.creations.count)
        var byPattern: [ResourcePattern: [(index: Int, entry: AccessControlEntry)]] = [:]
        for (i, creation) in request.creations.enumerated() {
            switch AclWire.binding(creation) {
            case .success(let b): byPattern[b.pattern, default: []].append((i, b.entry))
            case .failure(let message):
                results[i] = .init(errorCode: ErrorCode.invalidRequest.rawValue, errorMessage: message)
            }
        }
        for (pattern, items) in byPattern {
            let added = Set(items.map(\.entry))
            do {
                try await authority.updateAcls(for: pattern) { $0.union(added) }
            } catch {
                for item in items {
                    results[item.index] = .init(
                        errorCode: ErrorCode.unknownServerError.rawValue,
                        errorMessage: "Failed to update ACLs for \(pattern): \(error)")
                }
            }
        }
        response.results = results
        return response
    }
}
