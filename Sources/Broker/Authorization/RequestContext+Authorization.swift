import Authorization
import KafkaProtocol

/// The checks handlers make, in Kafka's vocabulary. Without an authorizer every check passes.
extension RequestContext {
    /// The client's IP as Kafka's ACL hosts name it (no leading `/`, no port).
    var clientHost: String {
        client.address.hasPrefix("/") ? String(client.address.dropFirst()) : client.address
    }

    /// The API's name for audit lines.
    var apiName: String {
        AuthorizationTable.rules[header.apiKey]?.name ?? APIKey(rawValue: header.apiKey)?.description
            ?? "\(header.apiKey)"
    }

    /// Whether the principal may perform `operation` on the resource; a denial is logged and remembered unless
    /// `logIfDenied` is false (checks that only filter a listing).
    func authorize(_ operation: AclOperation, _ type: ResourceType, _ name: String, logIfDenied: Bool = true) -> Bool {
        guard let authority else { return true }
        return authority.authorize(
            principal: principal, host: clientHost, operation: operation, resource: Resource(type, name),
            api: apiName, logIfDenied: logIfDenied)
    }

    func authorize(_ operation: AclOperation, _ cluster: ClusterResource) -> Bool {
        authorize(operation, .cluster, Resource.clusterName)
    }

    /// `authorizeByResourceType` (KIP-679): allowed on at least one resource of the type.
    func authorizeAny(_ operation: AclOperation, _ type: ResourceType) -> Bool {
        guard let authority else { return true }
        return authority.authorizeByResourceType(
            principal: principal, host: clientHost, operation: operation, type: type)
    }

    /// The names allowed `operation` (each checked once), in the order given.
    func authorized(_ operation: AclOperation, _ type: ResourceType, _ names: [String], logIfDenied: Bool = true)
        -> Set<String>
    {
        guard authority != nil else { return Set(names) }
        var allowed = Set<String>()
        var seen = Set<String>()
        for name in names where seen.insert(name).inserted {
            if authorize(operation, type, name, logIfDenied: logIfDenied) { allowed.insert(name) }
        }
        return allowed
    }

    /// KIP-430's bitfield for Metadata / DescribeGroups / DescribeCluster (all supported operations without an
    /// authorizer, as Kafka reports).
    func authorizedOperations(_ type: ResourceType, _ name: String) -> Int32 {
        guard let authority else {
            return AclOperation.supported(on: type).reduce(Int32(0)) { $0 | (1 << Int32($1.rawValue)) }
        }
        return authority.authorizer.authorizedOperationsBits(
            principal: principal, host: clientHost, resource: Resource(type, name))
    }
}

/// The one cluster resource, for `context.authorize(.clusterAction, .cluster)`.
enum ClusterResource { case cluster }

/// DescribeConfigs / AlterConfigs / IncrementalAlterConfigs: broker and broker-logger resources are checked on the
/// cluster (CLUSTER_AUTHORIZATION_FAILED), topics on the topic (TOPIC_AUTHORIZATION_FAILED).
enum ConfigResourceAccess {
    static func denial(_ operation: AclOperation, type: Int8, name: String, context: RequestContext) -> ErrorCode? {
        switch type {
        case 2:
            return context.authorize(operation, .topic, name) ? nil : .topicAuthorizationFailed
        case 4, 8:
            return context.authorize(operation, .cluster) ? nil : .clusterAuthorizationFailed
        default:
            return nil
        }
    }
}
