import Logging
import NIOCore
import NIOPosix

/// The listening socket(s): accepts connections and installs the frame decoder and connection handler.
final class KafkaServer: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channels: [Channel]
    let boundPorts: [Int]

    static func start(
        host: String, port: Int, maxFrameSize: Int, router: RequestRouter, logger: Logger,
        group: MultiThreadedEventLoopGroup
    ) async throws -> KafkaServer {
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
                        KafkaConnectionHandler(router: router, logger: logger))
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        return KafkaServer(group: group, channels: [channel], boundPorts: [channel.localAddress?.port ?? port])
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
