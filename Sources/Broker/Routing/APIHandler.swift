import KafkaProtocol
import Synchronization

/// One Kafka API's handler. Each lives in its own file under `Handlers/` and declares the versions it serves;
/// the router checks versions and builds the ApiVersions answer from the table, so the two never disagree.
protocol APIHandler: Sendable {
    associatedtype Request: KafkaRequest
    /// Versions advertised and served. Must start at 0 (librdkafka ≤ 2.11 gates features on low versions).
    var versions: ClosedRange<Int16> { get }
    /// Returns the response, or nil when none is sent (acks=0 produce).
    func handle(_ request: Request, context: RequestContext) async -> Request.Response?
}

/// Per-request facts a handler may need, and the file chunks it attaches for zero-copy sends.
final class RequestContext: Sendable {
    let header: RequestHeader
    let client: ClientInfo
    /// Touched by the one task handling the request; the mutex only makes that checkable.
    private let attached = Mutex<[any FileChunkSource]>([])

    /// The authorizer (nil: `authorizer.class.name` is empty and every request is allowed, as in Kafka).
    let authority: AclAuthority?

    init(header: RequestHeader, client: ClientInfo, authority: AclAuthority? = nil) {
        self.header = header
        self.client = client
        self.authority = authority
    }

    var apiVersion: Int16 { header.apiVersion }
    var clientId: String { header.clientId ?? "" }
    /// The authenticated principal (`User:ANONYMOUS` without authentication).
    var principal: String { client.principal }

    /// The attached chunks, in id order.
    var files: [any FileChunkSource] { attached.withLock { $0 } }

    /// Registers a file chunk; returns the id to put in `RecordsField.external`.
    func attach(_ file: any FileChunkSource) -> Int {
        attached.withLock { files in
            files.append(file)
            return files.count - 1
        }
    }
}

/// Type-erased entry of the router's table.
protocol RouteEntry: Sendable {
    var apiKey: APIKey { get }
    var versions: ClosedRange<Int16> { get }
    func isFlexible(_ version: Int16) -> Bool
    func handle(
        header: RequestHeader, body: inout ProtocolReader, client: ClientInfo, metrics: BrokerMetrics?,
        authority: AclAuthority?, quotas: QuotaManager?
    ) async -> RouterOutcome
}

struct Route<H: APIHandler>: RouteEntry {
    let handler: H
    var apiKey: APIKey { H.Request.apiKey }
    var versions: ClosedRange<Int16> { handler.versions }
    func isFlexible(_ version: Int16) -> Bool { H.Request.isFlexible(version) }

    func handle(
        header: RequestHeader, body: inout ProtocolReader, client: ClientInfo, metrics: BrokerMetrics?,
        authority: AclAuthority?, quotas: QuotaManager?
    ) async -> RouterOutcome {
        let started = ContinuousClock.now
        let version = header.apiVersion
        let request: H.Request
        do {
            request = try H.Request(reading: &body, version: version)
        } catch {
            return .close(reason: "cannot decode \(apiKey) v\(version): \(error)")
        }
        let context = RequestContext(header: header, client: client, authority: authority)
        // Whole-request checks from the authorization table (Kafka's `authorizeClusterOperation`): a refusal is
        // the request's own error response, as Kafka's `getErrorResponse` builds it.
        let answer: H.Request.Response?
        var inHandler = Duration.zero
        switch AuthorizationTable.verdict(for: request, context: context) {
        case .allowed:
            let handlerStarted = ContinuousClock.now
            answer = await handler.handle(request, context: context)
            inHandler = ContinuousClock.now - handlerStarted
        case .refused(let refusal): answer = refusal
        case .refusedWithoutResponse: return .close(reason: "\(apiKey) refused: CLUSTER_AUTHORIZATION_FAILED")
        }
        defer { metrics?.observe(request, response: answer, version: version, elapsed: ContinuousClock.now - started) }
        guard var response = answer else { return .noResponse }
        func encode(_ response: H.Request.Response) -> ProtocolWriter {
            var writer = ProtocolWriter(capacity: 512)
            ResponseHeader(correlationId: header.correlationId)
                .write(to: &writer, headerVersion: H.Request.responseHeaderVersion(version))
            response.write(to: &writer, version: version)
            return writer
        }
        var writer = encode(response)
        var muteFor: Duration?
        // Byte-rate quotas (Kafka's ClientQuotaManager): produce counts the request, a consumer fetch the response;
        // the request-time quota counts every request. The client is told, and held, the longer of the two.
        if let quotas {
            let bytes = ByteRateQuota.throttle(
                request, response: writer, requestBytes: body.bytes.count, context: context, quotas: quotas)
            let time = RequestQuota.throttle(
                request, total: ContinuousClock.now - started, inHandler: inHandler, context: context, quotas: quotas)
            let ms = max(bytes?.ms ?? 0, time)
            if ms > 0 {
                if var throttled = response as? any ThrottleReporting {
                    throttled.throttleTimeMs = ms
                    if let reencoded = throttled as? H.Request.Response {
                        response = reencoded
                        writer = encode(response)
                    }
                }
                muteFor = .milliseconds(Int(ms))
            }
        }
        return .respond(OutboundResponse(writer: writer, files: context.files, muteFor: muteFor))
    }
}
