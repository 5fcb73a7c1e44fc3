import Authorization
import KafkaProtocol
import Logging
import NIOCore
import Synchronization
import Testing

@testable import Broker

/// What Kafka 3.9's `AuthorizerIntegrationTest` asserts per API (its `requestKeysToAcls` and `requestKeyToError`
/// maps): the ACL a request needs and the error without it. Written out here independently of
/// `AuthorizationTable`, so the table cannot drift from Kafka's answers unnoticed.
private let kafkaMatrix: [(key: Int16, needs: [String], error: ErrorCode?)] = [
    (0, ["Topic Write"], .topicAuthorizationFailed),
    (1, ["Topic Read"], .topicAuthorizationFailed),
    (2, ["Topic Describe"], .topicAuthorizationFailed),
    (3, ["Topic Describe"], .topicAuthorizationFailed),
    (4, ["Cluster ClusterAction"], .clusterAuthorizationFailed),
    (5, ["Cluster ClusterAction"], .clusterAuthorizationFailed),
    (6, ["Cluster ClusterAction"], .clusterAuthorizationFailed),
    (7, ["Cluster ClusterAction"], .clusterAuthorizationFailed),
    (8, ["Group Read", "Topic Read"], .groupAuthorizationFailed),
    (9, ["Group Describe", "Topic Describe"], .groupAuthorizationFailed),
    (10, ["Group Describe"], .groupAuthorizationFailed),
    (11, ["Group Read"], .groupAuthorizationFailed),
    (12, ["Group Read"], .groupAuthorizationFailed),
    (13, ["Group Read"], .groupAuthorizationFailed),
    (14, ["Group Read"], .groupAuthorizationFailed),
    (15, ["Group Describe"], .groupAuthorizationFailed),
    (16, ["Cluster Describe"], nil),
    (17, [], nil),
    (18, [], nil),
    (19, ["Cluster Create"], .topicAuthorizationFailed),
    (20, ["Topic Delete"], .topicAuthorizationFailed),
    (21, ["Topic Delete"], .topicAuthorizationFailed),
    (22, ["TransactionalId Write", "Cluster IdempotentWrite"], .transactionalIdAuthorizationFailed),
    (23, ["Cluster ClusterAction", "Topic Describe"], .topicAuthorizationFailed),
    (24, ["TransactionalId Write", "Topic Write"], .transactionalIdAuthorizationFailed),
    (25, ["TransactionalId Write", "Group Read"], .transactionalIdAuthorizationFailed),
    (26, ["TransactionalId Write"], .transactionalIdAuthorizationFailed),
    (27, ["Cluster ClusterAction"], .clusterAuthorizationFailed),
    (28, ["Group Read", "Topic Read"], .groupAuthorizationFailed),
    (29, ["Cluster Describe"], .clusterAuthorizationFailed),
    (30, ["Cluster Alter"], .clusterAuthorizationFailed),
    (31, ["Cluster Alter"], .clusterAuthorizationFailed),
    (32, ["Cluster DescribeConfigs", "Topic DescribeConfigs"], .topicAuthorizationFailed),
    (33, ["Cluster AlterConfigs", "Topic AlterConfigs"], .topicAuthorizationFailed),
    (34, ["Cluster Alter"], .clusterAuthorizationFailed),
    (35, ["Cluster Describe"], nil),
    (36, [], nil),
    (37, ["Topic Alter"], .topicAuthorizationFailed),
    (42, ["Group Delete"], .groupAuthorizationFailed),
    (43, ["Cluster Alter"], .clusterAuthorizationFailed),
    (44, ["Cluster AlterConfigs", "Topic AlterConfigs"], .topicAuthorizationFailed),
    (45, ["Cluster Alter"], .clusterAuthorizationFailed),
    (46, ["Cluster Describe"], .clusterAuthorizationFailed),
    (47, ["Group Delete", "Topic Read"], .groupAuthorizationFailed),
    (48, ["Cluster DescribeConfigs"], .clusterAuthorizationFailed),
    (49, ["Cluster AlterConfigs"], .clusterAuthorizationFailed),
    (50, ["Cluster Describe"], .clusterAuthorizationFailed),
    (51, ["Cluster Alter"], .clusterAuthorizationFailed),
    (60, ["Cluster Describe"], nil),
    (61, ["Topic Read"], .topicAuthorizationFailed),
]

private func ruleChecks(_ rule: AccessRule) -> [String] {
    switch rule {
    case .none: []
    case .cluster(let op): ["Cluster \(op.pascalName)"]
    case .perResource(let checks): checks.map { "\($0.type.pascalName) \($0.operation.pascalName)" }
    }
}

/// A handler that must not run when the router refuses the request.
private struct CountingHandler<R: KafkaRequest>: APIHandler where R.Response: Sendable {
    typealias Request = R
    let versions: ClosedRange<Int16>
    let answer: @Sendable () -> R.Response
    let calls: Counter

    func handle(_ request: R, context: RequestContext) async -> R.Response? {
        calls.bump()
        return answer()
    }
}

private final class Counter: Sendable {
    private let value = Mutex(0)
    func bump() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}

private func frame<R: KafkaRequest>(_ body: R, version: Int16) -> ByteBuffer {
    var w = ProtocolWriter()
    RequestHeader(apiKey: R.apiKey.rawValue, apiVersion: version, correlationId: 9, clientId: "t")
        .write(to: &w, headerVersion: R.requestHeaderVersion(version))
    body.write(to: &w, version: version)
    return ByteBuffer(bytes: w.bytes)
}

private func decode<R: KafkaRequest>(_ type: R.Type, _ outcome: RouterOutcome, version: Int16) throws -> R.Response {
    guard case .respond(let r) = outcome else { throw CancellationError() }
    var reader = ProtocolReader(r.writer.bytes)
    _ = try ResponseHeader(reading: &reader, headerVersion: R.responseHeaderVersion(version))
    return try R.Response(reading: &reader, version: version)
}

@Suite("authorization matrix")
struct AuthorizationMatrixTests {
    @Test("every API key the broker knows has a row in the authorization table")
    func everyKnownApiHasARow() {
        for key in APIKey.allCases {
            #expect(AuthorizationTable.rules[key.rawValue] != nil, "\(key) has no authorization rule")
        }
    }

    @Test("the table checks what Kafka's AuthorizerIntegrationTest says each API needs")
    func tableMatchesKafka() {
        for row in kafkaMatrix {
            guard let entry = AuthorizationTable.rules[row.key] else {
                Issue.record("API \(row.key) missing from the table")
                continue
            }
            let checks = ruleChecks(entry.rule)
            for need in row.needs {
                #expect(checks.contains(need), "API \(row.key) \(entry.name) should check \(need), checks \(checks)")
            }
            if row.needs.isEmpty { #expect(entry.rule == .none, "API \(row.key) \(entry.name) checks nothing") }
            if case .cluster = entry.rule {
                #expect(
                    row.error == .clusterAuthorizationFailed, "API \(row.key) refuses with CLUSTER_AUTHORIZATION_FAILED"
                )
            }
        }
    }

    @Test("a cluster-checked API is refused with CLUSTER_AUTHORIZATION_FAILED before its handler runs")
    func clusterRefusal() async throws {
        let authority = AclAuthority(
            zk: nil, superUsers: ["User:admin"], allowEveryoneIfNoAclFound: false, logger: Logger(label: "t"))
        let calls = Counter()
        let router = RequestRouter(
            routes: [
                Route(
                    handler: CountingHandler<UpdateMetadataRequest>(
                        versions: 0...7, answer: { UpdateMetadataResponse() }, calls: calls)),
                Route(
                    handler: CountingHandler<CreateAclsRequest>(
                        versions: 0...3, answer: { CreateAclsResponse() }, calls: calls)),
            ],
            logger: Logger(label: "t"), authority: authority)
        let anonymous = ClientInfo(address: "/10.0.0.1", listenerName: "PLAINTEXT")
        var admin = anonymous
        admin.principal = "User:admin"

        let refused = try decode(
            UpdateMetadataRequest.self,
            await router.handle(frame: frame(UpdateMetadataRequest(), version: 7), client: anonymous), version: 7)
        #expect(refused.errorCode == ErrorCode.clusterAuthorizationFailed.rawValue)
        #expect(calls.count == 0)
        #expect(authority.recentDenials.last?.auditLine.contains("Denied Operation = ClusterAction") == true)

        var create = CreateAclsRequest()
        create.creations = [.init(resourceType: 2, resourceName: "t", principal: "User:x", host: "*", operation: 3)]
        let createRefused = try decode(
            CreateAclsRequest.self, await router.handle(frame: frame(create, version: 2), client: anonymous),
            version: 2)
        #expect(createRefused.results.map(\.errorCode) == [ErrorCode.clusterAuthorizationFailed.rawValue])

        _ = try decode(
            UpdateMetadataRequest.self,
            await router.handle(frame: frame(UpdateMetadataRequest(), version: 7), client: admin), version: 7)
        #expect(calls.count == 1)

        // An ACL granting ClusterAction to the anonymous principal lets the request through.
        try await authority.updateAcls(for: ResourcePattern(.cluster, Resource.clusterName)) { _ in
            [.init(principal: "User:ANONYMOUS", operation: .clusterAction, permission: .allow)]
        }
        _ = try decode(
            UpdateMetadataRequest.self,
            await router.handle(frame: frame(UpdateMetadataRequest(), version: 7), client: anonymous), version: 7)
        #expect(calls.count == 2)
    }

    @Test("ACL APIs answer SECURITY_DISABLED when no authorizer is configured")
    func securityDisabled() async throws {
        let router = RequestRouter(
            routes: [Route(handler: DescribeAclsHandler()), Route(handler: CreateAclsHandler())],
            logger: Logger(label: "t"))
        let client = ClientInfo(address: "/10.0.0.1", listenerName: "PLAINTEXT")
        let described = try decode(
            DescribeAclsRequest.self,
            await router.handle(frame: frame(DescribeAclsRequest(resourceTypeFilter: 1), version: 1), client: client),
            version: 1)
        #expect(described.errorCode == ErrorCode.securityDisabled.rawValue)
    }

    @Test("CreateAcls then DescribeAcls with a MATCH filter returns the literal, wildcard and prefixed ACLs")
    func createThenDescribe() async throws {
        let authority = AclAuthority(
            zk: nil, superUsers: ["User:admin"], allowEveryoneIfNoAclFound: false, logger: Logger(label: "t"))
        let router = RequestRouter(
            routes: [
                Route(handler: DescribeAclsHandler()), Route(handler: CreateAclsHandler()),
                Route(handler: DeleteAclsHandler()),
            ],
            logger: Logger(label: "t"), authority: authority)
        var admin = ClientInfo(address: "/10.0.0.1", listenerName: "PLAINTEXT")
        admin.principal = "User:admin"
        var create = CreateAclsRequest()
        create.creations = [
            .init(
                resourceType: 2, resourceName: "orders", resourcePatternType: 3, principal: "User:a", host: "*",
                operation: 3, permissionType: 3),
            .init(
                resourceType: 2, resourceName: "*", resourcePatternType: 3, principal: "User:b", host: "*",
                operation: 4, permissionType: 2),
            .init(
                resourceType: 2, resourceName: "ord", resourcePatternType: 4, principal: "User:c", host: "*",
                operation: 8, permissionType: 3),
            .init(
                resourceType: 4, resourceName: "not-the-cluster", resourcePatternType: 3, principal: "User:d",
                host: "*", operation: 7, permissionType: 3),
        ]
        let created = try decode(
            CreateAclsRequest.self, await router.handle(frame: frame(create, version: 3), client: admin), version: 3)
        #expect(created.results.map(\.errorCode) == [0, 0, 0, ErrorCode.invalidRequest.rawValue])

        let described = try decode(
            DescribeAclsRequest.self,
            await router.handle(
                frame: frame(
                    DescribeAclsRequest(
                        resourceTypeFilter: 2, resourceNameFilter: "orders", patternTypeFilter: 2, operation: 1,
                        permissionType: 1), version: 3), client: admin), version: 3)
        #expect(described.errorCode == 0)
        #expect(Set(described.resources.map(\.resourceName)) == ["orders", "*", "ord"])

        var delete = DeleteAclsRequest()
        delete.filters = [
            .init(
                resourceTypeFilter: 2, resourceNameFilter: nil, patternTypeFilter: 1, principalFilter: "User:b",
                operation: 1, permissionType: 1)
        ]
        let deleted = try decode(
            DeleteAclsRequest.self, await router.handle(frame: frame(delete, version: 3), client: admin), version: 3)
        #expect(deleted.filterResults.first?.matchingAcls.map(\.resourceName) == ["*"])
        #expect(authority.authorizer.acls.bindings.count == 2)
    }
}
