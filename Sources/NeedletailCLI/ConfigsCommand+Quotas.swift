import Foundation
import KafkaClient
import KafkaProtocol

/// `configs --entity-type users|clients`: client quotas through DescribeClientQuotas / AlterClientQuotas, with
/// kafka-configs.sh's output.
extension ConfigsCommand {
    static let quotaEntityTypes: [String: (component: String, singular: String, shown: String)] = [
        "users": ("user", "user", "user-principal"), "clients": ("client-id", "client", "client-id"),
    ]

    func runQuotas(entityType: String) async throws {
        guard let kind = Self.quotaEntityTypes[entityType] else { return }
        guard let bootstrapServer else { throw ToolError("--bootstrap-server must be specified") }
        let client = try Tool.client(
            bootstrap: bootstrapServer, properties: try Tool.propertiesFile(commandConfig),
            clientId: "needletail-configs")
        defer { Task { await client.close() } }
        let name: String? = entityDefault ? nil : entityName
        if describe {
            var request = DescribeClientQuotasRequest()
            request.components = [
                .init(
                    entityType: kind.component, matchType: name == nil ? (entityDefault ? 1 : 2) : 0,
                    match: name)
            ]
            let response = try await client.sendToAnyBroker(request)
            try Self.check(response.errorCode, response.errorMessage)
            for entry in response.entries ?? [] {
                let entity = entry.entity.map { e -> String in
                    let shown =
                        Self.quotaEntityTypes.values.first { $0.component == e.entityType }?.shown ?? e.entityType
                    return e.entityName.map { "\(shown) '\($0)'" } ?? "the default \(shown)"
                }.joined(separator: ", ")
                let values = entry.values.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
                Output.line("Quota configs for \(entity) are \(values)")
            }
            return
        }
        guard name != nil || entityDefault else {
            throw ToolError("An entity name or --entity-default must be specified with --alter")
        }
        var ops: [AlterClientQuotasRequest.OpData] = []
        for (k, v) in try addConfig.map(Self.parseAddConfig) ?? [] {
            guard let value = Double(v) else { throw ToolError("Invalid value '\(v)' for \(k)") }
            ops.append(.init(key: k, value: value, remove: false))
        }
        for k in (deleteConfig ?? "").split(separator: ",") {
            ops.append(.init(key: k.trimmingCharacters(in: .whitespaces), value: 0, remove: true))
        }
        var request = AlterClientQuotasRequest()
        request.entries = [.init(entity: [.init(entityType: kind.component, entityName: name)], ops: ops)]
        let response = try await client.sendToAnyBroker(request)
        for entry in response.entries { try Self.check(entry.errorCode, entry.errorMessage) }
        if let name {
            Output.line("Completed updating config for \(kind.singular) \(name).")
        } else {
            Output.line("Completed updating default config for \(entityType) in the cluster.")
        }
    }

    static func check(_ code: Int16, _ message: String?) throws {
        guard code != 0 else { return }
        throw ToolError("\(ErrorCode(rawValue: code)?.name ?? "error \(code)")\(message.map { ": \($0)" } ?? "")")
    }
}
