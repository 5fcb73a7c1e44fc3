import KafkaProtocol
import Logging
import NIOCore

/// Turns a request frame into an outcome: decodes the header, checks the version against the handler table,
/// and hands the typed request to its handler.
final class RequestRouter: Sendable {
    private let routes: [Int16: any RouteEntry]
    private let logger: Logger
    /// Request counters and timings for `/metrics` (nil: not recorded).
    let metrics: BrokerMetrics?
    /// The authorizer handlers and the authorization table consult (nil: authorization disabled).
    let authority: AclAuthority?
    /// Byte-rate quotas from `/config/users` and `/config/clients` (nil: none).
    let quotas: QuotaManager?

    init(
        routes: [any RouteEntry], logger: Logger, metrics: BrokerMetrics? = nil, authority: AclAuthority? = nil,
        quotas: QuotaManager? = nil
    ) {
        self.metrics = metrics
        self.authority = authority
        self.quotas = quotas
        var table = [Int16: any RouteEntry]()
        for route in routes {
            precondition(route.versions.lowerBound == 0, "\(route.apiKey) must advertise from version 0")
            table[route.apiKey.rawValue] = route
        }
        self.routes = table
        self.logger = logger
    }

    /// The ApiVersions answer's entries, straight from the table.
    var advertisedVersions: [ApiVersionsResponse.ApiVersion] {
        routes.values.sorted { $0.apiKey.rawValue < $1.apiKey.rawValue }.map {
            .init(apiKey: $0.apiKey.rawValue, minVersion: $0.versions.lowerBound, maxVersion: $0.versions.upperBound)
        }
    }

    func handle(frame: ByteBuffer, client: ClientInfo) async -> RouterOutcome {
        let bytes = Array(frame.readableBytesView)
        var peek = ProtocolReader(bytes)
        guard let (apiKey, apiVersion, correlationId) = try? RequestHeader.peek(&peek) else {
            return .close(reason: "frame shorter than a request header")
        }
        guard let route = routes[apiKey] else {
            return .close(reason: "unknown or unsupported api key \(apiKey)")
        }
        guard route.versions.contains(apiVersion) else {
            if apiKey == APIKey.apiVersions.rawValue {
                return .respond(unsupportedApiVersions(correlationId: correlationId))
            }
            return .close(reason: "unsupported version \(apiVersion) of \(route.apiKey)")
        }
        let headerVersion: Int16 = isFlexible(apiKey: apiKey, version: apiVersion) ? 2 : 1
        var reader = ProtocolReader(bytes)
        let header: RequestHeader
        do {
            header = try RequestHeader(reading: &reader, headerVersion: headerVersion)
        } catch {
            return .close(reason: "malformed request header: \(error)")
        }
        return await route.handle(
            header: header, body: &reader, client: client, metrics: metrics, authority: authority, quotas: quotas)
    }

    private func isFlexible(apiKey: Int16, version: Int16) -> Bool {
        guard let route = routes[apiKey] else { return false }
        return route.isFlexible(version)
    }

    /// Kafka's downgrade answer: header v0, a v0 body with UNSUPPORTED_VERSION and our ApiVersions range.
    private func unsupportedApiVersions(correlationId: Int32) -> OutboundResponse {
        var writer = ProtocolWriter()
        ResponseHeader(correlationId: correlationId).write(to: &writer, headerVersion: 0)
        let range = routes[APIKey.apiVersions.rawValue]!.versions
        ApiVersionsResponse(
            errorCode: ErrorCode.unsupportedVersion.rawValue,
            apiKeys: [.init(apiKey: 18, minVersion: range.lowerBound, maxVersion: range.upperBound)]
        ).write(to: &writer, version: 0)
        return OutboundResponse(writer: writer, files: [])
    }
}
