import Logging
import NIOCore
import NIOPosix

/// The listening socket(s): accepts connections and installs the frame decoder and connection handler.
final class KafkaServer: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channels: [Channel]
    let boundPorts: [Int]

    /// Binds every listener (`NAME://host:port`); connections remember which listener they came through, so
    /// Metadata answers with that listener's advertised addresses.
    static func start(
        listeners: [(name: String, host: String, port: Int)], maxFrameSize: Int, router: RequestRouter,
        logger: Logger, group: MultiThreadedEventLoopGroup
    ) async throws -> KafkaServer {
        var channels: [Channel] = []
        var ports: [Int] = []
        do {
            for l in listeners {
                let channel = try await bind(
                    listenerName: l.name, host: l.host, port: l.port, maxFrameSize: maxFrameSize, router: router,
                    logger: logger, group: group)
                channels.append(channel)
                ports.append(channel.localAddress?.port ?? l.port)
            }
        } catch {
            for c in channels { try? await c.close() }
            throw error
        }
        return KafkaServer(group: group, channels: channels, boundPorts: ports)
    }

    private static func bind(
        listenerName: String, host: String, port: Int, maxFrameSize: Int, router: RequestRouter, logger: Logger,
        group: MultiThreadedEventLoopGroup
    ) async throws -> Channel {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 64 * 1024, maximum: 1024 * 1024))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: maxFrameSize)))
                    try channel.pipeline.syncOperations.addHandler(
                        KafkaConnectionHandler(router: router, listenerName: listenerName, logger: logger))
                }
            }
        return try await bootstrap.bind(host: host, port: port).get()
    }

    private init(group: MultiThreadedEventLoopGroup, channels: [Channel], boundPorts: [Int]) {
        self.group = group
        self.channels = channels
        self.boundPorts = boundPorts
    }

    func close() async {
        for channel in channels { try? await channel.close() }
    }
}
