import KafkaProtocol
import NIOCore

/// Drives `SaslReauthentication` for one connection: sits at the tail of the pipeline, so every request the
/// connection writes passes it before `RequestPipelineHandler` assigns its correlation id. Added after the first
/// login when the broker gave a session lifetime. Runs on the channel's event loop only.
final class SaslReauthenticationHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = OutboundRequest
    typealias OutboundOut = OutboundRequest

    struct Held {
        var request: OutboundRequest
        var promise: EventLoopPromise<Void>?
    }

    private var machine: SaslReauthentication<Held>
    private let clientId: String
    private let timeout: TimeAmount

    init(
        login: ClientSecurity.SaslLogin, address: BrokerAddress, clientId: String, timeout: TimeAmount,
        sessionLifetimeMs: Int64
    ) {
        machine = SaslReauthentication(
            login: login, context: "\(address)", sessionLifetimeMs: sessionLifetimeMs, nowNs: Self.nowNs(),
            jitter: Double.random(in: SaslReauthentication<Held>.jitterRange))
        self.clientId = clientId
        self.timeout = timeout
    }

    private static func nowNs() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        switch machine.write(Held(request: request, promise: promise), nowNs: Self.nowNs()) {
        case .write:
            context.write(data, promise: promise)
        case .hold:
            break
        case .beginReauthentication(let mechanism):
            send(SaslHandshakeRequest(mechanism: mechanism), context: context) { handler, context, body in
                let response = try SaslHandshakeResponse(reading: &body, version: 1)
                handler.apply(
                    handler.machine.handshakeAnswered(
                        errorCode: response.errorCode, mechanisms: response.mechanisms), context: context)
            }
        case .fail(let error):
            request.response?.fail(error)
            promise?.fail(error)
        }
    }

    private func apply(_ step: SaslReauthentication<Held>.Step, context: ChannelHandlerContext) {
        switch step {
        case .sendToken(let token):
            send(SaslAuthenticateRequest(authBytes: token), context: context) { handler, context, body in
                let r = try SaslAuthenticateResponse(reading: &body, version: 1)
                handler.apply(
                    handler.machine.authenticateAnswered(
                        errorCode: r.errorCode, errorMessage: r.errorMessage, authBytes: r.authBytes,
                        sessionLifetimeMs: r.sessionLifetimeMs, nowNs: Self.nowNs(),
                        jitter: Double.random(in: SaslReauthentication<Held>.jitterRange)),
                    context: context)
            }
        case .resume(let held):
            for h in held { context.write(wrapOutboundOut(h.request), promise: h.promise) }
            context.flush()
        case .fail(let error, let held):
            for h in held {
                h.request.response?.fail(error)
                h.promise?.fail(error)
            }
            context.close(promise: nil)
        }
    }

    /// Writes one step of the exchange (at version 1, which carries the session lifetime) and hands its answer's
    /// body to `answered`, on the event loop.
    private func send<R: KafkaRequest>(
        _ request: R, context: ChannelHandlerContext,
        answered: @escaping (SaslReauthenticationHandler, ChannelHandlerContext, inout ProtocolReader) throws -> Void
    ) {
        var writer = ProtocolWriter(capacity: 128)
        request.write(to: &writer, version: 1)
        let response = context.eventLoop.makePromise(of: ResponseFrame.self)
        let outbound = OutboundRequest(
            apiKey: R.apiKey.rawValue, apiVersion: 1, requestHeaderVersion: R.requestHeaderVersion(1),
            responseHeaderVersion: R.responseHeaderVersion(1), clientId: clientId, body: writer.bytes,
            response: response, timeout: timeout)
        context.writeAndFlush(wrapOutboundOut(outbound), promise: nil)
        let bound = NIOLoopBound((self, context, answered), eventLoop: context.eventLoop)
        response.futureResult.whenComplete { result in
            let (handler, context, answered) = bound.value
            do {
                let frame = try result.get()
                var body = ProtocolReader(frame.bytes, position: frame.bodyStart)
                try answered(handler, context, &body)
            } catch {
                let failure =
                    error as? KafkaClientError
                    ?? .malformedResponse(api: R.apiKey, reason: "during SASL re-authentication: \(error)")
                handler.apply(handler.machine.fail(failure), context: context)
            }
        }
    }
}
