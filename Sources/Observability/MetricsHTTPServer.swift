import JSONText
import NIOCore
import NIOHTTP1
import NIOPosix

/// The broker's HTTP listener (`http.listeners`): `GET /metrics` answers the Prometheus text format rendered by
/// `render` at request time; `GET /api/events` is a server-sent event stream of `events` (the console's live
/// updates); every other GET path goes to `api` (404 when it has no answer); every other method is 405. NIOHTTP1
/// parses HTTP; the handler only routes. It runs on the broker's event loops, and `render`, `api` and `events` run
/// as tasks off them (they may await actors).
public final class MetricsHTTPServer: Sendable {
    /// The page as UTF-8 bytes (a scrape of 10,000 partitions is megabytes: no `String` round trip).
    public typealias Render = @Sendable () async -> [UInt8]
    /// Answers every other GET path (the Burrow-compatible API): `nil` means not found.
    public typealias API = @Sendable (_ path: String, _ host: String) async -> HTTPAnswer?
    /// The next server-sent event's data (one line of JSON), or nil when there is nothing to say.
    public typealias Events = @Sendable () async -> String?

    /// The path of the server-sent event stream.
    public static let eventsPath = "/api/events"

    private let channel: any Channel
    /// The bound port (the configured one, or the one the OS chose for port 0).
    public let boundPort: Int

    private init(channel: any Channel) {
        self.channel = channel
        self.boundPort = channel.localAddress?.port ?? 0
    }

    /// Compresses a body into a gzip member, or nil when it cannot; the broker passes its zlib codec.
    public typealias Gzip = @Sendable ([UInt8]) -> [UInt8]?

    /// `gzip`, when given, compresses `/metrics` for scrapers that send `Accept-Encoding: gzip` (Prometheus does, as
    /// the JMX exporter answers it): a page of 10,000 partitions shrinks about tenfold on the wire.
    public static func start(
        host: String, port: Int, group: any EventLoopGroup, render: @escaping Render, api: API? = nil,
        events: Events? = nil, eventInterval: TimeAmount = .seconds(2), gzip: Gzip? = nil
    ) async throws -> MetricsHTTPServer {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 64)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        MetricsHTTPHandler(
                            render: render, api: api, events: events, eventInterval: eventInterval, gzip: gzip))
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        return MetricsHTTPServer(channel: channel)
    }

    public func close() async {
        try? await channel.close()
    }

    /// Runs `body` every `interval` on the listener's event loop until the listener closes (the console's
    /// throughput sampler). `body` must not block.
    public func every(_ interval: TimeAmount, _ body: @escaping @Sendable () -> Void) {
        let task = channel.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: interval) { _ in body() }
        channel.closeFuture.whenComplete { _ in task.cancel() }
    }
}

/// One HTTP answer of the API: status code, content type and body.
public struct HTTPAnswer: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: String

    public init(status: Int, contentType: String = "application/json", body: String) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// An error as JSON in Burrow's shape (`{"error":true,"message":…,"request":{…}}`).
    public static func error(_ status: Int, _ message: String, path: String, host: String) -> HTTPAnswer {
        HTTPAnswer(
            status: status,
            body: #"{"error":true,"message":"# + jsonString(message) + #","request":{"url":"# + jsonString(path)
                + #","host":"# + jsonString(host) + "}}")
    }

    /// A JSON string literal.
    public static func jsonString(_ s: String) -> String { JSON.quote(s) }
}

/// The Content-Type Prometheus expects for the 0.0.4 text format.
public let prometheusTextContentType = "text/plain; version=0.0.4; charset=utf-8"

final class MetricsHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let render: MetricsHTTPServer.Render
    private let api: MetricsHTTPServer.API?
    private let events: MetricsHTTPServer.Events?
    private let eventInterval: TimeAmount
    private let gzip: MetricsHTTPServer.Gzip?
    private var head: HTTPRequestHead?
    /// Set while this connection carries an event stream; cleared when it closes, which ends the stream.
    private var streaming = false
    private var lastEvent: String?
    private var quietTicks = 0

    init(
        render: @escaping MetricsHTTPServer.Render, api: MetricsHTTPServer.API?, events: MetricsHTTPServer.Events?,
        eventInterval: TimeAmount, gzip: MetricsHTTPServer.Gzip?
    ) {
        self.render = render
        self.api = api
        self.events = events
        self.eventInterval = eventInterval
        self.gzip = gzip
    }

    /// True when the request's `Accept-Encoding` lists `gzip` (or `x-gzip`) with a weight above 0 (RFC 9110).
    static func acceptsGzip(_ headers: HTTPHeaders) -> Bool {
        for value in headers[canonicalForm: "accept-encoding"] {
            let parts = value.split(separator: ";").map { String($0.filter { $0 != " " && $0 != "\t" }).lowercased() }
            guard let coding = parts.first, coding == "gzip" || coding == "x-gzip" else { continue }
            let weight = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) }
            return (weight ?? 1) > 0
        }
        return false
    }

    func channelInactive(context: ChannelHandlerContext) {
        streaming = false
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
        case .body:
            break
        case .end:
            // A connection that became an event stream answers nothing else.
            guard let h = head, !streaming else { return }
            head = nil
            respond(to: h, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let host = head.headers.first(name: "host") ?? ""
        // Read-only by construction: no method but GET and HEAD reaches a handler, so a browser page can never
        // change anything through this listener.
        guard head.method == .GET || head.method == .HEAD else {
            let answer = HTTPAnswer.error(405, "only GET is served", path: path, host: host)
            send(
                status: .methodNotAllowed, body: answer.body, head: head, context: context,
                contentType: answer.contentType)
            return
        }
        if path == MetricsHTTPServer.eventsPath, let events {
            startStream(head: head, events: events, context: context)
            return
        }
        guard path == "/metrics" else {
            guard let api else {
                send(status: .notFound, body: "not found; metrics are at /metrics\n", head: head, context: context)
                return
            }
            let promise = context.eventLoop.makePromise(of: HTTPAnswer.self)
            promise.completeWithTask {
                await api(path, host) ?? .error(404, "not found", path: path, host: host)
            }
            promise.futureResult.assumeIsolated().whenSuccess { answer in
                self.send(
                    status: HTTPResponseStatus(statusCode: answer.status), body: answer.body, head: head,
                    context: context, contentType: answer.contentType)
            }
            return
        }
        let promise = context.eventLoop.makePromise(of: (body: [UInt8], gzipped: Bool).self)
        let render = self.render
        let gzip = Self.acceptsGzip(head.headers) ? self.gzip : nil
        // Rendering and compressing run off the event loop.
        promise.completeWithTask {
            let text = await render()
            if let gzip, let compressed = gzip(text) { return (compressed, true) }
            return (text, false)
        }
        promise.futureResult.assumeIsolated().whenSuccess { page in
            self.send(
                status: .ok, bytes: page.body, head: head, context: context, contentType: prometheusTextContentType,
                contentEncoding: page.gzipped ? "gzip" : nil)
        }
    }

    /// Server-sent events (the WHATWG `text/event-stream` format): one `data:` line per change of `events`'
    /// answer, checked every `eventInterval`, and a comment line now and then so proxies keep the connection open.
    /// The next check is scheduled only after the previous event was rendered, so a slow render never piles up.
    private func startStream(
        head: HTTPRequestHead, events: @escaping MetricsHTTPServer.Events, context: ChannelHandlerContext
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/event-stream; charset=utf-8")
        headers.add(name: "Cache-Control", value: "no-cache")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))),
            promise: nil)
        guard head.method == .GET else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        streaming = true
        writeEvent("retry: 3000\n\n", context: context)
        pushNext(events: events, context: context)
    }

    private func pushNext(events: @escaping MetricsHTTPServer.Events, context: ChannelHandlerContext) {
        guard streaming else { return }
        let promise = context.eventLoop.makePromise(of: String?.self)
        promise.completeWithTask { await events() }
        promise.futureResult.assumeIsolated().whenSuccess { data in
            guard self.streaming else { return }
            // A reader that does not keep up gets no new event until its socket drains: each event carries the
            // whole state, so skipping one loses nothing, and nothing piles up in memory for a stuck page.
            if let data, data != self.lastEvent, context.channel.isWritable {
                self.lastEvent = data
                self.quietTicks = 0
                self.writeEvent("data: " + data + "\n\n", context: context)
            } else {
                self.quietTicks += 1
                if self.quietTicks >= 10 {
                    self.quietTicks = 0
                    self.writeEvent(": keep-alive\n\n", context: context)
                }
            }
            context.eventLoop.assumeIsolated().scheduleTask(in: self.eventInterval) {
                self.pushNext(events: events, context: context)
            }
        }
    }

    private func writeEvent(_ text: String, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
    }

    private func send(
        status: HTTPResponseStatus, body: String, head: HTTPRequestHead, context: ChannelHandlerContext,
        contentType: String = "text/plain; charset=utf-8"
    ) {
        send(status: status, bytes: Array(body.utf8), head: head, context: context, contentType: contentType)
    }

    private func send(
        status: HTTPResponseStatus, bytes: [UInt8], head: HTTPRequestHead, context: ChannelHandlerContext,
        contentType: String, contentEncoding: String? = nil
    ) {
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        if let contentEncoding {
            headers.add(name: "Content-Encoding", value: contentEncoding)
            headers.add(name: "Vary", value: "Accept-Encoding")
        }
        headers.add(name: "Content-Length", value: String(buffer.readableBytes))
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
            promise: nil)
        if head.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil) }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
