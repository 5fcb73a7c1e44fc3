import KafkaProtocol
import NIOCore
import Testing

@testable import Broker

/// A stand-in Metadata route so router behaviour is tested without storage or ZooKeeper.
private struct EmptyMetadataHandler: APIHandler {
    typealias Request = MetadataRequest
    let versions: ClosedRange<Int16> = 0...12

    func handle(_ request: MetadataRequest, context: RequestContext) async -> MetadataResponse? {
        MetadataResponse(brokers: [], clusterId: "c", controllerId: 1, topics: [])
    }
}

private func makeRouter() -> RequestRouter {
    let box = RouterBox()
    let router = RequestRouter(
        routes: [
            Route(handler: ApiVersionsHandler(advertised: { box.router?.advertisedVersions ?? [] })),
            Route(handler: EmptyMetadataHandler()),
        ],
        logger: .init(label: "test"))
    box.router = router
    return router
}

private final class RouterBox: @unchecked Sendable { var router: RequestRouter? }

private func frame(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

private func request<R: KafkaRequest>(_ body: R, version: Int16, correlationId: Int32 = 7) -> [UInt8] {
    var w = ProtocolWriter()
    RequestHeader(apiKey: R.apiKey.rawValue, apiVersion: version, correlationId: correlationId, clientId: "t")
        .write(to: &w, headerVersion: R.requestHeaderVersion(version))
    body.write(to: &w, version: version)
    return w.bytes
}

private func responseBytes(_ outcome: RouterOutcome) -> [UInt8]? {
    if case .respond(let r) = outcome { return r.writer.bytes }
    return nil
}

@Suite("request router")
struct RequestRouterTests {
    @Test("ApiVersions lists every route from version 0, from the same table the router dispatches on")
    func apiVersionsListsTheTable() async throws {
        let router = makeRouter()
        let outcome = await router.handle(
            frame: frame(request(ApiVersionsRequest(), version: 0)),
            client: .init(address: "x", listenerName: "PLAINTEXT"))
        let bytes = try #require(responseBytes(outcome))
        var r = ProtocolReader(bytes)
        #expect(try r.readInt32() == 7)
        let response = try ApiVersionsResponse(reading: &r, version: 0)
        #expect(response.errorCode == 0)
        #expect(response.apiKeys.map(\.apiKey) == [3, 18])
        #expect(response.apiKeys.allSatisfy { $0.minVersion == 0 })
    }

    @Test("an ApiVersions version above ours gets UNSUPPORTED_VERSION with a v0 body and a v0 header")
    func apiVersionsDowngrade() async throws {
        let router = makeRouter()
        // Header v2 (flexible) for ApiVersions v9, body irrelevant: the router must not parse it.
        var w = ProtocolWriter()
        RequestHeader(apiKey: 18, apiVersion: 9, correlationId: 42, clientId: "kcat").write(to: &w, headerVersion: 2)
        w.writeRawBytes([0xFF, 0xFF, 0xFF])
        let outcome = await router.handle(frame: frame(w.bytes), client: .init(address: "x", listenerName: "PLAINTEXT"))
        let bytes = try #require(responseBytes(outcome))
        var r = ProtocolReader(bytes)
        #expect(try r.readInt32() == 42)
        let response = try ApiVersionsResponse(reading: &r, version: 0)
        #expect(response.errorCode == ErrorCode.unsupportedVersion.rawValue)
        #expect(response.apiKeys == [.init(apiKey: 18, minVersion: 0, maxVersion: 3)])
        #expect(r.isAtEnd)
    }

    @Test("an unknown API key closes the connection instead of answering")
    func unknownApiKeyCloses() async {
        let router = makeRouter()
        let outcome = await router.handle(
            frame: frame([0x7F, 0x00, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF]),
            client: .init(address: "x", listenerName: "PLAINTEXT"))
        guard case .close = outcome else {
            Issue.record("expected close, got \(outcome)")
            return
        }
    }

    @Test("a truncated body closes the connection; the broker never traps on it")
    func truncatedBodyCloses() async {
        let router = makeRouter()
        var full = request(MetadataRequest(topics: [.init(name: "orders")]), version: 1)
        full.removeLast(3)
        let outcome = await router.handle(frame: frame(full), client: .init(address: "x", listenerName: "PLAINTEXT"))
        guard case .close = outcome else {
            Issue.record("expected close, got \(outcome)")
            return
        }
    }

    @Test("every prefix of a valid request is answered or closed, never a crash")
    func everyPrefix() async {
        let router = makeRouter()
        let full = request(MetadataRequest(topics: [.init(name: "orders")]), version: 9)
        for n in 0...full.count {
            _ = await router.handle(
                frame: frame(Array(full.prefix(n))), client: .init(address: "x", listenerName: "PLAINTEXT"))
        }
    }
}
