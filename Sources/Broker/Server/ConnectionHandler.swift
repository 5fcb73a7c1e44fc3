import KafkaFraming
import KafkaProtocol
import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// One client connection. Frames are handed to a per-connection task that processes them strictly in order
/// (as Kafka does: a connection's requests are handled one at a time), so responses leave in request order and
/// pipelined produce requests for one partition are appended in the order they were sent.
///
/// Runs on the channel's event loop; request processing happens off the loop in the connection's task.
final class KafkaConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = IOData

    private let router: RequestRouter
    private let logger: Logger
    private var continuation: AsyncStream<ByteBuffer>.Continuation?
    private var worker: Task<Void, Never>?
    private var queuedBytes = 0
    private var readPaused = false
    /// Above this many queued request bytes the connection stops reading until the backlog drains. Kept large:
    /// while reads are paused a closed connection goes unnoticed and its queued requests would still run.
    private static let maxQueuedBytes = 64 * 1024 * 1024

    private let listenerName: String

    private let registry: ConnectionRegistry?
    /// TLS / SASL of the listener (nil: PLAINTEXT).
    private let security: ConnectionSecurity?

    init(
        router: RequestRouter, listenerName: String, logger: Logger, registry: ConnectionRegistry? = nil,
        security: ConnectionSecurity? = nil
    ) {
        self.router = router
        self.listenerName = listenerName
        self.logger = logger
        self.registry = registry
        self.security = security
    }

    func channelActive(context: ChannelHandlerContext) {
        let pair = AsyncStream.makeStream(of: ByteBuffer.self)
        let stream = pair.stream
        self.continuation = pair.continuation
        let channel = context.channel
        let router = self.router
        let logger = self.logger
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        // Kafka reports client hosts as "/<ip>" (DescribeGroups, logs).
        let client = ClientInfo(
            address: "/" + (channel.remoteAddress?.ipAddress ?? "unknown"), listenerName: listenerName)
        let done: @Sendable (Int) -> Void = { bytes in
            channel.eventLoop.execute { loopBound.value.requestDone(channel: channel, bytes: bytes) }
        }
        let registry = self.registry
        let security = self.security
        let task = Task {
            await KafkaConnectionHandler.serve(
                stream, router: router, channel: channel, client: client, security: security, logger: logger,
                done: done)
            registry?.unregister(channel)
        }
        worker = task
        registry?.register(channel, worker: task)
        context.fireChannelActive()
    }

    /// The connection's request loop: one request at a time, in arrival order.
    private static func serve(
        _ stream: AsyncStream<ByteBuffer>, router: RequestRouter, channel: any Channel, client: ClientInfo,
        security: ConnectionSecurity?, logger: Logger, done: @escaping @Sendable (Int) -> Void
    ) async {
        var client = client
        var security = security
        for await frame in stream {
            // A closed connection's queued requests are dropped, not processed: nobody reads the answers.
            guard channel.isActive, !Task.isCancelled else {
                done(frame.readableBytes)
                continue
            }
            let size = frame.readableBytes
            if case .handled(let response, let closeAfterMs, let reason) = security?.admit(frame, client: &client) {
                if let response { send(response, on: channel, logger: logger) }
                if let closeAfterMs {
                    logger.info("closing connection from \(client.address): \(reason ?? "authentication failed")")
                    if closeAfterMs > 0 { try? await Task.sleep(for: .milliseconds(closeAfterMs)) }
                    channel.close(promise: nil)
                }
                done(size)
                continue
            }
            let outcome = await router.handle(frame: frame, client: client)
            if case .respond(let response) = outcome {
                send(response, on: channel, logger: logger, copyFiles: security?.listener.tls != nil)
                if let mute = response.muteFor { try? await Task.sleep(for: mute) }
            } else if case .close(let reason) = outcome {
                logger.debug("closing connection from \(client.address): \(reason)")
                channel.close(promise: nil)
            }
            done(size)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation?.finish()
        continuation = nil
        // Ends a long-polling fetch or any other wait of the request in progress.
        worker?.cancel()
        worker = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        queuedBytes += frame.readableBytes
        continuation?.yield(frame)
        if queuedBytes >= Self.maxQueuedBytes && !readPaused {
            readPaused = true
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        }
    }

    private func requestDone(channel: Channel, bytes: Int) {
        queuedBytes -= bytes
        if readPaused && queuedBytes < Self.maxQueuedBytes / 2 {
            readPaused = false
            channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event, let security, let peer = security.tlsPeer {
            let certificate = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)
                .peerCertificate
            let principal = tlsPrincipal(peer: certificate, rules: security.listener.mappingRules)
            peer.set(principal)
            if certificate != nil {
                logger.info(
                    "TLS client \(context.remoteAddress?.description ?? "?") on \(listenerName): principal \(principal ?? "(none: no ssl.principal.mapping.rules match)")"
                )
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let tooLarge = error as? KafkaFrameDecoder.FrameTooLarge, security?.listener.settings.usesSASL == true,
            tooLarge.limit < (security?.maxFrameSize ?? 0)
        {
            logger.warning(
                "closing connection from \(context.remoteAddress?.description ?? "?"): Failing SASL authentication due to invalid receive size \(tooLarge.size)"
            )
        } else if let tooLarge = error as? KafkaFrameDecoder.FrameTooLarge {
            logger.warning(
                "closing connection from \(context.remoteAddress?.description ?? "?"): frame size \(tooLarge.size) exceeds socket.request.max.bytes"
            )
        } else if let tls = error as? NIOSSLError {
            // Kafka's Selector logs a refused handshake at INFO: a peer offering no common protocol or cipher
            // suite, or an untrusted certificate, is a configuration mistake someone has to see.
            logger.info(
                "Failed authentication with \(context.remoteAddress?.description ?? "?") on \(listenerName) (SSL handshake failed: \(tls))"
            )
        } else {
            logger.debug("connection error: \(error)")
        }
        context.close(promise: nil)
    }

    /// Writes size prefix, bytes and file regions in order, then flushes. Called from any thread.
    /// `copyFiles`: file chunks are read into the buffer instead of sent with sendfile (TLS connections).
    private static func send(_ response: OutboundResponse, on channel: Channel, logger: Logger, copyFiles: Bool = false)
    {
        let writer = response.writer
        var prefix = channel.allocator.buffer(capacity: 4 + writer.bytes.count)
        prefix.writeInteger(Int32(writer.totalLength))
        if writer.externals.isEmpty {
            prefix.writeBytes(writer.bytes)
            channel.writeAndFlush(IOData.byteBuffer(prefix), promise: nil)
            return
        }
        var cursor = 0
        var buffer = prefix
        for external in writer.externals {
            buffer.writeBytes(writer.bytes[cursor..<external.position])
            cursor = external.position
            if buffer.readableBytes > 0 { channel.write(IOData.byteBuffer(buffer), promise: nil) }
            buffer = channel.allocator.buffer(capacity: 0)
            guard external.length > 0 else { continue }
            if copyFiles, let chunks = response.files[external.id] as? any CopyableFileChunks {
                do {
                    buffer.writeBytes(try chunks.copyBytes())
                } catch {
                    logger.error("cannot read segment slice for sending: \(error); closing connection")
                    channel.close(promise: nil)
                    return
                }
                continue
            }
            do {
                for region in try response.files[external.id].makeFileRegions() {
                    let promise = channel.eventLoop.makePromise(of: Void.self)
                    promise.futureResult.whenComplete { _ in try? region.fileHandle.close() }
                    channel.write(IOData.fileRegion(region), promise: promise)
                }
            } catch {
                // The bytes promised in the length prefix cannot be sent: the stream would be corrupt.
                logger.error("cannot open segment slice for sending: \(error); closing connection")
                channel.close(promise: nil)
                return
            }
        }
        buffer.writeBytes(writer.bytes[cursor...])
        channel.writeAndFlush(IOData.byteBuffer(buffer), promise: nil)
    }
}

/// Who sent a request (for logs and group membership host fields).
struct ClientInfo: Sendable {
    var address: String
    /// The listener the connection came through (Metadata answers with its advertised addresses).
    var listenerName: String
    /// Kafka's principal string, `User:<name>`: set by authentication (SASL or the TLS certificate), read by the
    /// authorizer. Connections that never authenticate are `User:ANONYMOUS`, as in Kafka.
    var principal: String = "User:ANONYMOUS"
}
