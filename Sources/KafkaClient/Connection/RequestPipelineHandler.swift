import KafkaProtocol
import NIOCore
import NIOSSL

/// One request on its way to the socket. The handler assigns the correlation id on the event loop, so ids,
/// socket order and the FIFO of waiting promises always agree.
struct OutboundRequest: Sendable {
    var apiKey: Int16
    var apiVersion: Int16
    var requestHeaderVersion: Int16
    var responseHeaderVersion: Int16
    var clientId: String
    var body: [UInt8]
    /// nil for requests the broker does not answer (Produce with acks=0).
    var response: EventLoopPromise<ResponseFrame>?
    var timeout: TimeAmount
}

/// A response body: the whole frame and where the body starts (after the response header).
public struct ResponseFrame: Sendable {
    public var bytes: [UInt8]
    public var bodyStart: Int
}

/// Matches responses to requests in FIFO order (Kafka answers a connection's requests in order) and checks the
/// correlation id of each. A request that is not answered within its timeout closes the connection and fails
/// everything still waiting, as the Java client does. Runs on the channel's event loop only.
final class RequestPipelineHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = OutboundRequest
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var correlationId: Int32
        var responseHeaderVersion: Int16
        var promise: EventLoopPromise<ResponseFrame>
        var timeoutTask: Scheduled<Void>?
    }

    private let host: String
    private let port: Int
    private var nextCorrelationId: Int32 = 1
    private var pending = CircularBuffer<Pending>()
    private var failure: KafkaClientError?

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let failure {
            request.response?.fail(failure)
            promise?.fail(failure)
            return
        }
        let id = nextCorrelationId
        nextCorrelationId = nextCorrelationId == Int32.max ? 1 : nextCorrelationId + 1
        var header = ProtocolWriter(capacity: 64)
        RequestHeader(
            apiKey: request.apiKey, apiVersion: request.apiVersion, correlationId: id, clientId: request.clientId
        )
        .write(to: &header, headerVersion: request.requestHeaderVersion)
        // Size, header and body straight into the socket buffer (the body is copied once).
        let size = header.bytes.count + request.body.count
        var buffer = context.channel.allocator.buffer(capacity: 4 + size)
        buffer.writeInteger(Int32(size))
        buffer.writeBytes(header.bytes)
        buffer.writeBytes(request.body)
        if let response = request.response {
            let what =
                "\(APIKey(rawValue: request.apiKey).map { "\($0)" } ?? "api \(request.apiKey)") response from \(host):\(port)"
            let ms = Int(request.timeout.nanoseconds / 1_000_000)
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let task = context.eventLoop.scheduleTask(in: request.timeout) {
                let (handler, context) = bound.value
                guard handler.pending.contains(where: { $0.correlationId == id }) else { return }
                handler.failAll(.timeout(ms: ms, what: what))
                context.close(promise: nil)
            }
            pending.append(
                Pending(
                    correlationId: id, responseHeaderVersion: request.responseHeaderVersion, promise: response,
                    timeoutTask: task))
        }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frame = unwrapInboundIn(data)
        let bytes = frame.readBytes(length: frame.readableBytes) ?? []
        guard let first = pending.popFirst() else {
            failAll(.malformedResponse(api: .apiVersions, reason: "unexpected response from \(host):\(port)"))
            context.close(promise: nil)
            return
        }
        first.timeoutTask?.cancel()
        var reader = ProtocolReader(bytes)
        do {
            let header = try ResponseHeader(reading: &reader, headerVersion: first.responseHeaderVersion)
            guard header.correlationId == first.correlationId else {
                let error = KafkaClientError.malformedResponse(
                    api: .apiVersions,
                    reason:
                        "correlation id \(header.correlationId) from \(host):\(port), expected \(first.correlationId)")
                first.promise.fail(error)
                failAll(error)
                context.close(promise: nil)
                return
            }
            first.promise.succeed(ResponseFrame(bytes: bytes, bodyStart: reader.position))
        } catch {
            first.promise.fail(
                KafkaClientError.malformedResponse(api: .apiVersions, reason: "bad response header: \(error)"))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(.connectionClosed(host: host, port: port))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A refused TLS handshake (no common protocol version or cipher suite, an untrusted certificate) says so,
        // instead of a bare "connection closed" that hides why a broker or client cannot connect.
        if let tls = error as? NIOSSLError {
            failAll(.brokerUnreachable(host: host, port: port, reason: "TLS handshake failed: \(tls)"))
        } else {
            failAll(.connectionClosed(host: host, port: port))
        }
        context.close(promise: nil)
    }

    private func failAll(_ error: KafkaClientError) {
        if failure == nil { failure = error }
        while let p = pending.popFirst() {
            p.timeoutTask?.cancel()
            p.promise.fail(error)
        }
    }
}
