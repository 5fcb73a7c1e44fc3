import KafkaFraming
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// The listening socket(s): accepts connections and installs the frame decoder and connection handler.
final class KafkaServer: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channels: [Channel]
    private let connections: ConnectionRegistry
    let boundPorts: [Int]

    /// Binds every listener (`NAME://host:port`); connections remember which listener they came through, so
    /// Metadata answers with that listener's advertised addresses.
    static func start(
        listeners: [(name: String, host: String, port: Int, security: ListenerAuthentication?)], maxFrameSize: Int,
        router: RequestRouter,
        logger: Logger, group: MultiThreadedEventLoopGroup
    ) async throws -> KafkaServer {
        var channels: [Channel] = []
        var ports: [Int] = []
        let connections = ConnectionRegistry()
        do {
            for l in listeners {
                let channel = try await bind(
                    listenerName: l.name, host: l.host, port: l.port, security: l.security,
                    maxFrameSize: maxFrameSize, router: router, logger: logger, group: group,
                    connections: connections)
                channels.append(channel)
                ports.append(channel.localAddress?.port ?? l.port)
            }
        } catch {
            for c in channels { try? await c.close() }
            throw error
        }
        return KafkaServer(group: group, channels: channels, connections: connections, boundPorts: ports)
    }

    private static func bind(
        listenerName: String, host: String, port: Int, security: ListenerAuthentication?, maxFrameSize: Int,
        router: RequestRouter, logger: Logger, group: MultiThreadedEventLoopGroup, connections: ConnectionRegistry
    ) async throws -> Channel {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(
                ChannelOptions.recvAllocator,
                value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 64 * 1024, maximum: 1024 * 1024)
            )
            .childChannelInitializer { channel in
                router.metrics?.connectionOpened(listener: listenerName, channel: channel)
                return channel.eventLoop.makeCompletedFuture {
                    var connectionSecurity: ConnectionSecurity? = nil
                    var frameLimit: FrameSizeLimit? = nil
                    if let security {
                        // Before authentication a SASL listener accepts only small frames (sasl.server.max.receive.size).
                        if security.settings.usesSASL { frameLimit = FrameSizeLimit(security.settings.maxReceiveSize) }
                        var peer: TLSPeerPrincipal? = nil
                        if let tls = security.tls {
                            peer = TLSPeerPrincipal()
                            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.context()))
                        }
                        connectionSecurity = ConnectionSecurity(
                            listener: security, tlsPeer: peer, frameLimit: frameLimit, maxFrameSize: maxFrameSize)
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: maxFrameSize, limit: frameLimit)))
                    try channel.pipeline.syncOperations.addHandler(
                        KafkaConnectionHandler(
                            router: router, listenerName: listenerName, logger: logger, registry: connections,
                            security: connectionSecurity))
                }
            }
        return try await bootstrap.bind(host: host, port: port).get()
    }

    private init(
        group: MultiThreadedEventLoopGroup, channels: [Channel], connections: ConnectionRegistry, boundPorts: [Int]
    ) {
        self.group = group
        self.channels = channels
        self.connections = connections
        self.boundPorts = boundPorts
    }

    /// Stops accepting, closes every client connection and waits for their request loops to end, so no request
    /// finishes after the event loops are shut down.
    func close() async {
        for channel in channels { try? await channel.close() }
        await connections.closeAll()
    }
}

/// The open client connections and their request loops (for shutdown).
final class ConnectionRegistry: Sendable {
    private struct Entry {
        var channel: any Channel
        var worker: Task<Void, Never>
    }
    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])
    private let closed = Mutex(false)

    func register(_ channel: any Channel, worker: Task<Void, Never>) {
        let accepted = closed.withLock { !$0 }
        guard accepted else {
            channel.close(promise: nil)
            return
        }
        entries.withLock { $0[ObjectIdentifier(channel)] = Entry(channel: channel, worker: worker) }
    }

    func unregister(_ channel: any Channel) {
        _ = entries.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    func closeAll() async {
        closed.withLock { $0 = true }
        let all = entries.withLock { Array($0.values) }
        for entry in all { try? await entry.channel.close() }
        for entry in all { await entry.worker.value }
    }
}
