import Coordination
import Foundation
import KafkaProtocol

/// AlterClientQuotas: sets or removes quota keys on user, client-id or user+client-id entities in ZooKeeper
/// (Kafka's `ZkAdminManager.alterClientQuotas`); every broker re-reads them. Needs Cluster AlterConfigs (the
/// router checks it).
struct AlterClientQuotasHandler: APIHandler {
    typealias Request = AlterClientQuotasRequest
    let versions: ClosedRange<Int16> = 0...1
    let quotas: QuotaManager

    func handle(_ request: AlterClientQuotasRequest, context: RequestContext) async -> AlterClientQuotasResponse? {
        var response = AlterClientQuotasResponse()
        for entry in request.entries {
            var result = AlterClientQuotasResponse.EntryData()
            result.entity = entry.entity.map { .init(entityType: $0.entityType, entityName: $0.entityName) }
            do throws(QuotaRequestError) {
                let path = try ClientQuotaEntity.path(entry.entity.map { ($0.entityType, $0.entityName) })
                var changes: [(String, String?)] = []
                for op in entry.ops {
                    changes.append((op.key, op.remove ? nil : try ClientQuotaEntity.format(op.key, op.value)))
                }
                if !request.validateOnly {
                    try await quotas.alter(path, changes)
                }
            } catch {
                result.errorCode = error.code.rawValue
                result.errorMessage = error.message
            }
            response.entries.append(result)
        }
        return response
    }
}

/// DescribeClientQuotas: the quota entities matching the filter, with their values.
struct DescribeClientQuotasHandler: APIHandler {
    typealias Request = DescribeClientQuotasRequest
    let versions: ClosedRange<Int16> = 0...1
    let quotas: QuotaManager

    func handle(_ request: DescribeClientQuotasRequest, context: RequestContext) async
        -> DescribeClientQuotasResponse?
    {
        var response = DescribeClientQuotasResponse()
        let configs: QuotaConfigs
        do {
            configs = try await quotas.reload()
        } catch {
            response.errorCode = ErrorCode.unknownServerError.rawValue
            response.errorMessage = "\(error)"
            return response
        }
        var rows: [(user: String?, client: String?, config: [String: String])] = []
        for (u, c) in configs.users { rows.append((u, nil, c)) }
        for (u, byClient) in configs.userClients { for (c, cfg) in byClient { rows.append((u, c, cfg)) } }
        for (c, cfg) in configs.clients { rows.append((nil, c, cfg)) }
        var entries: [DescribeClientQuotasResponse.EntryData] = []
        for row in rows.sorted(by: { ($0.user ?? "", $0.client ?? "") < ($1.user ?? "", $1.client ?? "") }) {
            let components: [(type: String, name: String)] =
                (row.user.map { [("user", $0)] } ?? []) + (row.client.map { [("client-id", $0)] } ?? [])
            guard ClientQuotaEntity.matches(components, request.components, strict: request.strict) else { continue }
            let values = row.config.filter { ClientQuotaEntity.keys[$0.key] != nil }.sorted { $0.key < $1.key }
                .compactMap { k, v in Double(v).map { DescribeClientQuotasResponse.ValueData(key: k, value: $0) } }
            if values.isEmpty { continue }
            entries.append(
                .init(
                    entity: components.map {
                        .init(entityType: $0.type, entityName: $0.name == QuotaConfigs.defaultEntity ? nil : $0.name)
                    }, values: values))
        }
        response.entries = entries
        return response
    }
}

struct QuotaRequestError: Error {
    var code: ErrorCode
    var message: String
}

/// Kafka's quota entity rules (`ClientQuotaEntity`, `QuotaConfigs`).
enum ClientQuotaEntity {
    /// The quota keys and whether each is an integer (`LONG`) or a `DOUBLE` config.
    static let keys: [String: Bool] = [
        "producer_byte_rate": true, "consumer_byte_rate": true, "request_percentage": false,
        "controller_mutation_rate": false,
    ]

    static func path(_ components: [(String, String?)]) throws(QuotaRequestError) -> String {
        var user: String?
        var client: String?
        for (type, name) in components {
            let n = name ?? QuotaConfigs.defaultEntity
            switch type {
            case "user" where user == nil: user = n
            case "client-id" where client == nil: client = n
            case "ip":
                throw QuotaRequestError(code: .invalidRequest, message: "IP quotas are not supported")
            default:
                throw QuotaRequestError(code: .invalidRequest, message: "Invalid quota entity component \(type)")
            }
        }
        guard let path = KafkaZkClient.quotaEntityPath(user: user, clientId: client) else {
            throw QuotaRequestError(code: .invalidRequest, message: "Invalid empty client quota entity")
        }
        return path
    }

    /// The stored text: integers for LONG keys (Kafka rejects fractions), Java's double text otherwise.
    static func format(_ key: String, _ value: Double) throws(QuotaRequestError) -> String {
        guard let isLong = keys[key] else {
            throw QuotaRequestError(code: .invalidRequest, message: "Invalid configuration key \(key)")
        }
        guard value > 0 || (!isLong && value >= 0) else {
            throw QuotaRequestError(code: .invalidRequest, message: "Invalid value \(value) for \(key)")
        }
        if isLong {
            let long = Int64(value + 1e-6)
            guard abs(Double(long) - value) <= 1e-6 else {
                throw QuotaRequestError(
                    code: .invalidRequest, message: "Configuration \(key) must be a Long value")
            }
            return String(long)
        }
        return value == value.rounded() ? String(format: "%.1f", value) : String(value)
    }

    static func matches(
        _ entity: [(type: String, name: String)], _ filter: [DescribeClientQuotasRequest.ComponentData], strict: Bool
    ) -> Bool {
        for f in filter {
            let component = entity.first { $0.type == f.entityType }
            switch f.matchType {
            case 0:
                guard let component, component.name == (f.match ?? QuotaConfigs.defaultEntity) else { return false }
            case 1:
                guard component?.name == QuotaConfigs.defaultEntity else { return false }
            default:
                guard component != nil else { return false }
            }
        }
        if strict && entity.count != filter.count { return false }
        return true
    }
}
